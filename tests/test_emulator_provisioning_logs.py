"""The provisioning logs route and provision on demand as tools.health calls them: filtering,
paging and ordering of `GET /v1.0/auditLogs/provisioning`, its AuditLog.Read.All permission,
and `provisionOnDemand` for a user in scope, already in sync, out of scope, failing at export
and rate-limited. Bodies are judged by msgraph-sdk's provisioningObjectSummary and
stringKeyStringValuePair models; the on-demand `value` by the keys of Microsoft's example."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.emulator import Emulator
from tests.emulator.client import GraphTestClient
from tests.emulator.provisioning_logs import PROPERTIES, provisioning_entry, step
from tests.graph_models import ERROR, assert_graph_body, graph_body_problems
from tests.provisioning_tenant import CLIENT_ID, TENANT, Seeded, assign, seed

OTHER_SP = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
VALUE_KEYS = [
    "action",
    "changeId",
    "endTime",
    "modifiedProperties",
    "provisioningSteps",
    "reportableIdentifier",
    "startTime",
    "statusInfo",
    "sourceIdentity",
    "sourceSystem",
    "targetIdentity",
    "targetSystem",
]
"""The keys of the `value` document in Microsoft's first provisionOnDemand example, in order."""


@pytest.fixture
def tenant(emu: Emulator) -> Seeded:
    return seed(emu)


def history(seeded: Seeded) -> list[dict[str, Any]]:
    """Six entries over three days: two apps, successes, a skip and two failures."""
    now = datetime.now(UTC)
    made = []
    for hours, sp, status in [
        (70, seeded.sp, "success"),
        (50, seeded.sp, "failure"),
        (30, OTHER_SP, "failure"),
        (20, seeded.sp, "skipped"),
        (10, seeded.sp, "failure"),
        (1, seeded.sp, "success"),
    ]:
        made.append(
            provisioning_entry(
                service_principal_id=sp,
                job_id=seeded.job,
                status=status,
                error_code=None if status == "success" else "AsanaError",
                reason=None if status == "success" else "Asana said no.",
                activity=now - timedelta(hours=hours),
                steps=[step("EntryImport", "import", "success", "Retrieved", {"a": "b"})],
            )
        )
    return made


def page_through(seeded: Seeded, **params: str) -> list[dict[str, Any]]:
    """Every entry, following @odata.nextLink (at most 20 pages)."""
    reply = seeded.logs(**params)
    found: list[dict[str, Any]] = []
    for _ in range(20):
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert_graph_body("provisioningObjectSummary", body)
        found += body["value"]
        if "@odata.nextLink" not in body:
            return found
        reply = seeded.client.get(body["@odata.nextLink"])
    raise AssertionError("more than 20 pages")


