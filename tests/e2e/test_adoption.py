"""Adoption under the real CLI: a hand-configured app in the local tenant, `tools.adopt`, and
the README's adoption sequence run as written, ending in a preview with no changes."""

from __future__ import annotations

import re
import shlex
from types import SimpleNamespace

from tests.e2e.engine import ROOT
from tests.e2e.tenant import CLIENT_ID, TENANT_ID, LocalTenant
from tests.e2e.workspace import Workspace
from tests.test_adopt import hand_configured

SECTION = "## Adopting an existing setup"


def readme_commands() -> list[str]:
    """The shell lines of the README's adoption section, comments dropped, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("export ")]


def test_the_readme_adoption_sequence_ends_in_a_preview_with_no_changes(
    tenant: LocalTenant, workspace: Workspace
):
    seeded = SimpleNamespace(asana_token=tenant.asana_token, client_secret=tenant.client_secret)
    hand_configured(tenant.emulator, seeded, base_address=tenant.emulator.scim_base_url)
    before = tenant.emulator.snapshot()
    workspace.extra_env = {  # the README's `export ARM_…` line, for the local tenant
        "ARM_TENANT_ID": TENANT_ID,
        "ARM_CLIENT_ID": CLIENT_ID,
        "ARM_CLIENT_SECRET": tenant.client_secret,
        "ARM_METADATA_HOSTNAME": tenant.metadata_host,
    }
    cloud = ["--graph-endpoint", tenant.emulator.base_url]
    cloud += ["--authority-host", tenant.emulator.base_url]
    commands = readme_commands()
    assert commands[0].startswith(".venv/bin/python -m tools.adopt")
    assert commands[-1] == "pulumi preview --stack staging"

    runs = []
    for command in commands:
        line = command.replace("<token>", shlex.quote(tenant.asana_token))
        if line.startswith(".venv/bin/python -m tools.adopt"):
            line += " " + shlex.join(cloud)  # the custom-cloud flags the README names
        run = workspace.shell(line, {}, timeout=600)
        assert run.exit_code == 0, f"{command}\n{run.output}"
        runs.append(run)

    final = runs[-1].stdout
    assert "to create" not in final and "to update" not in final and "to delete" not in final
    assert "to replace" not in final and "unchanged" in final
    import_run = next(r for c, r in zip(commands, runs, strict=True) if "pulumi import" in c)
    assert "imported" in import_run.stdout
    # Adopting changed nothing but the synchronization secret, written once as it already was.
    after = tenant.emulator.snapshot()
    assert _without_secrets(after) == _without_secrets(before)


def _without_secrets(snapshot: dict) -> dict:
    text = repr(snapshot)
    return {"text": re.sub(r"'secrets': \{[^}]*\}", "'secrets': …", text)}
