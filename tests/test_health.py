"""`python -m tools.health` against the emulator: a job the emulated provisioning service has run,
its logs, the failures a check must report as failures (403, throttling, an unreachable Graph,
no outputs), and provision on demand.

The Pulumi CLI is replaced by the stack's configuration and outputs (`FakeCli`), so each
test states exactly what the stack holds; `test_health_cli.py` runs the real CLI.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import CommandResult

from clients.credentials import shared_credential
from clients.pulumi_cli import PulumiCli
from tests import health_sample
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import Emulator
from tests.emulator.faults import Fault
from tests.emulator.provisioning_logs import provisioning_entry
from tests.health_tenant import (
    ADA,
    GRACE,
    SP,
    TEAM,
    P,
    pulumi_config,
    seed_asana_app,
    stack_outputs,
)
from tests.reporting import record, table
from tools import health

REQUESTS_TABLE = table(
    "Graph requests of one health check",
    module=__name__,
    cases=2,
    about="Requests one `tools.health` run sends to Graph, counted in the tenant's request log.",
)
READ_ONLY_CLIENT = "5e4d3c2b-1a09-4876-8543-210fedcba987"


@dataclass
class Stack:
    """A deployed stack as the tool sees it: its settings and its outputs."""

    emulator: Emulator
    tenant: Tenant
    job_id: str
    config: dict[str, Any]
    outputs: dict[str, Any]
    revealed: dict[str, Any] = field(default_factory=dict)
    """Outputs as `pulumi stack output NAME --show-secrets` prints them, where they differ."""

    def set(self, key: str, value: Any) -> None:
        self.config[f"{P}{key}"] = {"value": str(value), "secret": False}


@pytest.fixture
def stack(trust_emulator: Emulator, tenant: Tenant) -> Stack:
    """The app as `pulumi up` leaves it (tests/health_tenant.py)."""
    job_id = seed_asana_app(trust_emulator, tenant.asana_token)
    config = pulumi_config(
        trust_emulator, TENANT_ID, CLIENT_ID, tenant.client_secret, tenant.asana_token
    )
    return Stack(trust_emulator, tenant, job_id, config, stack_outputs(job_id))


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str
    markdown: str
    title: str
    graph_requests: list[tuple[str, str]]


@pytest.fixture
def run_health(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> Callable[..., Run]:
    """Runs `python -m tools.health --stack dev ARGS` in-process, the CLI's answers taken from
    `stack`; checks that no secret reached any output."""

    class FakeCli(PulumiCli):
        """The CLI the Automation API runs, answering from `stack`."""

        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            if args[0] == "config":
                assert "--show-secrets" in args
                answer: Any = stack.config
            else:
                assert args[:2] == ["stack", "output"]
                if len(args) > 2 and not args[2].startswith("--"):  # one output, by name
                    assert "--show-secrets" in args
                    answer = stack.revealed.get(args[2], stack.outputs.get(args[2]))
                else:
                    answer = dict(stack.outputs)
            return CommandResult(stdout=json.dumps(answer), stderr="", code=0)

    monkeypatch.setattr(health, "pulumi_cli", lambda pulumi: FakeCli(pulumi, timeout=1.0))

    def run(*args: str, now: datetime | None = None) -> Run:
        shared_credential.cache_clear()
        capsys.readouterr()
        before = len(stack.emulator.requests)
        markdown, title = tmp_path / "report.md", tmp_path / "title.txt"
        markdown.unlink(missing_ok=True)
        title.unlink(missing_ok=True)
        status = health.main(
            ["--stack", "dev", "--markdown", str(markdown), "--title", str(title), *args], now
        )
        out = capsys.readouterr()
        graph = [
            (r.method, r.path) for r in stack.emulator.requests[before:] if r.service == "graph"
        ]
        result = Run(
            status,
            out.out,
            out.err,
            markdown.read_text() if markdown.exists() else "",
            title.read_text().strip() if title.exists() else "",
            graph,
        )
        everything = (result.stdout + result.stderr + result.markdown + result.title).casefold()
        secrets = [stack.tenant.client_secret, stack.tenant.asana_token] + [
            entry["value"] for entry in stack.config.values() if entry.get("secret")
        ]
        for secret in secrets:
            assert secret.casefold() not in everything
        return result

    return run


# ----- the health check -----


def test_a_job_that_ran_cleanly_is_healthy_in_two_graph_requests(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)

    run = run_health()

    assert run.status == 0, run.stdout
    assert run.stdout.startswith("Provisioning health of stack dev: healthy")
    assert "Status: Active" in run.stdout
    assert re.search(r"Provisioning log, last 24 h .*: 3 entries \(3 success\)", run.stdout)
    assert run.title == "Provisioning health of dev: healthy"
    assert run.graph_requests == [
        ("GET", f"/v1.0/servicePrincipals/{SP}/synchronization/jobs/{stack.job_id}"),
        ("GET", "/v1.0/auditLogs/provisioning"),
    ]
    record(REQUESTS_TABLE, "healthy job, one page of logs", "Graph requests", "2")


def test_a_revoked_asana_token_quarantines_the_job_and_the_check_says_so(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.emulator.revoke_scim_token(stack.tenant.asana_token)
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)

    run = run_health()

    assert run.status == 2
    assert "UNHEALTHY" in run.stdout
    assert "the job is in quarantine since" in run.stdout
    assert "reason EncounteredQuarantineException" in run.stdout
    assert "Status: Quarantine" in run.stdout
    assert run.title.startswith(
        "Provisioning health of dev: unhealthy, in quarantine (EncounteredQuarantineException)"
    )
    assert "**Why it is unhealthy:**" in run.markdown
    assert stack.outputs["provisioningLogsPage"] in run.markdown


STATUS_CODES = [
    ("Active", "on", 0),
    ("Paused", "on", 2),
    ("Paused", "off", 0),
    ("NotRun", "on", 2),
    ("NotConfigured", "on", 2),
    ("Quarantine", "on", 2),
]


VERDICTS_TABLE = table(
    "Health verdict by status code",
    module=__name__,
    cases=len(STATUS_CODES),
    about="The one-line verdict for each job status code, with the state the stack wants.",
)


@pytest.mark.parametrize(("code", "wanted", "expected"), STATUS_CODES)
def test_each_status_code_graph_reports_gives_its_exit_code(
    stack: Stack, run_health, code: str, wanted: str, expected: int
):
    status = stack.emulator.job(SP, stack.job_id)["status"]
    stack.emulator.set_job_status(SP, stack.job_id, {**status, "code": code})
    stack.set("provisioningStatus", wanted)

    run = run_health()

    assert run.status == expected, run.stdout
    record(VERDICTS_TABLE, code, f'provisioningStatus "{wanted}"', run.title)


def test_failed_exports_are_grouped_by_error_code_with_who_failed(stack: Stack, run_health):
    duplicate = "A user with this email already exists in Asana."
    stack.emulator.fail_export(ADA, "AsanaDuplicateUser", duplicate)
    stack.emulator.fail_export(GRACE, "AsanaDuplicateUser", duplicate)
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)

    run = run_health()

    assert run.status == 2
    assert f"  - 2 failed with AsanaDuplicateUser: {duplicate}" in run.stdout
    assert "Ada Lovelace (User" in run.stdout and "Grace Hopper (User" in run.stdout
    assert "2 provisioning log entries failed in the last 24 h" in run.stdout
    assert "| 2 | `AsanaDuplicateUser` |" in run.markdown


def test_failures_up_to_health_max_failures_are_tolerated(stack: Stack, run_health):
    stack.emulator.fail_export(ADA, "AsanaDuplicateUser", "Exists.")
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.set("healthMaxFailures", 1)

    assert run_health().status == 0


def test_without_auditlog_read_all_the_check_fails_naming_the_permission(stack: Stack, run_health):
    roles = ["Application.Read.All", "Synchronization.Read.All"]
    secret = "read~only~" + "x" * 20
    stack.emulator.register_app(TENANT_ID, READ_ONLY_CLIENT, secret, roles=roles)
    stack.config["azuread:clientId"] = {"value": READ_ONLY_CLIENT, "secret": False}
    stack.config["azuread:clientSecret"] = {"value": secret, "secret": True}
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)

    run = run_health()

    assert run.status == 1
    assert "CHECK FAILED" in run.stdout
    assert "(HTTP 403): the identity needs the application permission AuditLog.Read.All" in (
        run.stdout
    )
    assert run.title == (
        "Provisioning health of dev: check failed, no permission for reading the provisioning logs"
    )
    assert "Status: Active" in run.stdout  # what could be read is still shown
    assert secret not in run.stdout + run.stderr + run.markdown


def test_a_403_on_the_job_names_the_permissions_the_job_needs(stack: Stack, run_health):
    stack.emulator.inject(Fault.status(403), service="graph", path="/synchronization/jobs/")

    run = run_health()

    assert run.status == 1
    assert "Synchronization.Read.All or Application.Read.All" in run.stdout


def test_throttling_past_the_retry_budget_fails_the_check(stack: Stack, run_health):
    stack.emulator.inject(
        Fault.status(429, retry_after=60), service="graph", path="/auditLogs/", times=10
    )

    run = run_health()

    assert run.status == 1
    assert "Graph kept throttling reading the provisioning logs" in run.stdout
    assert "retry budget" in run.stdout
    assert run.title == "Provisioning health of dev: check failed, throttled"


def test_an_unreachable_graph_fails_the_check(stack: Stack, run_health):
    stack.emulator.inject(Fault.reset(), service="graph", times=20)

    run = run_health()

    assert run.status == 1
    assert "lost the connection" in run.stdout
    assert "healthy" not in run.title.replace("unhealthy", "")


def test_a_stack_without_outputs_is_told_to_run_pulumi_up_first(stack: Stack, run_health):
    stack.outputs.clear()

    run = run_health()

    assert run.status == 1
    assert "run `pulumi up --stack dev` first, or pass --object-id" in run.stdout
    assert run.graph_requests == []


def test_the_job_is_found_from_the_object_id_alone(stack: Stack, run_health):
    stack.outputs.clear()
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)

    run = run_health("--object-id", SP)

    assert run.status == 0, run.stdout
    assert f"job {stack.job_id}" in run.stdout
    assert [path for _, path in run.graph_requests] == [
        f"/v1.0/servicePrincipals/{SP}/synchronization/jobs",
        "/v1.0/auditLogs/provisioning",
    ]


def test_a_busy_log_is_read_to_a_bound_and_said_to_be_truncated(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.emulator.add_provisioning_log_entries(
        [
            provisioning_entry(
                service_principal_id=SP, job_id=stack.job_id, source_name=f"User {n}"
            )
            for n in range(health.LOG_PAGE_SIZE * health.LOG_MAX_PAGES + 50)
        ]
    )

    run = run_health()

    assert run.status == 1, run.stdout  # failures among the unread entries would go uncounted
    assert len(run.graph_requests) == 1 + health.LOG_MAX_PAGES
    assert "— truncated" in run.stdout
    assert "holds more than the 500 entries the check reads" in run.stdout
    assert "Lower healthWindowHours (now 24)" in run.stdout
    assert run.title == "Provisioning health of dev: check failed, log truncated at 500 entries"
    record(REQUESTS_TABLE, "a log of more than 500 entries", "Graph requests", "6")


def test_a_busy_log_whose_read_entries_already_fail_is_unhealthy(stack: Stack, run_health):
    stack.emulator.add_provisioning_log_entries(
        [
            provisioning_entry(service_principal_id=SP, job_id=stack.job_id, status="failure",
                               error_code="AsanaError", reason="No.", source_name=f"User {n}")
            for n in range(health.LOG_PAGE_SIZE * health.LOG_MAX_PAGES + 1)
        ]
    )  # fmt: skip

    run = run_health()

    assert run.status == 2, run.stdout
    assert "the verdict is unhealthy either way" in run.stdout


def test_a_malformed_log_entry_is_named_instead_of_crashing(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    broken = provisioning_entry(service_principal_id=SP, job_id=stack.job_id, status="failure",
                                error_code="X", reason="Y", source_name="Mallory")  # fmt: skip
    broken["provisioningStatusInfo"]["errorInformation"] = "Asana said no"
    odd = provisioning_entry(service_principal_id=SP, job_id=stack.job_id, source_name="Oscar")
    odd["provisioningStatusInfo"] = "success"
    stack.emulator.add_provisioning_log_entries([broken, odd])

    run = run_health()

    assert run.status == 2, run.stdout  # Mallory's failure counts; Oscar's entry is noted
    assert "1 failed with (no error code): (no reason given)" in run.stdout
    assert "1 provisioning log entry of the window could not be read" in run.stdout
    assert "Oscar" in run.stdout


def test_entries_of_other_apps_and_older_than_the_window_are_not_counted(stack: Stack, run_health):
    other = "0f0e0d0c-0b0a-4908-8706-050403020100"
    stack.emulator.add_provisioning_log_entries(
        [
            provisioning_entry(service_principal_id=other, job_id="x", status="failure",
                               error_code="Elsewhere", reason="Another app."),
            provisioning_entry(service_principal_id=SP, job_id=stack.job_id, status="failure",
                               error_code="TooOld", reason="Two days ago.",
                               activity="2020-01-01T00:00:00Z"),
        ]
    )  # fmt: skip

    run = run_health()

    assert run.status == 0, run.stdout
    assert "Elsewhere" not in run.stdout and "TooOld" not in run.stdout


# ----- the SAML signing certificate -----

THUMBPRINT = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
NOW = datetime(2027, 1, 1, tzinfo=UTC)
ROTATE = (
    "rotate it before then with the steps in docs/sso.md#rotating-the-certificate-without-an-outage"
)


def sso_output(expires: str, active: str = THUMBPRINT) -> dict[str, Any]:
    """The `sso` stack output as components/asana_app.py exports it (one certificate)."""
    return {
        "signInUrl": f"https://login.microsoftonline.com/{TENANT_ID}/saml2",
        "entraIdentifier": f"https://sts.windows.net/{TENANT_ID}/",
        "metadataUrl": f"https://login.microsoftonline.com/{TENANT_ID}/federationmetadata/"
        "2007-06/federationmetadata.xml?appid=x",
        "appIdentifier": "https://app.asana.com/",
        "replyUrl": "https://app.asana.com/-/saml/consume",
        "certificateThumbprint": THUMBPRINT,
        "certificateBase64": "MIIC8DCCAdigAwIBAgIQ",
        "certificateExpires": expires,
        "activeThumbprint": active,
        "certificates": [
            {"name": "CN=Asana SSO", "thumbprint": THUMBPRINT, "certificateBase64": "MIIC8DCC",
             "expires": expires, "active": True}
        ],
    }  # fmt: skip


# (end date, ssoCertificateWarningDays or None for the default of 60, exit status, the warning
# line or None) with NOW = 2027-01-01 00:00 UTC.
CERTIFICATE_CHECKS = [
    ("2027-03-02T00:00:00Z", None, 0,
     f"  - the SAML signing certificate Entra signs with (thumbprint {THUMBPRINT}) expires on "
     f"2027-03-02 00:00:00 UTC, in 60 days (ssoCertificateWarningDays is 60): {ROTATE}"),
    ("2027-03-02T00:00:01Z", None, 0, None),
    ("2029-12-31T00:00:00Z", None, 0, None),
    ("2027-01-31T00:00:00Z", 30, 0,
     f"  - the SAML signing certificate Entra signs with (thumbprint {THUMBPRINT}) expires on "
     f"2027-01-31 00:00:00 UTC, in 30 days (ssoCertificateWarningDays is 30): {ROTATE}"),
    ("2027-02-01T00:00:00Z", 30, 0, None),
    ("2027-01-01T00:00:00Z", None, 2, None),
    ("2026-12-01T00:00:00Z", None, 2, None),
]  # fmt: skip


@pytest.mark.parametrize(("expires", "days", "status", "line"), CERTIFICATE_CHECKS)
def test_the_active_certificate_warns_before_it_expires_and_is_unhealthy_after(
    stack: Stack, run_health, expires: str, days: int | None, status: int, line: str | None
):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.outputs["sso"] = sso_output(expires)
    if days is not None:
        stack.set("ssoCertificateWarningDays", days)

    run = run_health(now=NOW)

    assert run.status == status, run.stdout
    if line is None:
        assert "Warning:" not in run.stdout
    else:
        assert f"\nWarning:\n{line}\n" in run.stdout
        assert f"**Warning:**\n- {line.removeprefix('  - ')}\n" in run.markdown
    if status == 2:
        assert "Asana refuses every SAML sign-in" in run.stdout
        assert run.title == "Provisioning health of dev: unhealthy, SAML certificate expired"


def test_entra_signing_with_a_certificate_the_stack_did_not_publish_is_unhealthy(
    stack: Stack, run_health
):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    other = "FEDCBA9876543210FEDCBA9876543210FEDCBA98"
    stack.outputs["sso"] = sso_output("2029-12-31T00:00:00Z", active=other)

    run = run_health(now=NOW)

    assert run.status == 2, run.stdout
    assert f"Entra signs SAML responses with the certificate of thumbprint {other}, not " in (
        run.stdout
    )
    assert run.title == (
        "Provisioning health of dev: unhealthy, SAML certificate not the one Asana has"
    )


def test_a_stack_that_does_not_provision_still_gets_its_certificate_checked(
    stack: Stack, run_health
):
    stack.set("provisioningEnabled", "false")
    stack.outputs = {"servicePrincipalObjectId": SP, "sso": sso_output("2027-01-13T06:00:00Z")}

    run = run_health(now=NOW)

    assert run.status == 0, run.stdout
    assert run.stdout.startswith(
        "Provisioning health of stack dev: healthy\nProvisioning: nothing to check: the stack "
        "does not provision"
    )
    assert "expires on 2027-01-13 06:00:00 UTC, in 12 days" in run.stdout
    assert run.title == (
        "Provisioning health of dev: healthy (SAML certificate only: the stack does not "
        "provision), warning: SAML certificate expires in 12 days"
    )
    assert run.graph_requests == []
    stack.outputs["sso"] = sso_output("2026-12-31T00:00:00Z")
    assert run_health(now=NOW).status == 2


def test_an_end_date_set_as_a_secret_is_judged_without_being_shown(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.outputs["sso"] = sso_output("[secret]")
    stack.revealed["sso"] = sso_output("2027-01-13T06:00:00Z")

    run = run_health(now=NOW)

    assert run.status == 0, run.stdout
    assert "expires on [secret], in 12 days" in run.stdout
    assert "2027-01-13" not in run.stdout + run.markdown + run.title


def test_an_unreadable_sso_output_fails_the_check(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.outputs["sso"] = {**sso_output("2029-12-31T00:00:00Z"), "certificateExpires": None}

    run = run_health(now=NOW)

    assert run.status == 1, run.stdout
    assert "the stack output sso has no certificateExpires" in run.stdout
    assert "Status: Active" in run.stdout  # the job is still read and shown


def test_in_github_actions_a_warning_is_also_an_annotation(stack: Stack, run_health, monkeypatch):
    """The drift workflow opens an issue only for exit status 2; a warning shows in the step
    summary (the Markdown report) and, as an annotation, on the run's page."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.outputs["sso"] = sso_output("2027-01-13T06:00:00Z")

    run = run_health(now=NOW)

    assert run.status == 0
    assert (
        "::warning title=dev%3A SAML certificate expires in 12 days::the SAML signing certificate "
        f"Entra signs with (thumbprint {THUMBPRINT}) expires on 2027-01-13 06:00:00 UTC, in 12 "
        f"days (ssoCertificateWarningDays is 60): {ROTATE}\n"
    ) in run.stdout