def decoded(reply: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The key and value documents of a provisionOnDemand answer, judged on the way."""
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert_graph_body("stringKeyStringValuePair", body)
    key, value = json.loads(body["key"]), json.loads(body["value"])
    assert list(value) == VALUE_KEYS
    assert set(key) == {"result", "details"}
    return key, value


# ----- the logs route -----


def test_logs_are_filtered_by_app_status_and_time_and_served_newest_first(
    emu: Emulator, tenant: Seeded
) -> None:
    made = history(tenant)
    emu.add_provisioning_log_entries(made)
    since = (datetime.now(UTC) - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")

    everything = page_through(tenant)
    app = page_through(tenant, **{"$filter": f"servicePrincipal/id eq '{tenant.sp}'"})
    failed_today = page_through(
        tenant,
        **{
            "$filter": f"(servicePrincipal/id eq '{tenant.sp}') and activityDateTime gt {since} "
            "and provisioningStatusInfo/status eq 'failure'"
        },
    )

    assert [e["id"] for e in everything] == [e["id"] for e in reversed(made)]
    assert len(app) == 5 and OTHER_SP not in {e["servicePrincipal"]["id"] for e in app}
    assert [e["id"] for e in failed_today] == [made[4]["id"]]


def test_logs_page_with_top_and_next_links_without_losing_or_repeating_entries(
    emu: Emulator, tenant: Seeded
) -> None:
    made = history(tenant)
    emu.add_provisioning_log_entries(made)

    first = tenant.logs(**{"$top": "2"}).json()
    paged = page_through(tenant, **{"$top": "2"})
    ascending = page_through(tenant, **{"$orderby": "activityDateTime asc", "$top": "4"})

    assert len(first["value"]) == 2 and "@odata.nextLink" in first
    assert [e["id"] for e in paged] == [e["id"] for e in reversed(made)]
    assert [e["id"] for e in ascending] == [e["id"] for e in made]


def test_logs_select_returns_only_the_chosen_properties(emu: Emulator, tenant: Seeded) -> None:
    emu.add_provisioning_log_entries(history(tenant)[:1])

    body = tenant.logs(**{"$select": "id,provisioningStatusInfo"}).json()

    assert [set(e) for e in body["value"]] == [{"id", "provisioningStatusInfo"}]


@pytest.mark.parametrize(
    "clause",
    [
        "contains(jobId, 'asana')",
        "provisioningStatusInfo/status eq failure",
        "activityDateTime gt yesterday",
        "activityDateTime ge 2026-01-01T00:00:00Z",
        "servicePrincipal/appId eq 'x'",
    ],
)
def test_a_filter_the_logs_do_not_take_gets_graphs_invalid_filter_clause(
    tenant: Seeded, clause: str
) -> None:
    reply = tenant.logs(**{"$filter": clause})

    assert reply.status_code == 400
    assert_graph_body(ERROR, reply.json())
    assert reply.json()["error"]["code"] == "BadRequest"
    assert reply.json()["error"]["message"] == "Invalid filter clause"


def test_reading_logs_needs_audit_log_read_all(emu: Emulator, tenant: Seeded) -> None:
    emu.add_provisioning_log_entries(history(tenant))
    without = GraphTestClient(
        emu,
        TENANT,
        "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
        "s3cret",
        roles=["Application.ReadWrite.All", "Synchronization.ReadWrite.All"],
    )

    denied = without.get("/v1.0/auditLogs/provisioning")
    allowed = tenant.logs()

    assert denied.status_code == 403
    assert_graph_body(ERROR, denied.json())
    assert denied.json()["error"]["code"] == "Authentication_MSGraphPermissionMissing"
    assert "AuditLog.Read.All" in denied.json()["error"]["message"]
    assert allowed.status_code == 200 and len(allowed.json()["value"]) == 6


def test_the_entry_builder_writes_every_documented_property_and_refuses_unknown_enums(
    tenant: Seeded,
) -> None:
    entry = provisioning_entry(service_principal_id=tenant.sp, job_id=tenant.job)

    assert list(entry) == list(PROPERTIES)
    assert graph_body_problems("provisioningObjectSummary", entry) == []
    with pytest.raises(ValueError, match="status"):
        provisioning_entry(service_principal_id=tenant.sp, job_id=tenant.job, status="ok")
    with pytest.raises(ValueError, match="action"):
        provisioning_entry(service_principal_id=tenant.sp, job_id=tenant.job, action="add")


# ----- provision on demand -----


def test_on_demand_creates_an_assigned_user_and_logs_it(emu: Emulator, tenant: Seeded) -> None:
    key, value = decoded(tenant.on_demand(tenant.ada))

    assert key == {"result": "Success", "details": {}}
    assert value["action"] == "Create"
    assert [(s["name"], s["type"], s["status"]) for s in value["provisioningSteps"]] == [
        ("EntryImport", "Import", "Success"),
        ("EntrySynchronizationScoping", "Scoping", "Success"),
        ("EntrySynchronizationAdd", "Matching", "Success"),
        ("EntryExportAdd", "Export", "Success"),
    ]
    assert value["reportableIdentifier"] == "ada@contoso.com"
    assert value["statusInfo"]["status"] == "Success"
    assert value["sourceIdentity"] == {
        "id": tenant.ada,
        "type": "User",
        "displayName": "Ada Lovelace",
        "details": None,
    }
    created = next(u for u in emu.scim_users() if u["userName"] == "ada@contoso.com")
    assert value["targetIdentity"]["id"] == created["id"]
    assert {"displayName": "userName", "oldValue": None, "newValue": "ada@contoso.com"} in value[
        "modifiedProperties"
    ]
    entry = emu.provisioning_log_entries()[0]
    assert entry["changeId"] == value["changeId"]
    assert (entry["provisioningAction"], entry["provisioningStatusInfo"]["status"]) == (
        "create",
        "success",
    )
    assert entry["initiatedBy"] == {
        "id": tenant.client.object_id,
        "displayName": f"app {CLIENT_ID}",
        "initiatorType": "application",
    }
    assert job_code(tenant) == "Active"  # on demand does not move the job status


def test_on_demand_for_a_user_already_in_sync_changes_nothing(
    emu: Emulator, tenant: Seeded
) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    before = emu.scim_users()

    key, value = decoded(tenant.on_demand(tenant.bob))

    assert key["result"] == "Skipped"
    assert key["details"]["errorCode"] == "RedundantExport"
    assert value["action"] == "Other"
    assert value["provisioningSteps"][-1]["name"] == "EntrySynchronizationSkip"
    assert value["provisioningSteps"][-1]["details"] == {"SkipReason": "RedundantExport"}
    assert emu.scim_users() == before


def test_on_demand_updates_a_user_whose_mapping_changed(emu: Emulator, tenant: Seeded) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)

    def rename_organization(schema: dict[str, Any]) -> None:
        users = schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
        organization = next(m for m in users if m["targetAttributeName"].endswith("organization"))
        organization["source"].update(expression='"Fabrikam"', name="Fabrikam")

    emu.edit_schema(tenant.sp, tenant.job, rename_organization)

    key, value = decoded(tenant.on_demand(tenant.ada))

    assert (key["result"], value["action"]) == ("Success", "Update")
    assert value["provisioningSteps"][-1]["name"] == "EntryExportUpdate"
    target = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"
    assert value["modifiedProperties"] == [
        {"displayName": target, "oldValue": "Contoso", "newValue": "Fabrikam"}
    ]


def test_on_demand_skips_a_user_out_of_scope(emu: Emulator, tenant: Seeded) -> None:
    key, value = decoded(tenant.on_demand(tenant.eve))

    assert key["result"] == "Skipped"
    assert key["details"]["errorCode"] == "NotEffectivelyEntitled"
    scoping = value["provisioningSteps"][1]
    assert scoping["details"]["Assigned to the application"] == "False"
    assert value["provisioningSteps"][-1]["details"] == {"SkipReason": "NotEffectivelyEntitled"}
    assert emu.scim_users() == []
    assert emu.provisioning_log_entries()[0]["provisioningStatusInfo"]["status"] == "skipped"


def test_on_demand_reports_a_failed_export(emu: Emulator, tenant: Seeded) -> None:
    assign(tenant, tenant.eve, "Eve Moss")
    emu.fail_export(tenant.eve, "AsanaConflict", "Asana answered 409: the email is taken.")

    key, value = decoded(tenant.on_demand(tenant.eve))

    assert key == {
        "result": "Failure",
        "details": {
            "errorCode": "AsanaConflict",
            "errorMessage": "Asana answered 409: the email is taken.",
        },
    }
    assert value["statusInfo"]["status"] == "Failure"
    assert value["provisioningSteps"][-1]["status"] == "Failure"
    entry = emu.provisioning_log_entries()[0]
    assert entry["provisioningStatusInfo"]["status"] == "failure"
    assert entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "AsanaConflict"


def test_on_demand_provisions_a_group_with_its_provisioned_members(
    emu: Emulator, tenant: Seeded
) -> None:
    decoded(tenant.on_demand(tenant.bob))

    key, value = decoded(tenant.on_demand(tenant.group, "Group"))

    assert (key["result"], value["action"]) == ("Success", "Create")
    bob = next(u for u in emu.scim_users() if u["userName"] == "bob@contoso.com")
    assert [g["members"] for g in emu.scim_groups()] == [[{"value": bob["id"]}]]


def test_on_demand_with_a_revoked_token_fails_without_quarantining(
    emu: Emulator, tenant: Seeded
) -> None:
    emu.revoke_scim_token(tenant.token)

    key, value = decoded(tenant.on_demand(tenant.ada))

    assert key["result"] == "Failure"
    assert "401 Unauthorized" in key["details"]["errorMessage"]
    assert tenant.token not in json.dumps(value)
    assert job_code(tenant) == "Active"


def test_on_demand_allows_five_requests_per_ten_seconds_per_job(
    emu: Emulator, tenant: Seeded
) -> None:
    replies = [tenant.on_demand(tenant.eve) for _ in range(6)]
    other_job = emu.create_job(tenant.sp, "asana")
    elsewhere = tenant.client.post(
        f"/v1.0/servicePrincipals/{tenant.sp}/synchronization/jobs/{other_job}/provisionOnDemand",
        {
            "parameters": [
                {
                    "subjects": [{"objectId": tenant.eve, "objectTypeName": "User"}],
                    "ruleId": tenant.rule,
                }
            ]
        },
    )

    assert [r.status_code for r in replies] == [200] * 5 + [429]
    assert_graph_body(ERROR, replies[-1].json())
    assert 1 <= int(replies[-1].headers["Retry-After"]) <= 10
    assert elsewhere.status_code == 200


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"ruleId": "not-a-rule"}, 400),
        ({"objectTypeName": "Device"}, 400),
        ({"objectId": "0f1e2d3c-4b5a-4697-8877-665544332211"}, 400),
        ({"parameters": []}, 400),
    ],
)
def test_on_demand_refuses_what_graph_refuses(
    tenant: Seeded, change: dict[str, Any], status: int
) -> None:
    subject = {"objectId": tenant.ada, "objectTypeName": "User"}
    parameter: dict[str, Any] = {"subjects": [subject], "ruleId": tenant.rule}
    for name in ("objectId", "objectTypeName"):
        if name in change:
            subject[name] = change[name]
    if "ruleId" in change:
        parameter["ruleId"] = change["ruleId"]
    body = {"parameters": change.get("parameters", [parameter])}

    reply = tenant.client.post(f"{tenant.job_path}/provisionOnDemand", body)

    assert reply.status_code == status
    assert_graph_body(ERROR, reply.json())


def test_on_demand_for_an_unknown_job_is_not_found(tenant: Seeded) -> None:
    path = f"/v1.0/servicePrincipals/{tenant.sp}/synchronization/jobs/asana.x.y/provisionOnDemand"

    reply = tenant.client.post(path, {"parameters": []})

    assert reply.status_code == 404


def job_code(seeded: Seeded) -> str:
    return str(seeded.get_job()["status"]["code"])


# ----- the judge on what the logs carry -----


def test_the_judge_accepts_open_details_and_the_import_step_type_but_not_unknown_ones() -> None:
    entry = {
        "provisioningSteps": [
            {"name": "EntryImport", "provisioningStepType": "import", "details": {"Any": "x"}}
        ]
    }
    wrong = {"provisioningSteps": [{"provisioningStepType": "importing"}]}

    assert graph_body_problems("provisioningObjectSummary", entry) == []
    assert graph_body_problems("provisioningObjectSummary", wrong) != []
    assert graph_body_problems("provisioningObjectSummary", {"initiatedBy": {"kind": "x"}})
