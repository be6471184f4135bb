"""Deploys killed at each resource of the dev stack, under the real CLI against the local tenant.

For every resource a provider creates, `pulumi up` is killed (the CLI and its plugins, SIGKILL)
the moment that resource's create request has landed in the tenant and before the reply reaches
the provider (for a create that only reads, while its first request is answered). The kill
leaves a pending `creating` operation in the state and the update's lock. The documented
recovery (docs/recovery.md) then runs as a person or the deploy workflow runs it:
`pulumi cancel`, `python -m tools.recover` (which refuses, as `make up` and the deploy workflow
do, while anything is pending, and prints the plan), `python -m tools.recover --apply`, `pulumi
up`, `pulumi preview --expect-no-changes`. After it the tenant holds exactly one of each object,
read from the local tenant's state directly, and the preview is clean.

One test keeps the reason for the guard in view: after a kill and only `pulumi cancel`, a bare
`pulumi up` instantiates a second app (the engine only warns about the pending create).

At the end of the run a table says, per resource, what the kill left and what the recovery did.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rules.pending import pending_operations
from tests.e2e.interrupt import (
    KILL_POINTS,
    OWNER,
    STACK,
    Inventory,
    Killed,
    KillPoint,
    dev_stack,
    export,
    inventory,
    kill_the_azuread_plugin,
    kill_up_at,
    lock_files,
    recover,
)
from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import CliRun, Workspace
from tools.recover import FAILED, NOTHING_PENDING, PENDING

INSTANTIATE = r"/applicationTemplates/[^/]+/instantiate$"
VERDICT = re.compile(r"^- (?P<name>\S+) \((?P<type>[^)]+)\), interrupted while (?P<kind>\w+): "
                     r"(?P<action>IMPORT|CLEAR|STOP): ", re.MULTILINE)  # fmt: skip
"""A verdict line of `tools.recover`'s plan; an IMPORT is followed by an `id:` line."""


@dataclass
class CaseRecord:
    """What one kill left and what the recovery did, for the table at the end of the run."""

    resource: str
    held: str = ""
    pending: list[str] = field(default_factory=list)
    after_kill: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)
    after_recovery: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    outcome: str = "failed"


RECORDS: list[CaseRecord] = []


@pytest.fixture(scope="module", autouse=True)
def _recovery_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print, after the module, each resource's kill and recovery (the facts docs/recovery.md
    states), and the matrix's wall time."""
    started = time.monotonic()
    yield
    if not RECORDS:
        return
    lines = []
    for record in RECORDS:
        steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in record.seconds.items())
        verdicts = "; ".join(f"{name}: {action}" for name, action in record.verdicts.items())
        lines += [
            f"{record.resource} [{record.outcome}]",
            f"    held:      {record.held}",
            f"    pending:   {', '.join(record.pending) or 'none'}",
            f"    tenant:    {record.after_kill}",
            f"    recovery:  {verdicts or 'nothing to do'}",
            f"    after:     {record.after_recovery}",
            f"    seconds:   {steps}",
        ]
    lines.append(f"matrix wall time: {time.monotonic() - started:.0f} s")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # a fixture's output is captured otherwise
        reporter.ensure_newline()
        reporter.section("killed deploys: what the kill left, what the recovery did", sep="-")
        for line in lines:
            reporter.write_line(line)


@pytest.fixture
def record(request: pytest.FixtureRequest) -> CaseRecord:
    callspec = getattr(request.node, "callspec", None)
    name = callspec.id if callspec is not None else request.node.name
    RECORDS.append(CaseRecord(resource=name))
    return RECORDS[-1]


@pytest.fixture
def point(request: pytest.FixtureRequest) -> KillPoint:
    return request.param


def _dev_stack(tmp_path: Path, point: KillPoint) -> Iterator[tuple[LocalTenant, Workspace]]:
    tenant, workspace = dev_stack(tmp_path / "ws", sso=point.sso)
    try:
        yield tenant, workspace
        assert workspace.leftover_processes() == []
    finally:
        tenant.stop()


@pytest.fixture
def stack(tmp_path: Path, point: KillPoint) -> Iterator[tuple[LocalTenant, Workspace]]:
    """A new local tenant and the dev stack created (not deployed) in a new workspace."""
    yield from _dev_stack(tmp_path, point)


def _verdicts(plan: str) -> dict[str, str]:
    return {match["name"]: match["action"] for match in VERDICT.finditer(plan)}


