"""The workflows as CI really runs them: each job's steps in order on a fresh clone, the real
pinned CLI where `pulumi/actions` would install it, the local tenant, and a shared `azblob://`
backend served by Azurite (tests/e2e/ci_on_azurite.py says what stands in for what).

Unlike tests/test_workflows.py, nothing here records `pulumi` instead of running it: a runner
that lacks something the CLI needs (the policy pack's virtualenv, say) fails here as on GitHub.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.e2e.actions_runner import JobRun, StepCache
from tests.e2e.blob_backend import Azurite
from tests.e2e.ci_on_azurite import (
    INSTALL_STEPS,
    POLICY_VENV_STEP,
    STACK,
    STATE_BLOB,
    CiOnAzurite,
    clone_head,
    git,
)
from tests.e2e.tenant import LocalTenant
from tests.emulator import Fault

LOCKED = "the stack is currently locked by 1 lock(s)"
"""Pulumi's diy backend refusing a second update (pulumi/pulumi `pkg/backend/diy/lock.go`)."""
JOB_CREATE = r"^/v1\.0/servicePrincipals/[^/]+/synchronization/jobs$"
"""The provisioning job's create (the azuread stand-in's POST, whose client waits up to 60 s
for a reply): the request held to keep a deploy in flight, or to kill it after the create
landed."""
HOLD_SECONDS = 20.0
"""How long the first of two deploys is held in flight: the second needs about 6 s to reach
the lock (a fresh clone, the setup action, the recovery step)."""
NO_PACK_SECONDS = 45.0
"""The time limit of `pulumi up` without the policy pack's environment: the CLI either fails
at once or waits for the pack forever (both seen; a deploy of the dev stack takes 10-20 s)."""
WAIT_SECONDS = 240.0
"""How long a deploy may take to reach the held request (a cold CLI on a busy machine)."""


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    server = Azurite.start(tmp_path_factory.mktemp("azurite"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def step_cache(tmp_path_factory: pytest.TempPathFactory) -> StepCache:
    return StepCache(tmp_path_factory.mktemp("step-cache"), INSTALL_STEPS)


@pytest.fixture
def ci(tmp_path: Path, tenant: LocalTenant, azurite: Azurite, step_cache: StepCache) -> CiOnAzurite:
    """This repository at HEAD, the local tenant and an empty container of its own."""
    origin = clone_head(tmp_path / "origin")
    return CiOnAzurite.create(tmp_path, tenant, azurite, step_cache, origin)


def held_request_logged(ci: CiOnAzurite, running: Future[JobRun]) -> None:
    """Wait until the held job create has landed (its request is logged), or fail with the job
    if it ended first."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not any(r.fault == "hold" for r in ci.tenant.emulator.requests):
        if running.done():
            raise AssertionError(
                f"the deploy ended before the held request:\n{running.result().log[-4000:]}"
            )
        assert time.monotonic() < deadline, "the deploy never reached the provisioning job"
        time.sleep(0.1)


def no_secret_shown(ci: CiOnAzurite, *jobs: JobRun) -> None:
    """No secret the jobs were given (client secrets, the Asana token, the passphrase, the
    storage key) appears in their logs, summaries or `gh` calls."""
    for job in jobs:
        shown = job.log + job.summary + json.dumps(job.gh_calls)
        leaked = [n for n, value in enumerate(ci.secret_values()) if value in shown]
        assert leaked == [], f"secret #{leaked} shown by {job.workflow}/{job.job}"


def succeeded(job: JobRun) -> None:
    """Fail with the steps' outcomes and the end of the log unless the job succeeded and left
    no process behind."""
    assert job.result == "success", f"{job.outline}\n{job.log[-6000:]}"
    assert job.leftovers == []


def preview_changes(job: JobRun) -> str:
    """The `Resources:` block of the preview the job posted."""
    found = re.search(r"Resources:\n((?: {4}\S.*\n)+)", job.summary)
    assert found, job.summary[-3000:]
    return found.group(1)


def test_a_deploy_on_a_fresh_runner_keeps_its_state_in_the_shared_backend_and_then_previews_and_checks_clean(  # noqa: E501
    ci: CiOnAzurite,
):
    assert ci.blobs() == []

    deploy = ci.deploy()

    succeeded(deploy)
    assert STATE_BLOB in ci.blobs()
    state = json.loads(ci.azurite.read_blob(ci.container, STATE_BLOB))
    assert state["checkpoint"]["latest"]["resources"]
    outputs = json.loads(
        ci.pulumi(deploy.workspace, "stack", "output", "--stack", STACK, "--json").stdout
    )
    assert [app["id"] for app in ci.apps()] == [outputs["applicationObjectId"]]

    preview = ci.preview()

    succeeded(preview)
    assert preview.step("preview").outputs == {"code": "0"}
    assert preview_changes(preview).split()[1:] == ["unchanged"], preview_changes(preview)
    assert preview.gh_calls[-1][:2] == ["pr", "comment"]

    drift = ci.drift()

    succeeded(drift)
    assert drift.step("report").outputs == {"status": "0"}, drift.step("report").log
    assert [call[:2] for call in drift.gh_calls if call[:2] != ["issue", "list"]] == []
    assert len(ci.apps()) == 1
    no_secret_shown(ci, deploy, preview, drift)


def inventory(ci: CiOnAzurite) -> dict[str, int]:
    """How many of each object the dev stack makes the tenant holds, and the most copies of any
    one assignment (principal and role)."""
    snapshot = ci.tenant.emulator.snapshot()
    apps = ci.apps()
    app_ids = {app["appId"] for app in apps}
    principals = [sp for sp in snapshot["servicePrincipals"].values() if sp["appId"] in app_ids]
    jobs = [
        job
        for sp in principals
        for job in snapshot["synchronization"].get(sp["id"], {}).get("jobs", {}).values()
    ]
    pairs = [
        (a["principalId"], a["appRoleId"])
        for sp in principals
        for a in snapshot["appRoleAssignments"].get(sp["id"], [])
    ]
    return {
        "applications": len(apps),
        "service principals": len(principals),
        "provisioning jobs": len(jobs),
        "assignments": len(set(pairs)),
        "copies of an assignment": max((pairs.count(p) for p in set(pairs)), default=0),
    }


ONE_OF_EACH = {
    "applications": 1,
    "service principals": 1,
    "provisioning jobs": 1,
    "assignments": 2,  # the dev stack's group and user
    "copies of an assignment": 1,
}


def state_is_intact_and_clean(ci: CiOnAzurite, checkout: Path) -> dict[str, object]:
    """The stack's state exports, parses and holds no pending operation, and the preview
    workflow finds nothing to change; returns the exported deployment."""
    export = ci.pulumi(checkout, "stack", "export", "--stack", STACK)
    deployment = json.loads(export.stdout)["deployment"]
    assert not deployment.get("pending_operations"), deployment["pending_operations"]
    preview = ci.preview()
    succeeded(preview)
    assert preview_changes(preview).split()[1:] == ["unchanged"], preview_changes(preview)
    return deployment


def without_step(origin: Path, action: str, name: str) -> None:
    """Commit, in `origin`, the composite action without its step called `name`."""
    path = origin / ".github" / "actions" / action / "action.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = document["runs"]["steps"]
    document["runs"]["steps"] = [step for step in steps if step.get("name") != name]
    assert len(document["runs"]["steps"]) == len(steps) - 1, f"no step {name!r} in {action}"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    git(origin, "commit", "--quiet", "-am", f"{action}: without {name}")


def test_a_runner_without_the_policy_packs_environment_fails_the_deploy_before_any_change(
    tmp_path: Path, tenant: LocalTenant, azurite: Azurite, step_cache: StepCache
):
    """What this file exists for: the deploy on a runner where the setup action does not build
    policies/venv (as before 9d7d6d6) fails at `pulumi up` and creates nothing, where the same
    job with the step succeeds (the first test)."""
    origin = clone_head(tmp_path / "origin")
    without_step(origin, "pulumi-setup", POLICY_VENV_STEP)
    ci = CiOnAzurite.create(tmp_path, tenant, azurite, step_cache, origin)

    deploy = ci.deploy(step_timeouts={"pulumi up": NO_PACK_SECONDS})

    assert deploy.result == "failure", deploy.outline
    up = deploy.step("pulumi up")
    assert up.outcome == "failure", deploy.outline
    # The language host checks the pack's virtualenv before it starts the pack (before that
    # check the CLI reported a refused connection to the analyzer, or hung until killed).
    assert "doesn't exist" in up.log and "policies/venv" in up.log, up.log[-3000:]
    assert "ran past its" not in up.log
    assert not (deploy.workspace / "policies" / "venv").exists()
    assert ci.apps() == []


def test_two_deploys_of_one_stack_at_once_leave_one_winner_a_lock_message_and_intact_state(
    ci: CiOnAzurite,
):
    """A second deploy starts while the first holds the stack's lock (its provisioning job's
    create is held in flight for 20 s): the second fails with Pulumi's lock message and
    changes nothing, the first finishes, and the state is whole."""
    ci.tenant.emulator.inject(Fault.hold(HOLD_SECONDS), method="POST", path=JOB_CREATE)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(ci.deploy, label="deploy 1")
        held_request_logged(ci, first)
        assert ci.locks(), "the first holds no lock"

        second = ci.deploy(label="deploy 2")

        assert not first.done(), "the first deploy ended before the second was refused"
        winner = first.result()
    succeeded(winner)
    assert second.result == "failure", second.outline
    refused = [step for step in second.steps if step.outcome == "failure" and LOCKED in step.log]
    assert refused, second.log[-4000:]
    assert second.step("pulumi up").outcome in ("skipped", "failure")
    assert ci.locks() == []
    assert inventory(ci) == ONE_OF_EACH
    state_is_intact_and_clean(ci, winner.workspace)
    no_secret_shown(ci, winner, second)


def test_a_cancelled_deploy_is_recovered_by_the_documented_steps_without_a_second_job(
    ci: CiOnAzurite,
):
    """GitHub cancels the deploy job while the provisioning job's create is in flight (the job
    exists in the tenant, its reply is held): the CLI is killed with the create pending and the
    lock left. The re-run's recovery step stops at the lock with Pulumi's message and the
    command to run; after `pulumi cancel` (docs/recovery.md, step 1: no deploy is running) the
    next re-run records the job the cancelled run made and deploys the rest. One of each."""
    ci.tenant.emulator.inject(Fault.hold(120), method="POST", path=JOB_CREATE)
    cancel = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(ci.deploy, cancel=cancel, label="cancelled deploy")
        held_request_logged(ci, running)
        cancel.set()
        cancelled = running.result()

    assert cancelled.result == "cancelled", cancelled.outline
    assert cancelled.step("pulumi up").outcome == "cancelled"
    assert inventory(ci)["provisioning jobs"] == 1  # the create landed
    latest = json.loads(ci.azurite.read_blob(ci.container, STATE_BLOB))["checkpoint"]["latest"]
    pending = [op["resource"]["urn"] for op in latest.get("pending_operations") or []]
    assert any(urn.endswith("::asana-provisioning-job") for urn in pending), pending
    assert ci.locks(), "the killed run left no lock"

    rerun = ci.deploy(label="re-run")

    assert rerun.result == "failure", rerun.outline
    recovery = rerun.step("Recover an interrupted deploy")
    assert recovery.outcome == "failure", rerun.outline
    assert LOCKED in recovery.log, recovery.log[-3000:]
    assert f"pulumi cancel --stack {STACK} --yes" in recovery.log
    assert rerun.step("pulumi up").outcome == "skipped"
    assert inventory(ci)["provisioning jobs"] == 1

    ci.pulumi(rerun.workspace, "cancel", "--stack", STACK, "--yes")
    again = ci.deploy(label="second re-run")

    succeeded(again)
    assert "asana-provisioning-job" in again.step("Recover an interrupted deploy").log
    assert inventory(ci) == ONE_OF_EACH
    state_is_intact_and_clean(ci, again.workspace)
    no_secret_shown(ci, cancelled, rerun, again)