def test_a_workflow_command_cannot_be_cut_short_by_what_it_carries():
    line = health.github_warning("dev: a, b", "50%\nnext::line")

    assert line == "::warning title=dev%3A a%2C b::50%25%0Anext::line"


def test_with_an_object_id_no_stack_output_and_so_no_certificate_is_read(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)
    stack.outputs["sso"] = sso_output("2026-12-01T00:00:00Z")

    run = run_health("--object-id", SP, now=NOW)

    assert run.status == 0, run.stdout
    assert "SAML" not in run.stdout


# ----- provision on demand -----


def test_an_assigned_user_is_provisioned_on_demand_with_the_portals_steps(stack: Stack, run_health):
    run = run_health("--provision-on-demand", "ada@contoso.com")

    assert run.status == 0, run.stdout
    assert "Provision on demand: user ada@contoso.com" in run.stdout
    for step in ("Import user", "Determine if user is in scope", "Perform action"):
        assert step in run.stdout
    assert "Result: provisioned (action Create)" in run.stdout
    assert run.title == "Provision on demand in dev: ada@contoso.com: provisioned"
    posts = [path for method, path in run.graph_requests if method == "POST"]
    assert posts == [
        f"/v1.0/servicePrincipals/{SP}/synchronization/jobs/{stack.job_id}/provisionOnDemand"
    ]


