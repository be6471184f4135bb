"""ProvisioningAttributeMappings through the SDK's provider server, against the emulator."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from rules.schema_edit import object_mapping
from tests.conftest import ASANA_TEMPLATE, SERVICE_PRINCIPAL_ID, StartServer
from tests.emulator import Emulator, Fault
from tests.emulator.expression_parser import parse
from tests.engine import UNKNOWN, EngineResource, ProviderError, ProviderServer

ACTIVE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
ORGANIZATION = f"{ENTERPRISE}organization"
SALES = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]
SCHEMA = r"/synchronization/jobs/[^/]+/schema$"


@pytest.fixture
def job(emulator: Emulator) -> str:
    return emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")


def mappings_resource(server: ProviderServer) -> EngineResource:
    return EngineResource(
        server=server,
        provider=ProvisioningAttributeMappingsProvider(),
        type_token="asana:ProvisioningAttributeMappings",
        name="asana-user-mappings",
    )


def inputs(job: str, **spec: Any) -> dict[str, Any]:
    return {
        "service_principal_id": SERVICE_PRINCIPAL_ID,
        "job_id": f"/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/jobs/{job}",
        "kind": "user",
        "source_object": "User",
        "target_object": "User",
        "mappings": [
            {"target": "title", "attribute": "department"},
            {"target": "active", "expression": ACTIVE},
            {"target": ORGANIZATION, "constant": "Contoso (dev)"},
        ],
        "scoping_filter": SALES,
        **spec,
    }


def exact_inputs(job: str) -> dict[str, Any]:
    return inputs(
        job,
        mode="exact",
        mappings=[
            {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": 1},
            {"target": "active", "expression": ACTIVE},
            {"target": "title", "attribute": "jobTitle"},
        ],
    )


def user_mapping(emulator: Emulator, job: str) -> dict[str, Any]:
    return object_mapping(emulator.schema(SERVICE_PRINCIPAL_ID, job), "User", "User")


def calls(emulator: Emulator) -> list[tuple[str, str]]:
    return [
        (r.method, r.path.rsplit("/", 1)[-1]) for r in emulator.requests if r.service == "graph"
    ]


def test_first_preview_accepts_a_job_not_created_yet(emulator: Emulator, server):
    checked, diff = mappings_resource(server).preview(inputs("x", job_id=UNKNOWN))

    assert checked.failures == []
    assert diff is None
    assert emulator.requests == []


@pytest.mark.parametrize("job_id", ["asana job", "asana/../x", ""], ids=["space", "slash", "empty"])
def test_check_names_a_job_id_graph_could_not_have_given(emulator: Emulator, server, job_id):
    """A job id is letters, digits, '.', '-' and '_' (`asana.0a1b….<uuid>`, as Graph's
    synchronizationJob ids read), or the azuread provider's resource id of the job; anything
    else is refused at preview, naming `job_id`, before a request is sent."""
    checked, _ = mappings_resource(server).preview(inputs("x", job_id=job_id))

    assert checked.failures == [
        (
            "job_id",
            "must be a synchronization job id (letters, digits, '.', '-', '_') or "
            "/servicePrincipals/{id}/synchronization/jobs/{jobId}",
        )
    ]
    assert emulator.requests == []


def test_check_names_the_property_of_a_bad_mapping(emulator: Emulator, server, job):
    bad = inputs(job, mappings=[{"target": "title", "expression": "Capitalize([jobTitle])"}])

    checked, _ = mappings_resource(server).preview(bad)

    assert checked.failures == [
        (
            "mappings[0].expression",
            "is not a valid expression: 'Capitalize' is not one of Entra's expression functions "
            "(names are case-sensitive)",
        )
    ]
    assert emulator.requests == []


def test_check_names_a_bad_scoping_filter_as_the_stack_file_spells_it(
    emulator: Emulator, server, job
):
    """The same path as the stack setting's error (`userMappings.scopingFilter[0][0].operator`),
    not the resource property that carries it (`scoping_filter`)."""
    like = [[{"attribute": "department", "operator": "LIKE", "values": ["Sales"]}]]

    checked, _ = mappings_resource(server).preview(inputs(job, scoping_filter=like))

    assert [prop for prop, _ in checked.failures] == ["scopingFilter[0][0].operator"]
    assert emulator.requests == []


def test_create_refresh_and_diff_cost_what_they_should(emulator: Emulator, server, job):
    resource = mappings_resource(server)

    resource.up(inputs(job))
    assert calls(emulator) == [("GET", "schema"), ("PUT", "schema"), ("GET", "schema")]
    live = user_mapping(emulator, job)
    assert live["scope"]["groups"][0]["clauses"][0]["sourceOperandName"] == "department"
    title = next(m for m in live["attributeMappings"] if m["targetAttributeName"] == "title")
    assert title["source"]["name"] == "department"
    assert resource.outputs["managed_targets"] == ["title", "active", ORGANIZATION]

    refreshed = resource.refresh()
    assert not refreshed.drift
    assert calls(emulator)[3:] == [("GET", "schema")]

    _, diff = resource.preview(inputs(job))
    assert diff is not None and diff.changes is False
    assert len(calls(emulator)) == 4


def test_a_schema_that_already_matches_is_adopted_without_a_write(emulator, server, job):
    first = mappings_resource(server)
    first.up(inputs(job))
    before = len(calls(emulator))

    adopted = EngineResource(
        server,
        ProvisioningAttributeMappingsProvider(),
        "asana:ProvisioningAttributeMappings",
        "again",
    )
    adopted.up(inputs(job))

    assert calls(emulator)[before:] == [("GET", "schema")]
    assert not adopted.refresh().drift


def set_active_expression(schema: dict[str, Any]) -> None:
    mapping = object_mapping(schema, "User", "User")
    active = next(m for m in mapping["attributeMappings"] if m["targetAttributeName"] == "active")
    active["source"] = {
        "expression": "Not([IsSoftDeleted])",
        "name": "Not",
        "parameters": [],
        "type": "Function",
    }


def delete_title(schema: dict[str, Any]) -> None:
    mapping = object_mapping(schema, "User", "User")
    mapping["attributeMappings"] = [
        m for m in mapping["attributeMappings"] if m["targetAttributeName"] != "title"
    ]


def add_department(schema: dict[str, Any]) -> None:
    mapping = object_mapping(schema, "User", "User")
    mapping["attributeMappings"].append(
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "source": {
                "expression": "[department]",
                "name": "department",
                "parameters": [],
                "type": "Attribute",
            },
            "targetAttributeName": DEPARTMENT,
        }
    )


def widen_filter(schema: dict[str, Any]) -> None:
    clause = object_mapping(schema, "User", "User")["scope"]["groups"][0]["clauses"][0]
    clause["targetOperand"]["values"] = ["Sales", "Marketing"]


def disable_users(schema: dict[str, Any]) -> None:
    object_mapping(schema, "User", "User")["enabled"] = False


# (out-of-band edit in the portal, exact mode?, the output that shows it)
EDITS: list[tuple[str, Callable[[dict[str, Any]], None], bool, str]] = [
    ("expression changed", set_active_expression, False, "mappings"),
    ("mapping deleted", delete_title, False, "mappings"),
    ("mapping added", add_department, True, "mappings"),
    ("scoping filter changed", widen_filter, False, "scoping_filter"),
    ("object mapping disabled", disable_users, False, "enabled"),
]


@pytest.mark.parametrize(
    ("edit", "exact", "shown_in"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_an_edit_in_the_portal_shows_as_drift_and_up_corrects_it(
    emulator: Emulator, server, job, edit, exact: bool, shown_in: str
):
    wanted = exact_inputs(job) if exact else inputs(job)
    if exact:
        wanted["scoping_filter"] = SALES
    resource = mappings_resource(server)
    resource.up(wanted)
    applied = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, edit)

    refreshed = resource.refresh()

    assert refreshed.drift
    assert set(refreshed.changed_outputs) == {shown_in}
    before = len(calls(emulator))
    resource.up(wanted)
    parse = [("POST", "parseExpression")] if edit is set_active_expression else []
    assert calls(emulator)[before:] == [
        ("GET", "schema"),
        *parse,
        ("PUT", "schema"),
        ("GET", "schema"),
    ]
    corrected = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    assert in_any_order(corrected) == in_any_order(applied)
    assert not resource.refresh().drift


def strip_version(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "version"}


def in_any_order(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema less `version` and the order of attribute mappings (a mapping added back goes
    at the end). Function sources are compared parsed, `parameters` included: the put-back
    expression is written as Graph's parser returned it, as the template holds it."""
    result = strip_version(schema)
    user = object_mapping(result, "User", "User")
    user["attributeMappings"].sort(key=lambda mapping: mapping["targetAttributeName"])
    return result


