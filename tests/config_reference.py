"""The settings table of docs/configuration.md, generated from Pulumi.yaml's `config:` block.

Pulumi.yaml is itself generated from `components.settings.SETTINGS` (tests/test_settings.py
checks they agree), so every setting's name, type, default and description is written once.
`python -m tests.config_reference docs/configuration.md` (part of `make docs`) rewrites the table
between the two markers and leaves the prose around it alone; `--check` exits 1 when the file
is out of date, and tests/test_docs.py runs the same comparison.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.doc_sections import with_section

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- settings table: generated from Pulumi.yaml by `make docs`; do not edit by hand -->"
END = "<!-- end of the generated settings table -->"


def _default(schema: dict[str, Any]) -> str:
    value = schema.get("default")
    if value in ("", None):
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | dict):
        return f"`{yaml.safe_dump(value, default_flow_style=True).strip()}`"
    return f"`{value}`"


def _type(schema: dict[str, Any]) -> str:
    # Pulumi.yaml cannot declare an object type, so structured settings carry none.
    return schema.get("type") or "object"


def table(project: dict[str, Any]) -> str:
    """The Markdown table of every setting Pulumi.yaml declares, in its order."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, schema in project["config"].items():
        description = schema.get("description", "")
        for character, escaped in (("|", "\\|"), ("<", "&lt;"), (">", "&gt;")):
            description = description.replace(character, escaped)
        lines.append(f"| `{name}` | {_type(schema)} | {_default(schema)} | {description} |")
    return "\n".join(lines)


def rewritten(document: str, project: dict[str, Any]) -> str:
    """`document` with the text between the markers replaced by the current table."""
    return with_section(document, BEGIN, END, table(project))


def load_project() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.config_reference",
        description="Rewrite the settings table of a document from Pulumi.yaml.",
    )
    parser.add_argument("path", type=Path, help="the document, e.g. docs/configuration.md")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the table differs"
    )
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8")
    try:
        text = rewritten(current, load_project())
    except ValueError as error:
        print(f"config_reference: {args.path}: {error}", file=sys.stderr)
        return 1
    if args.check:
        if text != current:
            print(f"config_reference: {args.path} is out of date; run `make docs`", file=sys.stderr)
            return 1
        print(f"config_reference: {args.path} matches Pulumi.yaml")
        return 0
    args.path.write_text(text, encoding="utf-8")
    print(f"config_reference: wrote the settings table of {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
