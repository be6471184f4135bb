"""A new environment in one step: its stack file, policy config and place in the deploy order.

    python -m tools.new_stack --name staging [--after dev] [--from dev] [--display-name "..."]
    make stack NAME=staging [AFTER=dev] [FROM=dev]

Writes `stacks/Pulumi.<name>.yaml` (a copy of the `--from` stack without its encryption salt and
each setting holding a secret at any depth, or a commented template),
`policies/config/<name>.json` (the `--from` stack's, or every policy mandatory), and adds the
stack to `stacks/deploy-order` after `--after` (at the end without it). Then prints what only a
person can do: the settings a copy left out, the token, the GitHub environment with the
variables and secrets the deploy workflow reads, and the federated credential. Writes nothing
when any input is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from clients.connection import PROJECT
from rules.identifiers import display_name_problem
from tools.stacks import (
    ORDER_FILE,
    ROOT,
    STACK_DIR,
    StackError,
    deploy_order,
    insert_after,
    name_problem,
    read_order,
    stack_file,
)

POLICY_CONFIG_DIR = "policies/config"
DEPLOY_WORKFLOW = ".github/workflows/deploy.yml"
DISPLAY_NAME_KEY = f"{PROJECT}:appDisplayName"
# Keys that belong to one stack's encryption; a copy must not share them.
ENCRYPTION_KEYS = ("encryptionsalt", "encryptedkey", "secretsprovider")
# Every policy at its strictest with the pack's own defaults: the template's guardrails.
STRICT_POLICY_CONFIG = {"all": "mandatory"}
# What the deploy workflow reads that differs per environment; everything else it reads is
# usually set once for the repository (tests check both lists against the workflow).
PER_ENVIRONMENT = {
    "ASANA_TOKEN": ("secret", "the Asana service-account token of this environment's organisation"),
    "AZURE_CLIENT_ID": ("variable", "client id of the deploy app registration for this tenant"),
}

TEMPLATE = """\
# {name}: made by `python -m tools.new_stack`. Replace every contoso.com placeholder (groups,
# emails, the sign-on URL's domain) before the first deployment; the settings are described in
# Pulumi.yaml and the README's configuration reference.
#
# Set the Asana service-account token once per stack, as a secret (never in plain text):
#   pulumi config set --secret asanaToken <token> --stack {name}
# Graph credentials come from `azuread:*` settings or the ARM_* environment variables.
config:
  {display_key}: {display}
  # SAML single sign-on; the sign-on URL ends with your organisation's email domain.
  asana-provisioning:ssoEnabled: true
  asana-provisioning:ssoSignOnUrl: https://app.asana.com/a/contoso.com
  asana-provisioning:ssoNotificationEmails:
    - identity-team@contoso.com
  # Groups (display names or object ids) whose members get Asana.
  asana-provisioning:assignmentGroups:
    - Asana Users ({name})
  asana-provisioning:provisioningEnabled: true
  asana-provisioning:provisioningStatus: "on"
  asana-provisioning:notificationEmail: identity-team@contoso.com
  asana-provisioning:notifyOnFailure: true
  asana-provisioning:deletionThreshold: 50
  # A member of an assigned group whom the deploy workflow provisions on demand after each
  # `pulumi up`, failing the deployment unless it works (user principal name or object id):
  # asana-provisioning:canaryUser: asana.canary@contoso.com