def test_an_unmanaged_mapping_added_in_merge_mode_is_not_drift(emulator, server, job):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, add_department)

    assert not resource.refresh().drift


def test_delete_restores_the_template_default_of_its_object_mapping(
    emulator: Emulator, server, job
):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    before = len(calls(emulator))

    resource.destroy()

    assert calls(emulator)[before:] == [
        ("GET", job),
        ("GET", "templates"),
        ("GET", "schema"),
        ("PUT", "schema"),
        ("GET", "schema"),
    ]
    assert strip_version(emulator.schema(SERVICE_PRINCIPAL_ID, job)) == strip_version(
        ASANA_TEMPLATE["schema"]
    )


def test_destroying_a_resource_whose_part_is_already_the_templates_writes_nothing(
    emulator: Emulator, server, job
):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.edit_schema(
        SERVICE_PRINCIPAL_ID,
        job,
        lambda schema: schema.update(
            synchronizationRules=copy.deepcopy(ASANA_TEMPLATE["schema"]["synchronizationRules"])
        ),
    )
    before = len(calls(emulator))

    resource.destroy()

    assert [method for method, _ in calls(emulator)[before:]] == ["GET", "GET", "GET"]


def test_destroying_after_the_job_is_gone_succeeds_without_a_write(emulator: Emulator, server, job):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.remove_service_principal(SERVICE_PRINCIPAL_ID)

    resource.destroy()

    assert resource.id is None


