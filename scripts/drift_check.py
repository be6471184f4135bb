"""The drift check of one stack, in one command: what the drift workflow, `make drift` and the
demo all run.

    python -m scripts.drift_check --stack prod [--markdown report.md] [--title title.txt]

It runs `pulumi refresh --preview-only --expect-no-changes --json` (nothing is written to the
stack's state) with the engine's event log (`--event-log`, offered when PULUMI_DEBUG_COMMANDS is
true), then writes the report (scripts/drift_report.py): the Markdown to `--markdown` or standard
output, a one-line title to `--title`.

Exit status: 0 no drift, 2 drift, 1 the check failed.

Supported CLIs: v3.106 and newer (the first with `refresh --preview-only`). From v3.226 the CLI
exits 7 when it finds changes and 1 on failure; older ones exit 255 for both, so there a 255
with a complete --json document counts as "changes found" and anything else as a failure.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.drift_report import (
    DRIFT,
    FAILURE,
    NO_DRIFT,
    PULUMI_CHANGES_FOUND,
    Report,
    add_output_arguments,
    build_report,
    failed,
    write,
)

MINIMUM_CLI = (3, 106)
"""The first CLI with `pulumi refresh --preview-only`."""
EXIT_7_SINCE = (3, 226)
"""From this CLI on, `--expect-no-changes` exits 7 (changes) apart from 1 (failure)."""
LEGACY_CHANGES_FOUND = 255
DEFAULT_TIMEOUT_SECONDS = 1800.0


class CheckError(Exception):
    """The check could not run (no CLI, an unsupported one, a timeout)."""


def cli_version(pulumi: str, timeout: float) -> tuple[int, int]:
    """(major, minor) of `pulumi version`, e.g. v3.276.0 -> (3, 276)."""
    try:
        output = subprocess.run(
            [pulumi, "version"], capture_output=True, text=True, timeout=timeout, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise CheckError(f"cannot run `{pulumi} version`: {error}") from None
    found = re.match(r"v?(\d+)\.(\d+)", output.strip())
    if found is None:
        raise CheckError(f"`{pulumi} version` printed {output.strip()!r}, not a version")
    return int(found.group(1)), int(found.group(2))


def changes_found_codes(version: tuple[int, int]) -> tuple[int, ...]:
    if version < MINIMUM_CLI:
        raise CheckError(
            f"Pulumi CLI v{version[0]}.{version[1]} has no `refresh --preview-only`; "
            f"v{MINIMUM_CLI[0]}.{MINIMUM_CLI[1]} or newer is needed"
        )
    return (PULUMI_CHANGES_FOUND,) if version >= EXIT_7_SINCE else (LEGACY_CHANGES_FOUND,)


def refresh(stack: str, pulumi: str, events: Path, timeout: float) -> tuple[int, str]:
    """Run the refresh; Pulumi's progress and errors go to this process's standard error."""
    command = [
        pulumi, "refresh", "--stack", stack, "--preview-only", "--expect-no-changes", "--json",
        "--non-interactive", "--event-log", str(events),
    ]  # fmt: skip
    environment = {**os.environ, "PULUMI_DEBUG_COMMANDS": "true"}
    try:
        run = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
            env=environment,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise CheckError(f"`pulumi refresh` did not finish within {timeout:.0f} s") from None
    except OSError as error:
        raise CheckError(f"cannot run {pulumi}: {error}") from None
    return run.returncode, run.stdout


def check(stack: str, pulumi: str, timeout: float, keep: Path | None) -> Report:
    version = cli_version(pulumi, timeout)
    codes = changes_found_codes(version)
    print(
        f"drift check: refreshing stack {stack} without writing state "
        f"(pulumi v{version[0]}.{version[1]})",
        file=sys.stderr,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="drift-") as scratch:
        events = (keep or Path(scratch)) / "drift-events.jsonl"
        code, document = refresh(stack, pulumi, events, timeout)
        print(f"drift check: pulumi refresh exited {code}", file=sys.stderr, flush=True)
        if keep is not None:
            (keep / "drift.json").write_text(document, encoding="utf-8")
        lines = events.read_text(encoding="utf-8").splitlines() if events.exists() else None
    if code == LEGACY_CHANGES_FOUND and LEGACY_CHANGES_FOUND in codes and not document.strip():
        code = FAILURE  # an old CLI's 255 without a document is a failure, not drift
    return build_report(stack, document, code, events=lines, changes_found_codes=codes)


EXIT_CODES = f"""\
exit status:
  {NO_DRIFT}  no drift: the stack's resources are as its state records them
  {DRIFT}  drift: the report names each changed resource and setting
  {FAILURE}  the check failed: no usable Pulumi CLI, the refresh failed or timed out, or its output
     could not be read (never reported as "no drift")"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.drift_check",
        description=__doc__.split("\n\nExit status:", 1)[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack to check, e.g. prod")
    add_output_arguments(parser)
    parser.add_argument(
        "--keep", type=Path, metavar="FOLDER",
        help="an existing folder to keep Pulumi's drift.json and the event log in "
        "(default: a temporary one, deleted)",
    )  # fmt: skip
    parser.add_argument(
        "--pulumi", default="pulumi", metavar="CLI",
        help="the Pulumi CLI to run, v3.106 or newer (default: pulumi on PATH)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, metavar="SECONDS",
        help="how long the refresh may take before the check fails (default: %(default).0f)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        report = check(args.stack, args.pulumi, args.timeout, args.keep)
    except CheckError as error:
        print(f"drift check failed: {error}", file=sys.stderr)
        report = failed(args.stack, str(error))
    write(report, args.markdown, args.title)
    return report.status


if __name__ == "__main__":
    sys.exit(main())
