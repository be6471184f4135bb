"""The emulated provisioning service as tools.health sees it: the job status in each state
(never run, active, paused, quarantined), how start, pause, restart and cycles move it, what a
cycle exports to Asana SCIM and logs, and the scoping filter and escrow rules behind that. Every
job body read over HTTP is judged by msgraph-sdk's synchronizationJob model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.emulator import Emulator
from tests.emulator.scoping import evaluate
from tests.emulator.sync_status import NEVER, escrow_quarantine_reason
from tests.graph_models import assert_graph_body
from tests.provisioning_tenant import Seeded, assign, seed

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def tenant(emu: Emulator) -> Seeded:
    return seed(emu)


def job_status(seeded: Seeded) -> dict[str, Any]:
    """The job read over Graph, judged by Microsoft's model, and its status."""
    job = seeded.get_job()
    assert_graph_body("synchronizationJob", job)
    return dict(job["status"])


def entries(emu: Emulator) -> list[dict[str, Any]]:
    return emu.provisioning_log_entries()


def scim_user(emu: Emulator, user_name: str) -> dict[str, Any] | None:
    return next((u for u in emu.scim_users() if u["userName"] == user_name), None)


def add_department_scope(emu: Emulator, seeded: Seeded, department: str) -> None:
    """A scoping filter on the user mapping, as the portal's Source Object Scope saves it."""

    def edit(schema: dict[str, Any]) -> None:
        users = schema["synchronizationRules"][0]["objectMappings"][0]
        clause = {
            "operatorName": "EQUALS",
            "sourceOperandName": "department",
            "targetOperand": {"values": [department]},
        }
        users["scope"] = {"groups": [{"clauses": [clause], "name": "Department"}]}

    emu.edit_schema(seeded.sp, seeded.job, edit)


# ----- status in each state -----


def test_a_new_job_has_not_run_and_a_cycle_does_not_run_it_before_start(emu: Emulator) -> None:
    seeded = seed(emu, start=False)

    status = emu.run_provisioning_cycle(seeded.sp, seeded.job)

    assert status["code"] == "NotRun"
    assert job_status(seeded) == status
    assert status["lastExecution"] is None
    assert status["steadyStateFirstAchievedTime"] == NEVER
    assert entries(emu) == []


def test_a_cycle_exports_assigned_users_and_groups_and_the_job_is_active(
    emu: Emulator, tenant: Seeded
) -> None:
    returned = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    status = job_status(tenant)
    assert returned == status
    assert status["code"] == "Active"
    assert status["quarantine"] is None
    run = status["lastExecution"]
    assert run["state"] == "Succeeded"
    assert (run["countImported"], run["countEntitled"], run["countExported"]) == (3, 3, 3)
    assert run["countEscrowed"] == 0 and run["error"] is None
    assert status["lastSuccessfulExecution"] == run
    assert status["lastSuccessfulExecutionWithExports"] == run
    assert status["steadyStateFirstAchievedTime"] == run["timeEnded"]
    assert {p["key"]: p["value"] for p in status["synchronizedEntryCountByType"]} == {
        f"user to {ENTERPRISE}": 2,
        "group to urn:ietf:params:scim:schemas:core:2.0:Group": 1,
    }
    ada, bob = scim_user(emu, "ada@contoso.com"), scim_user(emu, "bob@contoso.com")
    assert ada is not None and bob is not None
    assert scim_user(emu, "eve@contoso.com") is None  # not assigned
    assert ada["active"] is True and ada["name"] == {"formatted": "Ada Lovelace"}
    assert ada[ENTERPRISE]["department"] == "Eng"
    assert [(g["displayName"], g["members"]) for g in emu.scim_groups()] == [
        ("Asana users", [{"value": bob["id"]}])
    ]
    logged = entries(emu)
    assert {e["sourceIdentity"]["id"] for e in logged} == {tenant.ada, tenant.bob, tenant.group}
    assert {(e["provisioningAction"], e["provisioningStatusInfo"]["status"]) for e in logged} == {
        ("create", "success")
    }
    assert {e["cycleId"] for e in logged} == {run["activityIdentifier"]}
    assert all(e["initiatedBy"]["initiatorType"] == "system" for e in logged)