def test_restart_on_change_restarts_like_the_portal_only_after_a_write(emulator, server, job):
    resource = mappings_resource(server)

    resource.up(inputs(job, restart_on_change=True))
    resource.up(inputs(job, restart_on_change=True))

    assert emulator.restarts(SERVICE_PRINCIPAL_ID, job) == [{}]


def test_a_gone_job_reads_as_deleted(emulator: Emulator, server, job):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.remove_service_principal(SERVICE_PRINCIPAL_ID)

    assert resource.refresh().deleted


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(503),
        Fault.status(
            400,
            body={"error": {"code": "BadRequest", "message": "Attribute 'mail' is not defined."}},
        ),
    ],
    ids=["5xx after retries", "400 from the service"],
)
def test_a_failed_put_leaves_the_schema_as_it_was_and_names_the_change(
    emulator: Emulator, start_server: StartServer, job, fault
):
    resource = mappings_resource(start_server(maxRetries="1"))
    before = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    emulator.inject(fault, service="graph", method="PUT", path=SCHEMA, times=5)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(job))

    message = failure.value.details
    assert "the User -> User attribute mappings of job" in message
    assert "title: [jobTitle] -> [department]; " in message  # each change, "; " between
    assert "the live schema was left as it was" in message
    if fault.code == 400:
        assert "BadRequest: Attribute 'mail' is not defined." in message
    assert emulator.schema(SERVICE_PRINCIPAL_ID, job) == before
    assert resource.id is None


def test_an_expression_is_written_in_the_parsed_form_graph_returns(emulator: Emulator, server, job):
    coalesce = 'Coalesce([jobTitle],   "Staff")'
    resource = mappings_resource(server)

    resource.up(inputs(job, mappings=[{"target": "title", "expression": coalesce}]))

    (parse_call,) = [r for r in emulator.requests if r.path.endswith("/parseExpression")]
    assert parse_call.body == {"expression": coalesce}
    title = next(
        m
        for m in user_mapping(emulator, job)["attributeMappings"]
        if m["targetAttributeName"] == "title"
    )
    assert title["source"] == parse(coalesce)
    assert [p["key"] for p in title["source"]["parameters"]] == ["source", "source"]
    assert not resource.refresh().drift


def test_an_expression_graph_cannot_parse_fails_and_writes_nothing(emulator: Emulator, server, job):
    """`Append` without its suffix passes the offline check (the function exists, brackets
    balance) but not Graph's parser; its own message is the error."""
    before = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    resource = mappings_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(job, mappings=[{"target": "title", "expression": "Append([mail])"}]))

    message = failure.value.details.strip().splitlines()[-1]
    assert "mappings[0].expression 'Append([mail])' was refused by Graph's parser" in message
    assert "nothing was written" in message
    assert "ExpressionParsingFailed: The function 'Append' requires the parameter 'suffix'." in (
        message
    )
    assert ("PUT", "schema") not in calls(emulator)
    assert emulator.schema(SERVICE_PRINCIPAL_ID, job) == before
    assert resource.id is None


