"""Turns what Pulumi said about a `pulumi refresh --preview-only` (or a `pulumi preview`) into a
drift report: the engine's events, typed by Pulumi's Automation API (`pulumi.automation`
EngineEvent), and/or the CLI's `--json` document.

    python -m scripts.drift_report --stack prod --input drift.json --pulumi-exit-code 7 \\
        --events drift-events.jsonl --markdown report.md --title title.txt

The drift check (scripts/drift_check.py) runs the refresh through the Automation API and hands
this module the typed events it streamed. This command reads the same from files: `--input`,
the CLI's --json output, and `--events`, the engine's event log of the same run (`--event-log`,
offered when PULUMI_DEBUG_COMMANDS=true), each line read by the API's own EngineEvent.from_json.
The events are needed for our dynamic resources: a Python dynamic provider cannot return a
detailed diff, and the CLI's --json document then keeps such a resource as an unchanged
`refresh` step even when its live state changed (the CLI counts the update and exits 7, but
shows old state as new). The events carry the refreshed outputs of every resource, so each
change is named from them; without them, the report reads the --json document alone.

Exit status: 0 no drift, 2 drift, 1 the run failed (Pulumi exited with anything but 0 or 7, or
its output is not a preview document). Secret values are never printed: anything Pulumi marks
secret, or that sits under a property that carries credentials, is shown as `[secret]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

from pulumi.automation import EngineEvent, OpType
from pulumi.automation.events import StepEventStateMetadata

from rules.urns import resource_name, resource_type

NO_DRIFT, FAILURE, DRIFT = 0, 1, 2
# `--expect-no-changes` found changes: exit code 7 since "[cli] Use distinct exit codes for
# different types of error", https://github.com/pulumi/pulumi/pull/22205 (older CLIs exit 255,
# https://github.com/pulumi/pulumi/issues/5144).
PULUMI_CHANGES_FOUND = 7
SECRET = "[secret]"
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# Properties that hold credentials whatever Pulumi says about them.
_CREDENTIAL_PROPERTIES = {"token", "credentials", "clientSecret", "client_secret", "__provider"}
_MAX_VALUE = 160
_NO_CHANGE_OPS = {"same", "read"}
# Provider bookkeeping, never a setting anyone changed.
_INTERNAL_PROPERTIES = {"__provider", "__meta", "__defaults"}

# What each resource is called in the Entra admin center, by the last part of its type token.
PORTAL_NAMES = {
    "ApplicationFromTemplate": "Enterprise application",
    "ServicePrincipal": "Enterprise application: Properties and single sign-on",
    "AppRoleAssignment": "Users and groups",
    "ApplicationIdentifierUri": "Single sign-on: Identifier (Entity ID)",
    "ApplicationRedirectUris": "Single sign-on: Reply URL",
    "ServicePrincipalTokenSigningCertificate": "Single sign-on: SAML certificate",
    "SynchronizationSecret": "Provisioning: Admin credentials and settings",
    "SynchronizationJob": "Provisioning: Provisioning status",
    "ServiceAccountToken": "Provisioning: Secret token (Test connection)",
    "ProvisioningTemplate": "Provisioning: template",
}
_MAPPING_NAMES = {
    "user": "Attribute mappings: Synchronize users",
    "group": "Attribute mappings: Synchronize groups",
}


class ReportError(ValueError):
    """The input is not a Pulumi preview or refresh document."""


@dataclass(frozen=True)
class Change:
    path: str
    before: str
    after: str


@dataclass(frozen=True)
class Drifted:
    portal_name: str
    resource: str
    operation: str
    changes: tuple[Change, ...]


# When one resource has several steps (a replacement is create-replacement, replace and
# delete-replaced), the report shows it once, under its most telling operation.
_OPERATION_RANK = ("replace", "delete", "update", "create-replacement", "delete-replaced")


def drifted_resources(document: Mapping[str, Any], kind: str = "refresh") -> list[Drifted]:
    """One entry per changed resource (not per step). In a preview, a resource the program adds
    (`create`) is new, not drift, and is left out."""
    steps = document.get("steps") if isinstance(document, Mapping) else None
    if not isinstance(document, Mapping) or not isinstance(steps, list | type(None)):
        raise ReportError("not a Pulumi --json preview document (no steps list)")
    found: dict[str, Drifted] = {}
    for step in steps or []:
        operation = str(step.get("op", ""))
        if operation in _NO_CHANGE_OPS or (kind == "preview" and operation == "create"):
            continue
        old, new = step.get("oldState") or {}, step.get("newState") or {}
        urn = str(step.get("urn", ""))
        type_name = str((new or old).get("type") or resource_type(urn))
        changes = tuple(_changes(step, old, new))
        if operation == "refresh" and not changes:
            continue
        item = Drifted(_portal_name(type_name, new or old), resource_name(urn), operation, changes)
        if urn not in found or _rank(operation) < _rank(found[urn].operation):
            found[urn] = item
    return list(found.values())


def _rank(operation: str) -> int:
    return _OPERATION_RANK.index(operation) if operation in _OPERATION_RANK else -1


def drifted_from_events(events: Iterable[EngineEvent]) -> list[Drifted]:
    """Drifted resources from the engine's events: each refreshed resource whose outputs event
    turned its `refresh` into an update, delete or replace."""
    refreshed: set[str] = set()
    found: dict[str, Drifted] = {}
    for event in events:
        if event.resource_pre_event is not None:
            if event.resource_pre_event.metadata.op == OpType.REFRESH:
                refreshed.add(event.resource_pre_event.metadata.urn)
            continue
        if event.res_outputs_event is None:
            continue
        metadata = event.res_outputs_event.metadata
        if metadata.urn not in refreshed or metadata.op in _NO_CHANGE_OPS | {OpType.REFRESH}:
            continue
        deleted = metadata.op == OpType.DELETE
        old, new = _state(metadata.old), {} if deleted else _state(metadata.new)
        step = {
            "detailedDiff": {
                path: {"kind": diff.diff_kind.value}
                for path, diff in (metadata.detailed_diff or {}).items()
            }
        }
        changes = () if deleted else tuple(_changes(step, old, new))
        if not deleted and not changes:
            continue
        resource_type = metadata.type or str((new or old).get("type") or "")
        found[metadata.urn] = Drifted(
            _portal_name(resource_type, new or old),
            resource_name(metadata.urn),
            metadata.op.value,
            changes,
        )
    return list(found.values())


def _state(metadata: StepEventStateMetadata | None) -> dict[str, Any]:
    """A resource's state in an event, shaped as the --json document's oldState/newState."""
    if metadata is None:
        return {}
    return {
        "type": metadata.type,
        "inputs": metadata.inputs or {},
        "outputs": metadata.outputs or {},
    }


def read_event_log(lines: Iterable[str]) -> list[EngineEvent]:
    """An engine event log (`--event-log`, one JSON object a line), each line typed by the
    Automation API's EngineEvent.from_json, as the API reads the events it streams."""
    events = []
    for line in lines:
        if not line.strip():
            continue
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ReportError("not a Pulumi event log (a line is not an object)")
        events.append(EngineEvent.from_json(data))
    return events


