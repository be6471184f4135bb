"""Runs one step of a workflow or composite action the way a GitHub runner would, with stand-ins.

The step's `run:` script is taken from the YAML file and run with bash as GitHub runs it (a
workflow step without `shell:` under `bash -e`, a step with `shell: bash` under
`bash --noprofile --norc -eo pipefail`). Its `env:` is expanded from a context given by the test
(`matrix.stack`, `inputs.status`, `steps.canary.outputs.user`, …); an expression the context
does not hold fails the test. Commands such as `gh` or `pulumi` are replaced by a stand-in that
records its arguments and answers from a file, so that what a step would do to GitHub or the
backend is observed, not performed.

`evaluate`, `interpolate` and `condition` read GitHub's expression language as a whole job needs
it (`tests/e2e/actions_runner.py` runs jobs step by step with them): contexts with nested
properties, `==`/`!=` (strings compared ignoring case), `!`, `&&`, `||`, parentheses and the
functions the workflows use, as documented in
https://docs.github.com/en/actions/reference/evaluate-expressions-in-workflows-and-actions.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
STEP_TIMEOUT_SECONDS = 30

STAND_IN = """#!{python}
# A stand-in for `{name}`: records its arguments, answers from the file the test chose.
import json, os, sys
with open(os.environ["STAND_IN_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"command": "{name}", "args": sys.argv[1:],
                          "gh_token": bool(os.environ.get("GH_TOKEN"))}}) + "\\n")
answers = json.loads(os.environ.get("STAND_IN_ANSWERS", "{{}}"))
for prefix, answer in answers.get("{name}", []):
    if sys.argv[1 : 1 + len(prefix)] == prefix:
        sys.stdout.write(answer.get("stdout", ""))
        sys.exit(answer.get("exit", 0))
"""


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def find_step(document: dict[str, Any], name_or_id: str) -> dict[str, Any]:
    """The step with this id, or whose name starts with this text, in a workflow, one of its
    jobs, or a composite action."""
    if "runs" in document:
        steps = document["runs"]["steps"]
    elif "steps" in document:
        steps = document["steps"]
    else:
        steps = [s for job in document["jobs"].values() for s in job.get("steps", [])]
    found = [
        s for s in steps if s.get("id") == name_or_id or s.get("name", "").startswith(name_or_id)
    ]
    assert len(found) == 1, f"{len(found)} steps match {name_or_id!r}"
    return found[0]


def expand(value: Any, context: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        assert match.group(1) in context, f"the test gives no value for {match.group(0)}"
        return context[match.group(1)]

    return EXPRESSION.sub(replace, str(value))


@dataclass(frozen=True)
class StepRun:
    exit_code: int
    output: str
    calls: list[dict[str, Any]]
    github_output: dict[str, str]
    summary: str

    def called(self, command: str) -> list[list[str]]:
        return [call["args"] for call in self.calls if call["command"] == command]


def run_step(
    step: dict[str, Any],
    workdir: Path,
    context: dict[str, str],
    answers: dict[str, list[tuple[list[str], dict[str, Any]]]] | None = None,
    stand_ins: tuple[str, ...] = ("gh", "pulumi"),
) -> StepRun:
    """Run the step's script in `workdir`; `answers` maps a stand-in to (argument prefix,
    {"stdout", "exit"}) pairs, the first matching prefix answers. The stand-ins and the runner's
    files (GITHUB_OUTPUT, the step summary) live in a directory of their own."""
    with tempfile.TemporaryDirectory(prefix="step-") as scratch:
        runner = Path(scratch)
        for name in stand_ins:
            path = runner / name
            path.write_text(STAND_IN.format(python=sys.executable, name=name), encoding="utf-8")
            path.chmod(0o755)
        log, github_output, summary = (runner / n for n in ("calls", "output", "summary"))
        for path in (log, github_output, summary):
            path.write_text("", encoding="utf-8")
        env = {
            "PATH": f"{runner}:/usr/bin:/bin",
            "HOME": str(runner),
            "GITHUB_OUTPUT": str(github_output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REPOSITORY": "contoso/asana-provisioning",
            "GITHUB_RUN_ID": "4242",
            "STAND_IN_LOG": str(log),
            "STAND_IN_ANSWERS": json.dumps(answers or {}),
            **{name: expand(value, context) for name, value in (step.get("env") or {}).items()},
        }
        shell = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
            if step.get("shell") == "bash"
            else ["bash", "-e", "-c"]
        )
        result = subprocess.run(
            [*shell, step["run"]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        lines = github_output.read_text(encoding="utf-8").splitlines()
        return StepRun(
            exit_code=result.returncode,
            output=result.stdout + result.stderr,
            calls=[json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()],
            github_output=dict(line.split("=", 1) for line in lines if "=" in line),
            summary=summary.read_text(encoding="utf-8"),
        )


class ExpressionError(AssertionError):
    """An expression the evaluator cannot read, or a value the test did not give."""


class Strict(dict):  # type: ignore[type-arg]
    """A context whose every key must be given (vars, secrets, inputs): a name the test forgot
    fails instead of reading as the empty string GitHub would give."""

    def __missing__(self, key: str) -> Any:
        raise ExpressionError(f"the test gives no value for {key!r}")


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|&&|\|\||[!().,\[\]])|(?P<name>[A-Za-z_][\w-]*))"
)
STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {text[position:]!r} in {text!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _text(value: Any) -> str:
    """A value as GitHub writes it into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is not type(right) and None not in (left, right):
        try:  # different types are compared as numbers
            return float(_text(left) or 0) == float(_text(right) or 0)
        except ValueError:
            return False
    return left == right