def test_a_user_already_provisioned_is_in_sync(stack: Stack, run_health):
    stack.emulator.run_provisioning_cycle(SP, stack.job_id)

    run = run_health("--provision-on-demand", ADA)

    assert run.status == 0, run.stdout
    assert "Result: already in sync" in run.stdout


def test_an_unassigned_user_is_out_of_scope(stack: Stack, run_health):
    run = run_health("--provision-on-demand", "alan@contoso.com")

    assert run.status == 2, run.stdout
    assert "Result: out of scope" in run.stdout


def test_a_user_failing_at_export_names_the_step_and_asanas_error(stack: Stack, run_health):
    stack.emulator.fail_export(ADA, "AsanaDuplicateUser", "A user with this email exists.")

    run = run_health("--provision-on-demand", "ada@contoso.com")

    assert run.status == 2, run.stdout
    assert "Result: failed at Perform action: AsanaDuplicateUser: A user with this email " in (
        run.stdout
    )


def test_a_group_is_found_by_its_display_name(stack: Stack, run_health):
    run = run_health("--provision-on-demand", "Asana Team")

    assert run.status == 0, run.stdout
    assert "Provision on demand: group Asana Team" in run.stdout


def test_a_group_by_object_id_is_provisioned_with_the_job_found_from_the_app(
    stack: Stack, run_health
):
    run = run_health("--object-id", SP, "--provision-on-demand", TEAM)

    assert run.status == 0, run.stdout
    assert "Provision on demand: group Asana Team" in run.stdout
    assert f"/synchronization/jobs/{stack.job_id}/provisionOnDemand" in run.graph_requests[-1][1]