def _portal_name(resource_type: str, state: Mapping[str, Any]) -> str:
    short = resource_type.rsplit(":", 1)[-1]
    if short == "ProvisioningAttributeMappings":
        properties = {**(state.get("inputs") or {}), **(state.get("outputs") or {})}
        return _MAPPING_NAMES.get(str(properties.get("kind")), "Attribute mappings")
    return PORTAL_NAMES.get(short, resource_type)


def _changes(step: Mapping[str, Any], old: Mapping[str, Any], new: Mapping[str, Any]):
    detailed = step.get("detailedDiff") or {}
    paths = list(detailed) or list(step.get("diffReasons") or step.get("replaceReasons") or [])
    if not paths:
        before, after = old.get("outputs") or {}, new.get("outputs") or {}
        paths = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    for path in paths:
        segments = _segments(path)
        if segments and segments[0] in _INTERNAL_PROPERTIES:
            continue
        # Each side shows what its state holds: a provider may call a property going to false
        # "deleted" (Terraform's zero values), but the live value is still false, not absent.
        before, after = _value_at(old, segments), _value_at(new, segments)
        # An element the bridge adds or removes (`notificationEmailAddresses[1]`) is keyed by
        # its index on one side only; the other side's element at that index is another one.
        entry = detailed.get(path) if isinstance(detailed, Mapping) else None
        kind = str(entry.get("kind", "")) if isinstance(entry, Mapping) else ""
        if segments and isinstance(segments[-1], int):
            if kind.startswith("add"):
                before = "(none)"
            elif kind.startswith("delete"):
                after = "(none)"
        yield Change(path, before, after)


