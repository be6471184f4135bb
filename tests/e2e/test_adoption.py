"""Adoption under the real CLI: a hand-configured app in the local tenant, `tools.adopt`, and
the adoption sequence of docs/adopt.md run as written, ending in a preview with no changes."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from rules.asana import ENTERPRISE_APP_TAGS
from tests.e2e.engine import ROOT
from tests.e2e.tenant import CLIENT_ID, TENANT_ID, LocalTenant
from tests.e2e.workspace import Workspace
from tests.test_adopt import hand_configured

DOCUMENT = ROOT / "docs" / "adopt.md"


def documented_commands() -> list[str]:
    """The shell lines of docs/adopt.md, comments dropped, in order."""
    text = DOCUMENT.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("export ")]


def test_the_documented_adoption_sequence_ends_in_a_preview_with_no_changes(
    tenant: LocalTenant, workspace: Workspace
):
    seeded = SimpleNamespace(asana_token=tenant.asana_token, client_secret=tenant.client_secret)
    hand_configured(tenant.emulator, seeded, base_address=tenant.emulator.scim_base_url)
    before = tenant.emulator.snapshot()
    workspace.extra_env = {  # the document's `export ARM_…` line, for the local tenant
        "ARM_TENANT_ID": TENANT_ID,
        "ARM_CLIENT_ID": CLIENT_ID,
        "ARM_CLIENT_SECRET": tenant.client_secret,
        "ARM_METADATA_HOSTNAME": tenant.metadata_host,
    }
    cloud = ["--graph-endpoint", tenant.emulator.base_url]
    cloud += ["--authority-host", tenant.emulator.base_url]
    commands = documented_commands()
    assert commands[0].startswith(".venv/bin/python -m tools.adopt")
    assert commands[-1] == "pulumi preview --stack staging"

    runs = []
    for command in commands:
        line = command.replace("<token>", shlex.quote(tenant.asana_token))
        if line.startswith(".venv/bin/python -m tools.adopt"):
            line += " " + shlex.join(cloud)  # the custom-cloud flags the document names
        run = workspace.shell(line, {}, timeout=600)
        assert run.exit_code == 0, f"{command}\n{run.output}"
        runs.append(run)

    final = runs[-1].stdout
    assert "to create" not in final and "to update" not in final and "to delete" not in final
    assert "to replace" not in final and "unchanged" in final
    import_run = next(r for c, r in zip(commands, runs, strict=True) if "pulumi import" in c)
    assert "imported" in import_run.stdout
    # What adopting changed in the tenant: the notification settings, written once with the same
    # values (the program's JSON has no spaces), and the empty SAML settings object the azuread
    # provider sends with its PATCH of an existing service principal. Nothing else.
    changed = dict(_changes(before, tenant.emulator.snapshot()))
    sp = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    notifications = f"synchronization.{sp}.secrets.SyncNotificationSettings"
    assert set(changed) <= {notifications, f"servicePrincipals.{sp}.samlSingleSignOnSettings"}
    assert ENTERPRISE_APP_TAGS[0] in tenant.emulator.directory_object(sp)["tags"]  # still listed
    if notifications in changed:
        old, new = changed[notifications]
        assert json.loads(old) == json.loads(new)


def _changes(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, tuple[Any, Any]]]:
    """Every leaf that differs between two snapshots, by dotted path."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            inner = f"{path}.{key}" if path else key
            yield from _changes(before.get(key), after.get(key), inner)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _changes(old, new, f"{path}[{index}]")
    elif before != after:
        yield path, (before, after)
