"""The health report in plain text, Markdown and one line: pure (tools/health_report.py judges).

The Markdown goes into a GitHub job summary or issue, so text that comes from Graph is escaped
there (no stray emphasis, links or HTML); a URL stays a link.
"""

from __future__ import annotations

from tools.health_report import (
    CHECK_FAILED,
    HEALTHY,
    UNHEALTHY,
    Execution,
    JobStatus,
    LogSummary,
    Report,
    certificate_text,
    display_time,
)

_VERDICTS = {HEALTHY: "healthy", UNHEALTHY: "UNHEALTHY", CHECK_FAILED: "CHECK FAILED"}
NOTHING_TO_CHECK = "nothing to check"
CERTIFICATE = "SAML signing certificate"


def render_text(report: Report) -> str:
    """The report for a terminal."""
    if report.nothing_to_check and report.certificate is None and not report.problems:
        verdict = NOTHING_TO_CHECK
        return (
            f"Provisioning health of stack {report.stack}: {verdict}\n\n{report.nothing_to_check}\n"
        )
    lines = [f"Provisioning health of stack {report.stack}: {_VERDICTS[report.status]}"]
    if report.nothing_to_check:
        lines.append(f"Provisioning: {report.nothing_to_check}")
    if report.service_principal_id:
        job_id = f", job {report.job.job_id}" if report.job else ""
        lines.append(f"Service principal {report.service_principal_id}{job_id}")
    if report.problems:
        lines.append("")
        lines.append("The check failed:")
        lines += [f"  - {problem.detail}" for problem in report.problems]
    if report.findings:
        lines.append("")
        lines.append("Why it is unhealthy:")
        lines += [f"  - {finding.detail}" for finding in report.findings]
    if report.warnings:
        lines.append("")
        lines.append("Warning:")
        lines += [f"  - {warning.detail}" for warning in report.warnings]
    if report.certificate is not None:
        lines.append("")
        lines.append(f"{CERTIFICATE}: {certificate_text(report.certificate)}")
    if report.job is not None:
        lines.append("")
        lines += [f"{label}: {value}" for label, value in _job_facts(report.job)]
    if report.log is not None:
        lines.append("")
        lines += _log_text(report.log)
    if report.notes:
        lines.append("")
        lines += [f"Note: {note}" for note in report.notes]
    if report.logs_page:
        lines.append("")
        lines.append(f"Provisioning logs in the Entra admin center: {report.logs_page}")
    return "\n".join(lines) + "\n"


def _job_facts(job: JobStatus) -> list[tuple[str, str]]:
    facts = [("Status", f"{job.code} (schedule {job.schedule_state or 'unknown'})")]
    for label, execution in (
        ("Last run", job.last_execution),
        ("Last successful run", job.last_successful_execution),
        ("Last successful run with exports", job.last_successful_execution_with_exports),
    ):
        facts.append((label, execution_text(execution)))
    facts.append(("Successive complete failures", str(job.successive_complete_failures)))
    facts.append(
        (
            "Steady state",
            f"first reached {display_time(job.steady_state_first)}, "
            f"last {display_time(job.steady_state_last)}",
        )
    )
    if job.troubleshooting_url:
        facts.append(("Troubleshooting", job.troubleshooting_url))
    return facts


def execution_text(execution: Execution | None) -> str:
    if execution is None:
        return "none"
    text = f"{execution.state}, {display_time(execution.began)} to {display_time(execution.ended)}"
    if execution.counts:
        text += "; " + ", ".join(f"{label} {count}" for label, count in execution.counts)
    if execution.error:
        text += f"; error {execution.error}"
    return text


def _log_text(log: LogSummary) -> list[str]:
    counted = _counted(log)
    lines = [
        f"Provisioning log, last {log.hours} h (since {display_time(log.since)}): "
        f"{log.entries} entries ({counted})" + (" — truncated" if log.truncated else "")
    ]
    if log.failure_groups:
        lines.append("Failures by reason:")
        for group in log.failure_groups:
            lines.append(f"  - {group.count} failed with {group.error_code}: {group.reason}")
            lines += [f"      {identity}" for identity in group.identities]
    return lines


def _counted(log: LogSummary) -> str:
    """ "2 success, 1 failure, 1 unreadable"."""
    parts = [f"{count} {status}" for status, count in log.by_status]
    if log.unreadable:
        parts.append(f"{log.unreadable} unreadable")
    return ", ".join(parts) or "none"