def _import_id(plan: str, name: str) -> str:
    found = re.search(rf"^- {re.escape(name)} .*\n\s+id: (\S+)$", plan, re.MULTILINE)
    assert found is not None, f"no id to import for {name} in the plan:\n{plan}"
    return found.group(1)


def _pending_names(workspace: Workspace) -> list[str]:
    return [op.name for op in pending_operations(export(workspace))]


def _state_ids(workspace: Workspace) -> dict[str, str]:
    resources = export(workspace)["deployment"]["resources"]
    return {resource["urn"]: resource.get("id", "") for resource in resources}


def _outputs(workspace: Workspace) -> dict[str, object]:
    return json.loads(workspace.pulumi("stack", "output", "--stack", STACK, "--json").stdout)


def _assert_one_of_each(tenant: LocalTenant, found: Inventory, sso: bool) -> None:
    """Exactly the objects the dev stack declares, each once."""
    assert len(found.application_ids) == 1, found
    assert len(found.service_principal_ids) == 1, found
    assert found.jobs == 1, found
    assert found.job_states == ("Active",), found  # provisioningStatus "on": started
    assert found.assignments == Counter(
        {
            tenant.principal_ids["Asana Provisioning Test"]: 1,
            tenant.principal_ids["asana.tester@contoso.com"]: 1,
        }
    ), found
    assert found.organization_mappings == 1, found
    owner = Counter({tenant.principal_ids[OWNER]: 1}) if sso else Counter()
    assert (found.application_owners, found.principal_owners) == (owner, owner), found
    if sso:
        assert list(found.key_pairs.values()) == [2], found  # one certificate: sign + verify
        assert (found.identifier_uris, found.reply_urls) == (1, 1), found
    else:
        assert not found.key_pairs, found
        assert (found.identifier_uris, found.reply_urls) == (0, 0), found


def _story(record: CaseRecord, tenant: LocalTenant) -> str:
    """What the kill left, what the recovery did, and every write the tenant received in
    order: what a failure of this matrix needs to be understood from CI's output alone."""
    writes = [
        f"  {request.method} {request.path} -> {request.status}"
        + (f" ({request.fault})" if request.fault else "")
        for request in tenant.emulator.requests
        if request.method != "GET"
    ]
    keys = [
        f"  {key.get('usage')} {key.get('displayName')} {key.get('startDateTime')} "
        f"{str(key.get('customKeyIdentifier'))[:12]}"
        for sp in tenant.emulator.snapshot()["servicePrincipals"].values()
        for key in sp.get("keyCredentials") or []
    ]
    return "\n".join(
        [
            f"pending after the kill: {', '.join(record.pending)}",
            f"tenant after the kill: {record.after_kill}",
            f"recovery: {record.verdicts}",
            "writes, in order:",
            *writes,
            "key credentials now:",
            *keys,
        ]
    )


def _record_kill(record: CaseRecord, tenant: LocalTenant, killed: Killed, step: str) -> None:
    """Note in the run's table how long `step` took and what it left: the held request, the
    pending operations, the tenant."""
    record.seconds[step] = killed.seconds
    landed = "landed" if killed.point.writes else "a lookup"
    record.held = f"{killed.held.method} {killed.held.path} ({landed})"
    record.pending = [f"{op.kind} {op.name}" for op in killed.pending]
    record.after_kill = _after_kill(tenant, killed)


def _after_kill(tenant: LocalTenant, killed: Killed) -> str:
    described = inventory(tenant).describe()
    if killed.emptied:  # see interrupt.remove_empty_attrs
        described += f"; the kill emptied {', '.join(path.name for path in killed.emptied)}"
    return described


def _timed(record: CaseRecord, step: str, call: CliRun) -> CliRun:
    record.seconds[step] = call.seconds
    return call


