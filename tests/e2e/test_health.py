"""The health check under the real CLI: the dev stack deployed with `pulumi up` to the local
tenant, the emulated provisioning service running cycles, and `python -m tools.health` reading
the stack's settings and outputs with `pulumi` and the job and logs from Graph.

The tests share one deployed stack and run in the order they are written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e import portal
from tests.e2e.health import HEALTHY, UNHEALTHY, run_health_check
from tests.e2e.stacks import shipped_stack_on_a_local_tenant
from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import Workspace

STACK = "dev"
GROUP = "Asana Provisioning Test"
"""The group the dev stack assigns (stacks/Pulumi.dev.yaml)."""


@dataclass
class Deployed:
    tenant: LocalTenant
    workspace: Workspace
    ids: portal.Deployed

    def cycle(self) -> None:
        """One provisioning cycle, as the service runs every 40 minutes."""
        self.tenant.emulator.run_provisioning_cycle(self.ids.service_principal_id, self.ids.job_id)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    tenant, workspace = shipped_stack_on_a_local_tenant(tmp_path_factory.mktemp("health"), STACK)
    workspace.pulumi("up", "--stack", STACK, "--yes", "--non-interactive")
    outputs = workspace.pulumi("stack", "output", "--stack", STACK, "--json").stdout
    yield Deployed(tenant, workspace, portal.Deployed.from_outputs(json.loads(outputs)))
    tenant.stop()


def assert_no_secret_in(dev: Deployed, *texts: str) -> None:
    for secret in dev.tenant.secret_values():
        assert all(secret not in text for text in texts)


def test_after_up_and_a_cycle_the_job_is_healthy(dev: Deployed):
    dev.cycle()

    check = run_health_check(dev.workspace, STACK)

    assert check.status == HEALTHY, check.text + check.run.stderr
    assert check.text.startswith(f"Provisioning health of stack {STACK}: healthy")
    assert check.title == f"Provisioning health of {STACK}: healthy"
    assert "/ManagedAppMenuBlade/~/ProvisioningActivity/" in check.text
    assert_no_secret_in(dev, check.text, check.run.stderr, check.markdown)


def test_the_assigned_group_is_provisioned_on_demand(dev: Deployed):
    check = run_health_check(dev.workspace, STACK, "--provision-on-demand", GROUP)

    assert check.status == HEALTHY, check.text + check.run.stderr
    assert f"Provision on demand: group {GROUP}" in check.text
    assert "Result: already in sync" in check.text


def test_a_revoked_asana_token_puts_the_job_in_quarantine_and_the_check_says_so(dev: Deployed):
    portal.revoke_asana_token(dev.tenant, dev.ids)
    dev.cycle()

    check = run_health_check(dev.workspace, STACK)

    assert check.status == UNHEALTHY, check.text + check.run.stderr
    assert "the job is in quarantine" in check.text
    assert "EncounteredQuarantineException" in check.title
    assert "**Why it is unhealthy:**" in check.markdown
    assert_no_secret_in(dev, check.text, check.run.stderr, check.markdown)
