"""The provisioning health of one stack, from what Graph says about its job and its logs: pure.

`tools/health.py` does the reading. Here a job (`synchronizationJob`, with its
`synchronizationStatus`) and the window's provisioning log entries (`provisioningObjectSummary`)
become findings and a verdict; `tools/health_render.py` writes the report. Shapes:
https://learn.microsoft.com/graph/api/resources/synchronization-synchronizationstatus ,
.../synchronization-synchronizationquarantine , .../synchronization-synchronizationtaskexecution ,
.../provisioningobjectsummary . The rules are in docs/health.md.

With SAML SSO, the stack's `sso` output (components/asana_app.py, `sso_metadata`) adds the
signing certificate: one Entra signs with that is not the one the stack published to Asana, or
one that has expired, is unhealthy (Asana refuses the sign-ins); one that expires within
`ssoCertificateWarningDays` is a warning, which leaves the verdict as it is.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rules.saml import days_until, is_thumbprint, same_thumbprint, utc_rfc3339

HEALTHY, CHECK_FAILED, UNHEALTHY = 0, 1, 2
NEVER = "0001-01-01T00:00:00Z"
"""How Graph writes a time that never came (steady state never reached)."""
# synchronizationStatusCode, compared case-insensitively (Graph's examples show both casings).
STATUS_CODES = ("notconfigured", "notrun", "active", "paused", "quarantine")
MAX_IDENTITIES_SHOWN = 10
MAX_REASON_CHARS = 300
SECRET_SHOWN = "[secret]"
"""How `pulumi stack output --json` shows a secret value (without --show-secrets)."""
SSO_DOC = "docs/sso.md#rotating-the-certificate-without-an-outage"
"""Where the rotation steps are (a heading of docs/sso.md, as GitHub anchors it)."""
SSO_ACTIVE_DOC = "docs/sso.md#the-active-certificate"
# synchronizationTaskExecution counts, in the order the report lists them.
EXECUTION_COUNTS = (
    ("countImported", "imported"),
    ("countEntitled", "entitled"),
    ("countExports", "to export"),
    ("countExported", "exported"),
    ("countEscrowed", "escrowed"),
)


class ReportError(ValueError):
    """Graph's answer does not have the documented shape; the message says what is missing."""


@dataclass(frozen=True)
class Execution:
    """One run of the job (synchronizationTaskExecution)."""

    state: str
    began: str | None
    ended: str | None
    error: str | None
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Quarantine:
    reason: str | None
    current_began: str | None
    series_began: str | None
    series_count: int | None
    next_attempt: str | None
    error: str | None


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    code: str
    """As Graph sent it; `code_key` is the case-folded form the rules compare."""
    schedule_state: str | None
    quarantine: Quarantine | None
    last_execution: Execution | None
    last_successful_execution: Execution | None
    last_successful_execution_with_exports: Execution | None
    successive_complete_failures: int
    steady_state_first: str | None
    steady_state_last: str | None
    troubleshooting_url: str | None

    @property
    def code_key(self) -> str:
        return self.code.casefold()


@dataclass(frozen=True)
class FailureGroup:
    """Failed log entries with one error code (or, without a code, one reason)."""

    error_code: str
    reason: str
    count: int
    identities: tuple[str, ...]
    """Who failed, newest first, at most MAX_IDENTITIES_SHOWN."""


@dataclass(frozen=True)
class LogSummary:
    since: str
    hours: int
    entries: int
    by_status: tuple[tuple[str, int], ...]
    failure_groups: tuple[FailureGroup, ...]
    truncated: bool
    unreadable: int = 0
    """Entries whose outcome could not be read (no provisioningStatusInfo.status)."""
    unreadable_names: tuple[str, ...] = ()
    """Which ones, at most MAX_IDENTITIES_SHOWN."""

    @property
    def failures(self) -> int:
        return sum(group.count for group in self.failure_groups)


@dataclass(frozen=True)
class Finding:
    """Why the job is unhealthy, or why the check failed: a short label for the title and the
    whole sentence for the report."""

    label: str
    detail: str


@dataclass(frozen=True)
class Expectations:
    """What the stack asks of the job (its settings; docs/health.md)."""

    job_running: bool
    max_failures: int