def test_each_subjects_result_is_kept_when_a_later_one_fails(stack: Stack, run_health):
    run = run_health(
        "--provision-on-demand", "ada@contoso.com",
        "--provision-on-demand", "nobody@contoso.com",
        "--provision-on-demand", "alan@contoso.com",
    )  # fmt: skip

    assert run.status == 1, run.stdout  # the worst: a failed call outranks out of scope
    assert "Result: provisioned (action Create)" in run.stdout
    assert "Result: call failed: no user has the user principal name 'nobody@contoso.com'" in (
        run.stdout
    )
    assert "Result: out of scope" in run.stdout
    assert run.title == (
        "Provision on demand in dev: ada@contoso.com: provisioned; "
        "nobody@contoso.com: call failed; alan@contoso.com: out of scope"
    )
    assert run.markdown.count("### Provision on demand") == 3


def test_a_subject_out_of_scope_after_one_provisioned_exits_2(stack: Stack, run_health):
    run = run_health(
        "--provision-on-demand", "ada@contoso.com", "--provision-on-demand", "alan@contoso.com"
    )

    assert run.status == 2, run.stdout
    assert "Result: provisioned" in run.stdout


def test_a_canary_set_as_a_secret_is_never_shown(stack: Stack, run_health):
    stack.config[f"{P}canaryUser"] = {"value": "ada@contoso.com", "secret": True}

    run = run_health("--provision-on-demand")  # run_health checks the value appears nowhere

    assert run.status == 0, run.stdout
    shown = "the stack's canaryUser ([secret])"
    assert f"Provision on demand: user {shown} ({ADA})" in run.stdout
    assert shown in run.stderr and shown in run.markdown
    assert run.title == f"Provision on demand in dev: {shown}: provisioned"