"""


@dataclass(frozen=True)
class NewStack:
    name: str
    after: str | None
    source: str | None
    display_name: str


def check(root: Path, new: NewStack) -> list[str]:
    """Every reason the stack cannot be created as asked (empty when it can)."""
    problems = []
    if problem := name_problem(new.name):
        return [f"--name: {problem}"]
    try:
        order = deploy_order(root)
    except StackError as error:
        return [f"fix the existing stacks first: {line}" for line in str(error).splitlines()]
    if stack_file(root, new.name).exists():
        problems.append(
            f"stack {new.name} exists already ({_shown(stack_file(root, new.name), root)})"
        )
    elif clash := next((s for s in order if s.lower() == new.name.lower()), None):
        problems.append(
            f"stack {new.name} would share the GitHub environment of stack {clash} "
            "(environment names are not case sensitive)"
        )
    elif (policy := policy_config(root, new.name)).exists():
        problems.append(f"{_shown(policy, root)} exists already; remove it or choose another name")
    known = ", ".join(order)
    if new.after is not None and new.after not in order:
        problems.append(f"--after {new.after}: no such stack in {ORDER_FILE}; known: {known}")
    if new.source is not None and new.source not in order:
        problems.append(f"--from {new.source}: no such stack; known: {known}")
    if problem := display_name_problem(new.display_name):
        problems.append(f"--display-name: {_shown_value(new.display_name)} is not {problem}")
    return problems


def policy_config(root: Path, name: str) -> Path:
    return root / POLICY_CONFIG_DIR / f"{name}.json"


def create(root: Path, new: NewStack) -> dict[str, list[str]]:
    """Write the three files; `check` must have passed. Returns the settings of the source stack
    left out because they hold secrets (see `secret_settings`), for the next steps to name."""
    dropped: dict[str, list[str]] = {}
    if new.source is None:
        text = TEMPLATE.format(
            name=new.name, display_key=DISPLAY_NAME_KEY, display=_yaml_scalar(new.display_name)
        )
        policy = json.dumps(STRICT_POLICY_CONFIG, indent=2) + "\n"
    else:
        source_text = stack_file(root, new.source).read_text(encoding="utf-8")
        text, dropped = copied_stack_text(source_text, new.source, new.name, new.display_name)
        policy = policy_config(root, new.source).read_text(encoding="utf-8")
    stack_file(root, new.name).write_text(text, encoding="utf-8")
    policy_config(root, new.name).write_text(policy, encoding="utf-8")
    insert_after(root, new.name, new.after)
    return dropped


def registration_problems(root: Path) -> list[str]:
    """Why `register` could not complete in this repository (empty when it can): checked before
    anything is written, so a refusal leaves no stack half registered."""
    problems = []
    try:
        read_order(root)
    except StackError as error:
        problems += str(error).splitlines()
    if not (root / POLICY_CONFIG_DIR).is_dir():
        problems.append(f"{POLICY_CONFIG_DIR}/ is missing: it holds each stack's policy config")
    return problems


def register(root: Path, name: str) -> list[Path]:
    """Give a stack file written by another tool (tools.adopt) what `create` gives a new one:
    the strict policy config unless it has one, and a place at the end of the deploy order
    unless it has one. Returns the files written, so `make test` stays green afterwards.
    `registration_problems` must have found none."""
    written = []
    if not (policy := policy_config(root, name)).exists():
        policy.write_text(json.dumps(STRICT_POLICY_CONFIG, indent=2) + "\n", encoding="utf-8")
        written.append(policy)
    if name not in read_order(root):
        insert_after(root, name, None)
        written.append(root / ORDER_FILE)
    return written


def secret_paths(value: object, path: str) -> list[str]:
    """The `pulumi config set --path` path of each secret (`{secure: …}`) in a setting's value,
    at any depth: `key`, `key[0]`, `key.inner`, `key["odd.name"]`."""
    if isinstance(value, dict):
        if "secure" in value:
            return [path]
        return [
            found for key, item in value.items() for found in secret_paths(item, _path(path, key))
        ]
    if isinstance(value, list):
        return [
            found for i, item in enumerate(value) for found in secret_paths(item, f"{path}[{i}]")
        ]
    return []


def _path(path: str, key: object) -> str:
    plain = isinstance(key, str) and re.fullmatch(r"[^.\[\]\"\s]+", key)
    return f"{path}.{key}" if plain else f"{path}[{json.dumps(str(key))}]"


def secret_settings(config: Mapping[str, object]) -> dict[str, list[str]]:
    """Each setting holding a secret anywhere in its value, with the paths of its secrets. A
    secret is encrypted with its stack's own key, so no other stack can decrypt it: a copy
    leaves the whole setting out, and the next steps say how to set it again."""
    return {key: paths for key, value in config.items() if (paths := secret_paths(value, key))}


def copied_stack_text(
    text: str, source: str, name: str, display_name: str
) -> tuple[str, dict[str, list[str]]]:
    """The source stack file for a new stack: comments kept, its encryption salt and each
    setting holding a secret at any depth left out (they belong to the source stack), the
    display name set, `--stack <source>` in comments renamed. Checked against the parsed source
    before it is returned, with the settings left out (`secret_settings`)."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise StackError(f"stack {source}'s file is not valid YAML: {error}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        config = {}  # no mapping of settings: the check below refuses the copy
    dropped = secret_settings(config)
    secure = set(dropped)
    lines = [
        line
        for line in _without_blocks(text.splitlines(), secure)
        if not any(line.startswith(f"{key}:") for key in ENCRYPTION_KEYS)
    ]
    lines = [re.sub(rf"--stack {re.escape(source)}\b", f"--stack {name}", line) for line in lines]
    lines = _with_display_name(lines, display_name)
    header = (
        f"# {name}: copied from stack {source} by `python -m tools.new_stack`; review each setting."
    )
    result = "\n".join([header, *lines]) + "\n"

    expected = {k: v for k, v in config.items() if k not in secure}
    for key in (DISPLAY_NAME_KEY, DISPLAY_NAME_KEY.split(":", 1)[1]):
        expected.pop(key, None)
    expected[DISPLAY_NAME_KEY] = display_name
    copied = yaml.safe_load(result) or {}
    copied_config = copied.get("config")
    if (
        copied_config != expected
        or set(copied) - {"config"}
        or secret_settings(copied_config or {})
    ):
        raise StackError(
            f"stack {source}'s file is laid out in a way this tool cannot copy safely; "
            "run without --from for the template, then copy its settings by hand"
        )
    return result, dropped