@dataclass(frozen=True)
class CertificateStatus:
    """The stack's `sso` output, as the certificate check needs it."""

    thumbprint: str
    """`certificateThumbprint`: the active certificate the stack declares and published."""
    expires: str
    """`certificateExpires`: its end date, RFC 3339 in UTC."""
    active_thumbprint: str
    """`activeThumbprint`: what Entra signs with (read from Graph at the last up or refresh;
    "" when Entra prefers none)."""
    expires_secret: bool = False
    """The end date was set with --secret: it is judged, never shown."""

    @property
    def expires_shown(self) -> str:
        return SECRET_SHOWN if self.expires_secret else display_time(self.expires)


@dataclass(frozen=True)
class CertificateVerdict:
    """What the certificate check found (docs/health.md, "The SAML signing certificate")."""

    status: CertificateStatus
    days_left: float
    warning_days: int
    findings: tuple[Finding, ...] = ()
    """Unhealthy: expired, or Entra signs with another certificate."""
    warnings: tuple[Finding, ...] = ()
    """Expires within warning_days: said, the verdict unchanged."""


@dataclass(frozen=True)
class Report:
    stack: str
    service_principal_id: str | None
    job: JobStatus | None
    log: LogSummary | None
    findings: tuple[Finding, ...] = ()
    problems: tuple[Finding, ...] = ()
    """What could not be read or judged: the check failed (exit 1)."""
    notes: tuple[str, ...] = ()
    logs_page: str | None = None
    nothing_to_check: str | None = None
    """Why there is no provisioning to check (a stack that does not provision): healthy, said
    so; the SAML certificate is still checked when the stack has one."""
    warnings: tuple[Finding, ...] = ()
    """What needs doing soon but is not broken yet: shown, the exit status unchanged."""
    certificate: CertificateVerdict | None = None

    @property
    def status(self) -> int:
        if self.problems:
            return CHECK_FAILED
        return UNHEALTHY if self.findings else HEALTHY


# ----- reading Graph's answers -----


def parse_job(job: Mapping[str, Any]) -> JobStatus:
    """A synchronizationJob as the report needs it, or ReportError when it has no status."""
    status = job.get("status")
    if not isinstance(status, Mapping) or not isinstance(status.get("code"), str):
        raise ReportError("the job Graph returned has no status code (status.code)")
    schedule = job.get("schedule") if isinstance(job.get("schedule"), Mapping) else {}
    return JobStatus(
        job_id=str(job.get("id") or ""),
        code=status["code"],
        schedule_state=text_or_none(schedule.get("state")),
        quarantine=_quarantine(status.get("quarantine")),
        last_execution=_execution(status.get("lastExecution")),
        last_successful_execution=_execution(status.get("lastSuccessfulExecution")),
        last_successful_execution_with_exports=_execution(
            status.get("lastSuccessfulExecutionWithExports")
        ),
        successive_complete_failures=_integer(status.get("countSuccessiveCompleteFailures")),
        steady_state_first=_time_or_none(status.get("steadyStateFirstAchievedTime")),
        steady_state_last=_time_or_none(status.get("steadyStateLastAchievedTime")),
        troubleshooting_url=text_or_none(status.get("troubleshootingUrl")),
    )


def _quarantine(value: Any) -> Quarantine | None:
    if not isinstance(value, Mapping) or not any(v not in (None, "", {}) for v in value.values()):
        return None
    count = value.get("seriesCount")
    return Quarantine(
        reason=text_or_none(value.get("reason")),
        current_began=text_or_none(value.get("currentBegan")),
        series_began=text_or_none(value.get("seriesBegan")),
        series_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        next_attempt=text_or_none(value.get("nextAttempt")),
        error=_error(value.get("error")),
    )


def _execution(value: Any) -> Execution | None:
    if not isinstance(value, Mapping):
        return None
    counts = tuple(
        (label, value[key])
        for key, label in EXECUTION_COUNTS
        if isinstance(value.get(key), int) and not isinstance(value.get(key), bool)
    )
    return Execution(
        state=text_or_none(value.get("state")) or "unknown",
        began=text_or_none(value.get("timeBegan")),
        ended=text_or_none(value.get("timeEnded")),
        error=_error(value.get("error")),
        counts=counts,
    )