def test_a_secret_canary_that_graph_does_not_know_is_not_named(stack: Stack, run_health):
    stack.config[f"{P}canaryUser"] = {"value": "Nobody@Contoso.com", "secret": True}

    run = run_health("--provision-on-demand")

    assert run.status == 1, run.stdout
    assert "no user has the user principal name 'the stack's canaryUser ([secret])'" in run.stdout


def test_without_a_value_the_stacks_canary_user_is_provisioned(stack: Stack, run_health):
    stack.set("canaryUser", "ada@contoso.com")

    run = run_health("--provision-on-demand")

    assert run.status == 0, run.stdout
    assert "user ada@contoso.com" in run.stdout


def test_without_a_canary_user_the_call_fails_naming_the_setting(stack: Stack, run_health):
    run = run_health("--provision-on-demand")

    assert run.status == 1
    assert "asana-provisioning:canaryUser is not set" in run.stdout
    assert run.graph_requests == []


def test_an_unknown_subject_fails_the_call(stack: Stack, run_health):
    run = run_health("--provision-on-demand", "nobody@contoso.com")

    assert run.status == 1
    assert "no user has the user principal name 'nobody@contoso.com'" in run.stdout


def test_a_throttled_provision_on_demand_waits_out_retry_after(stack: Stack, run_health):
    stack.emulator.inject(
        Fault.status(429, retry_after=1), service="graph", method="POST", path="provisionOnDemand"
    )

    run = run_health("--provision-on-demand", "ada@contoso.com")

    assert run.status == 0, run.stdout
    posts = [path for method, path in run.graph_requests if method == "POST"]
    assert len(posts) == 2