class _Parser:
    """Recursive descent over: or := and ('||' and)*; and := unary ('&&' unary)*;
    unary := '!' unary | comparison; comparison := primary (('=='|'!=') primary)?;
    primary := literal | '(' or ')' | name ('(' args ')')? ('.' name | '[' or ']')*."""

    def __init__(self, text: str, context: Mapping[str, Any], functions: Mapping[str, Any]):
        self.text, self.tokens, self.position = text, _tokens(text), 0
        self.context, self.functions = context, functions

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ExpressionError(f"{self.text!r} ends too early")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, found {token[1]!r} in {self.text!r}")
        self.position += 1
        return token

    def parse(self) -> Any:
        value = self.either()
        if self.position != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def either(self) -> Any:
        value = self.both()
        while self.peek() == "||":
            self.take()
            right = self.both()
            value = value or right
        return value

    def both(self) -> Any:
        value = self.unary()
        while self.peek() == "&&":
            self.take()
            right = self.unary()
            value = value and right
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not self.unary()
        left = self.primary()
        if self.peek() in ("==", "!="):
            operator = self.take()[1]
            equal = _equal(left, self.primary())
            return equal if operator == "==" else not equal
        return left

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if text == "(":
            value = self.either()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            value = self.call(text)
        elif text in self.context:
            value = self.context[text]
        else:
            raise ExpressionError(f"the test gives no context {text!r} (in {self.text!r})")
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key: Any = self.take()[1]
            else:
                key = self.either()
                self.take("]")
            value = self.member(value, key)
        return value

    def member(self, value: Any, key: Any) -> Any:
        if isinstance(value, Strict):
            return value[key]
        if isinstance(value, dict):
            # GitHub matches property names ignoring case; a missing one is null.
            found = [v for k, v in value.items() if str(k).casefold() == str(key).casefold()]
            return found[0] if found else None
        if isinstance(value, list) and isinstance(key, float):
            return value[int(key)] if 0 <= key < len(value) else None
        return None

    def call(self, name: str) -> Any:
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.either())
            if self.peek() == ",":
                self.take()
        self.take(")")
        function = self.functions.get(name) or _FUNCTIONS.get(name.casefold())
        if function is None:
            raise ExpressionError(f"no function {name!r} here (in {self.text!r})")
        return function(*args)


_FUNCTIONS: dict[str, Any] = {
    "fromjson": json.loads,
    "tojson": lambda value: json.dumps(value, indent=2),
    "contains": lambda haystack, needle: (
        any(_equal(item, needle) for item in haystack)
        if isinstance(haystack, list)
        else _text(needle).casefold() in _text(haystack).casefold()
    ),
    "startswith": lambda text, prefix: _text(text).casefold().startswith(_text(prefix).casefold()),
    "endswith": lambda text, suffix: _text(text).casefold().endswith(_text(suffix).casefold()),
}


def evaluate(
    expression: str, context: Mapping[str, Any], functions: Mapping[str, Any] | None = None
) -> Any:
    """The value of one expression (the text inside `${{ }}`); `functions` adds the status
    functions (`success()`, …) of the step being decided."""
    return _Parser(expression, context, functions or {}).parse()


def interpolate(value: Any, context: Mapping[str, Any]) -> str:
    """A `with:`, `env:` or `run:` value with each `${{ … }}` replaced by its value's text."""
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: _text(evaluate(m.group(1), context)), str(value), flags=re.S
    )


def condition(
    text: Any, context: Mapping[str, Any], status: Mapping[str, bool], default: str = "success()"
) -> bool:
    """Whether a step (or job) with `if: text` runs. `status` gives success, failure, cancelled
    and always; an `if` that calls none of them is read as `success() && (text)`, and no `if`
    at all as `success()`, as GitHub does."""
    expression = default if text is None else str(text).strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2]
    if not re.search(rf"\b({'|'.join(STATUS_FUNCTIONS)})\s*\(", expression):
        expression = f"success() && ({expression})"
    functions = {name: (lambda value=status[name]: value) for name in STATUS_FUNCTIONS}
    return bool(evaluate(expression, context, functions))
