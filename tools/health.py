"""The provisioning health of one stack: its job's status and its recent provisioning logs.

    python -m tools.health --stack STACK [--object-id SP_OBJECT_ID] [--job-id JOB_ID]
                           [--markdown FILE] [--title FILE] [--pulumi PULUMI]
                           [--provision-on-demand [USER_OR_GROUP]]

Reads only, with the credentials and cloud settings the program uses (the stack's `azuread:*`
and connection settings from `pulumi config --json --show-secrets`, read through Pulumi's
Automation API and kept in memory, then the `ARM_*` variables and azure-identity's default
chain). Without `--object-id` the app and job come from `pulumi stack output`, and so does the
SAML signing certificate of a stack with SSO (its `sso` output): checked also when the stack
does not provision. The report goes to standard output; `--markdown` and `--title` write it for
a job summary or an issue. Exit status: 0 healthy (also with a warning, such as a certificate
that expires soon), 2 unhealthy, 1 the check failed (docs/health.md has the rules and the
permissions).

`--provision-on-demand` provisions a user or group (default: the stack's `canaryUser`) as the
portal's "Provision on demand" does, instead of the health check: 0 provisioned or already in
sync, 2 a step failed or the subject is out of scope, 1 the call failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pulumi.automation import CommandError, Stack

from clients.connection import PROJECT, ConfigError, ConnectionSettings, resolve
from clients.graph import GraphClient, synchronization_path
from clients.http import ServiceError
from clients.pulumi_cli import CliTimedOut, CliUnavailable, PulumiCli, open_stack, run_cli
from components.settings import (
    HealthCheckSettings,
    SettingsError,
    load_health_check_settings,
)
from providers.provisioning_template import TemplateLookupError, choose_template
from rules.identifiers import JOB_ID, is_guid
from tools import on_demand_report
from tools.health_render import markdown_text, render_markdown, render_text, render_title
from tools.health_report import (
    CHECK_FAILED,
    HEALTHY,
    SECRET_SHOWN,
    UNHEALTHY,
    CertificateStatus,
    CertificateVerdict,
    Expectations,
    Finding,
    JobStatus,
    LogSummary,
    Report,
    ReportError,
    check_failed,
    judge,
    judge_certificate,
    nothing_to_check,
    parse_job,
    parse_sso,
    summarize_log,
)
from tools.on_demand_report import OnDemandError, OnDemandOutcome, hidden, worst
from tools.provision_on_demand import SubjectRequest, provision
from tools.stacks import name_problem

LOG_PATH = "/auditLogs/provisioning"
LOG_PAGE_SIZE = 100
LOG_MAX_PAGES = 5
"""At most 500 log entries are read; the report says when the window held more."""
PULUMI_TIMEOUT_SECONDS = 120.0
"""How long one CLI call may take; the CLI and its plugins are ended then."""
CANARY = object()
"""`--provision-on-demand` given without a value: the stack's canaryUser."""
SECRET_CANARY = "the stack's canaryUser ([secret])"
"""How a canaryUser set with --secret is shown: never its value."""
# What each read needs when Graph answers 403 (Microsoft's permission tables of the two APIs).
JOB_PERMISSIONS = "Synchronization.Read.All or Application.Read.All"
LOG_PERMISSIONS = "AuditLog.Read.All (with Directory.Read.All, as Microsoft's page lists it)"
ON_DEMAND_PERMISSIONS = (
    "Synchronization.ReadWrite.All (and User.Read.All or Group.Read.All to find the subject)"
)


T = TypeVar("T")


class CheckError(Exception):
    """The check cannot start: no stack outputs, a bad setting, a CLI that failed."""


@dataclass(frozen=True)
class Certificate:
    """The stack's SAML signing certificate, from its `sso` output: its status, or why it could
    not be read. Neither without SSO, or with --object-id (no stack outputs are read)."""

    status: CertificateStatus | None = None
    problem: Finding | None = None

    def verdict(self, now: datetime, warning_days: int) -> CertificateVerdict | None:
        if self.status is None:
            return None
        return judge_certificate(self.status, now, warning_days)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return (self.problem,) if self.problem is not None else ()


class NothingToCheck(Exception):
    """The stack declares no provisioning (provisioningEnabled false): no job to check; its
    SAML certificate, if any, still is."""

    def __init__(self, why: str, certificate: Certificate, warning_days: int) -> None:
        super().__init__(why)
        self.certificate = certificate
        self.warning_days = warning_days


@dataclass(frozen=True)
class Target:
    """The app and job to check, and where the stack says its provisioning logs are."""

    service_principal_id: str
    job_id: str | None
    logs_page: str | None = None