def test_a_paused_job_reports_paused_and_does_not_run(emu: Emulator, tenant: Seeded) -> None:
    reply = tenant.client.post(f"{tenant.job_path}/pause")
    assert reply.status_code == 204

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    assert status["code"] == "Paused"
    assert tenant.get_job()["schedule"]["state"] == "Paused"
    assert job_status(tenant)["lastExecution"] is None
    assert emu.scim_users() == []


def test_a_revoked_token_quarantines_the_job_with_encountered_quarantine_exception(
    emu: Emulator, tenant: Seeded
) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    emu.revoke_scim_token(tenant.token)

    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    first = job_status(tenant)
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    second = job_status(tenant)

    assert first["code"] == second["code"] == "Quarantine"
    quarantine = second["quarantine"]
    assert quarantine["reason"] == "EncounteredQuarantineException"
    assert quarantine["error"]["tenantActionable"] is True
    assert "401 Unauthorized" in quarantine["error"]["message"]
    assert tenant.token not in str(second)
    assert quarantine["seriesCount"] == 2
    assert quarantine["seriesBegan"] == first["quarantine"]["seriesBegan"]
    hours = _hours(quarantine["currentBegan"], quarantine["nextAttempt"])
    assert (
        _hours(first["quarantine"]["currentBegan"], first["quarantine"]["nextAttempt"]),
        hours,
    ) == (6, 12)  # retries 6 and 12 hours after the first failure
    assert second["lastExecution"]["state"] == "Failed"
    assert second["lastExecution"]["error"] == quarantine["error"]
    assert second["countSuccessiveCompleteFailures"] == 2
    assert second["lastSuccessfulExecution"]["state"] == "Succeeded"  # the earlier cycle
    assert len(entries(emu)) == 3  # a cycle that cannot reach Asana logs no objects


def test_start_clears_quarantine(emu: Emulator, tenant: Seeded) -> None:
    emu.revoke_scim_token(tenant.token)
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    assert job_status(tenant)["code"] == "Quarantine"

    reply = tenant.client.post(f"{tenant.job_path}/start")

    assert reply.status_code == 204
    status = job_status(tenant)
    assert (status["code"], status["quarantine"]) == ("Active", None)


def test_a_successful_retry_takes_the_job_out_of_quarantine(emu: Emulator, tenant: Seeded) -> None:
    emu.revoke_scim_token(tenant.token)
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    emu.add_scim_token(tenant.token)

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    assert (status["code"], status["quarantine"]) == ("Active", None)
    assert status["countSuccessiveCompleteFailures"] == 0
    assert status["lastExecution"]["countExported"] == 3


def test_restart_with_quarantine_state_lifts_quarantine(emu: Emulator, tenant: Seeded) -> None:
    emu.revoke_scim_token(tenant.token)
    emu.run_provisioning_cycle(tenant.sp, tenant.job)

    reply = tenant.client.post(
        f"{tenant.job_path}/restart", {"criteria": {"resetScope": "QuarantineState"}}
    )

    assert reply.status_code == 204
    assert job_status(tenant)["quarantine"] is None
    bad = tenant.client.post(f"{tenant.job_path}/restart", {"criteria": {"resetScope": "Nope"}})
    assert bad.status_code == 400


def test_set_job_status_replaces_the_status_graph_serves(emu: Emulator, tenant: Seeded) -> None:
    status = job_status(tenant)
    status["code"] = "Quarantine"
    status["quarantine"] = {
        "currentBegan": "2026-01-01T00:00:00Z",
        "nextAttempt": "2026-01-02T00:00:00Z",
        "reason": "EncounteredEscrowProportionThreshold",
        "seriesBegan": "2026-01-01T00:00:00Z",
        "seriesCount": 3,
        "error": {"code": "X", "message": "Too many failures", "tenantActionable": True},
    }

    emu.set_job_status(tenant.sp, tenant.job, status)

    assert job_status(tenant) == status
    with pytest.raises(ValueError, match="synchronizationStatus"):
        emu.set_job_status(tenant.sp, tenant.job, "Active")  # type: ignore[arg-type]


# ----- incremental cycles -----


def test_an_unchanged_tenant_is_not_processed_again(emu: Emulator, tenant: Seeded) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    first = job_status(tenant)

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    assert status["lastExecution"]["countImported"] == 0
    assert status["lastSuccessfulExecutionWithExports"] == first["lastExecution"]
    assert status["steadyStateFirstAchievedTime"] == first["steadyStateFirstAchievedTime"]
    assert status["steadyStateLastAchievedTime"] > first["steadyStateLastAchievedTime"]
    assert len(entries(emu)) == 3