def test_six_subjects_stay_under_graphs_rate_limit(stack: Stack, run_health):
    """Graph answers a sixth call within 10 s with 429; the tool's limiter waits instead (this
    test takes those 10 s)."""
    started = time.monotonic()

    run = run_health(*["--provision-on-demand", "ada@contoso.com"] * 6)

    assert run.status == 0, run.stdout
    assert run.stdout.count("Provision on demand: user ada@contoso.com") == 6
    posts = [r for r in stack.emulator.requests if r.service == "graph" and r.method == "POST"]
    assert [r.status for r in posts] == [200] * 6
    assert time.monotonic() - started >= 9.0


# ----- credentials that cannot be used -----

MISSING = "/nonexistent/secret-name-of-a-file.pem"


def unusable_credentials(stack: Stack, kind: str) -> None:
    """A certificate the credential reads when it is made, or an OIDC token file it reads when
    the first token is fetched; neither exists."""
    del stack.config["azuread:clientSecret"]
    if kind == "certificate":
        stack.config["azuread:clientCertificatePath"] = {"value": MISSING, "secret": False}
    else:
        stack.config["azuread:useOidc"] = {"value": "true", "secret": False}
        stack.config["azuread:oidcTokenFilePath"] = {"value": MISSING, "secret": False}


@pytest.mark.parametrize(
    ("kind", "key"),
    [("certificate", "azuread:clientCertificatePath"), ("oidc", "azuread:oidcTokenFilePath")],
)
def test_unusable_credentials_fail_the_check_with_a_report(
    stack: Stack, run_health, monkeypatch, kind, key
):
    monkeypatch.delenv("ARM_CLIENT_SECRET", raising=False)
    unusable_credentials(stack, kind)

    run = run_health()

    assert run.status == 1, run.stdout
    assert "the credentials for Microsoft Graph cannot be used" in run.stdout
    assert key in run.stdout and key in run.markdown
    assert run.title == "Provisioning health of dev: check failed, credentials unusable"
    assert MISSING not in run.stdout + run.stderr + run.markdown
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("kind", ["certificate", "oidc"])
def test_unusable_credentials_fail_provision_on_demand_with_a_report(
    stack: Stack, run_health, monkeypatch, kind
):
    monkeypatch.delenv("ARM_CLIENT_SECRET", raising=False)
    unusable_credentials(stack, kind)

    run = run_health("--provision-on-demand", "ada@contoso.com")

    assert run.status == 1, run.stdout
    assert "provision on demand failed: the credentials for Microsoft Graph cannot be used" in (
        run.stdout
    )
    assert run.title == "Provision on demand in dev failed"
    assert MISSING not in run.stdout + run.stderr + run.markdown