# ----- the stack, through Pulumi's Automation API -----


def pulumi_cli(pulumi: str) -> PulumiCli:
    """The CLI the stack is read through (clients/pulumi_cli.py), each call bounded in time."""
    return PulumiCli(pulumi, timeout=PULUMI_TIMEOUT_SECONDS)


def read_stack(pulumi: str, stack: str, subcommand: str, read: Callable[[Stack], T]) -> T:
    """`read` of the stack through the Automation API, what went wrong as a CheckError. What
    the CLI printed on standard output is never shown (it holds secrets): a failure shows its
    error output, which does not. (So never the API's CommandError text: it quotes both.)"""
    cli = pulumi_cli(pulumi)
    try:
        return read(open_stack(stack, cli))
    except CliTimedOut:
        limit = f"{PULUMI_TIMEOUT_SECONDS:.0f} s"
        raise CheckError(f"`pulumi {subcommand}` did not answer in {limit}") from None
    except CliUnavailable as error:
        raise CheckError(str(error)) from None
    except CommandError:
        failure = cli.last.failure() if cli.last else f"`pulumi {subcommand}` failed"
        raise CheckError(failure) from None
    except ValueError:
        raise CheckError(f"`pulumi {subcommand}` printed something that is not JSON") from None
    except (KeyError, TypeError, AttributeError):
        raise CheckError(f"`pulumi {subcommand} --json` did not print an object") from None


def stack_config(pulumi: str, stack: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The stack's settings (structured ones as their JSON text, as the engine hands them to
    the program) and the keys set as secrets: the API's get_all_config, which is `pulumi
    config --show-secrets --json`."""
    values = read_stack(pulumi, stack, "config", lambda target: target.get_all_config())
    config = {key: entry.value for key, entry in values.items() if entry.value is not None}
    secret_keys = frozenset(key for key, entry in values.items() if entry.secret)
    return config, secret_keys


def stack_output_json(pulumi: str, stack: str, *args: str) -> Any:
    """`pulumi stack output ARGS --json`, through the API's command. Not Stack.outputs(): that
    reads every output with --show-secrets and flags only whole outputs as secret, so a secret
    inside one (the `sso` output's certificateExpires, when the end date is set with --secret)
    would be shown. The CLI's own --json masks it as "[secret]"."""

    def read(target: Stack) -> Any:
        return json.loads(run_cli(target, "stack", "output", *args, "--json").stdout or "null")

    return read_stack(pulumi, stack, "stack output", read)


def stack_outputs(pulumi: str, stack: str) -> dict[str, Any]:
    """`pulumi stack output --json`: secret values show as "[secret]"."""
    outputs = stack_output_json(pulumi, stack)
    return outputs if isinstance(outputs, dict) else {}


def stack_certificate(pulumi: str, stack: str, outputs: Mapping[str, Any]) -> Certificate:
    """The SAML signing certificate the `sso` output shows (none without SSO). An end date set
    with --secret shows as "[secret]": only then is the `sso` output read again with
    --show-secrets, and the date is judged but never shown."""
    output = outputs.get("sso")
    if output is None:
        return Certificate()
    expires = None
    if isinstance(output, dict) and output.get("certificateExpires") == SECRET_SHOWN:
        revealed = stack_output_json(pulumi, stack, "sso", "--show-secrets")
        expires = revealed.get("certificateExpires") if isinstance(revealed, dict) else None
    try:
        return Certificate(parse_sso(output, expires))
    except ReportError as error:
        return Certificate(problem=Finding("SAML certificate unreadable", str(error)))


def stack_target(outputs: Mapping[str, Any], stack: str) -> Target:
    """The app and job a deployed stack shows in its outputs."""
    sp_id = outputs.get("servicePrincipalObjectId")
    job = outputs.get("provisioningJobId")
    if not isinstance(sp_id, str) or not isinstance(job, str):
        missing = [
            name
            for name, value in (("servicePrincipalObjectId", sp_id), ("provisioningJobId", job))
            if not isinstance(value, str)
        ]
        raise CheckError(
            f"stack {stack} has no output {' or '.join(missing)}: run `pulumi up --stack "
            f"{stack}` first, or pass --object-id (and --job-id)"
        )
    logs_page = outputs.get("provisioningLogsPage")
    # provisioningJobId is the azuread resource id /servicePrincipals/{sp}/…/jobs/{job}.
    return Target(sp_id, job.rsplit("/", 1)[-1], logs_page if isinstance(logs_page, str) else None)


# ----- Graph -----