def _value_at(state: Mapping[str, Any], segments: list[str | int]) -> str:
    if not state:
        return "(none)"
    if segments and segments[0] in _CREDENTIAL_PROPERTIES:
        return SECRET
    for section in ("outputs", "inputs"):
        properties = state.get(section) or {}
        found, value = _walk(properties, segments)
        if found:
            return _shown(value)
    return "(none)"


def _segments(path: str) -> list[str | int]:
    segments: list[str | int] = []
    for match in re.finditer(r'\[(\d+)\]|\["([^"]*)"\]|([^.\[\]]+)', path):
        index, quoted, name = match.groups()
        segments.append(
            int(index) if index is not None else (quoted if quoted is not None else name)
        )
    return segments


def _walk(value: Any, segments: list[str | int]) -> tuple[bool, Any]:
    for segment in segments:
        if _is_secret(value):
            return True, SECRET
        if (isinstance(segment, int) and isinstance(value, list) and segment < len(value)) or (
            isinstance(segment, str) and isinstance(value, Mapping) and segment in value
        ):
            value = value[segment]
        else:
            return False, None
    return True, value


def _is_secret(value: Any) -> bool:
    return value == SECRET or (
        isinstance(value, Mapping) and value.get(_SECRET_SIG_KEY) == _SECRET_SIG
    )


