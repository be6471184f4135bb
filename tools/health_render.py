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
    display_time,
)

_VERDICTS = {HEALTHY: "healthy", UNHEALTHY: "UNHEALTHY", CHECK_FAILED: "CHECK FAILED"}


def render_text(report: Report) -> str:
    """The report for a terminal."""
    lines = [f"Provisioning health of stack {report.stack}: {_VERDICTS[report.status]}"]
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
    counted = ", ".join(f"{count} {status}" for status, count in log.by_status) or "none"
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


def render_markdown(report: Report) -> str:
    """The report for a GitHub job summary or issue."""
    verdict = {HEALTHY: "healthy", UNHEALTHY: "unhealthy", CHECK_FAILED: "check failed"}
    lines = [f"## Provisioning health of `{report.stack}`: {verdict[report.status]}", ""]
    if report.problems:
        lines.append("**The check failed:**")
        lines += [f"- {markdown_text(problem.detail)}" for problem in report.problems]
        lines.append("")
    if report.findings:
        lines.append("**Why it is unhealthy:**")
        lines += [f"- {markdown_text(finding.detail)}" for finding in report.findings]
        lines.append("")
    if report.service_principal_id or report.job is not None:
        lines += ["| | |", "|---|---|"]
        if report.service_principal_id:
            lines.append(f"| Service principal | `{report.service_principal_id}` |")
        if report.job is not None:
            lines.append(f"| Job | `{report.job.job_id}` |")
            lines += [
                f"| {label} | {markdown_cell(value)} |" for label, value in _job_facts(report.job)
            ]
        lines.append("")
    if report.log is not None:
        log = report.log
        counted = ", ".join(f"{count} {status}" for status, count in log.by_status) or "none"
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
    """One line for an issue title or a job summary heading."""
    if report.status == HEALTHY:
        return f"Provisioning of {report.stack} is healthy"
    if report.status == CHECK_FAILED:
        return _one_line(f"Provisioning check of {report.stack} failed: {report.problems[0].label}")
    labels = "; ".join(finding.label for finding in report.findings)
    return _one_line(f"Provisioning of {report.stack} is unhealthy: {labels}")


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
