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
import re
import sys
from pathlib import Path

import yaml

from components.asana_app import COMPONENT_TYPE
from providers.connection import PROJECT, ConfigError, resolve
from providers.graph import GraphClient, synchronization_path
from providers.http import ServiceError
from tools.adoption import (
    APP_NAME,
    Adoption,
    AdoptionError,
    LiveApp,
    adopt,
    choose_service_principal,
)

ROOT = Path(__file__).resolve().parent.parent
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def read_live_app(graph: GraphClient, name: str | None, object_id: str | None) -> LiveApp:
    wanted = object_id or name or ""
    if object_id:
        try:
            candidates = [graph.get(f"/servicePrincipals/{object_id}")]
        except ServiceError as error:
            if error.status != 404:
                raise
            candidates = []
    else:
        literal = (name or "").replace("'", "''")
        candidates = graph.get_all("/servicePrincipals", {"$filter": f"displayName eq '{literal}'"})
    sp = choose_service_principal(candidates, wanted)
    if "appRoles" not in sp:  # a list result may be partial; read the whole object
        sp = graph.get(f"/servicePrincipals/{sp['id']}")
    applications = graph.get_all("/applications", {"$filter": f"appId eq '{sp['appId']}'"})
    if len(applications) != 1:
        raise AdoptionError(f"found {len(applications)} applications with app id {sp['appId']}")
    sp_id = sp["id"]
    jobs = graph.get_all(synchronization_path(sp_id, "jobs"))
    templates = graph.get_all(synchronization_path(sp_id, "templates")) if jobs else []
    for template in templates:
        if "schema" not in template:
            template["schema"] = graph.get(
                synchronization_path(sp_id, "templates", template["id"], "schema")
            )
    secrets = graph.get(synchronization_path(sp_id, "secrets")) if jobs else None
    schema = (
        graph.get(synchronization_path(sp_id, "jobs", jobs[0]["id"], "schema")) if jobs else None
    )
    return LiveApp(
        service_principal=sp,
        application=applications[0],
        assignments=graph.get_all(f"/servicePrincipals/{sp_id}/appRoleAssignedTo"),
        jobs=jobs,
        templates=templates,
        secrets={s["key"]: s["value"] for s in (secrets or {}).get("value", [])},
        job_schema=schema,
    )


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


def next_steps(stack: str, stack_file: Path, import_file: Path) -> str:
    component = f"urn:pulumi:{stack}::{PROJECT}::{COMPONENT_TYPE}::{APP_NAME}"
    return "\n".join(
        [
            f"Wrote {_shown(stack_file)} and {import_file}. Next:",
            f"  1. pulumi stack init {stack}",
            f"  2. pulumi config set --secret asanaToken <token> --stack {stack}",
            f"  3. pulumi up --stack {stack} --target '{component}' --yes"
            "    # records the component only; nothing in Entra changes",
            f"  4. pulumi import --stack {stack} --file {import_file} --yes --generate-code=false"
            "    # the program already declares them",
            f"  5. pulumi up --stack {stack} --yes"
            "    # adopts token, template and mappings without changes; writes the"
            " synchronization secret once with the values it already has",
            f"  6. pulumi preview --stack {stack}    # shows no changes",
        ]
    )


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="name of the new stack (environment)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="display name of the enterprise application")
    which.add_argument("--object-id", help="object id of its service principal")
    parser.add_argument("--import-file", type=Path, help="default: adopt-<stack>-import.json")
    parser.add_argument("--force", action="store_true", help="overwrite an existing stack file")
    parser.add_argument("--stack-dir", type=Path, default=Path("stacks"), help="default: stacks/")
    parser.add_argument("--environment", help="azuread environment (global, usgovernment, china)")
    parser.add_argument("--graph-endpoint", help="Graph root of a custom cloud")
    parser.add_argument("--authority-host", help="authority host of a custom cloud")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", args.stack):
        parser.error("--stack: letters, digits, '-', '_' and '.' only")
    if args.object_id and not _GUID.match(args.object_id):
        parser.error("--object-id: a GUID")
    stack_file = args.stack_dir / f"Pulumi.{args.stack}.yaml"
    import_file = args.import_file or Path(f"adopt-{args.stack}-import.json")
    if stack_file.exists() and not args.force:
        print(f"error: {stack_file} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    config = {
        key: value
        for key, value in {
            "azuread:environment": args.environment,
            f"{PROJECT}:graphEndpoint": args.graph_endpoint,
            f"{PROJECT}:authorityHost": args.authority_host,
        }.items()
        if value
    }
    try:
        settings = resolve(config, os.environ)
        live = read_live_app(GraphClient(settings.graph), args.name, args.object_id)
        adoption = adopt(live, args.stack)
        # The cloud it was read from is where the stack must deploy too.
        adoption.config.update(config)
    except (AdoptionError, ConfigError, ServiceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    source = f"{live.service_principal.get('displayName')!r} ({live.service_principal['id']})"
    print(f"Found the enterprise app {source}:")
    for note in adoption.notes:
        print(f"  - {note}")
    stack_file.write_text(stack_file_text(adoption, args.stack, source))
    import_file.write_text(json.dumps(adoption.import_file, indent=2) + "\n")
    print(next_steps(args.stack, stack_file, import_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