def without_division(schema: dict[str, Any]) -> None:
    """A tenant whose Asana schema predates Microsoft's 09/07/2023 additions (no division)."""
    division = f"{ENTERPRISE}division"
    users = object_mapping(schema, "User", "User")
    users["attributeMappings"] = [
        m for m in users["attributeMappings"] if m["targetAttributeName"] != division
    ]
    asana = next(d for d in schema["directories"] if d["name"] == "Asana")
    user_object = next(o for o in asana["objects"] if o["name"] == users["targetObjectName"])
    user_object["attributes"] = [a for a in user_object["attributes"] if a["name"] != division]


def test_a_target_the_job_schema_lacks_is_refused_listing_the_attributes(
    emulator: Emulator, server, job
):
    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, without_division)
    before = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    resource = mappings_resource(server)
    wanted = inputs(job, mappings=[{"target": f"{ENTERPRISE}division", "attribute": "city"}])

    checked, _ = resource.preview(wanted)
    assert checked.failures == []  # the offline check (Microsoft's table) has division
    with pytest.raises(ProviderError) as failure:
        resource.up(wanted)

    message = failure.value.details.strip().splitlines()[-1]
    assert f"mappings[0].target '{ENTERPRISE}division' is not an attribute of" in message
    assert 'its attributes are: active, addresses[type eq "work"].country' in message
    assert f"{ENTERPRISE}organization, userName" in message
    assert calls(emulator) == [("GET", "schema")]
    assert emulator.schema(SERVICE_PRINCIPAL_ID, job) == before


RESTART = r"/synchronization/jobs/[^/]+/restart$"


def puts(emulator: Emulator) -> int:
    return emulator.count(service="graph", method="PUT")


def test_a_put_graph_did_not_act_on_is_sent_twice_in_all_never_retried_by_the_transport(
    emulator: Emulator, start_server: StartServer, job
):
    """docs/mappings.md: the schema PUT is never repeated blind, even where every other request
    is retried (maxRetries 2 here); a 503 (Graph did not act) is confirmed by one read and sent
    once more, so Graph sees two PUTs in all."""
    resource = mappings_resource(start_server(maxRetries="2"))
    emulator.inject(Fault.status(503), service="graph", method="PUT", path=SCHEMA, times=5)

    with pytest.raises(ProviderError):
        resource.up(inputs(job))

    assert puts(emulator) == 2


def test_a_put_whose_reply_is_lost_is_confirmed_by_reading_and_never_sent_again(
    emulator: Emulator, server, job
):
    """The PUT lands and its reply is lost (a 500 after acting): one read finds it live."""
    resource = mappings_resource(server)
    emulator.inject(Fault.after(500), service="graph", method="PUT", path=SCHEMA)

    resource.up(inputs(job))

    assert puts(emulator) == 1
    assert resource.id is not None and not resource.refresh().drift


def test_a_put_landing_after_the_timeout_is_seen_landing_and_never_sent_again(
    emulator: Emulator, server, job
):
    """httpTimeoutSeconds is 2 here: the PUT lands 3 s after it was sent, inside the window
    (as long as the timeout) in which the schema is read until the write shows."""
    resource = mappings_resource(server)
    emulator.inject(Fault.slow(3.0), service="graph", method="PUT", path=SCHEMA)

    resource.up(inputs(job))

    assert puts(emulator) == 1
    assert resource.id is not None and not resource.refresh().drift


def test_a_put_that_did_not_land_is_sent_once_more_after_reading_confirms_it(
    emulator: Emulator, server, job
):
    resource = mappings_resource(server)
    emulator.inject(Fault.status(500), service="graph", method="PUT", path=SCHEMA)

    resource.up(inputs(job))

    assert puts(emulator) == 2
    assert resource.id is not None and not resource.refresh().drift


def test_a_restart_that_failed_after_the_write_is_recorded_and_done_by_the_next_up(
    emulator: Emulator, server, job
):
    resource = mappings_resource(server)
    emulator.inject(Fault.status(500), service="graph", method="POST", path=RESTART)

    resource.up(inputs(job, restart_on_change=True))

    assert emulator.restarts(SERVICE_PRINCIPAL_ID, job) == []
    assert resource.outputs["restart_pending"] is True
    _, diff = resource.preview(inputs(job, restart_on_change=True))
    assert diff is not None and diff.changes
    assert resource.refresh().deleted is False and resource.outputs["restart_pending"] is True

    resource.up(inputs(job, restart_on_change=True))

    assert emulator.restarts(SERVICE_PRINCIPAL_ID, job) == [{}]
    assert "restart_pending" not in resource.outputs
    resource.up(inputs(job, restart_on_change=True))
    assert emulator.restarts(SERVICE_PRINCIPAL_ID, job) == [{}]


