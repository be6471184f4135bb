"""shellcheck on the `run:` scripts of the composite actions in .github/actions, as actionlint runs
it on a workflow's steps (`make lint`).

actionlint lints workflow files only: it reads a local action's action.yml just where a workflow
`uses:` it, to check the inputs passed (and, in the build we pin, the steps' keys), but never runs
shellcheck on the action's own scripts (upstream issue https://github.com/rhysd/actionlint/issues/46,
open). This runs the same shellcheck command on them, with the same options as actionlint v1.7.12's
rule_shellcheck.go: each `${{ }}` replaced by underscores of its length, `set -eo pipefail` (bash)
or `set -e` (sh) put first as GitHub runs the step, and the same checks left out (SC1091, SC2194,
SC2050, SC2153, SC2154, SC2157, SC2043: placeholders and variables that come from `env:`).

Unlike actionlint, which skips the check silently when no shellcheck is on PATH, it fails then.

    python tests/composite_shellcheck.py [ROOT]   # ROOT: the current folder unless given;
                                                  # exit 0 clean, 1 a finding or no shellcheck
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

# As actionlint leaves them out, for the reasons its rule_shellcheck.go gives.
EXCLUDED = "SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", flags=re.DOTALL)
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Script:
    """One composite step's `run:`, where it is in its file and the shell it runs under."""

    path: Path
    line: int
    column: int
    shell: str | None
    source: str


def shellcheck_command() -> str | None:
    """The shellcheck next to this Python (the pinned one in .venv), else the first on PATH."""
    local = Path(sys.executable).parent / "shellcheck"
    return str(local) if local.exists() else shutil.which("shellcheck")


def _value(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def composite_scripts(action_file: Path) -> list[Script]:
    """The `run:` scripts of a composite action, with the line of each `run:` key (read from the
    YAML nodes, so a finding points at the step as actionlint's do)."""
    root = yaml.compose(action_file.read_text(encoding="utf-8"))
    if not isinstance(root, yaml.MappingNode) or (runs := _value(root, "runs")) is None:
        return []
    steps = _value(runs[1], "steps") if isinstance(runs[1], yaml.MappingNode) else None
    if steps is None or not isinstance(steps[1], yaml.SequenceNode):
        return []
    found = []
    for step in steps[1].value:
        if not isinstance(step, yaml.MappingNode) or (run := _value(step, "run")) is None:
            continue
        shell = _value(step, "shell")
        found.append(
            Script(
                path=action_file,
                line=run[0].start_mark.line + 1,
                column=run[0].start_mark.column + 1,
                shell=str(shell[1].value) if shell else None,
                source=str(run[1].value),
            )
        )
    return found


def _shellcheck_shell(shell: str) -> str | None:
    """bash or sh, as actionlint picks it from `shell:`; None for shells shellcheck cannot read."""
    for name in ("bash", "sh"):
        if shell == name or shell.startswith(f"{name} "):
            return name
    return None


def check(script: Script, shellcheck: str) -> list[str]:
    """The findings for one script, one line each, in actionlint's format."""
    where = f"{script.path}:{script.line}:{script.column}"
    if script.shell is None:
        # https://docs.github.com/en/actions/creating-actions/metadata-syntax-for-github-actions#runsstepsshell
        return [f"{where}: a composite action's step with run: needs shell: [composite]"]
    shell = _shellcheck_shell(script.shell)
    if shell is None:
        return []
    source = EXPRESSION.sub(lambda match: "_" * len(match.group(0)), script.source)
    setup = "set -eo pipefail" if shell == "bash" else "set -e"
    result = subprocess.run(
        [shellcheck, "--norc", "-f", "json", "-x", "--shell", shell, "-e", EXCLUDED, "-"],
        input=f"{setup}\n{source}\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    try:
        reported = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [f"{where}: shellcheck did not run: {result.stderr.strip()} [shellcheck]"]
    return [
        f"{where}: shellcheck reported issue in this script: SC{item['code']}:{item['level']}:"
        f"{item['line'] - 1}:{item['column']}: {item['message'].rstrip('.')} [shellcheck]"
        for item in reported
    ]


def action_files(root: Path) -> list[Path]:
    actions = root / ".github" / "actions"
    return sorted([*actions.glob("*/action.yml"), *actions.glob("*/action.yaml")])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path.cwd()
    shellcheck = shellcheck_command()
    if shellcheck is None:
        print("composite actions: no shellcheck found (make venv installs the pinned one)")
        return 1
    files = action_files(root)
    scripts = [script for path in files for script in composite_scripts(path)]
    findings = [line for script in scripts for line in check(script, shellcheck)]
    for line in findings:
        print(line)
    print(
        f"composite actions: shellcheck on {len(scripts)} run: scripts in {len(files)} actions, "
        f"{len(findings)} finding(s)",
        file=sys.stderr,
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
