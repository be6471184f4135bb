"""Run the local tenant on its own: Entra ID's token endpoint, Microsoft Graph, ARM's cloud
metadata and Asana's SCIM service over HTTPS on 127.0.0.1, to poke at with curl or to point a
manual `pulumi preview`/`up` at. It serves until interrupted (Ctrl-C or SIGTERM), then deletes
its CA file.

By default it seeds a demo tenant (tests/emulator/seeding.py): the app registration Pulumi signs
in as, a service principal offering the Asana provisioning template with its realistic schema,
the groups and users the repository's stacks assign, and a live Asana SCIM token. The Asana
gallery application template is always there to instantiate. It prints where it listens and
how to point the product at it."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .emulator import Emulator
from .gallery import ASANA_SYNCHRONIZATION_TEMPLATE_ID, asana_synchronization_template
from .seeding import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_SCIM_TOKEN,
    DEMO_SERVICE_PRINCIPAL_ID,
    DEMO_TENANT_ID,
    DemoTenant,
    seed_demo_tenant,
)
from .server import HOST

PROG = "python -m tests.emulator"
PROJECT = "asana-provisioning"
EXIT_CODES = """\
exit status:
  0  stopped by Ctrl-C (SIGINT) or SIGTERM
  1  could not start (the port is taken, for example)
  2  bad arguments, or a --template-schema file that cannot be read or is not a JSON object"""


class UsageError(Exception):
    """Bad input named in one line, without a traceback."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=_port, default=0,
        help=f"TCP port to listen on, on {HOST} only (default: 0, a free one picked for you)",
    )  # fmt: skip
    parser.add_argument(
        "--empty", action="store_true",
        help="start with an empty tenant: no app registration, service principal, users, "
        "groups or SCIM token (the seed flags below are then ignored)",
    )  # fmt: skip
    seed = parser.add_argument_group("demo tenant (the seed)")
    seed.add_argument(
        "--tenant-id", default=DEMO_TENANT_ID,
        help="tenant the app registration signs in to (ARM_TENANT_ID; default: %(default)s)",
    )  # fmt: skip
    seed.add_argument(
        "--client-id", default=DEMO_CLIENT_ID,
        help="client id of the app registration Pulumi signs in as (ARM_CLIENT_ID; "
        "default: %(default)s)",
    )  # fmt: skip
    seed.add_argument(
        "--client-secret", default=DEMO_CLIENT_SECRET,
        help="its client secret (ARM_CLIENT_SECRET; default: %(default)s)",
    )  # fmt: skip
    seed.add_argument(
        "--service-principal-id", default=DEMO_SERVICE_PRINCIPAL_ID,
        help="object id of the service principal offering the provisioning template "
        "(default: %(default)s)",
    )  # fmt: skip
    seed.add_argument(
        "--template-id", default=ASANA_SYNCHRONIZATION_TEMPLATE_ID,
        help="id of that synchronization template (default: %(default)s)",
    )  # fmt: skip
    seed.add_argument(
        "--factory-tag", default=ASANA_SYNCHRONIZATION_TEMPLATE_ID,
        help="factoryTag of that template (default: %(default)s)",
    )  # fmt: skip
    seed.add_argument(
        "--template-schema", metavar="FILE", type=Path,
        help="JSON file with the template's synchronizationSchema (default: the realistic "
        "Asana schema of tests/emulator/asana_schema.py)",
    )  # fmt: skip
    seed.add_argument(
        "--scim-token", default=DEMO_SCIM_TOKEN,
        help="bearer token Asana's SCIM service accepts (the stack's asanaToken; "
        "default: %(default)s)",
    )  # fmt: skip
    return parser


def read_schema(path: Path) -> dict[str, Any]:
    """The synchronizationSchema in `path`, or a UsageError naming the file and what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"--template-schema {str(path)!r}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--template-schema {str(path)!r}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"--template-schema {str(path)!r}: not JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})"
        ) from None
    if not isinstance(document, dict):
        raise UsageError(
            f"--template-schema {str(path)!r}: a synchronizationSchema JSON object is needed, "
            f"not a {type(document).__name__}"
        )
    return document


def template_of(args: argparse.Namespace) -> dict[str, Any]:
    template = asana_synchronization_template()
    template.update(id=args.template_id, factoryTag=args.factory_tag)
    if args.template_schema is not None:
        template["schema"] = read_schema(args.template_schema)
    return template


def instructions(emulator: Emulator, demo: DemoTenant | None) -> list[str]:
    """Where it listens and how to point the product at it (never a secret's value)."""
    base, ca = emulator.base_url, emulator.ca_bundle_path
    lines = [
        f"base URL:      {base}",
        f"CA bundle:     {ca}",
        f"SCIM base URL: {emulator.scim_base_url}",
        f"metadata host: {emulator.metadata_host}  (azuread:metadataHost)",
    ]
    if demo is not None:
        people = ", ".join(name for name in demo.principal_ids)
        lines += [
            f"tenant id:     {demo.tenant_id}",
            f"client id:     {demo.client_id}",
            f"service principal {demo.service_principal_id} offers template {demo.template_id!r}",
            f"users and groups: {people}",
        ]
    lines += [
        "",
        "Point the product at it (it trusts the emulator only through the standard CA variables):",
        f"  export REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca}",
    ]
    if demo is not None:
        lines.append(
            f"  export ARM_TENANT_ID={demo.tenant_id} ARM_CLIENT_ID={demo.client_id} "
            "ARM_CLIENT_SECRET=<the --client-secret value>"
        )
    lines += [
        f"  pulumi config set azuread:metadataHost {emulator.metadata_host}",
        f"  pulumi config set {PROJECT}:graphEndpoint {emulator.graph_url}",
        f"  pulumi config set {PROJECT}:authorityHost {emulator.authority_host}",
        f"  pulumi config set {PROJECT}:scimTenantUrl {emulator.scim_base_url}",
    ]
    if demo is not None:
        lines.append("  pulumi config set --secret asanaToken <the --scim-token value>")
    return lines


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        template = None if args.empty else template_of(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    try:
        emulator = Emulator.start(args.port)
    except OSError as error:
        print(
            f"{PROG}: error: cannot listen on {HOST}:{args.port}: {error.strerror}", file=sys.stderr
        )
        return 1
    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C or SIGTERM at any moment (even while it starts up) stops it cleanly: leaving the
    # `with` stops the server and deletes the CA file.
    with contextlib.suppress(KeyboardInterrupt), emulator:
        demo = None
        if template is not None:
            demo = seed_demo_tenant(
                emulator,
                tenant_id=args.tenant_id,
                client_id=args.client_id,
                client_secret=args.client_secret,
                service_principal_id=args.service_principal_id,
                scim_token=args.scim_token,
                template=template,
            )
        print("\n".join(instructions(emulator, demo)))
        print("serving; press Ctrl-C to stop", flush=True)
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