def test_a_newly_assigned_user_is_the_only_one_processed(emu: Emulator, tenant: Seeded) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    assign(tenant, tenant.eve, "Eve Moss")

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    assert status["lastExecution"]["countImported"] == 1
    newest = entries(emu)[0]
    assert newest["sourceIdentity"]["id"] == tenant.eve
    assert newest["provisioningAction"] == "create"
    assert scim_user(emu, "eve@contoso.com") is not None


def test_a_restart_reprocesses_every_object_and_finds_them_in_sync(
    emu: Emulator, tenant: Seeded
) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    assert tenant.client.post(f"{tenant.job_path}/restart").status_code == 204

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    assert status["lastExecution"]["countImported"] == 3
    assert status["lastExecution"]["countExports"] == 0
    newest = entries(emu)[:3]
    assert {e["provisioningStatusInfo"]["status"] for e in newest} == {"skipped"}
    assert {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in newest} == {
        "RedundantExport"
    }
    assert {e["provisioningSteps"][0]["name"] for e in newest} == {"EntryImportUpdate"}


def test_an_unassigned_user_is_disabled_in_asana(emu: Emulator, tenant: Seeded) -> None:
    emu.run_provisioning_cycle(tenant.sp, tenant.job)
    emu.remove_app_role_assignment(tenant.sp, tenant.ada_assignment)

    emu.run_provisioning_cycle(tenant.sp, tenant.job)

    ada = scim_user(emu, "ada@contoso.com")
    assert ada is not None and ada["active"] is False
    newest = entries(emu)[0]
    assert (newest["provisioningAction"], newest["provisioningStatusInfo"]["status"]) == (
        "disable",
        "success",
    )
    assert {"displayName": "active", "oldValue": "True", "newValue": "False"} in newest[
        "modifiedProperties"
    ]


# ----- scoping and failures -----


def test_users_outside_the_scoping_filter_are_logged_skipped(emu: Emulator, tenant: Seeded) -> None:
    add_department_scope(emu, tenant, "Eng")

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    assert scim_user(emu, "ada@contoso.com") is not None
    assert scim_user(emu, "bob@contoso.com") is None
    bob = next(e for e in entries(emu) if e["sourceIdentity"]["id"] == tenant.bob)
    assert bob["provisioningStatusInfo"]["status"] == "skipped"
    assert bob["provisioningStatusInfo"]["errorInformation"]["errorCode"] == (
        "NotEffectivelyEntitled"
    )
    scoping = next(s for s in bob["provisioningSteps"] if s["provisioningStepType"] == "scoping")
    assert scoping["details"]["Scoping filter evaluation passed"] == "False"
    assert scoping["details"]["Assigned to the application"] == "True"
    assert bob["provisioningSteps"][-1]["details"] == {"SkipReason": "NotEffectivelyEntitled"}
    assert status["lastExecution"]["countEntitled"] == 3
    assert status["lastExecution"]["countEntitledForProvisioning"] == 2


def test_a_failed_export_is_logged_escrowed_and_retried(emu: Emulator, tenant: Seeded) -> None:
    emu.fail_export(tenant.ada, "AsanaRateLimited", "Asana answered 429 Too Many Requests.")

    status = emu.run_provisioning_cycle(tenant.sp, tenant.job)

    run = status["lastExecution"]
    assert (run["state"], run["countEscrowed"], run["countExported"]) == ("EntryLevelErrors", 1, 2)
    assert status["code"] == "Active"  # far below the escrow thresholds
    ada = entries(emu)[-1]  # users are processed first, so Ada's entry is the oldest
    assert ada["sourceIdentity"]["id"] == tenant.ada
    info = ada["provisioningStatusInfo"]
    assert info["status"] == "failure"
    assert info["errorInformation"]["errorCode"] == "AsanaRateLimited"
    assert info["errorInformation"]["reason"] == "Asana answered 429 Too Many Requests."
    assert info["errorInformation"]["errorCategory"] == "nonServiceFailure"
    assert ada["provisioningSteps"][-1]["name"] == "EntryExportAdd"
    assert ada["provisioningSteps"][-1]["status"] == "failure"
    assert scim_user(emu, "ada@contoso.com") is None

    retried = emu.run_provisioning_cycle(tenant.sp, tenant.job)  # Ada is unchanged but escrowed
    assert retried["lastExecution"]["countImported"] == 1
    emu.heal_export(tenant.ada)
    healed = emu.run_provisioning_cycle(tenant.sp, tenant.job)
    assert healed["lastExecution"]["state"] == "Succeeded"
    assert scim_user(emu, "ada@contoso.com") is not None