@pytest.mark.parametrize("point", KILL_POINTS, ids=lambda point: point.resource, indirect=True)
def test_a_deploy_killed_at_any_resource_recovers_to_one_of_each_object_and_a_clean_preview(
    point: KillPoint, stack: tuple[LocalTenant, Workspace], record: CaseRecord
):
    tenant, workspace = stack

    killed = kill_up_at(tenant, workspace, point)
    _record_kill(record, tenant, killed, "killed up")

    # What the kill leaves: the create pending in the state, the lock of the killed CLI.
    assert killed.survivors == []
    assert 200 <= killed.held.status < 300
    ours = [op for op in killed.pending if point.names(op.name)]
    assert [op.kind for op in ours] == ["creating"], killed.describe()
    assert [(lock.pid, lock.hostname) for lock in killed.locks] == [
        (killed.pid, socket.gethostname())
    ]

    # 1. The lock goes (no other deploy runs here).
    _timed(record, "cancel", workspace.pulumi("cancel", "--stack", STACK, "--yes"))
    assert lock_files(workspace) == []

    # 2. The guard `make up` and the deploy workflow run refuses, and prints the plan.
    check = _timed(record, "check", recover(workspace))
    assert check.exit_code == PENDING, check.output
    record.verdicts = _verdicts(check.stdout)
    assert set(record.verdicts) == {op.name for op in killed.pending}, check.stdout
    assert record.verdicts[ours[0].name] == ("IMPORT" if point.imported else "CLEAR")
    assert f"pulumi refresh --stack {STACK} --clear-pending-creates" in check.stdout
    if "IMPORT" in record.verdicts.values():
        assert f"pulumi import --stack {STACK} --file " in check.stdout
    imports = {
        op.urn: _import_id(check.stdout, op.name)
        for op in killed.pending
        if record.verdicts[op.name] == "IMPORT"
    }

    # 3. The plan carried out: each object found is in the state, nothing is pending.
    applied = _timed(record, "apply", recover(workspace, "--apply"))
    assert applied.exit_code == NOTHING_PENDING, applied.output
    state = _state_ids(workspace)
    assert {urn: state.get(urn) for urn in imports} == imports

    # 4. The next deploy creates what is missing, and nothing twice.
    up = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    _timed(record, "up", workspace.pulumi(*up))
    preview = ("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")
    _timed(record, "preview", workspace.pulumi(*preview))
    after = _timed(record, "check again", recover(workspace))

    found = inventory(tenant)
    record.after_recovery = found.describe()
    assert after.exit_code == NOTHING_PENDING, after.output
    assert tenant.emulator.count(service="graph", method="POST", path=INSTANTIATE) == 1
    try:
        _assert_one_of_each(tenant, found, point.sso)
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n{_story(record, tenant)}") from None
    outputs = _outputs(workspace)
    assert (outputs["applicationObjectId"], outputs["servicePrincipalObjectId"]) == (
        found.application_ids[0],
        found.service_principal_ids[0],
    )
    record.outcome = "recovered"


APP = next(point for point in KILL_POINTS if point.resource == "asana-app")


