"""Who gains or loses Asana if this stack's settings are deployed: the access impact preview.

    python -m tools.impact --stack STACK [--all | --limit N] [--markdown | --json]
                           [--output FILE] [--pulumi PULUMI]

"Now" is the live tenant: the app's assignments, its provisioning job's status, scope
(SyncAll), SkipOutOfScopeDeletions and scoping filters, read from Graph (the app and job are
the stack's outputs). "After" is the stack's settings as the program would declare them:
assignmentGroups, assignmentUsers, provisioningScope, provisioningStatus, provisioningEnabled
and the userMappings/groupMappings scoping filters. Every user either side could provision is
decided on both sides by rules/provisioning_scope.py, and the report says who enters and who
leaves, with the reason, the counts first and the names capped (--all lists everyone).

Reads only, with the credentials the program uses (the stack's `azuread:*` and connection
settings from `pulumi config --json --show-secrets`, kept in memory; then `ARM_*` and
azure-identity's default chain): Application.Read.All, Synchronization.Read.All,
Group.Read.All and User.Read.All. docs/impact.md has the rules, each with its source.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from clients.connection import ConfigError, resolve
from clients.directory import DirectoryReader
from clients.graph import GraphClient
from clients.http import ServiceError
from components.settings import SettingsError, load_settings
from tools.health import CheckError, stack_config, stack_outputs
from tools.impact_report import (
    CANNOT,
    DEFAULT_LIMIT,
    GUARDRAIL,
    NOBODY,
    SOMEONE,
    Report,
    Side,
    render_json,
    render_markdown,
    render_text,
)
from tools.impact_scan import Desired, Target, scan
from tools.stacks import name_problem

EXIT_CODES = f"""\
exit status:
  {NOBODY}  nobody gains or loses Asana
  {SOMEONE}  someone gains or loses Asana (or is no longer maintained)
  {CANNOT}  it could not tell: the report says why (a filter it cannot evaluate, no permission,
     an unreachable tenant, a stack it cannot read)
  {GUARDRAIL}  more would lose Asana than the stack's maxAccessLoss allows (or, with
     maxAccessLoss set, whether they would cannot be told)"""


class _Parser(argparse.ArgumentParser):
    """Bad arguments exit 1 (could not tell), not argparse's 2 ("someone affected")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(CANNOT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m tools.impact",
        description=__doc__.splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack whose change to preview")
    listing = parser.add_mutually_exclusive_group()
    listing.add_argument("--all", action="store_true", help="list everyone affected")
    listing.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"names listed per kind of change (default {DEFAULT_LIMIT})",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="Markdown (for a pull request)")
    form.add_argument("--json", action="store_true", help="JSON")
    parser.add_argument(
        "--output", type=Path, metavar="FILE", help="write the report here instead of stdout"
    )
    parser.add_argument(
        "--pulumi", default="pulumi", metavar="PULUMI", help="the CLI to run (default: on PATH)"
    )
    return parser


def progress(message: str) -> None:
    print(f"impact: {message}", file=sys.stderr, flush=True)


def desired_of(config: Mapping[str, object], secret_keys: frozenset[str]) -> Desired:
    """What the program would declare, read by the program's own settings loader."""
    settings = load_settings(config, secret_keys, os.environ)
    provisioning = settings.provisioning
    groups = tuple(p.reference for p in settings.principals if p.kind == "group")
    users = tuple(p.reference for p in settings.principals if p.kind == "user")
    if provisioning is None:
        return Desired(False, groups=groups, users=users, max_access_loss=settings.max_access_loss)
    return Desired(
        provisions=True,
        running=provisioning.running,
        sync_all=provisioning.sync_all,
        groups=groups,
        users=users,
        user_mappings=provisioning.user_mappings,
        group_mappings=provisioning.group_mappings,
        max_access_loss=settings.max_access_loss,
    )


def target_of(outputs: Mapping[str, object]) -> Target | None:
    """The deployed app and job from the stack's outputs (None before the first `up`)."""
    sp_id = outputs.get("servicePrincipalObjectId")
    if not isinstance(sp_id, str):
        return None
    job = outputs.get("provisioningJobId")
    # provisioningJobId is the azuread resource id /servicePrincipals/{sp}/…/jobs/{job}.
    return Target(sp_id, job.rsplit("/", 1)[-1] if isinstance(job, str) else None)


def failed(stack: str, why: str, max_access_loss: int | None = None) -> Report:
    """The report of a preview that could not run at all."""
    nothing = Side(False, False, False, "unknown", (), 0)
    report = Report(stack, now=nothing, after=nothing, problems=[why])
    report.guardrail = type(report.guardrail)(max_access_loss, 0, 0)
    return report


def run(args: argparse.Namespace) -> Report:
    progress(f"reading stack {args.stack}'s settings and outputs")
    try:
        config, secret_keys = stack_config(args.pulumi, args.stack)
        desired = desired_of(config, secret_keys)
        connection = resolve(config, os.environ, secret_keys)
        target = target_of(stack_outputs(args.pulumi, args.stack))
    except CheckError as error:
        return failed(args.stack, str(error))
    except SettingsError as error:
        return failed(args.stack, "; ".join(error.problems))
    except ConfigError as error:
        return failed(args.stack, str(error))
    limit = None if args.all else max(0, args.limit)
    try:
        reader = DirectoryReader(GraphClient(connection.graph), progress)
        return scan(reader, args.stack, target, desired, limit=limit, progress=progress)
    except ServiceError as error:
        why = f"reading the tenant failed: {error}"
        if error.status == 403:
            why += (
                " (the identity needs Application.Read.All, Synchronization.Read.All, "
                "Group.Read.All and User.Read.All, with admin consent)"
            )
        return failed(args.stack, why, desired.max_access_loss)
    except (ConfigError, OSError) as error:
        reason = str(error) if isinstance(error, ConfigError) else (error.strerror or "")
        return failed(args.stack, f"the Graph credentials cannot be used: {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if problem := name_problem(args.stack):
        parser.error(f"--stack: {problem}")
    report = run(args)
    render = render_json if args.json else render_markdown if args.markdown else render_text
    text = render(report)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text, end="", flush=True)
    if os.environ.get("GITHUB_ACTIONS") == "true" and report.status in (CANNOT, GUARDRAIL):
        print(f"::warning title=Access impact of {args.stack}::{report.headline()}", flush=True)
    return report.status


if __name__ == "__main__":
    sys.exit(main())