def _without_blocks(lines: list[str], keys: set[str]) -> list[str]:
    """The lines without each config entry in `keys` (its key line and its indented value)."""
    kept: list[str] = []
    dropping_below: int | None = None
    for line in lines:
        indent, entry = len(line) - len(line.lstrip()), line.strip()
        if dropping_below is not None:
            # A block list may sit at its key's indent (`key:` then `- item`): still its value.
            if (
                entry
                and indent <= dropping_below
                and not (indent == dropping_below and (entry == "-" or entry.startswith("- ")))
            ):
                dropping_below = None
            else:
                continue
        if indent > 0 and any(entry == f"{k}:" or entry.startswith(f"{k}: ") for k in keys):
            dropping_below = indent
            continue
        kept.append(line)
    return kept


def _with_display_name(lines: list[str], display_name: str) -> list[str]:
    short = DISPLAY_NAME_KEY.split(":", 1)[1]
    entry = re.compile(rf"^(\s+)(?:{re.escape(PROJECT)}:)?{short}:")
    value = _yaml_scalar(display_name)
    for index, line in enumerate(lines):
        if match := entry.match(line):
            return [
                *lines[:index],
                f"{match.group(1)}{DISPLAY_NAME_KEY}: {value}",
                *lines[index + 1 :],
            ]
    at = next((i for i, line in enumerate(lines) if line.rstrip() == "config:"), None)
    if at is None:  # no block `config:` to add to; the caller's check refuses the copy
        return lines
    return [*lines[: at + 1], f"  {DISPLAY_NAME_KEY}: {value}", *lines[at + 1 :]]


def _yaml_scalar(value: str) -> str:
    """The value as written in a stack file: plain when YAML reads it back unchanged."""
    try:
        plain_ok = yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok else json.dumps(value)