# ----- the documented sample -----


@pytest.mark.parametrize("doc", health_sample.DOCS, ids=lambda doc: doc.name)
def test_the_sample_report_in_the_docs_is_what_the_tool_prints(doc):
    """Regenerate with `.venv/bin/python -m tests.health_sample --write`."""
    assert health_sample.stable(health_sample.generate()) == health_sample.stable(
        health_sample.documented(doc)
    )


# ----- the Pulumi CLI -----

# What `pulumi config --json --show-secrets` prints (v3.276, recorded): strings, a structured
# value as JSON text with its `objectValue`, secrets flagged.
RECORDED_CONFIG = {
    "asana-provisioning:asanaToken": {"value": "abc", "secret": True},
    "asana-provisioning:assignmentGroups": {
        "value": '["g1"]',
        "objectValue": ["g1"],
        "secret": False,
    },
    "asana-provisioning:healthWindowHours": {"value": "48", "secret": False},
    "azuread:tenantId": {"value": "t", "secret": False},
}


def fake_cli(tmp_path: Path, stdout: str, exit_code: int = 0, stderr: str = "") -> str:
    path = tmp_path / "pulumi"
    path.write_text(
        f"#!/bin/sh\ncat <<'JSON'\n{stdout}\nJSON\necho '{stderr}' >&2\nexit {exit_code}\n"
    )
    path.chmod(0o755)
    return str(path)