def test_a_restart_owed_to_a_job_no_longer_to_be_restarted_is_dropped(
    emulator: Emulator, server, job
):
    resource = mappings_resource(server)
    emulator.inject(Fault.status(500), service="graph", method="POST", path=RESTART)
    resource.up(inputs(job, restart_on_change=True))

    resource.up(inputs(job, restart_on_change=False))

    assert emulator.restarts(SERVICE_PRINCIPAL_ID, job) == []
    assert "restart_pending" not in resource.outputs


def test_destroying_when_the_jobs_template_is_gone_names_the_mappings_and_the_templates(
    emulator: Emulator, server, job
):
    """What destroy restores comes from the job's template; when the principal no longer
    offers it, the error says which resource could not be destroyed and what is offered."""
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.set_templates(SERVICE_PRINCIPAL_ID, [{**ASANA_TEMPLATE, "id": "asana.v2"}])

    with pytest.raises(ProviderError) as failure:
        resource.destroy()

    assert (
        failure.value.details.strip()
        .splitlines()[-1]
        .endswith(
            f"destroying the User -> User attribute mappings of job {job}: job {job} was made from "
            "template 'asana', which the service principal no longer offers (it offers: asana.v2)"
        )
    )
    assert resource.id is not None


def test_destroying_when_the_template_lacks_the_object_mapping_names_the_mappings(
    emulator: Emulator, server, job
):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    template = copy.deepcopy(ASANA_TEMPLATE)
    for rule in template["schema"]["synchronizationRules"]:
        rule["objectMappings"] = [
            m for m in rule["objectMappings"] if m.get("sourceObjectName") != "User"
        ]
    emulator.set_templates(SERVICE_PRINCIPAL_ID, [template])

    with pytest.raises(ProviderError) as failure:
        resource.destroy()

    last = failure.value.details.strip().splitlines()[-1]
    assert f"destroying the User -> User attribute mappings of job {job}: " in last
    assert "no object mapping from User to User" in last
    assert resource.id is not None


def test_a_restore_overwritten_before_it_is_verified_fails_destroy_naming_the_other_writer(
    emulator: Emulator, server, job
):
    """Another writer our lock cannot see (the portal, a second stack) saves the stack's
    mappings back between destroy's PUT and its check: destroy fails, and the resource stays
    in state for the next destroy."""
    resource = mappings_resource(server)
    resource.up(inputs(job))
    ours = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    emulator.inject(Fault.slow(0), service="graph", method="GET", path=SCHEMA, times=1)
    emulator.inject(Fault.slow(1.0), service="graph", method="GET", path=SCHEMA, times=1)
    errors: list[BaseException] = []

    def destroy() -> None:
        try:
            resource.destroy()
        except ProviderError as error:
            errors.append(error)

    sent = puts(emulator)
    destroyer = threading.Thread(target=destroy)
    destroyer.start()
    deadline = time.monotonic() + 10
    while puts(emulator) == sent and destroyer.is_alive():
        assert time.monotonic() < deadline, "destroy's PUT never came"
        time.sleep(0.02)
    emulator.edit_schema(
        SERVICE_PRINCIPAL_ID,
        job,
        lambda schema: schema.update(synchronizationRules=ours["synchronizationRules"]),
    )
    destroyer.join(timeout=30)

    assert len(errors) == 1, errors
    last = errors[0].details.strip().splitlines()[-1]
    assert f"destroying the User -> User attribute mappings of job {job}: " in last
    assert "read back after the write, the job's schema no longer had " in last
    assert "the other writer was outside this deployment" in last
    assert last.endswith("nothing was recorded for this resource: run `pulumi up` again")
    assert resource.id is not None


def test_a_restore_sent_twice_without_a_reply_fails_destroy_saying_it_may_still_land(
    emulator: Emulator, start_server: StartServer, job
):
    """Two sends of the restore, each answered 500 (Graph may have acted), and the schema as
    read for the whole window after each: the write may still land, so destroy fails saying
    so and to run it again."""
    resource = mappings_resource(start_server(httpTimeoutSeconds="1"))
    resource.up(inputs(job))
    emulator.inject(Fault.status(500), service="graph", method="PUT", path=SCHEMA, times=2)

    with pytest.raises(ProviderError) as failure:
        resource.destroy()

    last = failure.value.details.strip().splitlines()[-1]
    assert f"destroying the User -> User attribute mappings of job {job}: " in last
    assert "nothing has landed yet, but it may still" in last
    assert "run the command again (`pulumi up` or `pulumi destroy`)" in last
    assert resource.id is not None


