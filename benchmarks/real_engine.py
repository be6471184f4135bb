"""Wall time of the real Pulumi CLI against the local tenant (`make bench`, after `make engine`).

1. The dev stack: `pulumi preview` and `pulumi up` of the shipped stacks/Pulumi.dev.yaml.
2. Scale: a stack assigning 1,000 groups (by object id), next to a bare program that declares
   the same 1,000 `azuread.AppRoleAssignment`s and nothing else, both against the same tenant in
   the same run; the ratios say what our program costs on top of the assignments themselves.

The azuread provider is the stand-in (docs/engine.md), for both sides alike.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.engine import ROOT
from tests.e2e.stacks import named_principals, shipped_settings
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace

ASSIGNMENTS = 1000
USER_ROLE = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
GALLERY_ASANA = "0f1d9c2e-7a4b-4c3e-9f1a-5b6d8e2c4a71"


def timed(workspace: Workspace, *args: str) -> float:
    started = time.monotonic()
    workspace.pulumi(*args, "--non-interactive", timeout=1800)
    return time.monotonic() - started


def preview_and_up(workspace: Workspace, stack: str) -> tuple[float, float]:
    preview = timed(workspace, "preview", "--stack", stack)
    up = timed(workspace, "up", "--stack", stack, "--yes", "--skip-preview")
    return preview, up


def resources_in_state(workspace: Workspace, stack: str) -> int:
    """The resources `up` recorded, counted in the stack's state (the stack itself and the
    provider instances left out), so the table says what was measured, not what was typed."""
    exported = json.loads(workspace.pulumi("stack", "export", "--stack", stack).stdout)
    return sum(
        1
        for resource in exported["deployment"].get("resources") or []
        if not resource["type"].startswith("pulumi:providers:")
        and resource["type"] != "pulumi:pulumi:Stack"
    )


def group_ids(tenant: LocalTenant, count: int) -> list[str]:
    ids = [str(uuid.uuid5(uuid.NAMESPACE_OID, f"bench-group-{n}")) for n in range(count)]
    for n, group_id in enumerate(ids):
        tenant.emulator.add_group(f"Bench group {n}", group_id=group_id)
    return ids


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-"))
    dev = shipped_settings(ROOT / "stacks" / "Pulumi.dev.yaml")
    tenant = LocalTenant.start(*named_principals(dev))
    try:
        print("Real engine: pulumi v3.276.0 (make engine), azuread stand-in, local tenant")
        workspace = Workspace(base / "dev", ca_bundle=tenant.ca_bundle)
        workspace.create_stack("dev", {**dev, **tenant.plain_settings()}, tenant.secret_settings())
        dev_preview, dev_up = preview_and_up(workspace, "dev")
        dev_resources = resources_in_state(workspace, "dev")

        print(f"Seeding {ASSIGNMENTS} groups …", flush=True)
        groups = group_ids(tenant, ASSIGNMENTS)
        ours = Workspace(base / "ours", ca_bundle=tenant.ca_bundle)
        settings: dict[str, Any] = {
            f"{PROJECT}:appDisplayName": "Asana (scale)",
            f"{PROJECT}:assignmentGroups": groups,
            f"{PROJECT}:notificationEmail": "identity-ops@contoso.com",
            **tenant.plain_settings(),
        }
        ours.create_stack("scale", settings, tenant.secret_settings())
        print(f"Our program with {ASSIGNMENTS} group assignments …", flush=True)
        our_preview, our_up = preview_and_up(ours, "scale")

        app = tenant.emulator.instantiate_gallery_app(GALLERY_ASANA, "Asana (bare)")
        bare = Workspace(
            base / "bare",
            ca_bundle=tenant.ca_bundle,
            source=ROOT / "benchmarks" / "bare_assignments",
            linked=("__main__.py",),
        )
        azuread = {k: v for k, v in tenant.plain_settings().items() if k.startswith("azuread:")}
        bare_settings = {
            "bare-assignments:groupIds": groups,
            "bare-assignments:resourceObjectId": app["servicePrincipal"]["id"],
            "bare-assignments:appRoleId": USER_ROLE,
            **azuread,
        }
        secret = {"azuread:clientSecret": tenant.client_secret}
        bare.create_stack("scale", bare_settings, secret)
        print(f"Bare program with {ASSIGNMENTS} AppRoleAssignments …", flush=True)
        bare_preview, bare_up = preview_and_up(bare, "scale")
    finally:
        tenant.stop()

    print()
    print("| run | pulumi preview (s) | pulumi up (s) |")
    print("|---|---:|---:|")
    print(f"| dev stack ({dev_resources} resources) | {dev_preview:.1f} | {dev_up:.1f} |")
    print(f"| our program, {ASSIGNMENTS} group assignments | {our_preview:.1f} | {our_up:.1f} |")
    bare_row = f"| bare program, {ASSIGNMENTS} AppRoleAssignments | {bare_preview:.1f}"
    print(f"{bare_row} | {bare_up:.1f} |")
    print(f"| ratio ours / bare | {our_preview / bare_preview:.2f}x | {our_up / bare_up:.2f}x |")


if __name__ == "__main__":
    main()