def test_the_stack_settings_are_read_as_the_cli_prints_them(tmp_path: Path):
    cli = fake_cli(tmp_path, json.dumps(RECORDED_CONFIG))

    config, secret_keys = health.stack_config(cli, "dev")

    assert config == {
        "asana-provisioning:asanaToken": "abc",
        "asana-provisioning:assignmentGroups": '["g1"]',
        "asana-provisioning:healthWindowHours": "48",
        "azuread:tenantId": "t",
    }
    assert secret_keys == {"asana-provisioning:asanaToken"}


def test_a_failing_cli_fails_the_check_with_its_own_error(tmp_path: Path, capsys):
    cli = fake_cli(tmp_path, "", exit_code=255, stderr="error: no stack named dev found")

    status = health.main(["--stack", "dev", "--pulumi", cli])

    assert status == 1
    out = capsys.readouterr().out
    assert "`pulumi config --show-secrets` exited 255: error: no stack named dev found" in out


def test_a_stack_that_does_not_provision_has_nothing_to_check(tmp_path: Path, capsys):
    config = {"asana-provisioning:provisioningEnabled": {"value": "false", "secret": False}}
    cli = fake_cli(tmp_path, json.dumps(config))
    markdown, title = tmp_path / "report.md", tmp_path / "title.txt"

    status = health.main(
        ["--stack", "dev", "--pulumi", cli, "--markdown", str(markdown), "--title", str(title)]
    )

    assert status == 0  # a supported setting: the daily drift job must not fail on it
    out = capsys.readouterr().out
    assert out.startswith("Provisioning health of stack dev: nothing to check")
    assert "provisioningEnabled is false" in out
    assert "nothing to check" in markdown.read_text()
    assert title.read_text() == (
        "Provisioning health of dev: nothing to check, the stack does not provision\n"
    )


def test_a_stack_that_does_not_provision_cannot_provision_on_demand(tmp_path: Path, capsys):
    config = {"asana-provisioning:provisioningEnabled": {"value": "false", "secret": False}}
    cli = fake_cli(tmp_path, json.dumps(config))

    status = health.main(["--stack", "dev", "--pulumi", cli, "--provision-on-demand", "a@b.com"])

    assert status == 1
    assert "provision on demand failed: nothing to check: the stack does not provision" in (
        capsys.readouterr().out
    )


def test_a_bad_health_setting_fails_the_check_naming_the_key(tmp_path: Path, capsys):
    config = {"asana-provisioning:healthMaxFailures": {"value": "-3", "secret": False}}
    cli = fake_cli(tmp_path, json.dumps(config))

    status = health.main(["--stack", "dev", "--pulumi", cli])

    assert status == 1
    assert 'asana-provisioning:healthMaxFailures is "-3"; allowed: a whole number from 0' in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--stack", "a b"],
        ["--stack", "dev", "--object-id", "x"],
        ["--stack", "dev", "--job-id", "a/b"],
    ],
)
def test_bad_arguments_exit_1_not_argparses_2(args: list[str]):
    with pytest.raises(SystemExit) as exit_:
        health.main(args)

    assert exit_.value.code == 1