def graph_problem(error: ServiceError, doing: str, permissions: str) -> Finding:
    """What a failed request means for the operator: the permission to grant, the retry
    budget that ran out, or the service that could not be reached. `doing` names the step,
    e.g. "reading the provisioning logs"."""
    if error.status == 403:
        return Finding(
            f"no permission for {doing}",
            f"Graph refused {doing} (HTTP 403): the identity needs the application "
            f"permission {permissions}, with admin consent. {error}",
        )
    if error.status == 401:
        return Finding("credentials refused", f"Graph did not accept the credentials: {error}")
    if error.status == 429:
        return Finding("throttled", f"Graph kept throttling {doing}: {error}")
    if error.status is None:
        return Finding("Graph unreachable", f"{doing} got no answer: {error}")
    return Finding(f"{doing} failed", f"{doing} failed: {error}")


def credential_problem(error: ConfigError | OSError) -> Finding:
    """Credentials that cannot be used (an unreadable certificate or token file, a failed GitHub
    OIDC request). A ConfigError's message names the setting and never its value; an OSError's
    own message may quote a path, so only its reason is shown."""
    if isinstance(error, ConfigError):
        reason = str(error)
    else:
        reason = f"a file they need cannot be read ({error.strerror or type(error).__name__})"
    return Finding(
        "credentials unusable", f"the credentials for Microsoft Graph cannot be used: {reason}"
    )


def read_job(graph: GraphClient, target: Target) -> JobStatus | None:
    """The job (None when Graph has none), found by id or as the Asana job of the app."""
    sp_id = target.service_principal_id
    if target.job_id is not None:
        try:
            return parse_job(graph.get(synchronization_path(sp_id, "jobs", target.job_id)))
        except ServiceError as error:
            if error.status == 404:
                return None
            raise
    jobs = graph.get_all(synchronization_path(sp_id, "jobs"))
    if len(jobs) > 1:  # the Asana job is the one made from the app's own template (tools/adopt)
        templates = graph.get_all(synchronization_path(sp_id, "templates"))
        template = choose_template(sp_id, templates, None)
        jobs = [job for job in jobs if job.get("templateId") == template.get("id")]
        if len(jobs) != 1:
            raise ReportError(
                f"the app has {len(jobs)} provisioning jobs made from its template "
                f"{template.get('id')}; pass --job-id"
            )
    return parse_job(jobs[0]) if jobs else None


def read_log(graph: GraphClient, sp_id: str, since: datetime, hours: int) -> LogSummary:
    """The service principal's provisioning log entries since `since`, newest first, bounded."""
    when = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {
        "$filter": f"servicePrincipal/id eq '{sp_id}' and activityDateTime gt {when}",
        "$orderby": "activityDateTime desc",
        "$top": str(LOG_PAGE_SIZE),
    }
    entries, more = graph.get_pages(LOG_PATH, params, LOG_MAX_PAGES)
    return summarize_log(entries, since, hours, truncated=more)


def check(
    stack: str,
    connection: ConnectionSettings,
    settings: HealthCheckSettings,
    target: Target,
    now: datetime,
    progress: Callable[[str], None] = lambda _: None,
    certificate: Certificate | None = None,
) -> Report:
    """Read the job and the logs (each read on its own, so one that fails does not hide the
    other), then judge them and the stack's SAML certificate."""
    certificate = certificate or Certificate()
    problems: list[Finding] = list(certificate.problems)
    verdict_of_certificate = certificate.verdict(now, settings.health.certificate_warning_days)
    job: JobStatus | None = None
    log: LogSummary | None = None
    hours = settings.health.window_hours
    expectations = Expectations(settings.job_running, settings.health.max_failures)

    def verdict() -> Report:
        return judge(
            stack,
            target.service_principal_id,
            job,
            log,
            expectations,
            problems=problems,
            logs_page=target.logs_page,
            certificate=verdict_of_certificate,
        )

    progress(f"reading the provisioning job of service principal {target.service_principal_id}")
    try:  # the token is fetched with the first request: unusable credentials show here
        graph = GraphClient(connection.graph)
        job = read_job(graph, target)
    except ServiceError as error:
        problems.append(graph_problem(error, "reading the provisioning job", JOB_PERMISSIONS))
    except (ReportError, TemplateLookupError) as error:
        problems.append(Finding("job not identified", str(error)))
    except (ConfigError, OSError) as error:
        problems.append(credential_problem(error))
        return verdict()  # the logs would need the same credentials
    since = now - timedelta(hours=hours)
    progress(f"reading the provisioning logs of the last {hours} h")
    try:
        log = read_log(graph, target.service_principal_id, since, hours)
    except ServiceError as error:
        problems.append(graph_problem(error, "reading the provisioning logs", LOG_PERMISSIONS))
    except (ConfigError, OSError) as error:
        problems.append(credential_problem(error))
    return verdict()


