"""Adopt an Asana enterprise app that was set up by hand: write a stack file and an import file.

    python -m tools.adopt --stack staging --name "Asana"
    python -m tools.adopt --stack staging --object-id <service principal object id>

Reads only (GETs to Microsoft Graph), with the credentials the program uses (`ARM_*` variables
or azure-identity's default chain). Never writes to Entra ID or Asana.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from clients.connection import CLOUDS, PROJECT, Cloud, ConfigError, resolve
from clients.graph import API_VERSION, SERVICE, GraphClient, synchronization_path
from clients.http import ServiceError
from components.asana_app import COMPONENT_TYPE
from rules.identifiers import is_guid, odata_string
from tools.adoption import (
    APP_NAME,
    Adoption,
    AdoptionError,
    LiveApp,
    adopt,
    choose_service_principal,
)
from tools.new_stack import POLICY_CONFIG_DIR, STRICT_POLICY_CONFIG, register, registration_problems
from tools.stacks import ORDER_FILE, ROOT, STACK_DIR, StackError, name_problem


def read_live_app(graph: GraphClient, name: str | None, object_id: str | None) -> LiveApp:
    """Every object adoption reads, each checked for the fields it relies on (a reply without
    one is a `ServiceError` naming the request, like any other reply of the wrong shape)."""
    wanted = object_id or name or ""
    if object_id:
        path = f"/servicePrincipals/{object_id}"
        try:
            candidates = [graph.get(path)]
        except ServiceError as error:
            if error.status != 404:
                raise
            candidates = []
    else:
        path = "/servicePrincipals"
        candidates = graph.get_all(path, {"$filter": f"displayName eq {odata_string(name or '')}"})
    sp = choose_service_principal(_checked(path, candidates, SP_FIELDS), wanted)
    if "appRoles" not in sp:  # a list result may be partial; read the whole object
        path = f"/servicePrincipals/{sp['id']}"
        (sp,) = _checked(path, [graph.get(path)], SP_FIELDS)
    _checked(path, sp.get("keyCredentials") or [], {"keyId": str}, "keyCredentials")
    applications = _checked(
        "/applications",
        graph.get_all("/applications", {"$filter": f"appId eq '{sp['appId']}'"}),
        {"id": str},
    )
    if len(applications) != 1:
        raise AdoptionError(f"found {len(applications)} applications with app id {sp['appId']}")
    sp_id = sp["id"]
    path = synchronization_path(sp_id, "jobs")
    jobs = _checked(path, graph.get_all(path), {"id": str})
    path = synchronization_path(sp_id, "templates")
    templates = _checked(path, graph.get_all(path), {"id": str}) if jobs else []
    for template in templates:
        if "schema" not in template:
            template["schema"] = graph.get(
                synchronization_path(sp_id, "templates", template["id"], "schema")
            )
    path = synchronization_path(sp_id, "secrets")
    secrets = (
        _checked(path, _checked(path, [graph.get(path)], {"value": list})[0]["value"], SECRET)
        if jobs
        else []
    )
    schema = (
        graph.get(synchronization_path(sp_id, "jobs", jobs[0]["id"], "schema")) if jobs else None
    )
    path = f"/servicePrincipals/{sp_id}/appRoleAssignedTo"
    return LiveApp(
        service_principal=sp,
        application=applications[0],
        assignments=_checked(path, graph.get_all(path), ASSIGNMENT_FIELDS),
        jobs=jobs,
        templates=templates,
        secrets={s["key"]: s["value"] for s in secrets},
        job_schema=schema,
    )


SP_FIELDS = {"id": str, "appId": str}
SECRET = {"key": str, "value": str}
ASSIGNMENT_FIELDS = {"id": str, "principalId": str, "principalType": str}
_KINDS = {str: "a string", list: "a list"}


def _checked(
    path: str, items: list[Any], fields: dict[str, type], within: str = ""
) -> list[dict[str, Any]]:
    """`items` (objects of Graph's reply to GET `path`, or of its list `within`) when each has
    `fields` of their types; else the `ServiceError` clients.graph raises for a reply of the
    wrong shape, naming the request and the field: one line, not a traceback."""
    for item in items:
        for key, kind in fields.items():
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, kind):
                field = f"{within}[].{key}" if within else repr(key)
                problem = "no" if value is None else "a wrong"
                detail = f"answered with {problem} {field} ({_KINDS[kind]} is needed)"
                raise ServiceError(SERVICE, "GET", f"/{API_VERSION}{path}", detail, None)
    return items


def stack_file_text(adoption: Adoption, stack: str, source: str) -> str:
    header = [
        f"# Adopted from the hand-configured enterprise app {source} by `python -m tools.adopt`.",
        "#",
        "# Set the Asana service-account token once, as a secret (never in plain text):",
        f"#   pulumi config set --secret asanaToken <token> --stack {stack}",
        "# Graph credentials come from `azuread:*` settings or the ARM_* environment variables.",
    ]
    body = yaml.safe_dump(
        {"config": adoption.config}, sort_keys=False, allow_unicode=True, width=100
    )
    return "\n".join(header) + "\n" + body


def next_steps(stack: str, stack_file: Path, import_file: Path, root: Path = ROOT) -> str:
    component = f"urn:pulumi:{stack}::{PROJECT}::{COMPONENT_TYPE}::{APP_NAME}"
    return "\n".join(
        [
            f"Wrote {_shown(stack_file, root)} and {import_file}. Next:",
            f"  1. pulumi stack init {stack}",
            f"  2. pulumi config set --secret asanaToken <token> --stack {stack}",
            f"  3. pulumi up --stack {stack} --target '{component}' --yes"
            "    # records the component only; nothing in Entra changes",
            f"  4. pulumi import --stack {stack} --file {import_file} --yes"
            "    # prints Python code for them: ignore it, the program already declares them",
            f"  5. pulumi up --stack {stack} --yes"
            "    # adopts token, template and mappings without changes; writes the"
            " synchronization secret once with the values it already has",
            f"  6. pulumi preview --stack {stack}    # shows no changes",
        ]
    )


def _shown(path: Path, root: Path) -> Path:
    path, root = path.resolve(), root.resolve()
    return path.relative_to(root) if path.is_relative_to(root) else path


def in_repository_stacks(stack_dir: Path, root: Path) -> bool:
    """Whether `--stack-dir` is this repository's stacks/, the only folder whose stack files the
    workflows deploy and `make test` checks; only a stack there is registered."""
    return stack_dir.resolve() == (root / STACK_DIR).resolve()


def outside_note(stack: str, stack_file: Path, root: Path) -> str:
    """What registering takes by hand, for a stack file written outside the repository's
    stacks/ (nothing was added to the deploy order or the policy configs for it)."""
    policy = json.dumps(STRICT_POLICY_CONFIG)
    return "\n".join(
        [
            f"Note: {stack_file} is outside the repository's {STACK_DIR}/ ({root / STACK_DIR}):",
            "  it got no policy config and no line in the deploy order, so the workflows do not",
            "  deploy it. To register it, adopt again with the default --stack-dir stacks (which",
            "  does both, as `make stack` does for a new stack), or from the repository's root:",
            f"    mv {stack_file} {STACK_DIR}/Pulumi.{stack}.yaml",
            f"    echo '{policy}' > {POLICY_CONFIG_DIR}/{stack}.json   # or another stack's copy",
            f"    add the line {stack} to {ORDER_FILE} where it deploys",
        ]
    )


EXIT_CODES = """\
exit status:
  0  the stack file and the import file were written (and, in the repository's stacks/, the
     stack's policy config and deploy-order line)
  1  nothing was written: no such app (or several), Graph refused or was unreachable, a bad
     setting, a missing folder, or stacks/deploy-order cannot be read
  2  bad arguments, or the stack file exists and --force was not given"""


def cloud_groups() -> list[list[str]]:
    """The national clouds `--environment` takes, from the one list the providers use
    (clients.connection.CLOUDS): the names of each cloud, sorted, one list per cloud."""
    names: dict[Cloud, list[str]] = {}
    for name, cloud in CLOUDS.items():
        names.setdefault(cloud, []).append(name)
    return [sorted(group) for group in names.values()]


def cloud_names() -> str:
    """E.g. "global (or public), ..., china": each cloud once, its other names in brackets."""
    return ", ".join(
        f"{first} (or {', '.join(others)})" if others else first
        for first, *others in cloud_groups()
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.adopt",
        description=__doc__.splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="name of the new stack (environment)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="display name of the enterprise application")
    which.add_argument("--object-id", help="object id of its service principal")
    parser.add_argument(
        "--import-file", type=Path, help="where to write the import file (default: "
        "adopt-<stack>-import.json in the current folder)"
    )  # fmt: skip
    parser.add_argument("--force", action="store_true", help="overwrite an existing stack file")
    parser.add_argument(
        "--stack-dir", type=Path, default=Path("stacks"),
        help="folder of the stack file Pulumi.<stack>.yaml (default: stacks/)",
    )  # fmt: skip
    parser.add_argument(
        "--environment", type=str.lower, choices=sorted(CLOUDS), metavar="CLOUD",
        help=f"the national cloud to read from and deploy to, as azuread:environment: "
        f"{cloud_names()} (default: global); written into the stack",
    )  # fmt: skip
    parser.add_argument(
        "--graph-endpoint", metavar="URL",
        help=f"Microsoft Graph root of a custom cloud, as {PROJECT}:graphEndpoint; written "
        "into the stack",
    )  # fmt: skip
    parser.add_argument(
        "--authority-host", metavar="URL",
        help=f"Entra ID authority host of a custom cloud, as {PROJECT}:authorityHost; written "
        "into the stack",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if problem := name_problem(args.stack):
        parser.error(f"--stack: {problem}")
    if args.object_id and not is_guid(args.object_id):
        parser.error("--object-id: a GUID")
    stack_file = args.stack_dir / f"Pulumi.{args.stack}.yaml"
    import_file = args.import_file or Path(f"adopt-{args.stack}-import.json")
    if stack_file.exists() and not args.force:
        print(f"error: {stack_file} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    # Every check before anything is written, so a refusal leaves nothing half written.
    registering = in_repository_stacks(args.stack_dir, root)
    problems = [
        f"--{option}: {folder} is not a folder"
        for option, folder in (("stack-dir", args.stack_dir), ("import-file", import_file.parent))
        if not folder.resolve().is_dir()
    ]
    if registering:
        problems += registration_problems(root)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    # The cloud it reads from is where the stack must deploy too, so the stack file records it,
    # also when it came from ARM_ENVIRONMENT rather than --environment.
    environment = args.environment or os.environ.get("ARM_ENVIRONMENT", "").strip().lower()
    config = {
        key: value
        for key, value in {
            "azuread:environment": environment,
            f"{PROJECT}:graphEndpoint": args.graph_endpoint,
            f"{PROJECT}:authorityHost": args.authority_host,
        }.items()
        if value
    }
    try:
        settings = resolve(config, os.environ)
        live = read_live_app(GraphClient(settings.graph), args.name, args.object_id)
        adoption = adopt(live, args.stack)
        adoption.config.update(config)
    except (AdoptionError, ConfigError, ServiceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    source = f"{live.service_principal.get('displayName')!r} ({live.service_principal['id']})"
    print(f"Found the enterprise app {source} through {settings.graph.endpoint}:")
    for note in adoption.notes:
        print(f"  - {note}")
    import_file.write_text(json.dumps(adoption.import_file, indent=2) + "\n")
    stack_file.write_text(stack_file_text(adoption, args.stack, source))
    if registering:  # policy config and deploy order, as `make stack` gives a new stack
        try:
            written = register(root, args.stack)
        except (StackError, OSError) as error:
            print(f"error: {stack_file} and {import_file} were written, but registering the "
                  f"stack failed: {error}", file=sys.stderr)  # fmt: skip
            return 1
        for path in written:
            print(f"  wrote {_shown(path, root)}")
    print(next_steps(args.stack, stack_file, import_file, root))
    if not registering:
        print(outside_note(args.stack, stack_file, root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