def workflow_inputs(root: Path) -> dict[str, set[str]]:
    """The variables and secrets the deploy workflow and its actions read, by kind."""
    texts = [(root / DEPLOY_WORKFLOW).read_text(encoding="utf-8")]
    texts += [
        p.read_text(encoding="utf-8") for p in sorted(root.glob(".github/actions/*/action.yml"))
    ]
    found: dict[str, set[str]] = {"variable": set(), "secret": set()}
    for text in texts:
        found["variable"] |= set(re.findall(r"\$\{\{\s*vars\.(\w+)\s*\}\}", text))
        found["secret"] |= set(re.findall(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", text))
    return found


def next_steps(
    root: Path, new: NewStack, order: list[str], dropped: Mapping[str, list[str]] | None = None
) -> str:
    stack_path = _shown(stack_file(root, new.name), root)
    origin = f"copied from {new.source}" if new.source else "from the template"
    policy_origin = f"{new.source}'s" if new.source else "every policy mandatory"
    reads = workflow_inputs(root)
    shared = {kind: sorted(names - set(PER_ENVIRONMENT)) for kind, names in reads.items()}
    lines = [
        f"Created stack {new.name}:",
        f"  {stack_path}  ({origin}; display name {new.display_name!r})",
        f"  {_shown(policy_config(root, new.name), root)}  ({policy_origin})",
        f"  {ORDER_FILE}  (deploys: {' -> '.join(order)})",
        "",
        "Next:",
        f"  1. Review {stack_path}: groups, users, emails, the sign-on URL.",
        "  2. The stack's Asana token, as a secret (or only as the environment's ASANA_TOKEN):",
        f"       pulumi stack select --create {new.name}",
        f"       pulumi config set --secret asanaToken <token> --stack {new.name}",
        *_dropped_lines(new, dropped or {}),
        f"  3. GitHub: Settings > Environments > New environment named {new.name}; add",
    ]
    for name, (kind, what) in PER_ENVIRONMENT.items():
        lines.append(f"       {kind:<8} {name:<16} {what}")
    lines += [
        "     (add required reviewers if this environment waits for approval). The deploy job",
        "     also reads these, usually set once for the repository:",
        f"       variables: {', '.join(shared['variable'])}",
        f"       secrets:   {', '.join(shared['secret'])}",
        "  4. On the deploy app registration: a federated credential for GitHub Actions with",
        f"     subject repo:<owner>/<repo>:environment:{new.name}.",
        f"  5. make test && make preview STACK={new.name}; then a pull request. Once merged, the",
        f"     deploy workflow deploys {new.name} in its turn.",
        "See docs/environments.md.",
    ]
    return "\n".join(lines)


def _dropped_lines(new: NewStack, dropped: Mapping[str, list[str]]) -> list[str]:
    """How to set again each setting the copy left out: it held secrets encrypted for the
    source stack, which the new stack cannot decrypt."""
    if not dropped:
        return []
    source_file = f"{STACK_DIR}/Pulumi.{new.source}.yaml"
    lines = [
        f"     Left out of the copy, as they hold secrets only stack {new.source} can decrypt:",
        f"       {', '.join(dropped)}",
        f"     Set each again: first any plain parts as in {source_file}, then each secret:",
    ]
    for key, paths in dropped.items():
        for path in paths:
            option = "--secret" if path == key else "--secret --path"
            lines.append(
                f"       pulumi config set {option} {shlex.quote(path)} <value> --stack {new.name}"
            )
    return lines


def _shown_value(value: str) -> str:
    """The value quoted, control and invisible characters escaped, long ones shortened."""
    return repr(value) if len(value) <= 40 else f"{value[:40]!r}… ({len(value)} characters)"


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


EXIT_CODES = """\
exit status:
  0  the stack file, its policy config and its place in the deploy order were written
  1  nothing was written: a bad name, an existing stack, an unknown --after or --from
  2  bad arguments"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.new_stack",
        description=__doc__.split("\n\n")[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", required=True, help="the new stack (and GitHub environment)")
    parser.add_argument("--after", help="deploy it right after this stack (default: last)")
    parser.add_argument("--from", dest="source", help="copy this stack's settings and policies")
    parser.add_argument(
        "--display-name", help='the app\'s name in Entra (default: "Asana (<name>)")'
    )
    return parser


def parse(argv: list[str] | None) -> NewStack:
    args = build_parser().parse_args(argv)
    display = args.display_name if args.display_name is not None else f"Asana ({args.name})"
    return NewStack(args.name, args.after, args.source, display)


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    new = parse(argv)
    problems = check(root, new)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        dropped = create(root, new)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(next_steps(root, new, deploy_order(root), dropped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
