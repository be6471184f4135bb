"""Run the emulator on its own (`python -m tests.emulator`) to poke at it with curl or to point
a manual `pulumi up` at it (`azuread:metadataHost` = the printed metadata host); it seeds one
tenant, app, service principal, template and SCIM token from the flags and serves until
interrupted. The Asana gallery template is always there to instantiate."""

from __future__ import annotations

import argparse
import contextlib
import json
import threading

from .emulator import Emulator


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--tenant-id", default="00000000-0000-0000-0000-00000000000a")
    parser.add_argument("--client-id", default="00000000-0000-0000-0000-00000000000b")
    parser.add_argument("--client-secret", default="emulator-client-secret")
    parser.add_argument("--service-principal-id", default="00000000-0000-0000-0000-00000000000c")
    parser.add_argument("--template-id", default="asana")
    parser.add_argument("--factory-tag", default="asana")
    parser.add_argument(
        "--template-schema",
        metavar="FILE",
        help="JSON file with the template's synchronizationSchema (default: no rules)",
    )
    parser.add_argument("--scim-token", default="emulator-scim-token")
    return parser.parse_args()


def main() -> None:
    args = _parse_args()
    schema = {"synchronizationRules": [], "directories": []}
    if args.template_schema:
        with open(args.template_schema, encoding="utf-8") as file:
            schema = json.load(file)
    with Emulator.start() as emulator:
        emulator.register_app(args.tenant_id, args.client_id, args.client_secret)
        template = {"id": args.template_id, "factoryTag": args.factory_tag, "schema": schema}
        emulator.add_service_principal(args.service_principal_id, [template])
        emulator.add_scim_token(args.scim_token)
        print(f"base URL:      {emulator.base_url}")
        print(f"CA bundle:     {emulator.ca_bundle_path}")
        print(f"SCIM base URL: {emulator.scim_base_url}")
        print(f"metadata host: {emulator.metadata_host}  (azuread:metadataHost)")
        print("serving; press Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