def test_a_managed_mapping_deleted_in_the_portal_and_put_back_is_read_again(
    emulator: Emulator, server, job
):
    """A merge manages the targets it was given, not the ones a refresh last found live: after
    a refresh saw `title` deleted in the portal, putting it back there is seen by the next
    refresh, and the stack is in step again without an up."""
    resource = mappings_resource(server)
    resource.up(inputs(job))
    applied = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, delete_title)
    assert resource.refresh().drift

    def put_back(schema: dict[str, Any]) -> None:
        schema.update(copy.deepcopy(applied))

    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, put_back)
    refreshed = resource.refresh()

    assert set(refreshed.changed_outputs) == {"mappings"}
    assert "title" in {m["target"] for m in resource.outputs["mappings"]}
    assert refreshed.diff is not None and not refreshed.diff.changes


def test_a_refresh_records_the_live_mappings_as_the_inputs(emulator: Emulator, server, job):
    """Read returns the live spec as the inputs too (pulumi.dynamic.ReadResult: "the input
    properties to use for subsequent diffs"; docs/api-facts.md pulumi §1), so after a refresh
    that saw `title` deleted in the portal the state's inputs no longer list it; what only read
    needs (the managed targets) stays out of them."""
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, delete_title)

    resource.refresh()

    assert sorted(m["target"] for m in resource.inputs["mappings"]) == sorted(
        ["active", ORGANIZATION]
    )
    assert "managed_targets" not in resource.inputs
    assert resource.inputs["scoping_filter"] == SALES


def test_a_refresh_after_the_object_mapping_is_gone_names_the_resource_and_what_is_left(
    emulator: Emulator, server, job
):
    """Graph's schema may lose the User -> User object mapping (a schema PUT by another
    tool); read cannot report the mappings of an object mapping that is not there, and says
    which resource it was reading and which object mappings the schema has."""
    resource = mappings_resource(server)
    resource.up(inputs(job))

    def drop_users(schema: dict[str, Any]) -> None:
        for rule in schema["synchronizationRules"]:
            rule["objectMappings"] = [
                m for m in rule["objectMappings"] if m["sourceObjectName"] != "User"
            ]

    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, drop_users)

    with pytest.raises(ProviderError) as failure:
        resource.refresh()

    assert (
        f"reading the User -> User attribute mappings of job {job}: the schema has no object "
        "mapping from User to User"
    ) in failure.value.details


def test_mappings_moved_to_another_job_are_replaced_there_and_the_old_job_gets_its_template_back(
    emulator: Emulator, server, job
):
    """The resource's id names the job and the object mapping (`{job}/User/User`), and an
    update keeps the id (Pulumi's Update answers no new id), so mappings moved to another job
    (as when the provisioning job is replaced, docs/adopt.md) are a replacement: created on the
    new job, and deleting the old resource puts the old job's part back as its template has it.
    The same spec on another job is no reason to skip that."""
    resource = mappings_resource(server)
    resource.up(inputs(job))
    other_job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")

    diff = resource.up(inputs(other_job))

    assert diff is not None and diff.changes and diff.replaces == ["job_id"]
    # deleted first: the old resource's delete puts the template's part back, which must never
    # land after the new resource's write where both name the same object mapping
    assert diff.delete_before_replace is True
    assert resource.id == f"{other_job}/User/User"
    moved = {
        m["targetAttributeName"] for m in user_mapping(emulator, other_job)["attributeMappings"]
    }
    assert ORGANIZATION in moved
    assert strip_version(emulator.schema(SERVICE_PRINCIPAL_ID, job)) == strip_version(
        ASANA_TEMPLATE["schema"]
    )


def test_switching_restart_on_change_alone_is_an_update_the_next_write_obeys(
    emulator: Emulator, server, job
):
    """The switch is part of the resource's inputs: turning it on with the mappings unchanged
    is an update that records it (and writes nothing, so restarts nothing); the next write then
    restarts the job."""
    resource = mappings_resource(server)
    resource.up(inputs(job))

    diff = resource.up(inputs(job, restart_on_change=True))

    assert diff is not None and diff.changes and diff.replaces == []
    assert resource.outputs["restart_on_change"] is True
    assert (puts(emulator), emulator.restarts(SERVICE_PRINCIPAL_ID, job)) == (1, [])
    resource.up(inputs(job, restart_on_change=True, scoping_filter=[]))
    assert (puts(emulator), emulator.restarts(SERVICE_PRINCIPAL_ID, job)) == (2, [{}])


