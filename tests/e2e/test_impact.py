"""The access impact preview under the real CLI: the dev stack deployed with `pulumi up` to the
local tenant, people in its groups, then each kind of change a pull request makes written into
the stack with `pulumi config set`, and `python -m tools.impact` reading the stack's settings
and outputs with `pulumi` and the tenant through Graph, as `make impact` and the preview
workflow run it. The tests share one deployed stack; each puts the stack file back after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml

from tests.e2e.engine import VENV
from tests.e2e.stacks import shipped_stack_on_a_local_tenant
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace, run_command

STACK = "dev"
GROUP = "Asana Provisioning Test"
TESTER = "asana.tester@contoso.com"


@dataclass
class Deployed:
    tenant: LocalTenant
    workspace: Workspace
    ids: dict[str, str]


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    tenant, workspace = shipped_stack_on_a_local_tenant(tmp_path_factory.mktemp("impact"), STACK)
    emu = tenant.emulator
    ids = dict(tenant.principal_ids)
    emu.set_user(ids[TESTER], department="Asana Pilot")
    for name, department in (("pia", "Asana Pilot"), ("sam", "Sales"), ("ola", "Asana Pilot")):
        ids[name] = emu.add_user(f"{name}@contoso.com", name.title(), department=department)
    emu.add_group_members(ids[GROUP], [ids["pia"], ids["sam"]])
    ids["Pilots 2"] = emu.add_group("Pilots 2", members=[ids["ola"]])
    workspace.pulumi("up", "--stack", STACK, "--yes", "--non-interactive")
    yield Deployed(tenant, workspace, ids)
    tenant.stop()


@pytest.fixture
def stack(dev: Deployed) -> Iterator[Deployed]:
    """The deployed stack; its stack file is put back after the test."""
    path = dev.workspace.stack_file(STACK)
    saved = path.read_text()
    yield dev
    path.write_text(saved)


def config_set(dev: Deployed, key: str, value: object) -> None:
    """What a pull request changes in the stack file (lists and objects as YAML)."""
    path = dev.workspace.stack_file(STACK)
    document = yaml.safe_load(path.read_text())
    document["config"][f"{PROJECT}:{key}"] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def impact(dev: Deployed, *args: str) -> tuple[int, dict]:
    command = [
        str(VENV / "bin" / "python"),
        "-m",
        "tools.impact",
        "--stack",
        STACK,
        "--json",
        *args,
    ]
    run = run_command(command, cwd=dev.workspace.project, env=dev.workspace.env, timeout=300)
    dev.workspace.runs.append(run)
    assert run.stdout.strip(), run.stderr
    return run.exit_code, json.loads(run.stdout)


def listed(report: dict, kind: str) -> set[str]:
    return {e["principal_name"] for e in report["listed"][kind] if e["kind"] == "user"}


def test_the_deployed_stack_unchanged_affects_nobody(stack: Deployed):
    code, report = impact(stack)

    assert code == 0, report
    assert report["now"]["users_in_scope"] == 2  # the tester and Pia: Sam is not in the pilot


def test_adding_a_group_gains_its_members(stack: Deployed):
    config_set(stack, "assignmentGroups", [GROUP, "Pilots 2"])

    code, report = impact(stack)

    assert code == 2, report
    assert listed(report, "gains") == {"ola@contoso.com"}


def test_removing_a_user_loses_them_asana(stack: Deployed):
    config_set(stack, "assignmentUsers", [])  # the tester is assigned directly, in no group

    code, report = impact(stack)

    assert code == 2, report
    assert listed(report, "loses") == {TESTER}


def test_a_filter_change_names_who_it_drops(stack: Deployed):
    spec = {
        "scopingFilter": [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]
    }
    config_set(stack, "userMappings", spec)

    code, report = impact(stack)

    assert code == 2, report
    assert listed(report, "loses") == {TESTER, "pia@contoso.com"}
    assert listed(report, "gains") == {"sam@contoso.com"}


def test_scope_all_gains_everyone_the_filter_lets_through(stack: Deployed):
    config_set(stack, "provisioningScope", "all")

    code, report = impact(stack)

    assert code == 2, report
    assert listed(report, "gains") == {"ola@contoso.com"}
    assert {e["reason"] for e in report["listed"]["gains"] if e["kind"] == "user"} == {
        "scope changed to all users and groups"
    }


def test_provisioning_paused_says_what_happens_when_it_resumes(stack: Deployed):
    config_set(stack, "provisioningStatus", "off")
    config_set(stack, "assignmentUsers", [])
    config_set(stack, "assignmentGroups", [])

    code, report = impact(stack)

    assert code == 2, report
    assert report["paused"] is True
    assert "when provisioning resumes" in report["headline"]


def test_the_guardrail_fails_the_preview_when_more_would_lose_asana(stack: Deployed):
    config_set(stack, "assignmentGroups", [])
    config_set(stack, "assignmentUsers", [])
    config_set(stack, "maxAccessLoss", 1)

    code, report = impact(stack)

    assert code == 3, report
    assert report["guardrail"]["exceeded"] is True
    assert report["guardrail"]["verdict"] == "FAILED: 2 would lose Asana; maxAccessLoss allows 1"
