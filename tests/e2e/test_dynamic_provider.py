"""Our dynamic resources' provider under the real CLI (components/dynamic_provider.py).

A stack deployed when they ran under the engine's default `pulumi-python` provider, which the
engine gives the whole stack configuration, moves to the component's own provider without a
change to any resource, and its state then holds none of the settings the providers do not
read: not the group object ids, not the Asana token.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.e2e.demo import GROUP, SETTINGS, USER
from tests.e2e.engine import ROOT
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import LINKED, Workspace

STACK = "provider-move"
UP = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
DEFAULT_PROVIDER = "::pulumi:providers:pulumi-python::default"
BEFORE = """

def dynamic_provider(name, parent):  # as before the component had one: the engine's default
    return None
"""


def project_before(base: Path) -> Path:
    """The project as it was: the repository, but for a copy of components/ whose
    `dynamic_provider` gives None, so `ResourceOptions(provider=None)` takes the default."""
    source = base / "before"
    source.mkdir()
    for name in (*LINKED, "Pulumi.yaml"):
        if name != "components":
            (source / name).symlink_to(ROOT / name)
    shutil.copytree(
        ROOT / "components", source / "components", ignore=shutil.ignore_patterns("__pycache__")
    )
    module = source / "components" / "dynamic_provider.py"
    module.write_text(module.read_text() + BEFORE)
    return source


def exported(workspace: Workspace) -> list[dict[str, Any]]:
    state = json.loads(workspace.pulumi("stack", "export", "--stack", STACK).stdout)
    return state["deployment"]["resources"]


def dynamic_providers(resources: list[dict[str, Any]]) -> set[str]:
    """The provider URNs the dynamic resources name (a reference is `urn::id`)."""
    return {
        r["provider"].rsplit("::", 1)[0]
        for r in resources
        if r["type"].startswith("pulumi-python:dynamic/")
    }


def test_a_stack_on_the_default_dynamic_provider_moves_to_the_components_changing_nothing(
    tenant: LocalTenant, tmp_path: Path
):
    workspace = Workspace(
        tmp_path / "ws", ca_bundle=tenant.ca_bundle, source=project_before(tmp_path)
    )
    tenant.add_principals([GROUP], [USER])
    settings = {**SETTINGS, **tenant.plain_settings()}
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    workspace.pulumi(*UP)
    (before,) = dynamic_providers(exported(workspace))
    assert before.endswith(DEFAULT_PROVIDER)

    components = workspace.project / "components"
    components.unlink()
    components.symlink_to(ROOT / "components")
    preview = json.loads(
        workspace.pulumi("preview", "--stack", STACK, "--json", "--non-interactive").stdout
    )
    workspace.pulumi(*UP)
    resources = exported(workspace)
    (after,) = dynamic_providers(resources)
    (provider,) = [r for r in resources if r["urn"] == after]
    stored = json.dumps(provider)

    changed = sorted(
        (step["op"], step["urn"].rsplit("::", 1)[-1])
        for step in preview["steps"]
        if step["op"] != "same"
    )
    assert changed == [("create", "asana-dynamic-provider")]  # every resource the same
    assert after.endswith("::asana-dynamic-provider")
    assert f"{PROJECT}:assignmentGroups" not in stored
    assert f"{PROJECT}:asanaToken" not in stored
    assert not any(r["urn"].endswith(DEFAULT_PROVIDER) for r in resources)
    workspace.pulumi("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")
    assert workspace.leftover_processes() == []