def test_a_preview_while_the_mappings_are_not_known_yet_shows_an_update(
    emulator: Emulator, server, job
):
    """Mappings computed from another resource's output are unknown at a preview
    (pulumi.output.Unknown): nothing can be compared yet, so the preview shows an update, which
    `up` decides with the known values; the rest of the spec, given as the stack's settings
    give it, is unchanged."""
    spec = {"mode": "merge", "enabled": True, "actions": ["create", "update", "delete"]}
    resource = mappings_resource(server)
    resource.up(inputs(job, **spec))

    checked, diff = resource.preview(inputs(job, **spec, mappings=UNKNOWN))

    assert checked.failures == []
    assert diff is not None and diff.changes and diff.replaces == []


# What inputs(job) changes on a fresh job, as the errors list it (schema_edit.changes).
TITLE_CHANGE = "title: [jobTitle] -> [department]"
ORGANIZATION_CHANGE = f'{ORGANIZATION}: "Contoso" -> "Contoso (dev)"'
FILTER_CHANGE = "scoping filter: none -> (department EQUALS ['Sales'])"


def after_a_put(emulator: Emulator) -> Callable[[Any, Any], bool]:
    """A fault filter that matches only once a schema PUT has reached Graph."""
    return lambda _query, _body: puts(emulator) > 0


def test_a_write_whose_check_read_fails_says_it_was_written_and_to_run_up_again(
    emulator: Emulator, start_server: StartServer, job
):
    resource = mappings_resource(start_server(maxRetries="1"))
    emulator.inject(
        Fault.status(503),
        service="graph",
        method="GET",
        path=SCHEMA,
        times=5,
        where=after_a_put(emulator),
    )

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(job))

    message = failure.value.details.strip().splitlines()[-1]
    assert (
        f"the User -> User attribute mappings of job {job}: the change ({TITLE_CHANGE}; "
        f"{ORGANIZATION_CHANGE}; {FILTER_CHANGE}) was written"
    ) in message
    assert "was written, but reading it back to check it failed" in message
    assert message.endswith("run `pulumi up` again")
    assert puts(emulator) == 1 and resource.id is None


def test_a_write_graph_answered_but_did_not_make_names_the_other_writer_and_records_nothing(
    emulator: Emulator, server, job
):
    """Graph answers the PUT with 204 but the schema read back lacks the change: something
    else wrote the job's schema in between, which this provider never does to itself."""
    resource = mappings_resource(server)
    emulator.inject(Fault.reply(b"", code=204), service="graph", method="PUT", path=SCHEMA)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(job))

    message = failure.value.details.strip().splitlines()[-1]
    assert (
        f"the User -> User attribute mappings of job {job} were changed by another writer while "
        "being applied: "
    ) in message
    assert "This provider serializes its own changes to a job's schema" in message
    assert message.endswith("run `pulumi up` again")
    assert puts(emulator) == 1 and resource.id is None


def test_a_write_sent_twice_without_a_reply_may_still_land_and_holds_back_the_next_write(
    emulator: Emulator, server, job
):
    """Two sends both unanswered (500, not acted on), the schema unchanged in each wait: the
    error says the write may still land and to run the command again; a new write of the same
    job in this process is then refused rather than raced with the late one."""
    resource = mappings_resource(server)
    emulator.inject(Fault.status(500), service="graph", method="PUT", path=SCHEMA, times=2)

    with pytest.raises(ProviderError) as first:
        resource.up(inputs(job))
    with pytest.raises(ProviderError) as second:
        resource.up(inputs(job, scoping_filter=[]))

    unanswered = first.value.details.strip().splitlines()[-1]
    assert (
        f"could not confirm the User -> User attribute mappings of job {job} ({TITLE_CHANGE}; "
        f"{ORGANIZATION_CHANGE}; {FILTER_CHANGE}): "
    ) in unanswered
    assert "nothing has landed yet, but it may still" in unanswered
    assert unanswered.endswith("it reads the schema first and writes only what is not live")
    held = second.value.details.strip().splitlines()[-1]
    assert (
        f"did not change the User -> User attribute mappings of job {job} ({TITLE_CHANGE}; "
        f"{ORGANIZATION_CHANGE}): "
    ) in held
    assert held.endswith("it reads the schema first and writes only what is not live")
    assert puts(emulator) == 2 and resource.id is None


