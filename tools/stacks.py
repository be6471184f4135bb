"""The repository's stacks: their names, their files, and the order the deploy workflow follows.

    python3 -m tools.stacks          # the stacks in deploy order, as a JSON list

Every `stacks/Pulumi.<name>.yaml` is a stack; `stacks/deploy-order` lists each of them once, in
the order `.github/workflows/deploy.yml` deploys them. The workflows' stack listing
(`.github/actions/list-stacks`) runs this module, so the order and the check that it names every
stack file exist once. Standard library only: the listing job runs it with the runner's Python
before any virtual environment exists.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK_DIR = "stacks"
ORDER_FILE = f"{STACK_DIR}/deploy-order"
# Pulumi's rule for a stack name (sdk/go/common/tokens/stack_name.go, ParseStackName).
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
STACK_NAME_RULE = "1 to 100 characters, each a letter, a digit, '-', '_' or '.' (Pulumi's rule)"


class StackError(ValueError):
    """The stacks, or a name given for one, are not what the workflows can use."""


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a stack name, or None when it can."""
    if STACK_NAME.fullmatch(name):
        return None
    if not name:
        return f"a stack name may not be empty; allowed: {STACK_NAME_RULE}"
    if len(name) > 100:
        return f"stack name {name[:20]!r}… has {len(name)} characters; allowed: {STACK_NAME_RULE}"
    bad = next(c for c in name if not STACK_NAME.fullmatch(c))
    return f"stack name {name!r} contains {bad!r}; allowed: {STACK_NAME_RULE}"


def stack_file(root: Path, name: str) -> Path:
    return root / STACK_DIR / f"Pulumi.{name}.yaml"


def stack_files(root: Path = ROOT) -> dict[str, Path]:
    """Every stack file by stack name, sorted by name."""
    files = sorted((root / STACK_DIR).glob("Pulumi.*.yaml"))
    return {path.name[len("Pulumi.") : -len(".yaml")]: path for path in files}


def _entries(text: str) -> list[tuple[int, str]]:
    """(line number, name) of each stack line; blank lines and `#` comments are skipped."""
    lines = enumerate(text.splitlines(), start=1)
    return [(n, line.strip()) for n, line in lines if line.strip() and not _comment(line)]


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def read_order(root: Path = ROOT) -> list[str]:
    """The declared order, as written (checked only for well-formed names)."""
    path = root / ORDER_FILE
    if not path.is_file():
        raise StackError(f"{ORDER_FILE} is missing: it lists every stack in deploy order")
    problems = [
        f"{ORDER_FILE} line {n}: {problem}"
        for n, name in _entries(path.read_text(encoding="utf-8"))
        if (problem := name_problem(name))
    ]
    if problems:
        raise StackError("\n".join(problems))
    return [name for _, name in _entries(path.read_text(encoding="utf-8"))]


def order_problems(root: Path = ROOT) -> list[str]:
    """Everything that keeps the declared order from naming each stack file exactly once."""
    try:
        order = read_order(root)
    except StackError as error:
        return str(error).splitlines()
    files = stack_files(root)
    problems = [
        f"{ORDER_FILE} lists {name} more than once"
        for name in dict.fromkeys(order)
        if order.count(name) > 1
    ]
    problems += [
        f"{ORDER_FILE} lists {name}, but there is no {STACK_DIR}/Pulumi.{name}.yaml"
        for name in dict.fromkeys(order)
        if name not in files
    ]
    problems += [
        f"{STACK_DIR}/Pulumi.{name}.yaml is not in {ORDER_FILE}; add it where it deploys"
        for name in files
        if name not in order
    ]
    return problems


def deploy_order(root: Path = ROOT) -> list[str]:
    """The stacks in deploy order, after checking the order names each stack file once."""
    problems = order_problems(root)
    if problems:
        raise StackError("\n".join(problems))
    return read_order(root)


def insert_after(root: Path, name: str, after: str | None) -> None:
    """Add `name` to the order file after `after` (at the end when None), keeping its comments."""
    path = root / ORDER_FILE
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if after is None:
        position = len(lines)
    else:
        line_numbers = [n for n, entry in _entries(text) if entry == after]
        if not line_numbers:
            raise StackError(f"{after!r} is not in {ORDER_FILE}")
        position = line_numbers[0]
    lines.insert(position, name)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    if argv:
        print(
            "usage: python3 -m tools.stacks   (prints the stacks in deploy order)", file=sys.stderr
        )
        return 1
    try:
        order = deploy_order()
    except StackError as error:
        # In a GitHub Actions job each problem becomes an annotation on the run.
        prefix = "::error::" if os.environ.get("GITHUB_ACTIONS") == "true" else "error: "
        for line in str(error).splitlines():
            print(f"{prefix}{line}", file=sys.stderr)
        return 1
    print(json.dumps(order, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
