"""Finds what an interrupted deploy left and, with --apply, records it so nothing is made twice.

    python -m tools.recover --stack STACK [--apply] [--import-file FILE] [--pulumi CLI]

A `pulumi up` killed while the provider was creating an object (a cancelled CI job, a SIGKILL, a
lost runner) leaves a *pending create* in the state: the object may exist in the tenant while
the state does not record it, and the next `up` only warns and creates a second one (a second
"Asana (dev)" app, a second provisioning job, an assignment Graph refuses as a duplicate). This
tool reads the state (`pulumi stack export --show-secrets`, through Pulumi's Automation API,
kept in memory; secret inputs are used for matching and shown as "[secret]"), looks up in the
tenant, with the credentials the program uses, what each pending create was making
(`tools.orphans`) and prints the plan: import the one object found, clear a create that did not
land or that repeats without harm, or stop when more than one object matches.

Without --apply it changes nothing and prints the commands that carry out the plan:

    pulumi import --stack S --file FILE --yes --generate-code=false --protect=false
    pulumi refresh --stack S --clear-pending-creates --yes

(the import file records each object found under the URN of the create that made it; the refresh
then drops the pending operations). With --apply it runs them through the Automation API
(Stack.import_resources with the same resources and name table, Stack.refresh with
clear_pending_creates), then reads the state again and succeeds only when no pending operation
is left. It does not use `refresh --import-pending-creates`:
with the pinned CLI (v3.276) that turns the operation into a pending import which the refresh
then drops without importing anything (pulumi/pulumi `pkg/backend/journal.go` keeps only pending
creates), which loses the object; docs/recovery.md shows it and tests/e2e proves it.

A lock left by the killed run is not removed here: only a person can tell that no other deploy is
running. `pulumi import` then fails with Pulumi's lock message, which this tool passes on with
the command to run (`pulumi cancel`). docs/recovery.md has the whole procedure.

Exit status: 0 nothing pending (or, with --apply, all recovered); 2 pending operations found
(without --apply), or one needs a person (stop); 1 the check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi.automation import CommandError, ConcurrentUpdateError, Stack

from clients.connection import ConfigError, resolve
from clients.graph import GraphClient
from clients.http import ServiceError
from clients.pulumi_cli import CliTimedOut, CliUnavailable, PulumiCli, open_stack
from rules.checkpoints import SKIP_CHECKPOINTS, UNRECORDED_DEPLOY, skips_checkpoints
from rules.pending import (
    PendingOperation,
    StateUnreadable,
    import_file,
    lock_holders,
    pending_operations,
    state_resources,
)
from tools.health import CheckError, stack_config
from tools.orphans import Owned, Verdict, verdict
from tools.stacks import name_problem

NOTHING_PENDING = 0
FAILED = 1
PENDING = 2
PULUMI_TIMEOUT_SECONDS = 600.0
"""How long one CLI call (an export, the import, the refresh) may take."""
DEFAULT_IMPORT_FOLDER = Path(".recovery")
"""Where the import file goes by default (git-ignored): ids only, no secrets."""


def progress(message: str) -> None:
    print(f"recover: {message}", file=sys.stderr, flush=True)


def stack_call(cli: PulumiCli, stack: str, what: str, call: Callable[[Stack], Any]) -> Any:
    """One operation on the stack through Pulumi's Automation API (clients/pulumi_cli.py); a CLI
    that cannot run or did not finish in time is a CheckError. The API's CommandError (the CLI
    failed) is the caller's, with the exit code and error output in `cli.last`."""
    try:
        return call(open_stack(stack, cli))
    except CliTimedOut:
        limit = f"{PULUMI_TIMEOUT_SECONDS:.0f} s"
        raise CheckError(f"`pulumi {what}` did not finish in {limit}") from None
    except CliUnavailable as error:
        raise CheckError(str(error)) from None


def pulumi_cli(pulumi: str) -> PulumiCli:
    """The CLI, each call bounded by PULUMI_TIMEOUT_SECONDS."""
    return PulumiCli(pulumi, timeout=PULUMI_TIMEOUT_SECONDS)


def local_backend_folder(
    project: Path, document: Mapping[str, Any], env: Mapping[str, str]
) -> Path | None:
    """The folder of a `file://` state backend (PULUMI_BACKEND_URL when set and not empty, else
    the project document's `backend.url`, a relative path taken from the project folder as the
    CLI takes it from where it runs), or None for any other backend."""
    url = env.get("PULUMI_BACKEND_URL") or str((document.get("backend") or {}).get("url") or "")
    if not url.startswith("file://"):
        return None
    folder = Path(url.removeprefix("file://").split("?", 1)[0])
    return folder if folder.is_absolute() else project / folder