def _redacted(value: Any) -> Any:
    if _is_secret(value):
        return SECRET
    if isinstance(value, Mapping):
        return {
            k: SECRET if k in _CREDENTIAL_PROPERTIES else _redacted(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _shown(value: Any) -> str:
    value = _redacted(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def title(stack: str, drifted: list[Drifted], unnamed: Unnamed | None = None) -> str:
    names = list(dict.fromkeys(d.portal_name for d in drifted))
    if unnamed is not None:
        names.append(f"{unnamed.count_text} unnamed change(s)")
    text = f"Drift in {stack}: {'; '.join(names)}" if names else f"No drift in {stack}"
    return text if len(text) <= 200 else text[:199] + "…"


def markdown(stack: str, drifted: list[Drifted], kind: str, unnamed: Unnamed | None = None) -> str:
    before, after = (
        ("recorded in state", "live in Entra/Asana")
        if kind == "refresh"
        else ("now", "after `pulumi up`")
    )
    if not drifted and unnamed is None:
        return f"## No drift in stack `{stack}`\n\nEvery resource matches its recorded state.\n"
    lines = [
        f"## Drift in stack `{stack}`: {len(drifted)} resource(s) changed outside Pulumi"
        if drifted
        else f"## Drift in stack `{stack}`: {unnamed.sentence if unnamed else ''}",
        "",
    ]
    if unnamed is not None:
        lines += [unnamed.explanation(stack), ""]
    for item in drifted:
        lines += [f"### {item.portal_name} (`{item.resource}`, {item.operation})", ""]
        if not item.changes:
            lines += ["The resource is gone or was replaced.", ""]
            continue
        lines += [f"| property | {before} | {after} |", "|---|---|---|"]
        lines += [
            f"| `{_cell(c.path)}` | {_code(c.before)} | {_code(c.after)} |" for c in item.changes
        ]
        lines.append("")
    lines += [
        "To put the stack's version back: `pulumi up --refresh --stack " + stack + "` (without "
        "`--refresh`, `up` compares with the recorded state and sees nothing to do). To keep "
        "the change instead, edit `stacks/Pulumi." + stack + ".yaml` to match and open a pull "
        "request.",
        "",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text not in ("(none)",) else "(none)"


@dataclass(frozen=True)
class Unnamed:
    """Changes the CLI reported (its exit code or its change count) that neither the --json
    document nor the engine's events name: drift all the same, never "no drift"."""

    count: int
    exact: bool  # False: only the exit code said so, the number is a lower bound
    why: str
    events_read: bool = True
    document_read: bool = True

    @property
    def count_text(self) -> str:
        return str(self.count) if self.exact else f"at least {self.count}"

    @property
    def sentence(self) -> str:
        return f"{self.count_text} change(s) the CLI reported could not be named"

    def explanation(self, stack: str) -> str:
        if not self.events_read:
            missing = (
                "its --json document does not say (and no event log was read: --events names "
                "the changes of dynamic resources)"
            )
        elif self.document_read:
            missing = "neither its --json document nor the event log says"
        else:
            missing = "the engine's events do not say"
        return (
            f"{self.sentence[0].upper()}{self.sentence[1:]} ({self.why}), but {missing} which "
            f"resources they are. See them with `pulumi refresh --preview-only --diff --stack "
            f"{stack}`."
        )


def reported_changes(
    document: Mapping[str, Any], events: Iterable[EngineEvent] | None, kind: str
) -> int | None:
    """How many changed resources the CLI counted: the largest count in the document's
    `changeSummary` and the engine's summary event (None when neither has one). Unchanged
    resources do not count, nor, in a preview, ones the program adds."""
    ignored = _NO_CHANGE_OPS | ({"create"} if kind == "preview" else set())
    summaries = [document.get("changeSummary")]
    summaries += [e.summary_event.resource_changes for e in events or [] if e.summary_event]
    counts = [
        sum(int(n) for op, n in summary.items() if op not in ignored and isinstance(n, int))
        for summary in summaries
        if isinstance(summary, Mapping)
    ]
    return max(counts) if counts else None


def _unnamed(
    named: int, counted: int | None, exit_code: int, changes_found_codes: tuple[int, ...]
) -> Unnamed | None:
    said_by_exit = exit_code in changes_found_codes
    if counted is not None and counted > named:
        why = (
            f"Pulumi exited {exit_code} and counted {counted}"
            if said_by_exit
            else f"Pulumi counted {counted}"
        )
        return Unnamed(counted - named, True, why)
    if said_by_exit and named == 0:
        return Unnamed(1, False, f"Pulumi exited {exit_code}: changes found")
    return None


@dataclass(frozen=True)
class Report:
    status: int
    markdown: str
    title: str


def build_report(
    stack: str,
    document_text: str | None,
    pulumi_exit_code: int,
    *,
    events: Sequence[EngineEvent] | None = None,
    kind: str = "refresh",
    changes_found_codes: tuple[int, ...] = (PULUMI_CHANGES_FOUND,),
) -> Report:
    """The report for one run, from the CLI's --json document (None: the events alone) and the
    engine's typed events: NO_DRIFT, DRIFT, or FAILURE when Pulumi exited with anything but 0
    or a "changes found" code, or its output is not a preview document."""
    if exited := _exit_failure(stack, pulumi_exit_code, changes_found_codes):
        return exited
    try:
        document = json.loads(document_text or "{}")
        drifted = drifted_resources(document, kind)
        if events is not None:
            drifted = _merged(drifted, drifted_from_events(events))
        counted = reported_changes(document, events, kind)
    except ValueError as error:
        return failed(stack, str(error))
    # What the CLI said changed is drift even where nothing names it: never "no drift".
    unnamed = _unnamed(len(drifted), counted, pulumi_exit_code, changes_found_codes)
    if unnamed is not None:
        unnamed = replace(
            unnamed, events_read=events is not None, document_read=document_text is not None
        )
    return Report(
        DRIFT if drifted or unnamed else NO_DRIFT,
        markdown(stack, drifted, kind, unnamed),
        title(stack, drifted, unnamed),
    )


def _exit_failure(stack: str, code: int, changes_found_codes: tuple[int, ...]) -> Report | None:
    """A failed report when Pulumi's exit code is neither 0 nor a "changes found" one."""
    if code in (0, *changes_found_codes):
        return None
    return failed(stack, f"Pulumi exited with {code}; see the job log.")


def failed(stack: str, why: str) -> Report:
    """The report of a check that could not tell (never "no drift")."""
    return Report(
        FAILURE,
        f"## Drift check failed for stack `{stack}`\n\n{why}\n",
        f"Drift check failed for {stack}",
    )


def write(report: Report, markdown_path: Path | None, title_path: Path | None) -> int:
    """The Markdown report to its file (else standard output) and the one-line title; the
    report's status, or FAILURE (with the reason on standard error) when a file cannot be
    written after all (the paths were checked first, but a disk can fill up)."""
    try:
        if markdown_path:
            markdown_path.write_text(report.markdown, encoding="utf-8")
        else:
            sys.stdout.write(report.markdown)
        if title_path:
            title_path.write_text(report.title + "\n", encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write the report: {error}", file=sys.stderr)
        return FAILURE
    return report.status


def file_problem(flag: str, path: Path | None) -> str | None:
    """Why `path` cannot be written as the file `flag` names, checked before any work is
    done (so an unwritable path never costs a whole refresh); None when it can."""
    if path is None:
        return None
    if path.is_dir():
        return f"{flag} {path}: is a folder, not a file"
    if not path.parent.is_dir():
        return f"{flag} {path}: the folder {path.parent} does not exist"
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        return f"{flag} {path}: not writable"
    return None


def folder_problem(flag: str, path: Path | None) -> str | None:
    """Why files cannot be written into the existing folder `path`; None when they can."""
    if path is None:
        return None
    if not path.is_dir():
        return f"{flag} {path}: not an existing folder"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{flag} {path}: not writable"
    return None


def output_problems(args: argparse.Namespace) -> list[str]:
    """What is wrong with --markdown and --title (add_output_arguments)."""
    found = (file_problem("--markdown", args.markdown), file_problem("--title", args.title))
    return [problem for problem in found if problem]


def refused(problems: list[str]) -> int:
    """Report output paths that cannot be written: FAILURE, nothing else done."""
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return FAILURE


class CheckArgumentParser(argparse.ArgumentParser):
    """argparse ends a run given wrong options with status 2, which is DRIFT here: a workflow
    reading the status would report drift for a typo. A usage error is a failed check."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(FAILURE, f"{self.prog}: error: {message}\n")


EXIT_CODES = f"""\
exit status:
  {NO_DRIFT}  no drift: what Pulumi read matches the state
  {DRIFT}  drift: the report names each changed resource and setting
  {FAILURE}  the check failed: Pulumi exited with anything but 0 or {PULUMI_CHANGES_FOUND},
     or --input cannot be read or is not a preview document"""


def build_parser() -> argparse.ArgumentParser:
    parser = CheckArgumentParser(
        prog="python -m scripts.drift_report",
        description=__doc__.split("\n\nExit status:", 1)[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack the run checked (for the report)")
    parser.add_argument(
        "--input", required=True, type=Path, metavar="FILE",
        help="Pulumi's --json output of the run",
    )  # fmt: skip
    parser.add_argument(
        "--pulumi-exit-code", type=int, required=True, metavar="CODE",
        help=f"Pulumi's exit code for the run: 0 (no changes) or {PULUMI_CHANGES_FOUND} "
        "(--expect-no-changes found changes); any other code makes the report a failure",
    )  # fmt: skip
    parser.add_argument(
        "--kind", choices=("refresh", "preview"), default="refresh",
        help="what produced --input: `pulumi refresh --preview-only` (refresh, the default) or "
        "`pulumi preview` (preview)",
    )  # fmt: skip
    parser.add_argument(
        "--events", type=Path, metavar="FILE",
        help="the engine's event log of the same run (--event-log); names the changes of "
        "dynamic resources the --json document misses",
    )  # fmt: skip
    add_output_arguments(parser)
    return parser


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--markdown and --title: where the report goes, for drift_report and drift_check alike."""
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE",
        help="where to write the Markdown report (default: standard output)",
    )  # fmt: skip
    parser.add_argument(
        "--title", type=Path, metavar="FILE",
        help="where to write the one-line summary (for an issue title or a job summary)",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if problems := output_problems(args):
        return refused(problems)
    try:
        document = args.input.read_text()
        lines = (
            args.events.read_text().splitlines() if args.events and args.events.exists() else None
        )
    except OSError as error:
        report = failed(args.stack, str(error))
    else:
        report = _exit_failure(args.stack, args.pulumi_exit_code, (PULUMI_CHANGES_FOUND,))
        try:
            events = read_event_log(lines) if lines is not None else None
        except ValueError as error:
            report = report or failed(args.stack, str(error))
        else:
            report = report or build_report(
                args.stack, document, args.pulumi_exit_code, events=events, kind=args.kind
            )
    return write(report, args.markdown, args.title)


def _merged(from_document: list[Drifted], from_events: list[Drifted]) -> list[Drifted]:
    """The event log's view of each resource, plus anything only the document shows."""
    named = {item.resource for item in from_events}
    return from_events + [item for item in from_document if item.resource not in named]


if __name__ == "__main__":
    sys.exit(main())