@pytest.mark.parametrize("point", [APP], ids=lambda point: point.resource, indirect=True)
def test_after_a_kill_a_bare_up_creates_a_second_app_which_is_why_up_is_guarded(
    point: KillPoint, stack: tuple[LocalTenant, Workspace], record: CaseRecord
):
    """The engine's own behaviour, which the guard exists for: after `pulumi cancel` alone, the
    next `pulumi up` only warns about the pending create and instantiates the gallery app again.
    (Our InstantiatedAppDuplicates then deletes the orphan, but only because it is less than
    `rules.moments.RETRIED_WRITE_WINDOW` older than the new app: a rerun the next morning keeps
    both.) The recovery tool refuses while the killed run's lock is there, naming `pulumi
    cancel`."""
    tenant, workspace = stack
    record.resource += " (after `pulumi cancel` alone, a bare `pulumi up`)"
    killed = kill_up_at(tenant, workspace, point)
    (orphan,) = inventory(tenant).application_ids
    _record_kill(record, tenant, killed, "killed up")

    locked = recover(workspace, "--apply")
    assert locked.exit_code == FAILED, locked.output
    assert f"pulumi cancel --stack {STACK} --yes" in locked.stderr
    assert len(lock_files(workspace)) == 1
    assert "asana-app" in _pending_names(workspace)

    workspace.pulumi("cancel", "--stack", STACK, "--yes")
    guard = recover(workspace)
    assert guard.exit_code == PENDING, guard.output
    assert orphan in guard.stdout

    bare = workspace.pulumi("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    record.seconds["bare up"] = bare.seconds

    second = _outputs(workspace)["applicationObjectId"]
    record.verdicts = {"bare `pulumi up`": f"instantiated app {second} beside {orphan}"}
    record.after_recovery = inventory(tenant).describe()
    assert re.search(r"\d+ pending operations from previous deployment", bare.output)
    assert tenant.emulator.count(service="graph", method="POST", path=INSTANTIATE) == 2
    assert second != orphan
    assert tenant.emulator.count(service="graph", method="DELETE", path=rf"/applications/{orphan}$")
    assert "asana-app" in _pending_names(workspace)
    record.outcome = "second app created, as expected without the recovery"


REPLY_URL = next(point for point in KILL_POINTS if point.resource == "asana-saml-reply-url")


@pytest.mark.parametrize("point", [REPLY_URL], ids=lambda point: point.resource, indirect=True)
def test_a_provider_that_dies_before_the_cli_leaves_a_landed_create_failed_not_pending(
    point: KillPoint, stack: tuple[LocalTenant, Workspace], record: CaseRecord
):
    """What docs/recovery.md says of a provider that dies alone (its own process group, the
    out-of-memory killer): the CLI records the create it was making as failed, so nothing is
    pending and `tools.recover` has nothing to judge, though the write landed; the next `up`
    meets such an object and names it ("already exists"), and importing that id is the way
    on."""
    tenant, workspace = stack
    record.resource += " (the azuread plugin killed alone)"
    killed = kill_up_at(tenant, workspace, point, kill=kill_the_azuread_plugin)
    _record_kill(record, tenant, killed, "failed up")

    assert killed.pending == [] and killed.locks == [], killed.describe()
    found = inventory(tenant)
    (app,), (principal,) = found.application_ids, found.service_principal_ids
    assert found.reply_urls == 1  # the held write landed
    check = recover(workspace)
    assert check.exit_code == NOTHING_PENDING, check.output

    # Every create in flight in the plugin failed with it (the identifier URI's, the owner's, an
    # assignment's, when theirs had started), and after the first failure the next `up` starts
    # no more creates: which objects it meets depends on what was in flight.
    up = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    again = workspace.pulumi(*up, expect=(1, 255))
    record.seconds["next up"] = again.seconds
    existing = list(
        dict.fromkeys(re.findall(r'A resource with the ID "([^"]+)" already exists', again.output))
    )
    # An assignment's create does not look first: Graph refuses the second one itself.
    refused = "Permission being assigned already exists on the object" in again.output
    named = [*existing, *(["an assignment (Graph refused it)"] if refused else [])]
    record.verdicts = {"next `pulumi up`": f"fails: {', '.join(named)} already exist(s)"}
    assert named, again.output
    ours = (f"/applications/{app}", f"/servicePrincipals/{principal}")  # or objects under them
    assert all(object_id.startswith(ours) for object_id in existing), again.output
    record.outcome = "create recorded failed; the next up names the object to import"


@pytest.mark.parametrize("point", [APP], ids=lambda point: point.resource, indirect=True)
def test_refresh_import_pending_creates_of_the_pinned_cli_forgets_the_app_it_was_given(
    point: KillPoint, stack: tuple[LocalTenant, Workspace], record: CaseRecord
):
    """Why `tools.recover` imports with `pulumi import --file` rather than the engine's own
    `pulumi refresh --import-pending-creates URN ID`: with the pinned CLI the refresh turns the
    pending create into a pending import and then drops it without importing (pulumi/pulumi
    `pkg/backend/journal.go` keeps only pending creates). It exits 0, the state no longer
    mentions the app, the guard no longer sees it, and the next `up` would make a second app."""
    tenant, workspace = stack
    record.resource += " (`pulumi refresh --import-pending-creates URN ID` instead)"
    killed = kill_up_at(tenant, workspace, point)
    (orphan,) = inventory(tenant).application_ids
    _record_kill(record, tenant, killed, "killed up")
    workspace.pulumi("cancel", "--stack", STACK, "--yes")
    plan = recover(workspace).stdout
    (app,) = [op for op in killed.pending if op.name == "asana-app"]

    refresh = workspace.pulumi(
        "refresh", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive",
        "--import-pending-creates", app.urn, "--import-pending-creates", _import_id(plan, app.name),
    )  # fmt: skip
    record.seconds["refresh"] = refresh.seconds

    state = _state_ids(workspace)
    guard = recover(workspace)
    record.verdicts = {"refresh": "exit 0; asana-app neither in state nor pending"}
    record.after_recovery = inventory(tenant).describe()
    # Other creates the kill interrupted (the token's, say) stay pending; the app's is gone.
    assert app.urn not in {op.urn for op in pending_operations(export(workspace))}
    assert app.urn not in state
    assert inventory(tenant).application_ids == (orphan,)  # still in the tenant, owned by nobody
    assert guard.exit_code in (NOTHING_PENDING, PENDING), guard.output
    assert "asana-app" not in _verdicts(guard.stdout) and orphan not in guard.stdout
    record.outcome = "the app forgotten, as the tool's docstring says"