def render_markdown(report: Report) -> str:
    """The report for a GitHub job summary or issue."""
    verdict = {HEALTHY: "healthy", UNHEALTHY: "unhealthy", CHECK_FAILED: "check failed"}
    if report.nothing_to_check and report.certificate is None and not report.problems:
        return (
            f"## Provisioning health of `{report.stack}`: {NOTHING_TO_CHECK}\n\n"
            f"{markdown_text(report.nothing_to_check)}\n"
        )
    lines = [f"## Provisioning health of `{report.stack}`: {verdict[report.status]}", ""]
    if report.nothing_to_check:
        lines += [f"Provisioning: {markdown_text(report.nothing_to_check)}", ""]
    if report.problems:
        lines.append("**The check failed:**")
        lines += [f"- {markdown_text(problem.detail)}" for problem in report.problems]
        lines.append("")
    if report.findings:
        lines.append("**Why it is unhealthy:**")
        lines += [f"- {markdown_text(finding.detail)}" for finding in report.findings]
        lines.append("")
    if report.warnings:
        lines.append("**Warning:**")
        lines += [f"- {markdown_text(warning.detail)}" for warning in report.warnings]
        lines.append("")
    if report.service_principal_id or report.job is not None or report.certificate is not None:
        lines += ["| | |", "|---|---|"]
        if report.service_principal_id:
            lines.append(f"| Service principal | `{report.service_principal_id}` |")
        if report.certificate is not None:
            cell = markdown_cell(certificate_text(report.certificate))
            lines.append(f"| {CERTIFICATE} | {cell} |")
        if report.job is not None:
            lines.append(f"| Job | `{report.job.job_id}` |")
            lines += [
                f"| {label} | {markdown_cell(value)} |" for label, value in _job_facts(report.job)
            ]
        lines.append("")
    if report.log is not None:
        log = report.log
        counted = _counted(log)
        lines.append(
            f"**Provisioning log, last {log.hours} h** (since {display_time(log.since)}): "
            f"{log.entries} entries ({counted}){' — truncated' if log.truncated else ''}"
        )
        lines.append("")
        if log.failure_groups:
            lines += ["| Failures | Error code | Reason | Who |", "|---:|---|---|---|"]
            for group in log.failure_groups:
                who = "<br>".join(markdown_cell(identity) for identity in group.identities)
                reason = markdown_cell(group.reason)
                lines.append(f"| {group.count} | `{group.error_code}` | {reason} | {who} |")
            lines.append("")
    lines += [f"_Note: {markdown_text(note)}_" for note in report.notes]
    if report.notes:
        lines.append("")
    if report.logs_page:
        lines.append(f"[Provisioning logs in the Entra admin center]({report.logs_page})")
        lines.append("")
    return "\n".join(lines)


def render_title(report: Report) -> str:
    """One line for an issue title or a job summary heading. It starts with the prefix the drift
    workflow's issue action puts before a title (`Provisioning health of STACK:`), so the action
    uses it as it is rather than prefixing it twice."""
    prefix = title_prefix(report.stack)
    if report.nothing_to_check and report.certificate is None and not report.problems:
        return f"{prefix} {NOTHING_TO_CHECK}, the stack does not provision"
    if report.status == HEALTHY:
        healthy = f"{prefix} healthy"
        if report.nothing_to_check:
            healthy += " (SAML certificate only: the stack does not provision)"
        if report.warnings:
            healthy += ", warning: " + "; ".join(warning.label for warning in report.warnings)
        return _one_line(healthy)
    if report.status == CHECK_FAILED:
        return _one_line(f"{prefix} check failed, {report.problems[0].label}")
    labels = "; ".join(finding.label for finding in report.findings)
    return _one_line(f"{prefix} unhealthy, {labels}")


def title_prefix(stack: str) -> str:
    """ "Provisioning health of dev:", as .github/workflows/drift.yml gives it to the issue."""
    return f"Provisioning health of {stack}:"


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def markdown_text(text: str) -> str:
    """Text that Markdown shows as written (no stray emphasis, links or HTML)."""
    for character in "\\*_[]<>":
        text = text.replace(character, "\\" + character)
    return text


def markdown_cell(text: str) -> str:
    """A table cell; a URL stays a link."""
    if text.startswith("https://") and " " not in text:
        return f"<{text}>"
    return markdown_text(" ".join(text.split())).replace("|", "\\|")