def describe_on_demand_error(error: Exception) -> str:
    """What went wrong with one subject, for its line of the report."""
    if isinstance(error, ServiceError):
        return graph_problem(error, "provisioning on demand", ON_DEMAND_PERMISSIONS).detail
    return str(error)


def provision_subjects(
    connection: ConnectionSettings, target: Target, requests: list[SubjectRequest]
) -> list[OnDemandOutcome]:
    """Each subject's result, in order. Raises (and so fails the whole call) only for what
    no subject can get past: unusable credentials, no job, a job that cannot be identified."""
    graph = GraphClient(connection.graph)
    job_id = target.job_id
    if job_id is None:
        try:
            job = read_job(graph, target)
        except (ReportError, TemplateLookupError) as error:
            raise OnDemandError(str(error)) from None
        if job is None:
            raise OnDemandError("the app has no provisioning job")
        job_id = job.job_id
    return provision(graph, target.service_principal_id, job_id, requests, describe_on_demand_error)


# ----- the command -----


class _Parser(argparse.ArgumentParser):
    """Bad arguments exit 1 (the check failed), not argparse's 2, which means "unhealthy"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(CHECK_FAILED, f"{self.prog}: error: {message}\n")


EXIT_CODES = f"""\
exit status:
  {HEALTHY}  healthy; with --provision-on-demand: provisioned, or already in sync
  {UNHEALTHY}  unhealthy; with --provision-on-demand: a step failed or the subject is out of scope
  {CHECK_FAILED}  the check itself failed: bad arguments, no permission, unreachable, throttled"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m tools.health",
        description=__doc__.splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack whose provisioning to check")
    parser.add_argument(
        "--object-id",
        metavar="SP_OBJECT_ID",
        help="the service principal, instead of stack outputs",
    )
    parser.add_argument(
        "--job-id", help="the provisioning job (default: the stack's, or the app's)"
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="where to write the Markdown report"
    )
    parser.add_argument(
        "--title", type=Path, metavar="FILE", help="where to write the one-line summary"
    )
    parser.add_argument(
        "--pulumi", default="pulumi", metavar="PULUMI", help="the CLI to run (default: on PATH)"
    )
    parser.add_argument(
        "--provision-on-demand",
        nargs="?",
        const=CANARY,
        action="append",
        metavar="USER_OR_GROUP",
        help="provision a user (UPN or object id) or group (object id or name) on demand "
        "instead of checking; without a value, the stack's canaryUser; repeatable",
    )
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if problem := name_problem(args.stack):
        parser.error(f"--stack: {problem}")
    if args.object_id is not None and not is_guid(args.object_id):
        parser.error("--object-id: the service principal's object id, a GUID")
    if args.job_id is not None and not JOB_ID.match(args.job_id):
        parser.error("--job-id: a job id such as asana.0a1b….6f5e…, letters, digits, '.', '_', '-'")
    return args


def prepare(
    args: argparse.Namespace, env: Mapping[str, str]
) -> tuple[ConnectionSettings, HealthCheckSettings, Target, frozenset[str], Certificate]:
    """Settings, credentials, target, the keys set as secrets and the SAML certificate, from
    the stack (and the arguments); CheckError, or NothingToCheck for a stack that declares no
    provisioning."""
    progress(f"reading stack {args.stack}'s settings")
    config, secret_keys = stack_config(args.pulumi, args.stack)
    try:
        settings = load_health_check_settings(config, secret_keys)
        connection = resolve(config, env, secret_keys)
    except SettingsError as error:
        raise CheckError("; ".join(error.problems)) from None
    except ConfigError as error:
        raise CheckError(str(error)) from None
    if args.object_id is not None:
        return connection, settings, Target(args.object_id, args.job_id), secret_keys, Certificate()
    progress(f"reading stack {args.stack}'s outputs")
    outputs = stack_outputs(args.pulumi, args.stack)
    certificate = stack_certificate(args.pulumi, args.stack, outputs)
    if not settings.provisioning_enabled:
        raise NothingToCheck(
            f"nothing to check: the stack does not provision ({PROJECT}:provisioningEnabled "
            "is false), so it has no provisioning job",
            certificate,
            settings.health.certificate_warning_days,
        )
    target = stack_target(outputs, args.stack)
    if args.job_id is not None:
        target = Target(target.service_principal_id, args.job_id, target.logs_page)
    return connection, settings, target, secret_keys, certificate


