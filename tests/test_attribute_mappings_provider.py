"""ProvisioningAttributeMappings through the SDK's provider server, against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.schema_edit import object_mapping
from tests.conftest import ASANA_TEMPLATE, SERVICE_PRINCIPAL_ID, StartServer
from tests.emulator import Emulator, Fault
from tests.engine import UNKNOWN, EngineResource, ProviderError, ProviderServer

ACTIVE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
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
            {"target": 'emails[type eq "work"].value', "attribute": "mail"},
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


def test_check_names_the_property_of_a_bad_mapping(emulator: Emulator, server, job):
    bad = inputs(job, mappings=[{"target": "title", "expression": "Capitalize([jobTitle])"}])

    checked, _ = mappings_resource(server).preview(bad)

    assert [prop for prop, _ in checked.failures] == ["mappings[0].expression"]
    assert emulator.requests == []


def test_create_refresh_and_diff_cost_what_they_should(emulator: Emulator, server, job):
    resource = mappings_resource(server)

    resource.up(inputs(job))
    assert calls(emulator) == [("GET", "schema"), ("PUT", "schema")]
    live = user_mapping(emulator, job)
    assert live["scope"]["groups"][0]["clauses"][0]["sourceOperandName"] == "department"
    title = next(m for m in live["attributeMappings"] if m["targetAttributeName"] == "title")
    assert title["source"]["name"] == "department"
    assert resource.outputs["managed_targets"] == [
        "title",
        "active",
        'emails[type eq "work"].value',
    ]

    refreshed = resource.refresh()
    assert not refreshed.drift
    assert calls(emulator)[2:] == [("GET", "schema")]

    _, diff = resource.preview(inputs(job))
    assert diff is not None and diff.changes is False
    assert len(calls(emulator)) == 3


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
    assert calls(emulator)[before:] == [("GET", "schema"), ("PUT", "schema")]
    corrected = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    assert without_parsed_parameters(corrected) == without_parsed_parameters(applied)
    assert not resource.refresh().drift


def strip_version(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "version"}


def without_parsed_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema less `version`, the parsed `parameters` of function sources (a rewritten
    function is sent as its expression text, see README) and the order of attribute mappings (a
    mapping added back goes at the end)."""
    result = strip_version(schema)
    user = object_mapping(result, "User", "User")
    for mapping in user["attributeMappings"]:
        mapping["source"] = {k: v for k, v in mapping["source"].items() if k != "parameters"}
    user["attributeMappings"].sort(key=lambda mapping: mapping["targetAttributeName"])
    return result


def test_an_unmanaged_mapping_added_in_merge_mode_is_not_drift(emulator, server, job):
    resource = mappings_resource(server)
    resource.up(inputs(job))
    emulator.edit_schema(SERVICE_PRINCIPAL_ID, job, add_department)

    assert not resource.refresh().drift


def test_delete_restores_the_template_default(emulator: Emulator, server, job):
    resource = mappings_resource(server)
    resource.up(inputs(job))

    resource.destroy()

    assert calls(emulator)[-1] == ("DELETE", "schema")
    assert strip_version(emulator.schema(SERVICE_PRINCIPAL_ID, job)) == strip_version(
        ASANA_TEMPLATE["schema"]
    )


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
    assert "title: [jobTitle] -> [department]" in message
    assert "the live schema was left as it was" in message
    if fault.code == 400:
        assert "BadRequest: Attribute 'mail' is not defined." in message
    assert emulator.schema(SERVICE_PRINCIPAL_ID, job) == before
    assert resource.id is None
