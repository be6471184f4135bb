"""Write (or check) the `config:` block of Pulumi.yaml from the settings the program parses.

    python -m tools.pulumi_yaml            # rewrite Pulumi.yaml's config block (make pulumi-yaml)
    python -m tools.pulumi_yaml --check    # exit 1 and say so when it is out of date

`components.settings.SETTINGS` is the one definition of every stack setting (its type,
description and default); Pulumi.yaml declares them so `pulumi config` knows their types. The
lines above `config:` (name, runtime, stackConfigDir) are the project's own and are kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from components.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILE = ROOT / "Pulumi.yaml"
MARKER = "# Generated from components/settings.py (SETTINGS) by `make pulumi-yaml`; do not edit.\n"

EXIT_CODES = """\
exit status:
  0  Pulumi.yaml was written (or, with --check, is up to date)
  1  with --check: Pulumi.yaml's config block differs from the settings"""


def generated(text: str) -> str:
    """`text` (Pulumi.yaml) with its config block, and everything after it, generated anew."""
    lines = text.split("\nconfig:", 1)[0].splitlines(keepends=True)
    while lines and lines[-1].startswith("# Generated from"):
        lines.pop()  # this marker, or an older wording of it
    head = "".join(lines).rstrip("\n") + "\n"
    config = {"config": {setting.name: setting.project_schema() for setting in SETTINGS}}
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)
    return head + MARKER + body


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.pulumi_yaml",
        description=__doc__.splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 when Pulumi.yaml is stale"
    )
    return parser


def main(argv: list[str] | None = None, project_file: Path = PROJECT_FILE) -> int:
    args = build_parser().parse_args(argv)
    current = project_file.read_text(encoding="utf-8")
    wanted = generated(current)
    if args.check:
        if current != wanted:
            print(f"{project_file.name} is out of date: run `make pulumi-yaml`", file=sys.stderr)
            return 1
        print(f"{project_file.name} declares every setting as components/settings.py defines it")
        return 0
    project_file.write_text(wanted, encoding="utf-8")
    print(f"wrote the config block of {project_file.name} ({len(SETTINGS)} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