def empty_checkpoint_attributes(stack: str, project: Path, env: Mapping[str, str]) -> list[Path]:
    """Empty `.attrs` files beside the stack's checkpoint in a `file://` backend. The CLI's
    file store (gocloud.dev fileblob) writes a checkpoint's attributes file by creating it and
    then encoding into it, so a kill in between leaves it empty and every command on the stack
    fails with "failed to load checkpoint: EOF". Without the file the store reads the
    checkpoint with default attributes, so removing an empty one loses nothing."""
    try:
        document = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        project_name = str(document["name"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return []
    folder = local_backend_folder(project, document, env)
    if folder is None:
        return []
    stacks = folder / ".pulumi" / "stacks" / project_name
    candidates = [stacks / f"{stack}.json.attrs", stacks / f"{stack}.json.bak.attrs"]
    return [path for path in candidates if path.is_file() and path.stat().st_size == 0]


def export_state(pulumi: str, stack: str, *, repair: bool = False) -> Any:
    """The stack's checkpoint with secrets decrypted (never printed): the API's export_stack,
    which is `pulumi stack export --show-secrets`. Reading takes no lock. With `repair`, an
    empty attributes file a kill left is removed (see `empty_checkpoint_attributes`) and the
    export tried once more; without, it is named."""
    cli = pulumi_cli(pulumi)
    try:
        deployment = stack_call(cli, stack, "stack export", lambda target: target.export_stack())
    except CommandError:  # never its text: it quotes the CLI's output, which holds secrets
        errors = cli.last.result.stderr if cli.last else ""
        if "failed to load checkpoint" in errors:
            empty = empty_checkpoint_attributes(stack, Path.cwd(), os.environ)
            if empty and repair:
                for path in empty:
                    progress(f"removing {path}: empty, as a kill while it was written leaves it")
                    path.unlink()
                return export_state(pulumi, stack)
            if empty:
                raise CheckError(
                    'the state cannot be read ("failed to load checkpoint"): the kill left '
                    f"{', '.join(map(str, empty))} empty. Run this tool with --apply to remove "
                    "it (an empty attributes file holds nothing), or delete it by hand"
                ) from None
        failure = cli.last.failure() if cli.last else "`pulumi stack export` failed"
        raise CheckError(failure) from None
    except ValueError:
        raise CheckError("`pulumi stack export` printed something that is not JSON") from None
    return {"version": deployment.version, "deployment": deployment.deployment}


def judge(
    operations: list[PendingOperation], export: Any, pulumi: str, stack: str
) -> list[Verdict]:
    """Each operation's verdict; the stack's settings and credentials are read only when an
    operation needs the tenant read."""
    owned = Owned.of(state_resources(export))
    client: list[GraphClient] = []

    def graph() -> GraphClient:
        if not client:
            progress(f"reading stack {stack}'s settings to read the tenant")
            config, secret_keys = stack_config(pulumi, stack)
            client.append(GraphClient(resolve(config, os.environ, secret_keys).graph))
        return client[0]

    verdicts = []
    for operation in operations:
        progress(f"judging {operation.name}, interrupted while {operation.kind}")
        verdicts.append(verdict(graph, operation, owned))
    return verdicts


def commands(stack: str, import_path: Path | None) -> list[list[str]]:
    """The CLI calls that carry out a plan with nothing to stop for."""
    calls = []
    if import_path is not None:
        calls.append(
            ["import", "--stack", stack, "--file", str(import_path), "--yes",
             "--generate-code=false", "--protect=false", "--skip-preview", "--non-interactive"]
        )  # fmt: skip
    calls.append(
        [
            "refresh",
            "--stack",
            stack,
            "--clear-pending-creates",
            "--yes",
            "--skip-preview",
            "--non-interactive",
        ]
    )
    return calls


def render(stack: str, verdicts: list[Verdict], calls: list[list[str]], pulumi: str) -> str:
    lines = [f"Stack {stack} has {len(verdicts)} pending operation(s) from an interrupted run:"]
    for item in verdicts:
        operation = item.operation
        lines.append(
            f"- {operation.name} ({operation.short_type}), interrupted while {operation.kind}: "
            f"{item.action.upper()}: {item.reason}"
            + (f"\n    id: {item.import_id}" if item.import_id else "")
        )
    if any(item.action == "stop" for item in verdicts):
        lines.append(
            "A person must decide (see docs/recovery.md); nothing was changed. Do not run "
            "`pulumi up` until no pending operation is left: it would create the object again."
        )
    else:
        lines.append("To recover (or run this tool again with --apply):")
        lines += [f"    {shlex.join([pulumi, *call])}" for call in calls]
        lines.append("Then `pulumi up` finds every object in state and creates none twice.")
    return "\n".join(lines) + "\n"


def apply(stack: str, pulumi: str, calls: list[list[str]], imports: dict[str, Any] | None) -> int:
    """Carry out the plan through the Automation API: Stack.import_resources (the same import
    file, which the API writes to a file of its own for `pulumi import --file`), then
    Stack.refresh(clear_pending_creates=True), then read the state again. What the CLI prints
    goes to standard error, its output as it comes, its error output after each call."""

    def show(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    steps: list[Callable[[Stack], Any]] = []
    if imports is not None:
        steps.append(
            lambda target: target.import_resources(
                resources=imports["resources"],
                name_table=imports["nameTable"],
                protect=False,
                generate_code=False,
                on_output=show,
                show_secrets=False,
            )
        )
    steps.append(
        lambda target: target.refresh(
            clear_pending_creates=True, on_output=show, show_secrets=False
        )
    )
    for call, step in zip(calls, steps, strict=True):
        progress(f"running {shlex.join(['pulumi', *call])}")
        cli = pulumi_cli(pulumi)
        failure: CommandError | None = None
        try:
            stack_call(cli, stack, call[0], step)
        except CommandError as error:
            failure = error
        sys.stderr.write(
            "".join(f"{c.result.stderr[-4000:]}\n" for c in cli.calls if c.result.stderr)
        )
        if failure is None:
            continue
        if isinstance(failure, ConcurrentUpdateError):
            errors = "".join(c.result.stderr for c in cli.calls)
            holders = ", ".join(lock_holders(errors)) or "an update Pulumi does not name"
            progress(
                f"the stack is locked by {holders}: a deploy still running, or the interrupted "
                "one. Nothing was changed. Make sure no deploy of it is running (the Actions "
                "tab, `ps` on that host); only then remove the lock with `pulumi cancel --stack "
                f"{stack} --yes` and run this again (docs/recovery.md)"
            )
        else:
            code = cli.last.code if cli.last is not None else FAILED
            progress(f"`pulumi {call[0]}` exited {code}; nothing further was done")
        return FAILED
    left = pending_operations(export_state(pulumi, stack))
    if left:
        progress(f"{len(left)} pending operation(s) are still in the state: {left[0].urn}")
        return FAILED
    progress("no pending operation is left; `pulumi up` can run")
    return NOTHING_PENDING


EXIT_CODES = f"""\
exit status:
  {NOTHING_PENDING}  no pending operations (with --apply: all recovered, none left)
  {PENDING}  pending operations found (the plan is printed; without --apply nothing changed), or
     one needs a person to decide (nothing changed)
  {FAILED}  the check failed: the state or the tenant could not be read, or a command of the plan
     failed (a locked stack: see `pulumi cancel` in docs/recovery.md)"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.recover",
        description=__doc__.split("\n\n", 1)[0] + " (docs/recovery.md)",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack to check, e.g. dev")
    parser.add_argument(
        "--apply", action="store_true",
        help="run the import and refresh the plan needs (never when a person must decide)",
    )  # fmt: skip
    parser.add_argument(
        "--import-file", type=Path, metavar="FILE",
        help=f"the import file to write (default {DEFAULT_IMPORT_FOLDER}/<stack>-import.json)",
    )  # fmt: skip
    parser.add_argument("--pulumi", default="pulumi", metavar="CLI", help="the Pulumi CLI to run")
    parser.add_argument(
        "--before-deploy", action="store_true",
        help=f"also refuse when {SKIP_CHECKPOINTS} is set: the up that follows would not be "
        "recoverable (`make up` and the deploy workflow pass it)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    problem = name_problem(args.stack)
    if problem:
        print(f"recover: --stack: {problem}", file=sys.stderr)
        return FAILED
    if args.before_deploy and skips_checkpoints(os.environ):
        print(f"recover: {UNRECORDED_DEPLOY}", file=sys.stderr)
        return FAILED
    try:
        return recover(args)
    except (CheckError, StateUnreadable, ConfigError) as error:
        print(f"recover: the check failed: {error}", file=sys.stderr)
        return FAILED
    except ServiceError as error:
        print(f"recover: the tenant could not be read: {error}", file=sys.stderr)
        return FAILED


def recover(args: argparse.Namespace) -> int:
    progress(f"reading the state of stack {args.stack}")
    export = export_state(args.pulumi, args.stack, repair=args.apply)
    operations = pending_operations(export)
    if not operations:
        print(f"Stack {args.stack} has no pending operations: nothing to recover.")
        return NOTHING_PENDING
    verdicts = judge(operations, export, args.pulumi, args.stack)
    imports = [(item.operation, item.import_id) for item in verdicts if item.import_id]
    import_path = document = None
    if imports:
        document = import_file(imports)
        import_path = args.import_file or DEFAULT_IMPORT_FOLDER / f"{args.stack}-import.json"
        import_path.parent.mkdir(parents=True, exist_ok=True)
        import_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    calls = commands(args.stack, import_path)
    sys.stdout.write(render(args.stack, verdicts, calls, "pulumi"))
    if any(item.action == "stop" for item in verdicts) or not args.apply:
        return PENDING
    return apply(args.stack, args.pulumi, calls, document)


if __name__ == "__main__":
    sys.exit(main())