def progress(message: str) -> None:
    print(f"health: {message}", file=sys.stderr, flush=True)


def write(text: str, markdown: str, title: str, args: argparse.Namespace) -> None:
    print(text, end="", flush=True)
    if args.markdown is not None:
        args.markdown.write_text(markdown, encoding="utf-8")
    if args.title is not None:
        args.title.write_text(title + "\n", encoding="utf-8")


def write_report(report: Report, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Write the report; in a GitHub Actions job each warning also becomes a warning annotation,
    shown on the run's page (the drift workflow opens issues only for exit status 2)."""
    write(render_text(report), render_markdown(report), render_title(report), args)
    if env.get("GITHUB_ACTIONS") == "true":
        for warning in report.warnings:
            print(github_warning(f"{args.stack}: {warning.label}", warning.detail), flush=True)
    return report.status


def github_warning(title: str, message: str) -> str:
    """A `::warning` workflow command, its title and message escaped as GitHub's toolkit does
    (actions/toolkit packages/core/src/command.ts: escapeData, escapeProperty)."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    title = data(title).replace(":", "%3A").replace(",", "%2C")
    return f"::warning title={title}::{data(message)}"


def main(argv: list[str] | None = None, now: datetime | None = None) -> int:
    args = parse_args(argv)
    now = now or datetime.now(UTC)
    try:
        connection, settings, target, secret_keys, certificate = prepare(args, os.environ)
    except CheckError as error:
        report = check_failed(args.stack, Finding(str(error), str(error)))
        write(render_text(report), render_markdown(report), render_title(report), args)
        return CHECK_FAILED
    except NothingToCheck as error:
        if args.provision_on_demand:  # nothing can be provisioned: a failed call, not a pass
            return on_demand_failed(args, f"provision on demand failed: {error}")
        verdict = error.certificate.verdict(now, error.warning_days)
        report = nothing_to_check(args.stack, str(error), verdict, error.certificate.problems)
        return write_report(report, args, os.environ)
    if args.provision_on_demand:
        secret_canary = f"{PROJECT}:canaryUser" in secret_keys
        return on_demand(args, connection, settings, target, secret_canary)
    report = check(args.stack, connection, settings, target, now, progress, certificate)
    return write_report(report, args, os.environ)


def on_demand(
    args: argparse.Namespace,
    connection: ConnectionSettings,
    settings: HealthCheckSettings,
    target: Target,
    secret_canary: bool = False,
) -> int:
    """Provision each subject; exit with the worst of their statuses. A canaryUser set as a
    secret is shown as SECRET_CANARY everywhere (progress, report, title), and its value is
    taken out of anything Graph echoed back."""
    canary = settings.health.canary_user
    requests = [
        SubjectRequest(canary, SECRET_CANARY if secret_canary else None)
        if reference is CANARY and canary is not None
        else SubjectRequest(str(reference))
        for reference in args.provision_on_demand
        if reference is not CANARY or canary is not None
    ]
    if len(requests) < len(args.provision_on_demand):
        return on_demand_failed(
            args,
            f"provision on demand failed: {PROJECT}:canaryUser is not set: set it on the stack, "
            "or name the user or group after --provision-on-demand",
        )

    def shown(text: str) -> str:
        return hidden(text, canary, SECRET_CANARY) if secret_canary and canary else text

    names = ", ".join(request.shown or request.reference for request in requests)
    progress(f"provisioning {names} on demand")
    try:
        results = provision_subjects(connection, target, requests)
    except OnDemandError as error:
        return on_demand_failed(args, shown(f"provision on demand failed: {error}"))
    except ServiceError as error:
        hint = graph_problem(error, "provisioning on demand", ON_DEMAND_PERMISSIONS)
        return on_demand_failed(args, shown(f"provision on demand failed: {hint.detail}"))
    except (ConfigError, OSError) as error:
        problem = credential_problem(error)
        return on_demand_failed(args, f"provision on demand failed: {problem.detail}")
    write(
        shown("".join(on_demand_report.render_text(r) for r in results)),
        shown("\n".join(on_demand_report.render_markdown(r) for r in results)),
        shown(on_demand_report.render_title(args.stack, results)),
        args,
    )
    return worst([result.status for result in results])


def on_demand_failed(args: argparse.Namespace, message: str) -> int:
    """The report of a provision on demand that could not start, or failed as a whole."""
    title = f"Provision on demand in {args.stack} failed"
    write(message + "\n", f"**{title}:** {markdown_text(message)}\n", title, args)
    return on_demand_report.CALL_FAILED


if __name__ == "__main__":
    sys.exit(main())