def _error(value: Any) -> str | None:
    """A synchronizationError as "code: message"."""
    if not isinstance(value, Mapping):
        return None
    code, message = text_or_none(value.get("code")), text_or_none(value.get("message"))
    if code and message:
        return f"{code}: {message}"
    return code or message


def summarize_log(
    entries: Iterable[Any], since: datetime, hours: int, truncated: bool
) -> LogSummary:
    """The window's entries counted by status, failures grouped by error code, newest first.

    An entry whose outcome cannot be read (not an object, no provisioningStatusInfo object, no
    status) is counted as unreadable and named, not guessed at: judge() never calls a log with
    such entries healthy."""
    readable: list[tuple[Mapping[str, Any], str]] = []
    unreadable: list[str] = []
    for entry in entries:
        status = entry_status(entry)
        if status is None:
            unreadable.append(_unreadable_name(entry))
        else:
            readable.append((entry, status))
    readable.sort(key=lambda pair: _activity_time(pair[0]), reverse=True)
    statuses: Counter[str] = Counter()
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for entry, status in readable:
        statuses[status] += 1
        if status == "failure":
            error = error_information(entry)
            key = (
                text_or_none(error.get("errorCode"))
                or f"reason: {text_or_none(error.get('reason')) or '?'}"
            )
            groups.setdefault(key, []).append(entry)
    failure_groups = tuple(_failure_group(key, members) for key, members in groups.items())
    return LogSummary(
        since=_iso(since),
        hours=hours,
        entries=len(readable) + len(unreadable),
        by_status=tuple(sorted(statuses.items(), key=lambda item: (-item[1], item[0]))),
        failure_groups=tuple(sorted(failure_groups, key=lambda g: -g.count)),
        truncated=truncated,
        unreadable=len(unreadable),
        unreadable_names=_at_most_shown(unreadable),
    )


def entry_status(entry: Any) -> str | None:
    """The entry's provisioningStatusInfo.status, case-folded, or None when it cannot be read."""
    if not isinstance(entry, Mapping):
        return None
    info = entry.get("provisioningStatusInfo")
    if not isinstance(info, Mapping):
        return None
    status = text_or_none(info.get("status"))
    return status.casefold() if status else None


