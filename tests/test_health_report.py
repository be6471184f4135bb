"""The health verdict from a job's status and its provisioning log: pure, no I/O.

Every job and log entry fed here is first judged a valid Graph v1.0 body by msgraph-sdk's own
models (tests/graph_models.py), so the rules are tested on the shapes Graph sends.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.graph_models import assert_graph_body
from tools.health_render import render_markdown, render_text, render_title
from tools.health_report import (
    CHECK_FAILED,
    HEALTHY,
    UNHEALTHY,
    CertificateStatus,
    Expectations,
    Finding,
    ReportError,
    judge,
    judge_certificate,
    nothing_to_check,
    parse_job,
    parse_sso,
    summarize_log,
)

SP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
JOB = "asana.0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5.9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
SINCE = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
RUNNING = Expectations(job_running=True, max_failures=0)
OFF = Expectations(job_running=False, max_failures=0)


def execution(state: str, error: dict[str, Any] | None = None, exported: int = 1) -> dict:
    return {
        "activityIdentifier": "c7d3f3a8-7e0c-4bd4-9c4c-2d3e4f5a6b7c",
        "countEntitled": 3,
        "countEntitledForProvisioning": 3,
        "countEscrowed": 0,
        "countEscrowedRaw": 0,
        "countExported": exported,
        "countExports": exported,
        "countImported": 3,
        "countImportedDeltas": 3,
        "countImportedReferenceDeltas": 0,
        "error": error,
        "state": state,
        "timeBegan": "2025-03-04T11:20:00.1234567Z",
        "timeEnded": "2025-03-04T11:20:09.7654321Z",
    }


def job(code: str = "Active", **status: Any) -> dict[str, Any]:
    """A job as Graph sends it; a code in another casing than msgraph-sdk's enum member is
    put in after the body was judged (Microsoft's examples show both)."""
    body = {
        "id": JOB,
        "templateId": "asana",
        "schedule": {"expiration": None, "interval": "PT40M", "state": "Active"},
        "status": {
            "code": code[0].upper() + code[1:],
            "countSuccessiveCompleteFailures": 0,
            "escrowsPruned": False,
            "lastExecution": execution("Succeeded"),
            "lastSuccessfulExecution": execution("Succeeded"),
            "lastSuccessfulExecutionWithExports": execution("Succeeded"),
            "progress": [],
            "quarantine": None,
            "steadyStateFirstAchievedTime": "2025-03-01T08:00:00Z",
            "steadyStateLastAchievedTime": "2025-03-04T11:20:09Z",
            "synchronizedEntryCountByType": [],
            "troubleshootingUrl": None,
        },
        "synchronizationJobSettings": [],
    }
    body["status"].update(status)
    assert_graph_body("synchronizationJob", body)
    body["status"]["code"] = code
    return body


BAD_TOKEN = {
    "code": "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
    "message": "The tenant URL answered 401 Unauthorized: the secret token was rejected.",
    "tenantActionable": True,
}
QUARANTINED = {
    "countSuccessiveCompleteFailures": 2,
    "lastExecution": execution("Failed", BAD_TOKEN, exported=0),
    "quarantine": {
        "currentBegan": "2025-03-04T11:20:09Z",
        "error": BAD_TOKEN,
        "nextAttempt": "2025-03-04T23:20:09Z",
        "reason": "EncounteredQuarantineException",
        "seriesBegan": "2025-03-04T05:20:09Z",
        "seriesCount": 2,
    },
}


def entry(
    status: str,
    name: str,
    *,
    code: str | None = None,
    reason: str | None = None,
    at: str = "2025-03-04T11:20:05Z",
    object_id: str = "5b0f6c2e-7d41-4c8a-9e3b-2a6d1f0c8e47",
) -> dict[str, Any]:
    error = (
        {
            "errorCode": code,
            "reason": reason,
            "additionalDetails": None,
            "errorCategory": "nonServiceFailure",
            "recommendedAction": None,
        }
        if status == "failure"
        else None
    )
    body = {
        "id": f"{object_id}-{at}",
        "activityDateTime": at,
        "jobId": JOB,
        "cycleId": "0c8e47a1-7d41-4c8a-9e3b-2a6d1f0c8e47",
        "changeId": "1c8e47a1-7d41-4c8a-9e3b-2a6d1f0c8e47",
        "provisioningAction": "create",
        "durationInMilliseconds": 900,
        "provisioningStatusInfo": {"status": status, "errorInformation": error},
        "provisioningSteps": [],
        "modifiedProperties": [],
        "servicePrincipal": {"id": SP, "displayName": "Asana"},
        "sourceIdentity": {
            "id": object_id,
            "displayName": name,
            "identityType": "User",
            "details": {},
        },
        "targetIdentity": {
            "id": "",
            "displayName": "",
            "identityType": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "details": {},
        },
    }
    assert_graph_body("provisioningObjectSummary", body)
    return body


def report_for(body: dict[str, Any], expectations: Expectations = RUNNING, entries=()):
    log = summarize_log(list(entries), SINCE, 24, truncated=False)
    return judge("dev", SP, parse_job(body), log, expectations)


# (status code as Graph may send it, does the stack want the job running, expected exit status)
STATUS_CASES = [
    ("Active", True, HEALTHY),
    ("active", True, HEALTHY),
    ("Paused", True, UNHEALTHY),
    ("Paused", False, HEALTHY),
    ("NotRun", True, UNHEALTHY),
    ("notRun", False, HEALTHY),
    ("NotConfigured", True, UNHEALTHY),
    ("NotConfigured", False, UNHEALTHY),
    ("Quarantine", True, UNHEALTHY),
    ("quarantine", False, UNHEALTHY),
]


@pytest.mark.parametrize(("code", "running", "expected"), STATUS_CASES)
def test_each_status_code_gives_its_verdict_whatever_its_casing(code, running, expected):
    expectations = RUNNING if running else OFF

    report = report_for(job(code), expectations)

    assert report.status == expected, report.findings


def test_an_unknown_status_code_fails_the_check_instead_of_passing_it():
    report = report_for(job("Active") | {"status": job()["status"] | {"code": "Hibernating"}})

    assert report.status == CHECK_FAILED
    assert "Hibernating" in report.problems[0].detail


def test_a_quarantined_job_is_unhealthy_with_reason_times_and_error_in_the_report():
    report = report_for(job("Quarantine", **QUARANTINED))

    assert report.status == UNHEALTHY
    text = render_text(report)
    assert "UNHEALTHY" in text
    assert "in quarantine since 2025-03-04 11:20:09 UTC" in text
    assert "reason EncounteredQuarantineException" in text
    assert "attempt 2 of a series begun 2025-03-04 05:20:09 UTC" in text
    assert "next attempt 2025-03-04 23:20:09 UTC" in text
    assert "the secret token was rejected" in text
    assert "the job's last 2 runs failed completely" in text
    assert render_title(report) == (
        "Provisioning health of dev: unhealthy, in quarantine (EncounteredQuarantineException); "
        "2 failed runs in a row"
    )


def test_a_quarantine_object_on_a_paused_job_still_counts_as_quarantine():
    """Graph's own get-job example: code Paused, quarantine with a series count."""
    status = {"quarantine": {"seriesCount": 2, "error": {"code": "SalesforceInvalidCredentials"}}}

    report = report_for(job("Paused", **status), OFF)

    assert report.status == UNHEALTHY
    assert report.findings[0].label == "in quarantine (no reason given)"
    assert report.findings[0].detail == (
        "the job is in quarantine; reason no reason given; attempt 2 of a series. "
        "Error: SalesforceInvalidCredentials"
    )


def test_successive_complete_failures_alone_make_the_job_unhealthy():
    report = report_for(job("Active", countSuccessiveCompleteFailures=1))

    assert report.status == UNHEALTHY
    assert report.findings[0].label == "1 failed run in a row"


def test_a_failed_last_execution_alone_makes_the_job_unhealthy():
    failed = execution("Failed", {"code": "Timeout", "message": "The run timed out."})

    report = report_for(job("Active", lastExecution=failed))

    assert report.status == UNHEALTHY
    assert "failed: Timeout: The run timed out." in report.findings[0].detail


def test_entry_level_errors_are_left_to_the_log_count():
    report = report_for(job("Active", lastExecution=execution("EntryLevelErrors")))

    assert report.status == HEALTHY


def test_failures_are_grouped_by_error_code_with_who_failed_newest_first():
    entries = [
        entry("success", "Grace Hopper", at="2025-03-04T10:00:00Z"),
        entry(
            "failure",
            "Ada Lovelace",
            code="AsanaDuplicateUser",
            reason="A user with the same userName already exists in Asana.",
            at="2025-03-04T09:00:00Z",
            object_id="11111111-2222-4333-8444-555555555551",
        ),
        entry(
            "failure",
            "Alan Turing",
            code="AsanaDuplicateUser",
            reason="A user with the same userName already exists (newest).",
            at="2025-03-04T11:00:00Z",
            object_id="11111111-2222-4333-8444-555555555552",
        ),
        entry("failure", "Edsger Dijkstra", code=None, reason="Timeout talking to Asana."),
        entry("skipped", "Barbara Liskov"),
    ]

    log = summarize_log(entries, SINCE, 24, truncated=False)

    assert log.entries == 5
    assert dict(log.by_status) == {"success": 1, "failure": 3, "skipped": 1}
    first, second = log.failure_groups
    assert (first.error_code, first.count) == ("AsanaDuplicateUser", 2)
    assert first.reason == "A user with the same userName already exists (newest)."
    assert first.identities == (
        "Alan Turing (User 11111111-2222-4333-8444-555555555552)",
        "Ada Lovelace (User 11111111-2222-4333-8444-555555555551)",
    )
    assert (second.error_code, second.reason) == ("(no error code)", "Timeout talking to Asana.")


def test_failed_log_entries_above_the_tolerated_number_make_the_job_unhealthy():
    entries = [entry("failure", f"User {n}", code="AsanaError", at=f"2025-03-04T0{n}:00:00Z")
               for n in range(3)]  # fmt: skip

    tolerant = report_for(job(), Expectations(True, max_failures=3), entries)
    strict = report_for(job(), Expectations(True, max_failures=2), entries)

    assert tolerant.status == HEALTHY
    assert strict.status == UNHEALTHY
    assert "3 provisioning log entries failed in the last 24 h" in strict.findings[0].detail
    assert "healthMaxFailures" in strict.findings[0].detail


def test_a_truncated_log_fails_the_check_naming_the_bound_and_the_window():
    log = summarize_log([entry("success", "Grace Hopper")], SINCE, 24, truncated=True)

    report = judge("dev", SP, parse_job(job()), log, RUNNING)

    assert report.status == CHECK_FAILED
    text = render_text(report)
    assert "truncated" in text
    assert "holds more than the 1 entries the check reads" in text
    assert "Lower healthWindowHours (now 24)" in text
    assert render_title(report) == (
        "Provisioning health of dev: check failed, log truncated at 1 entries"
    )


def test_a_truncated_log_whose_read_entries_already_fail_stays_unhealthy():
    entries = [entry("failure", "Ada", code="AsanaError")]
    log = summarize_log(entries, SINCE, 24, truncated=True)

    report = judge("dev", SP, parse_job(job()), log, RUNNING)

    assert report.status == UNHEALTHY
    assert "the verdict is unhealthy either way" in render_text(report)


def malformed(info: Any) -> dict[str, Any]:
    body = entry("failure", "Mallory", code="X", object_id="0c8e47a1-7d41-4c8a-9e3b-2a6d1f0c8e48")
    body["provisioningStatusInfo"] = info
    return body


@pytest.mark.parametrize(
    "info",
    [{"status": "failure", "errorInformation": "Asana said no"}, {"status": "failure"}],
    ids=["errorInformation a string", "no errorInformation"],
)
def test_a_failure_without_readable_error_information_is_counted_as_a_failure(info):
    log = summarize_log([malformed(info)], SINCE, 24, truncated=False)

    report = judge("dev", SP, parse_job(job()), log, RUNNING)

    assert report.status == UNHEALTHY
    (group,) = log.failure_groups
    assert (group.error_code, group.reason, group.count) == (
        "(no error code)",
        "(no reason given)",
        1,
    )
    assert "Mallory" in group.identities[0]


@pytest.mark.parametrize(
    "broken",
    [
        malformed("failure"),
        malformed(None),
        malformed({"status": 3}),
        "not an entry",
    ],
    ids=["provisioningStatusInfo a string", "no provisioningStatusInfo", "status not text",
         "an entry that is not an object"],
)  # fmt: skip
def test_an_unreadable_log_entry_is_counted_and_named_and_fails_the_check(broken):
    log = summarize_log([entry("success", "Grace Hopper"), broken], SINCE, 24, truncated=False)

    report = judge("dev", SP, parse_job(job()), log, RUNNING)

    assert report.status == CHECK_FAILED
    assert (log.entries, log.unreadable) == (2, 1)
    text = render_text(report)
    assert "1 success, 1 unreadable" in text
    assert "1 provisioning log entry of the window could not be read" in text
    named = "Mallory" if isinstance(broken, dict) else "not an object: str"
    assert named in text
    assert render_title(report).endswith("check failed, 1 unreadable log entry")


def test_an_unreadable_entry_beside_too_many_failures_leaves_the_verdict_unhealthy():
    entries = [entry("failure", "Ada", code="AsanaError"), malformed("?")]

    report = report_for(job(), entries=entries)

    assert report.status == UNHEALTHY
    assert any("could not be read" in note for note in report.notes)


def test_a_stack_that_does_not_provision_is_healthy_with_nothing_to_check():
    report = nothing_to_check("dev", "nothing to check: the stack does not provision")

    assert report.status == HEALTHY
    assert render_text(report).startswith("Provisioning health of stack dev: nothing to check")
    assert "the stack does not provision" in render_markdown(report)
    assert render_title(report) == (
        "Provisioning health of dev: nothing to check, the stack does not provision"
    )


@pytest.mark.parametrize(
    ("body", "problems"),
    [(job(), ()), (job("Quarantine", **QUARANTINED), ()),
     (job(), (Finding("throttled", "Graph kept throttling"),))],
    ids=["healthy", "unhealthy", "check failed"],
)  # fmt: skip
def test_every_title_starts_with_the_prefix_of_the_drift_workflows_issue(body, problems):
    """.github/workflows/drift.yml gives the issue action the prefix "Provisioning health of
    STACK:"; a title that starts with it is used as it is, not prefixed a second time."""
    log = summarize_log([], SINCE, 24, truncated=False)
    report = judge("dev", SP, parse_job(body), log, RUNNING, problems=problems)

    title = render_title(report)

    assert title.startswith("Provisioning health of dev: ")
    assert title.count("Provisioning") == 1


def test_a_check_that_could_not_read_is_never_healthy_even_if_the_job_looks_fine():
    problem = Finding("no permission for reading the provisioning logs", "needs AuditLog.Read.All")

    report = judge("dev", SP, parse_job(job()), None, RUNNING, problems=[problem])

    assert report.status == CHECK_FAILED
    assert "healthy" not in render_title(report).replace("unhealthy", "")
    assert "AuditLog.Read.All" in render_text(report)


def test_a_missing_job_is_unhealthy():
    report = judge("dev", SP, None, summarize_log([], SINCE, 24, False), RUNNING)

    assert report.status == UNHEALTHY
    assert report.findings[0].label == "no provisioning job"


def test_a_job_without_a_status_is_refused_as_unreadable():
    body = copy.deepcopy(job())
    del body["status"]

    with pytest.raises(ReportError, match="status code"):
        parse_job(body)


def test_never_reached_steady_state_reads_never():
    report = report_for(job("Active", steadyStateFirstAchievedTime="0001-01-01T00:00:00Z"))

    assert "Steady state: first reached never" in render_text(report)


def test_the_markdown_escapes_what_graph_wrote_and_keeps_links():
    entries = [entry("failure", "Eve <script>", code="X", reason="a | b *bold* [link](x)")]
    body = job("Active", troubleshootingUrl="https://aka.ms/provisioning_troubleshoot")

    markdown = render_markdown(report_for(body, entries=entries))

    assert "<script>" not in markdown
    assert "a \\| b \\*bold\\* \\[link\\](x)" in markdown
    assert "<https://aka.ms/provisioning_troubleshoot>" in markdown


# ----- the SAML signing certificate (the stack's `sso` output) -----

THUMBPRINT = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
OTHER_THUMBPRINT = "FEDCBA9876543210FEDCBA9876543210FEDCBA98"
DEFAULT_WARNING_DAYS = 60
"""ssoCertificateWarningDays' documented default (docs/health.md)."""

# (end date, warning days, exit status, warning label or None) with NOW = 2025-03-04 12:00 UTC.
CERTIFICATE_CASES = [
    ("2025-05-03T12:00:01Z", DEFAULT_WARNING_DAYS, HEALTHY, None),  # 60 days and a second
    ("2025-05-03T12:00:00Z", DEFAULT_WARNING_DAYS, HEALTHY, "SAML certificate expires in 60 days"),
    ("2025-03-16T18:00:00Z", DEFAULT_WARNING_DAYS, HEALTHY, "SAML certificate expires in 12 days"),
    ("2025-03-05T11:59:59Z", DEFAULT_WARNING_DAYS, HEALTHY,
     "SAML certificate expires in less than a day"),
    ("2025-03-04T12:00:00Z", DEFAULT_WARNING_DAYS, UNHEALTHY, None),  # expires this moment
    ("2025-03-01T12:00:00Z", DEFAULT_WARNING_DAYS, UNHEALTHY, None),
    ("2028-03-04T12:00:00Z", DEFAULT_WARNING_DAYS, HEALTHY, None),  # Entra's default, 3 years
    ("2025-05-18T12:00:00Z", 90, HEALTHY, "SAML certificate expires in 75 days"),
    ("2025-04-18T12:00:00Z", 30, HEALTHY, None),  # 45 days, with a 30-day setting
]  # fmt: skip


def certificate(expires: str, active: str = THUMBPRINT, secret: bool = False) -> CertificateStatus:
    return CertificateStatus(THUMBPRINT, expires, active, expires_secret=secret)


def healthy_report(verdict) -> object:
    log = summarize_log([], SINCE, 24, truncated=False)
    return judge("dev", SP, parse_job(job()), log, RUNNING, certificate=verdict)


@pytest.mark.parametrize(("expires", "days", "status", "warning"), CERTIFICATE_CASES)
def test_the_active_certificate_warns_within_the_setting_and_is_unhealthy_once_expired(
    expires, days, status, warning
):
    report = healthy_report(judge_certificate(certificate(expires), NOW, days))

    assert report.status == status
    assert [w.label for w in report.warnings] == ([warning] if warning else [])
    if status == UNHEALTHY:
        assert [f.label for f in report.findings] == ["SAML certificate expired"]


def test_a_warning_names_the_thumbprint_the_end_date_and_the_days_left():
    verdict = judge_certificate(certificate("2025-03-16T18:00:00Z"), NOW, DEFAULT_WARNING_DAYS)
    report = healthy_report(verdict)

    detail = (
        f"the SAML signing certificate Entra signs with (thumbprint {THUMBPRINT}) expires on "
        "2025-03-16 18:00:00 UTC, in 12 days (ssoCertificateWarningDays is 60): rotate it "
        "before then with the steps in docs/sso.md#rotating-the-certificate-without-an-outage"
    )
    text, markdown = render_text(report), render_markdown(report)
    assert f"Warning:\n  - {detail}\n" in text
    assert text.startswith("Provisioning health of stack dev: healthy\n")
    assert (
        f"SAML signing certificate: thumbprint {THUMBPRINT}, expires 2025-03-16 18:00:00 UTC "
        "(in 12 days); Entra signs with it"
    ) in text
    assert f"**Warning:**\n- {detail}\n" in markdown
    assert render_title(report) == (
        "Provisioning health of dev: healthy, warning: SAML certificate expires in 12 days"
    )


def test_an_expired_certificate_says_sign_in_is_broken():
    verdict = judge_certificate(certificate("2025-03-01T12:00:00Z"), NOW, DEFAULT_WARNING_DAYS)
    report = healthy_report(verdict)

    assert report.status == UNHEALTHY
    assert (
        f"the SAML signing certificate Entra signs with (thumbprint {THUMBPRINT}) expired on "
        "2025-03-01 12:00:00 UTC, 3 days ago: Asana refuses every SAML sign-in"
    ) in render_text(report)
    assert render_title(report) == "Provisioning health of dev: unhealthy, SAML certificate expired"


@pytest.mark.parametrize("active", [OTHER_THUMBPRINT, ""], ids=["another", "none"])
def test_entra_signing_with_a_certificate_the_stack_did_not_publish_is_unhealthy(active):
    verdict = judge_certificate(certificate("2028-01-01T00:00:00Z", active), NOW, 60)
    report = healthy_report(verdict)

    assert report.status == UNHEALTHY
    (finding,) = report.findings
    assert finding.label == "SAML certificate not the one Asana has"
    assert f"with the certificate of thumbprint {active or 'none'}, not {THUMBPRINT}" in (
        finding.detail
    )


def test_thumbprints_are_compared_as_graph_does_whatever_their_case():
    verdict = judge_certificate(certificate("2028-01-01T00:00:00Z", THUMBPRINT.lower()), NOW, 60)

    assert verdict.findings == ()


def test_a_secret_end_date_is_judged_but_never_shown():
    verdict = judge_certificate(certificate("2025-03-16T18:00:00Z", secret=True), NOW, 60)
    report = healthy_report(verdict)

    everything = render_text(report) + render_markdown(report) + render_title(report)
    assert "2025-03-16" not in everything
    assert "expires on [secret], in 12 days" in render_text(report)


def test_the_sso_output_is_read_as_the_component_exports_it():
    output = {
        "signInUrl": "https://login.microsoftonline.com/t/saml2",
        "certificateThumbprint": THUMBPRINT.lower(),
        "certificateBase64": "MIIC",
        "certificateExpires": "2029-01-31T02:00:00+02:00",
        "activeThumbprint": THUMBPRINT,
        "certificates": [],
    }

    status = parse_sso(output)

    assert status == CertificateStatus(THUMBPRINT, "2029-01-31T00:00:00Z", THUMBPRINT)
    secret = parse_sso({**output, "certificateExpires": "[secret]"}, "2029-01-31T00:00:00Z")
    assert secret.expires_secret and secret.expires == "2029-01-31T00:00:00Z"


@pytest.mark.parametrize(
    ("change", "words"),
    [({"certificateThumbprint": None}, "certificateThumbprint"),
     ({"certificateExpires": "soon"}, "certificateExpires"),
     ({"certificateExpires": "[secret]"}, "certificateExpires")],
)  # fmt: skip
def test_an_sso_output_without_the_certificate_is_refused_as_unreadable(change, words):
    output = {"certificateThumbprint": THUMBPRINT, "certificateExpires": "2029-01-31T00:00:00Z"}

    with pytest.raises(ReportError, match=words):
        parse_sso({**output, **change})


def test_a_stack_that_does_not_provision_still_reports_its_certificate():
    why = "nothing to check: the stack does not provision"
    soon = judge_certificate(certificate("2025-03-16T18:00:00Z"), NOW, DEFAULT_WARNING_DAYS)
    expired = judge_certificate(certificate("2025-03-01T12:00:00Z"), NOW, DEFAULT_WARNING_DAYS)

    warned, broken = nothing_to_check("dev", why, soon), nothing_to_check("dev", why, expired)

    assert warned.status == HEALTHY and broken.status == UNHEALTHY
    text = render_text(warned)
    assert text.startswith(f"Provisioning health of stack dev: healthy\nProvisioning: {why}\n")
    assert "Warning:\n  - the SAML signing certificate Entra signs with" in text
    assert "| SAML signing certificate |" in render_markdown(warned)
    assert render_title(warned) == (
        "Provisioning health of dev: healthy (SAML certificate only: the stack does not "
        "provision), warning: SAML certificate expires in 12 days"
    )
    assert render_title(broken) == "Provisioning health of dev: unhealthy, SAML certificate expired"


def test_a_certificate_that_cannot_be_read_fails_the_check():
    problem = Finding("SAML certificate unreadable", "the stack output sso is not an object")

    report = nothing_to_check("dev", "nothing to check", problems=[problem])

    assert report.status == CHECK_FAILED
    assert render_title(report) == (
        "Provisioning health of dev: check failed, SAML certificate unreadable"
    )
