"""What the pinned CLI itself does with a pending create, which is why `tools.recover` exists and
why it records orphans with `pulumi import` rather than `refresh --import-pending-creates`.

Each test kills `pulumi up` while Graph has made the gallery app but the reply is held (the
moment a cancelled CI job or a SIGKILL leaves), then runs one command on the state that leaves.
Should a newer CLI change one of these behaviours, the test fails and docs/recovery.md must be
read again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stacks import shipped_stack_on_a_local_tenant
from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import Workspace
from tests.emulator import Fault

pytestmark = pytest.mark.e2e

INSTANTIATE = r"/applicationTemplates/[^/]+/instantiate$"
KILL_WAIT_SECONDS = 180.0
APP_TYPE = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"


@pytest.fixture
def killed_at_app(tmp_path: Path) -> Any:
    """The dev stack whose first `up` was killed once Graph had made the app (reply held)."""
    tenant, workspace = shipped_stack_on_a_local_tenant(tmp_path, "dev")
    try:
        tenant.emulator.inject(Fault.hold(KILL_WAIT_SECONDS), method="POST", path=INSTANTIATE)
        kill_up_once_logged(tenant, workspace, INSTANTIATE)
        yield tenant, workspace
    finally:
        tenant.stop()


def kill_up_once_logged(tenant: LocalTenant, workspace: Workspace, path: str) -> None:
    """Start `pulumi up`, wait (bounded) until the tenant logs a POST to `path`, then SIGKILL
    the CLI's whole process group, as a runner that is lost takes everything with it."""
    process = subprocess.Popen(
        ["pulumi", "up", "--stack", "dev", "--yes", "--non-interactive", "--skip-preview"],
        cwd=workspace.project,
        env=workspace.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    try:
        while tenant.emulator.count(service="graph", method="POST", path=path) == 0:
            assert process.poll() is None, "pulumi up ended before the create was sent"
            assert time.monotonic() < deadline, f"no POST to {path} within the wait"
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def state(workspace: Workspace) -> dict[str, Any]:
    return json.loads(workspace.pulumi("stack", "export", "--stack", "dev").stdout)["deployment"]


def apps_named(tenant: LocalTenant, name: str = "Asana (dev)") -> list[str]:
    return [
        app["id"]
        for app in tenant.emulator.snapshot()["applications"].values()
        if app["displayName"] == name
    ]


def test_a_killed_create_leaves_a_pending_create_a_lock_and_the_app(killed_at_app):
    tenant, workspace = killed_at_app

    deployment = state(workspace)

    (operation,) = deployment["pending_operations"]
    assert (operation["type"], operation["resource"]["type"]) == ("creating", APP_TYPE)
    assert len(apps_named(tenant)) == 1
    locked = workspace.pulumi("refresh", "--stack", "dev", "--yes", expect=(1, 255))
    assert "currently locked by 1 lock(s)" in locked.output


def test_import_pending_creates_of_the_pinned_cli_loses_the_app(killed_at_app):
    """`refresh --import-pending-creates URN ID` turns the operation into a pending import,
    which the refresh then drops (pkg/backend/journal.go keeps only pending creates): the app
    stays in the tenant and the state forgets it ever was made."""
    tenant, workspace = killed_at_app
    workspace.pulumi("cancel", "--stack", "dev", "--yes")
    (operation,) = state(workspace)["pending_operations"]
    (app,) = apps_named(tenant)
    principal = next(
        sp["id"]
        for sp in tenant.emulator.snapshot()["servicePrincipals"].values()
        if sp["appId"] == tenant.emulator.snapshot()["applications"][app]["appId"]
    )
    template = operation["resource"]["inputs"]["templateId"]
    app_id = f"/applicationTemplates/{template}/instantiate/{app}/{principal}"

    workspace.pulumi(
        "refresh", "--stack", "dev", "--yes", "--non-interactive",
        "--import-pending-creates", operation["resource"]["urn"],
        "--import-pending-creates", app_id,
    )  # fmt: skip

    after = state(workspace)
    assert not after.get("pending_operations")
    assert APP_TYPE not in {resource["type"] for resource in after["resources"]}
    assert apps_named(tenant) == [app], "the app is still in the tenant, now recorded nowhere"


def test_up_over_a_pending_create_makes_a_second_app(killed_at_app):
    """What `make up` and the deploy workflow stop: the CLI only warns and instantiates again.
    Within fifteen minutes of the orphan our InstantiatedAppDuplicates resource then deletes it
    as a retried instantiate's twin (providers/instantiated_app.py); a re-run later than that,
    as a CI re-run the next morning is, would keep both apps."""
    tenant, workspace = killed_at_app
    workspace.pulumi("cancel", "--stack", "dev", "--yes")
    (orphan,) = apps_named(tenant)

    run = workspace.pulumi("up", "--stack", "dev", "--yes", "--non-interactive", "--skip-preview")

    assert "pending operations from previous deployment" in run.output
    assert tenant.emulator.count(service="graph", method="POST", path=INSTANTIATE) == 2
    assert orphan not in apps_named(tenant), "the twin rule removed the orphan"
    assert len(apps_named(tenant)) == 1


def test_the_recovery_records_the_app_and_the_next_up_makes_none(killed_at_app):
    tenant, workspace = killed_at_app
    workspace.pulumi("cancel", "--stack", "dev", "--yes")
    (app,) = apps_named(tenant)
    recover = [str(workspace.project / ".venv/bin/python"), "-m", "tools.recover"]

    check = subprocess.run(
        [*recover, "--stack", "dev"], cwd=workspace.project, env=workspace.env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    applied = subprocess.run(
        [*recover, "--stack", "dev", "--apply"], cwd=workspace.project, env=workspace.env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    workspace.pulumi("up", "--stack", "dev", "--yes", "--non-interactive", "--skip-preview")

    assert check.returncode == 2, check.stderr
    assert f"IMPORT: found application {app}" in check.stdout
    assert applied.returncode == 0, applied.stderr[-2000:]
    assert apps_named(tenant) == [app]
    workspace.pulumi("preview", "--stack", "dev", "--expect-no-changes", "--non-interactive")