def test_a_write_whose_reply_was_lost_while_another_writer_changed_the_schema_records_nothing(
    emulator: Emulator, server, job
):
    """The PUT's reply is lost (a 500, not acted on) and meanwhile the job's schema was changed
    elsewhere (users disabled in the portal): what is read back is neither the schema written
    nor the one read, so the write cannot be confirmed; the error names the resource and the
    other writer, and nothing is sent again."""
    resource = mappings_resource(server)

    def portal_edit_meanwhile(_query: Any, _body: Any) -> bool:
        emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, disable_users)
        return True

    emulator.inject(
        Fault.status(500),
        service="graph",
        method="PUT",
        path=SCHEMA,
        where=portal_edit_meanwhile,
    )

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(job))

    message = failure.value.details.strip().splitlines()[-1]
    assert f"the User -> User attribute mappings of job {job}: the reply to the write" in message
    assert "the schema read back is neither the one written nor the one before it" in message
    assert "This provider serializes its own changes to a job's schema" in message
    assert message.endswith("run `pulumi up` again")
    assert puts(emulator) == 1 and resource.id is None


@pytest.mark.parametrize(
    ("change", "failures"),
    [
        ({"kind": "admin"}, [("kind", "is 'admin'; allowed: user or group")]),
        ({"kind": ["user"]}, [("kind", "is ['user']; allowed: user or group")]),
        ({"restart_on_change": "yes"}, [("restart_on_change", "must be true or false")]),
        (
            {
                "service_principal_id": "asana",
                "mappings": [{"target": "title", "expression": "Capitalize([jobTitle])"}],
            },
            ["service_principal_id", "mappings[0].expression"],
        ),
    ],
    ids=["kind-not-user-or-group", "kind-not-text", "restart-not-a-bool", "principal-and-mapping"],
)
def test_check_names_every_input_that_cannot_work_offline(
    emulator: Emulator, server, job, change: dict[str, Any], failures: list
):
    """Each failure names its property; a bad principal and a bad mapping are both reported,
    not the first alone. No request is made."""
    checked, _ = mappings_resource(server).preview(inputs(job, **change))

    if all(isinstance(failure, str) for failure in failures):
        assert [prop for prop, _ in checked.failures] == failures
    else:
        assert checked.failures == failures
    assert emulator.requests == []


def test_restart_on_change_restarts_nothing_when_create_adopts_a_schema_that_already_matches(
    emulator: Emulator, server, job
):
    """A restart follows a write only (as the portal restarts after a save): a new resource
    whose mappings are already live writes nothing, so it restarts nothing."""
    mappings_resource(server).up(inputs(job))
    adopted = EngineResource(
        server=server,
        provider=ProvisioningAttributeMappingsProvider(),
        type_token="asana:ProvisioningAttributeMappings",
        name="asana-user-mappings-again",
    )

    adopted.up(inputs(job, restart_on_change=True))

    assert puts(emulator) == 1
    assert emulator.restarts(SERVICE_PRINCIPAL_ID, job) == []
    assert "restart_pending" not in adopted.outputs


def test_a_second_matching_attribute_set_in_the_portal_is_refused_before_any_write(
    emulator: Emulator, server, job
):
    """Asana matches users on userName alone (docs/api-facts.md: the only filterable user
    attribute of Asana's SCIM API; docs/mappings.md). A merge
    leaves unmanaged mappings as they are, so one given a matching precedence in the portal
    would make the schema match on two attributes: the up names them and writes nothing."""
    other = next(
        m["targetAttributeName"]
        for m in user_mapping(emulator, job)["attributeMappings"]
        if m["targetAttributeName"] not in {"userName", "title", "active", ORGANIZATION}
    )

    def match_on_other(schema: dict[str, Any]) -> None:
        for mapping in object_mapping(schema, "User", "User")["attributeMappings"]:
            if mapping["targetAttributeName"] == other:
                mapping["matchingPriority"] = 2

    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, match_on_other)
    resource = mappings_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(job))

    message = failure.value.details.strip().splitlines()[-1]
    assert (
        f"the User -> User attribute mappings of job {job}: the User -> User mapping would match "
        f"on userName, {other}; Asana can only match on userName"
    ) in message
    assert puts(emulator) == 0 and resource.id is None


def test_a_state_without_the_restart_switch_reads_as_not_restarting(
    emulator: Emulator, server, job
):
    """A state lacking `restart_on_change` (edited by hand) is read with the switch off, its
    default (the resource's and check's), so the refresh finds the stack in step with a
    program that leaves it off."""
    resource = mappings_resource(server)
    resource.up(inputs(job))
    resource.outputs = {k: v for k, v in resource.outputs.items() if k != "restart_on_change"}

    refreshed = resource.refresh()

    assert resource.outputs["restart_on_change"] is False
    assert refreshed.diff is not None and not refreshed.diff.changes