def error_information(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """The entry's provisioningStatusInfo.errorInformation, or {} when it is not an object."""
    info = entry.get("provisioningStatusInfo")
    error = info.get("errorInformation") if isinstance(info, Mapping) else None
    return error if isinstance(error, Mapping) else {}


def _unreadable_name(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return f"(an entry that is not an object: {type(entry).__name__})"
    entry_id = text_or_none(entry.get("id"))
    who = identity_text(entry)
    if entry_id and who != "(unnamed)":
        return f"{who}, entry {entry_id}"
    return f"entry {entry_id}" if entry_id else who


def _at_most_shown(names: list[str]) -> tuple[str, ...]:
    shown = names[:MAX_IDENTITIES_SHOWN]
    if len(names) > MAX_IDENTITIES_SHOWN:
        shown.append(f"… and {len(names) - MAX_IDENTITIES_SHOWN} more")
    return tuple(shown)


def _failure_group(key: str, members: list[Mapping[str, Any]]) -> FailureGroup:
    """`members` newest first; the newest one's reason stands for the group."""
    newest = error_information(members[0])
    identities: list[str] = []
    for entry in members:
        name = identity_text(entry)
        if name not in identities:
            identities.append(name)
    return FailureGroup(
        error_code="(no error code)" if key.startswith("reason: ") else key,
        reason=_shortened(text_or_none(newest.get("reason")) or "(no reason given)"),
        count=len(members),
        identities=_at_most_shown(identities),
    )


def identity_text(entry: Mapping[str, Any]) -> str:
    """ "Ada Lovelace (User 9bb0…) → 52507a19-…": the source identity and, once it exists,
    the target one, each by display name and id."""
    source = _identity(entry.get("sourceIdentity"))
    target = _identity(entry.get("targetIdentity"))
    return f"{source} → {target}" if target else source or "(unnamed)"


def _identity(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    name, object_id = text_or_none(value.get("displayName")), text_or_none(value.get("id"))
    if not name and not object_id:
        return ""
    kind = text_or_none(value.get("identityType"))
    kind = kind.rsplit(":", 1)[-1] if kind else None
    inside = " ".join(part for part in (kind, object_id) if part)
    if name and inside:
        return f"{name} ({inside})"
    return name or inside


def _activity_time(entry: Mapping[str, Any]) -> datetime:
    parsed = parse_time(entry.get("activityDateTime"))
    return parsed or datetime.min.replace(tzinfo=UTC)


# ----- the verdict -----


def judge(
    stack: str,
    service_principal_id: str | None,
    job: JobStatus | None,
    log: LogSummary | None,
    expectations: Expectations,
    *,
    problems: Iterable[Finding] = (),
    logs_page: str | None = None,
    certificate: CertificateVerdict | None = None,
) -> Report:
    """The findings of the rules in docs/health.md. `job` None without a problem means the job
    is gone; a problem (something not read) makes the check fail whatever else was found.
    `certificate` is the SAML certificate's verdict (`judge_certificate`), when the stack has
    SSO."""
    findings: list[Finding] = list(certificate.findings) if certificate else []
    notes: list[str] = []
    failed = list(problems)
    if job is None and not failed:
        findings.append(
            Finding(
                "no provisioning job",
                "the app has no provisioning job (deleted?); `pulumi up --refresh` creates it "
                "again",
            )
        )
    if job is not None:
        _judge_job(job, expectations, findings, notes, failed)
    if log is not None:
        if log.failures > expectations.max_failures:
            findings.append(
                Finding(
                    counted(log.failures, "failed log entry", "failed log entries"),
                    f"{counted(log.failures, 'provisioning log entry', 'provisioning log entries')}"
                    f" failed in the last {log.hours} h, "
                    f"more than the {expectations.max_failures} the stack tolerates "
                    "(healthMaxFailures)",
                )
            )
        _judge_unread(log, findings, notes, failed)
    return Report(
        stack=stack,
        service_principal_id=service_principal_id,
        job=job,
        log=log,
        findings=tuple(findings),
        problems=tuple(failed),
        notes=tuple(notes),
        logs_page=logs_page,
        warnings=certificate.warnings if certificate else (),
        certificate=certificate,
    )


def _judge_unread(
    log: LogSummary, findings: list[Finding], notes: list[str], problems: list[Finding]
) -> None:
    """Never healthy when part of the log could not be read: entries past the page bound, or
    entries whose outcome is unreadable. When what was read already makes the verdict unhealthy
    (exit 2), the unread part cannot change it and is noted; otherwise the check fails (exit 1),
    since a failure may hide there."""
    unread: list[Finding] = []
    if log.truncated:
        unread.append(
            Finding(
                f"log truncated at {log.entries} entries",
                f"the provisioning log of the last {log.hours} h holds more than the "
                f"{log.entries} entries the check reads; failures among the older ones could "
                f"not be counted. Lower healthWindowHours (now {log.hours}) until the window "
                f"holds at most {log.entries} entries",
            )
        )
    if log.unreadable:
        unread.append(
            Finding(
                counted(log.unreadable, "unreadable log entry", "unreadable log entries"),
                f"{counted(log.unreadable, 'provisioning log entry', 'provisioning log entries')}"
                " of the window could not be read (no provisioningStatusInfo.status), so "
                f"whether they failed is unknown: {'; '.join(log.unreadable_names)}",
            )
        )
    if findings:
        notes += [f"{finding.detail} (the verdict is unhealthy either way)" for finding in unread]
    else:
        problems += unread


def _judge_job(
    job: JobStatus,
    expectations: Expectations,
    findings: list[Finding],
    notes: list[str],
    problems: list[Finding],
) -> None:
    code = job.code_key
    wanted = 'the stack\'s provisioningStatus is "on"'
    if code not in STATUS_CODES:
        problems.append(
            Finding(
                f"unknown status code {job.code}",
                f"Graph reported the job's status code {job.code!r}, which this check does not "
                f"know (known: {', '.join(STATUS_CODES)}); it cannot call the job healthy",
            )
        )
    if code == "quarantine" or job.quarantine is not None:
        findings.append(quarantine_finding(job.quarantine))
    if code == "notconfigured":
        findings.append(
            Finding(
                "not configured",
                "the job is not configured: no admin credentials were provided (NotConfigured)",
            )
        )
    elif code in ("paused", "notrun"):
        what = "paused" if code == "paused" else "has never run"
        if expectations.job_running:
            findings.append(
                Finding(
                    f"job {'paused' if code == 'paused' else 'not running'}",
                    f"the job {what} although {wanted}; `pulumi up --refresh` starts it",
                )
            )
        else:
            notes.append(f'the job {what}, as the stack\'s provisioningStatus "off" declares')
    elif code == "active" and not expectations.job_running:
        notes.append(
            'the job runs although the stack\'s provisioningStatus is "off" (drift: `make drift`)'
        )
    last = job.last_execution
    last_failed = last is not None and last.state.casefold() == "failed"
    said = job.quarantine.error if job.quarantine is not None else None
    error = ""
    if last is not None and last_failed and last.error and last.error != said:
        error = f": {last.error}"
    failures = job.successive_complete_failures
    if failures > 0:
        runs = "run" if failures == 1 else f"{failures} runs"
        findings.append(
            Finding(
                f"{counted(failures, 'failed run')} in a row",
                f"the job's last {runs} failed completely (countSuccessiveCompleteFailures){error}",
            )
        )
    elif last_failed and last is not None:
        findings.append(
            Finding(
                "last run failed", f"the last run (began {display_time(last.began)}) failed{error}"
            )
        )


def quarantine_finding(quarantine: Quarantine | None) -> Finding:
    if quarantine is None:
        return Finding("in quarantine", "the job is in quarantine (Graph gave no details)")
    reason = quarantine.reason or "no reason given"
    since = quarantine.current_began
    parts = ["the job is in quarantine" + (f" since {display_time(since)}" if since else "")]
    parts.append(f"reason {reason}")
    if quarantine.series_count is not None:
        parts.append(
            f"attempt {quarantine.series_count} of a series"
            + (f" begun {display_time(quarantine.series_began)}" if quarantine.series_began else "")
        )
    if quarantine.next_attempt:
        parts.append(f"next attempt {display_time(quarantine.next_attempt)}")
    detail = "; ".join(parts)
    if quarantine.error:
        detail += f". Error: {quarantine.error}"
    return Finding(f"in quarantine ({reason})", detail)


def check_failed(stack: str, problem: Finding, service_principal_id: str | None = None) -> Report:
    """The report of a check that could not run far enough to judge anything."""
    return Report(stack, service_principal_id, job=None, log=None, problems=(problem,))


def nothing_to_check(
    stack: str,
    why: str,
    certificate: CertificateVerdict | None = None,
    problems: Iterable[Finding] = (),
) -> Report:
    """The report of a stack that declares no provisioning: healthy, with no job checked, unless
    its SAML certificate (or what could not be read of it) says otherwise."""
    return Report(
        stack,
        None,
        job=None,
        log=None,
        findings=certificate.findings if certificate else (),
        problems=tuple(problems),
        nothing_to_check=why,
        warnings=certificate.warnings if certificate else (),
        certificate=certificate,
    )


# ----- the SAML signing certificate -----


def parse_sso(output: Any, expires: Any = None) -> CertificateStatus:
    """The certificate facts of the stack's `sso` output, or ReportError naming what is missing.
    `expires` is `certificateExpires` read with --show-secrets, when the output shows it as a
    secret."""
    if not isinstance(output, Mapping):
        raise ReportError("the stack output sso is not an object")
    thumbprint = output.get("certificateThumbprint")
    if not is_thumbprint(thumbprint):
        raise ReportError(
            "the stack output sso has no certificateThumbprint (a hex SHA-1 thumbprint)"
        )
    shown = output.get("certificateExpires")
    secret = shown == SECRET_SHOWN
    end_date = expires if secret else shown
    try:
        end_date = utc_rfc3339(str(end_date)) if isinstance(end_date, str) else None
    except ValueError:
        end_date = None
    if end_date is None:
        raise ReportError(
            "the stack output sso has no certificateExpires (an RFC 3339 date-time); "
            "`pulumi up --refresh` writes it"
        )
    active = output.get("activeThumbprint")
    return CertificateStatus(
        thumbprint=str(thumbprint).upper(),
        expires=end_date,
        active_thumbprint=str(active).upper() if isinstance(active, str) else "",
        expires_secret=secret,
    )


def judge_certificate(
    status: CertificateStatus, now: datetime, warning_days: int
) -> CertificateVerdict:
    """Expired (its end date at or before `now`) or signed with by nobody the stack published:
    unhealthy. Expiring within `warning_days` days (its end date at or before `now` plus that
    many days): a warning."""
    days = days_until(status.expires, now)
    thumbprint, date = status.thumbprint, status.expires_shown
    findings: list[Finding] = []
    warnings: list[Finding] = []
    if days <= 0:
        findings.append(
            Finding(
                "SAML certificate expired",
                f"the SAML signing certificate Entra signs with (thumbprint {thumbprint}) expired "
                f"on {date}, {_days_ago(days)}: Asana refuses every SAML sign-in. Rotate it now "
                f"with the steps in {SSO_DOC}",
            )
        )
    elif days <= warning_days:
        warnings.append(
            Finding(
                f"SAML certificate expires {_in_days(days)}",
                f"the SAML signing certificate Entra signs with (thumbprint {thumbprint}) expires "
                f"on {date}, {_in_days(days)} (ssoCertificateWarningDays is {warning_days}): "
                f"rotate it before then with the steps in {SSO_DOC}",
            )
        )
    if not same_thumbprint(status.active_thumbprint, thumbprint):
        active = status.active_thumbprint or "none"
        findings.append(
            Finding(
                "SAML certificate not the one Asana has",
                f"Entra signs SAML responses with the certificate of thumbprint {active}, not "
                f"{thumbprint}, the one the stack published to Asana (sso.certificateThumbprint): "
                "Asana refuses the sign-ins. `pulumi up --refresh` makes the stack's certificate "
                "the active one again; a change made on purpose belongs in ssoActiveCertificate "
                f"({SSO_ACTIVE_DOC})",
            )
        )
    return CertificateVerdict(status, days, warning_days, tuple(findings), tuple(warnings))


def _in_days(days: float) -> str:
    """ "in 12 days" (whole days left, rounded down), "in less than a day"."""
    return "in less than a day" if days < 1 else f"in {counted(math.floor(days), 'day')}"


def _days_ago(days: float) -> str:
    ago = -days
    return "less than a day ago" if ago < 1 else f"{counted(math.floor(ago), 'day')} ago"


def certificate_text(verdict: CertificateVerdict) -> str:
    """ "thumbprint 0A1B…, expires 2029-01-31 00:00:00 UTC (in 12 days); Entra signs with it"."""
    status = verdict.status
    when = _in_days(verdict.days_left) if verdict.days_left > 0 else _days_ago(verdict.days_left)
    text = f"thumbprint {status.thumbprint}, expires {status.expires_shown} ({when})"
    if same_thumbprint(status.active_thumbprint, status.thumbprint):
        return text + "; Entra signs with it"
    return text + f"; Entra signs with {status.active_thumbprint or 'none'}"


# ----- small helpers -----


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """ "1 failed run", "2 failed runs"."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def parse_time(value: Any) -> datetime | None:
    """A Graph DateTimeOffset (up to 7 fractional digits), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def display_time(value: str | None) -> str:
    """ "2024-06-26 13:58:24 UTC", "never" for Graph's year-1 time, the text itself if odd."""
    moment = parse_time(value)
    if value is None or value == NEVER or (moment is not None and moment.year == 1):
        return "never"
    if moment is None:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_or_none(value: Any) -> str | None:
    text = text_or_none(value)
    return None if text is None or display_time(text) == "never" else text


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _integer(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _shortened(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON_CHARS else flat[: MAX_REASON_CHARS - 1] + "…"