@pytest.mark.parametrize(
    ("escrowed", "events", "reason"),
    [
        (4999, 5000, None),  # below the 5,000 evaluation floor
        (5000, 10000, "EncounteredEscrowProportionThreshold"),  # 50% > 40%
        (30000, 35000, "EncounteredEscrowProportionThreshold"),
        (20000, 120000, None),  # 17%, under 40,000
        (45000, 200000, "EncounteredTotalEscrowThreshold"),
    ],
)
def test_escrow_thresholds_follow_microsofts_examples(
    escrowed: int, events: int, reason: str | None
) -> None:
    assert escrow_quarantine_reason(escrowed, events) == reason


# ----- scoping filter evaluation -----

ATTRIBUTES = {"department": "Eng", "accountEnabled": True, "jobTitle": None, "mail": ""}


def clause(operator: str, name: str, *values: str) -> dict[str, Any]:
    return {
        "operatorName": operator,
        "sourceOperandName": name,
        "targetOperand": {"values": list(values)},
    }


@pytest.mark.parametrize(
    ("single", "passes"),
    [
        (clause("EQUALS", "department", "Eng"), True),
        (clause("EQUALS", "department", "eng"), False),  # case sensitive
        (clause("EQUALS", "department", "Sales", "Eng"), True),
        (clause("NOT EQUALS", "department", "Eng"), False),
        (clause("NOT EQUALS", "department", "Sales"), True),
        (clause("NOT EQUALS", "jobTitle", "Eng"), False),  # null fails all but IS (NOT) NULL
        (clause("IS TRUE", "accountEnabled"), True),
        (clause("IS FALSE", "accountEnabled"), False),
        (clause("IS NULL", "jobTitle"), True),
        (clause("IS NULL", "mail"), True),  # an empty string is no value
        (clause("IS NOT NULL", "department"), True),
        (clause("IS NOT NULL", "jobTitle"), False),
        (clause("Includes", "department", "n"), True),
        (clause("Includes", "department", "N"), False),
        (clause("ENDS_WITH", "department", "ng"), True),
        (clause("REGEX MATCH", "department", "^E"), True),
        (clause("REGEX MATCH", "department", "n"), True),  # searched, not anchored
        (clause("NOT REGEX MATCH", "department", "^E"), False),
        (clause("NOT REGEX MATCH", "jobTitle", "^E"), False),  # documented: null is false
        (clause("&", "department", "Engineering"), True),
        (clause("!&", "department", "Engineering"), False),
        (clause("Greater_Than", "department", "1"), False),  # not an integer
    ],
)
def test_each_emulated_scoping_operator(single: dict[str, Any], passes: bool) -> None:
    scope = {"groups": [{"clauses": [single]}]}

    assert evaluate(scope, ATTRIBUTES.get).passed is passes


def test_clauses_of_a_group_are_anded_and_groups_are_ored() -> None:
    eng_and_titled = {
        "clauses": [clause("EQUALS", "department", "Eng"), clause("IS NOT NULL", "jobTitle")]
    }
    enabled = {"clauses": [clause("IS TRUE", "accountEnabled")]}

    assert not evaluate({"groups": [eng_and_titled]}, ATTRIBUTES.get).passed
    assert evaluate({"groups": [eng_and_titled, enabled]}, ATTRIBUTES.get).passed
    assert evaluate(None, ATTRIBUTES.get).passed
    assert evaluate({"groups": []}, ATTRIBUTES.get).passed


def test_an_operator_the_emulator_does_not_list_is_refused() -> None:
    """Underscore spellings (REGEX_MATCH) are in no Microsoft source: the list spells them as
    the Learn page does (REGEX MATCH)."""
    scope = {"groups": [{"clauses": [clause("REGEX_MATCH", "department", "^E")]}]}

    with pytest.raises(ValueError, match="REGEX_MATCH"):
        evaluate(scope, ATTRIBUTES.get)


def _hours(start: str, end: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds() / 3600
