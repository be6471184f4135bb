"""Kill `pulumi up` at one resource, the way a cancelled CI job ends, and read what it left.

The local tenant holds the reply to one create request (`Fault.hold`): the request has landed
(the object exists in the tenant) but the provider never hears back. As soon as the request log
shows it, the CLI and every plugin it started get SIGKILL, as a cancelled job's process tree
ends. (Each plugin runs in a process group of its own, pulumi/pulumi
`sdk/go/common/resource/plugin/plugin.go` calling `cmdutil.RegisterProcessGroup`: a SIGKILL of
the CLI's group alone leaves the language host and every provider running, orphaned.)

What is left is what the engine and the diy backend wrote before the kill: a pending `creating`
operation for the resource in the checkpoint, often beside others that were in flight, and the
update's lock file (`.pulumi/locks/<org>/<project>/<stack>/<id>.json`, holding pid, user and
host; pulumi/pulumi `pkg/backend/diy/lock.go`). A create that sends no write (a read-only lookup)
is killed while its first request is held: its pending operation points at nothing in the
tenant. A kill during a checkpoint write can also leave the checkpoint's metadata file empty
(`remove_empty_attrs`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rules.pending import PendingOperation, pending_operations
from tests.e2e.engine import ROOT, VENV
from tests.e2e.stacks import named_principals, shipped_settings
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import CliRun, Workspace, run_command
from tests.emulator import Fault, RecordedRequest

STACK = "dev"
APP_NAME = "Asana (dev)"
OWNER = "app.owner@contoso.com"
SSO_AND_OWNER: dict[str, Any] = {
    f"{PROJECT}:ssoEnabled": True,
    f"{PROJECT}:ssoSignOnUrl": "https://app.asana.com/a/contoso.com",
    f"{PROJECT}:appOwners": [OWNER],
}
"""Added to the dev stack for the resources it lacks as shipped: the SAML identifier and reply
URL, the signing certificate and our SamlSigningCertificates, a declared owner."""
ORGANIZATION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"
"""The target of the dev stack's one attribute mapping (a constant)."""

HOLD_SECONDS = 120.0
"""How long a held reply waits at most; the kill comes within a second of the request."""
REACH_SECONDS = 180.0
"""How long `pulumi up` may take to reach the held request (a cold CLI on a busy machine)."""
GONE_SECONDS = 20.0
"""How long the killed processes may take to disappear."""
POLL_SECONDS = 0.05

Condition = Callable[[LocalTenant, Mapping[str, str], object], bool]
"""Which of several requests to one path is the resource's: given the tenant (for principal
ids), the query and the decoded body."""


def _body_has(key: str) -> Condition:
    return lambda _tenant, _query, body: isinstance(body, dict) and bool(body.get(key))


def _principal(name: str) -> Condition:
    def condition(tenant: LocalTenant, _query: Mapping[str, str], body: object) -> bool:
        return isinstance(body, dict) and body.get("principalId") == tenant.principal_ids[name]

    return condition


@dataclass(frozen=True)
class KillPoint:
    """A resource of the dev stack and the request its create sends that the kill waits for."""

    resource: str
    """The resource's name (the end of its URN)."""
    method: str
    path: str
    """A regex searched in the URL path."""
    writes: bool
    """Whether the held request is a write (the object exists after the kill) or a lookup."""
    imported: bool = False
    """Whether the recovery imports what the create made: an object that a repeated create
    would add a second time (or refuse as existing). Every other pending create is cleared: a
    lookup, or a write the next `up` repeats without making a second object."""
    service: str = "graph"
    condition: Condition | None = None
    sso: bool = False
    """Only in the dev stack with SSO and a declared owner (`SSO_AND_OWNER`)."""

    def names(self, name: str) -> bool:
        """Whether `name` (a URN's last part) is this resource's: the name itself, or the name
        and the 8-hex-digit hash the component appends to assignment, owner and certificate
        names ("asana-saml-signing" is not "asana-saml-signing-certificate-…")."""
        return re.fullmatch(re.escape(self.resource) + r"(-[0-9a-f]{8})?", name) is not None


_SP = r"^/v1\.0/servicePrincipals/[^/]+"
_APP = r"^/v1\.0/applications/[^/]+"
KILL_POINTS: tuple[KillPoint, ...] = (
    KillPoint("asana-token", "GET", r"/scim/Users$", writes=False, service="scim"),
    KillPoint("asana-app", "POST", r"/applicationTemplates/[^/]+/instantiate$", True, True),
    KillPoint(
        "asana-app-duplicates",
        "GET",
        r"^/v1\.0/applications$",
        writes=False,
        condition=lambda _t, query, _b: "applicationTemplateId" in query.get("$filter", ""),
    ),
    KillPoint("asana-service-principal", "PATCH", _SP + "$", writes=True, imported=True),
    KillPoint("asana-provisioning-secret", "PUT", _SP + "/synchronization/secrets$", True),
    KillPoint("asana-provisioning-template", "GET", _SP + "/synchronization/templates$", False),
    KillPoint(
        "asana-group-asana-provisioning-test",
        "POST",
        _SP + "/appRoleAssignedTo$",
        writes=True,
        imported=True,
        condition=_principal("Asana Provisioning Test"),
    ),
    KillPoint(
        "asana-user-asana-tester-contoso-com",
        "POST",
        _SP + "/appRoleAssignedTo$",
        writes=True,
        imported=True,
        condition=_principal("asana.tester@contoso.com"),
    ),
    KillPoint(
        "asana-owners",
        "GET",
        _APP + "/owners$",
        writes=False,
        condition=lambda _t, query, _b: query.get("$select") == "id",
    ),
    KillPoint("asana-provisioning-job", "POST", _SP + "/synchronization/jobs$", True, True),
    KillPoint(
        "asana-user-attribute-mappings", "PUT", _SP + "/synchronization/jobs/[^/]+/schema$", True
    ),
    KillPoint(
        "asana-saml-identifier",
        "PATCH",
        _APP + "$",
        writes=True,
        imported=True,
        condition=_body_has("identifierUris"),
        sso=True,
    ),
    KillPoint(
        "asana-saml-reply-url",
        "PATCH",
        _APP + "$",
        writes=True,
        imported=True,
        condition=_body_has("web"),
        sso=True,
    ),
    KillPoint(
        "asana-app-owner-app-owner-contoso-com",
        "POST",
        _APP + r"/owners/\$ref$",
        writes=True,
        imported=True,
        sso=True,
    ),
    KillPoint(
        "asana-saml-signing-certificate-cn-asana-sso",
        "POST",
        _SP + "/addTokenSigningCertificate$",
        writes=True,
        imported=True,
        sso=True,
    ),
    KillPoint(
        "asana-saml-signing",
        "PATCH",
        _SP + "$",
        writes=True,
        condition=_body_has("preferredTokenSigningKeyThumbprint"),
        sso=True,
    ),
)
"""Every resource of the dev stack that a provider creates, in the order `pulumi up` reaches
them. Names are URN prefixes: assignment, owner and certificate names end in a hash."""


def dev_stack(base: Path, *, sso: bool) -> tuple[LocalTenant, Workspace]:
    """The shipped dev stack (with `SSO_AND_OWNER` when `sso`) created, not deployed, in a new
    workspace against a new local tenant. The caller stops the tenant."""
    settings = shipped_settings(ROOT / "stacks" / f"Pulumi.{STACK}.yaml")
    if sso:
        settings.update(SSO_AND_OWNER)
    groups, users = named_principals(settings)
    tenant = LocalTenant.start(groups, [*users, OWNER] if sso else users)
    workspace = Workspace(base, ca_bundle=tenant.ca_bundle)
    workspace.create_stack(STACK, {**settings, **tenant.plain_settings()}, tenant.secret_settings())
    return tenant, workspace


@dataclass(frozen=True)
class Lock:
    """A lock file of the diy backend: which process held the stack."""

    path: Path
    pid: int
    hostname: str


@dataclass
class Killed:
    """What killing `pulumi up` at a kill point left behind."""

    point: KillPoint
    pid: int
    """The killed CLI's process id."""
    held: RecordedRequest
    pending: list[PendingOperation]
    locks: list[Lock]
    output: str
    seconds: float
    survivors: list[str] = field(default_factory=list)
    """Processes of the workspace still running after the kill (there should be none)."""
    emptied: list[Path] = field(default_factory=list)
    """Metadata files of the checkpoint the kill left empty (and `remove_empty_attrs` removed)."""

    def describe(self) -> str:
        pending = ", ".join(f"{op.kind} {op.name}" for op in self.pending) or "nothing pending"
        landed = "landed" if self.point.writes else "a lookup, nothing written"
        return (
            f"{self.held.method} {self.held.path} held ({landed}); {pending}; "
            f"{len(self.locks)} lock(s)"
        )


def _held_request(tenant: LocalTenant, since: int) -> RecordedRequest | None:
    return next(
        (record for record in tenant.emulator.requests[since:] if record.fault == "hold"), None
    )


def kill_up_at(
    tenant: LocalTenant,
    workspace: Workspace,
    point: KillPoint,
    kill: Callable[[int], None] | None = None,
) -> Killed:
    """Run `pulumi up` and SIGKILL it and its plugins (or do `kill` to the CLI's pid) once the
    request of `point` has landed and is being held; return what the kill left."""
    condition = point.condition
    where = None if condition is None else lambda query, body: condition(tenant, query, body)
    tenant.emulator.inject(
        Fault.hold(HOLD_SECONDS),
        service=point.service,
        method=point.method,
        path=point.path,
        where=where,
    )
    since = len(tenant.emulator.requests)
    log = workspace.base / f"killed-up-{point.resource}.log"
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            ["pulumi", "up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive"],
            cwd=workspace.project,
            env=workspace.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as a CI step's shell
        )
        try:
            held = _wait_for_hold(tenant, since, process, log)
        finally:
            (kill or kill_process_tree)(process.pid)
            process.wait(timeout=GONE_SECONDS)
    seconds = time.monotonic() - started
    tenant.emulator.clear_faults()
    survivors = _wait_until_gone(workspace)
    emptied = remove_empty_attrs(workspace)
    state = export(workspace)
    return Killed(
        point=point,
        pid=process.pid,
        held=held,
        pending=pending_operations(state),
        locks=lock_files(workspace),
        output=log.read_text(errors="replace"),
        seconds=seconds,
        survivors=survivors,
        emptied=emptied,
    )


def _wait_for_hold(
    tenant: LocalTenant, since: int, process: subprocess.Popen[bytes], log: Path
) -> RecordedRequest:
    deadline = time.monotonic() + REACH_SECONDS
    while time.monotonic() < deadline:
        held = _held_request(tenant, since)
        if held is not None:
            return held
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise AssertionError(
                f"`pulumi up` exited {process.returncode} before the held request:\n{tail}"
            )
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"`pulumi up` did not reach the held request in {REACH_SECONDS:.0f} s")


def _parents() -> dict[int, int]:
    """Each running process's parent, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            # the command may hold spaces and parentheses: the fields follow its last ")"
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
    return parents


def kill_process_tree(pid: int) -> None:
    """SIGKILL the process group of `pid` (the CLI), then that of each of its descendants, all
    found first (once `pid` is dead its children are re-parented and can no longer be told
    apart).

    The CLI goes first, by name, not by the lowest pid: a lost runner takes the CLI down with
    its plugins, and a plugin (each runs in a process group of its own, pulumi's
    `RegisterProcessGroup`) that dies while the CLI lives fails its in-flight create, which the
    CLI records as failed rather than pending: the write has landed and the state forgets it,
    so the next `up` meets "already exists". Process ids wrap (kernel.pid_max is 32768 here),
    so after a long test run a plugin's pid may well be lower than the CLI's."""
    parents = _parents()
    tree, grew = {pid}, True
    while grew:
        children = {child for child, parent in parents.items() if parent in tree}
        grew = not children <= tree
        tree |= children
    for member in [pid, *sorted(tree - {pid})]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(member), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def kill_the_azuread_plugin(pid: int) -> None:
    """SIGKILL the process group of the azuread plugin the CLI `pid` started, and only it: a
    provider that dies while the CLI goes on (docs/recovery.md, "When a provider dies before
    the CLI"). The CLI then ends by itself."""
    parents = _parents()
    plugins = [child for child, parent in parents.items() if parent == pid]
    for plugin in plugins:
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{plugin}/cmdline").read_bytes().split(b"\0")
            # the stand-in's launcher execs `python -u -m tests.azuread_standin`
            if b"tests.azuread_standin" in command:
                os.killpg(os.getpgid(plugin), signal.SIGKILL)
                return
    raise AssertionError(f"the CLI {pid} runs no azuread plugin")


def _wait_until_gone(workspace: Workspace) -> list[str]:
    """The workspace's processes still running once the killed group has had time to go."""
    deadline = time.monotonic() + GONE_SECONDS
    left = workspace.leftover_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = workspace.leftover_processes()
    return left


def remove_empty_attrs(workspace: Workspace) -> list[Path]:
    """Remove the checkpoint's metadata file when the kill left it empty, and say so.

    The file backend (gocloud.dev/blob/fileblob, `writerWithSidecar.Close`) writes a blob's
    `<key>.attrs` (content type and MD5) with `os.Create` then a JSON encode, before it renames
    the new checkpoint into place: a kill between the two leaves `dev.json.attrs` empty and the
    previous checkpoint whole, and every command on the stack then fails with "failed to load
    checkpoint: EOF". Without the file, fileblob reads the blob with default attributes."""
    stacks = workspace.state / ".pulumi" / "stacks"
    emptied = [path for path in sorted(stacks.rglob("*.attrs")) if path.stat().st_size == 0]
    for path in emptied:
        path.unlink()
    return emptied


def export(workspace: Workspace) -> dict[str, Any]:
    """The stack's checkpoint as `pulumi stack export` prints it (no lock needed to read)."""
    run = workspace.pulumi("stack", "export", "--stack", STACK)
    return json.loads(run.stdout)


def lock_files(workspace: Workspace) -> list[Lock]:
    locks = []
    for path in sorted((workspace.state / ".pulumi" / "locks").rglob("*.json")):
        content = json.loads(path.read_text())
        locks.append(Lock(path, int(content["pid"]), str(content["hostname"])))
    return locks


@dataclass(frozen=True)
class Inventory:
    """What the tenant holds of the stack, read from the local tenant's state directly."""

    application_ids: tuple[str, ...]
    """The applications of the stack's display name."""
    service_principal_ids: tuple[str, ...]
    """Their service principals."""
    jobs: int
    job_states: tuple[str, ...]
    """Each job's `schedule.state` (Active once started, Disabled as created, Paused)."""
    assignments: Counter[str]
    """Assignments to the service principal per principal id."""
    key_pairs: Counter[str]
    """Key credentials per certificate (customKeyIdentifier): 2 (sign and verify) each."""
    application_owners: Counter[str]
    principal_owners: Counter[str]
    identifier_uris: int
    reply_urls: int
    organization_mappings: int
    """Attribute mappings to Asana's organization in the job's User mapping."""

    def describe(self) -> str:
        return (
            f"{len(self.application_ids)} app, {len(self.service_principal_ids)} SP, "
            f"{self.jobs} job, "
            f"{sum(self.assignments.values())} assignments, "
            f"{sum(self.key_pairs.values())} signing keys"
        )


def inventory(tenant: LocalTenant) -> Inventory:
    snapshot = tenant.emulator.snapshot()
    apps = [a for a in snapshot["applications"].values() if a.get("displayName") == APP_NAME]
    app_ids = {app["appId"] for app in apps}
    sps = [sp for sp in snapshot["servicePrincipals"].values() if sp.get("appId") in app_ids]
    found_jobs = [(sp["id"], job) for sp in sps for job in tenant.emulator.jobs(sp["id"])]
    jobs = [(sp, job["id"]) for sp, job in found_jobs]
    owners = snapshot["owners"]
    return Inventory(
        application_ids=tuple(sorted(app["id"] for app in apps)),
        service_principal_ids=tuple(sorted(sp["id"] for sp in sps)),
        jobs=len(jobs),
        job_states=tuple(job["schedule"]["state"] for _, job in found_jobs),
        assignments=Counter(
            assignment["principalId"]
            for sp in sps
            for assignment in snapshot["appRoleAssignments"].get(sp["id"], [])
        ),
        key_pairs=Counter(
            key["customKeyIdentifier"] for sp in sps for key in sp.get("keyCredentials") or []
        ),
        application_owners=Counter(o for app in apps for o in owners.get(app["id"], [])),
        principal_owners=Counter(o for sp in sps for o in owners.get(sp["id"], [])),
        identifier_uris=sum(len(app.get("identifierUris") or []) for app in apps),
        reply_urls=sum(len((app.get("web") or {}).get("redirectUris") or []) for app in apps),
        organization_mappings=sum(
            _organization_mappings(tenant.emulator.schema(sp, job)) for sp, job in jobs
        ),
    )


def _organization_mappings(schema: Mapping[str, Any]) -> int:
    return sum(
        1
        for rule in schema.get("synchronizationRules") or []
        for mapping in rule.get("objectMappings") or []
        if mapping.get("sourceObjectName") == "User"
        for attribute in mapping.get("attributeMappings") or []
        if attribute.get("targetAttributeName") == ORGANIZATION
    )


RECOVER_TIMEOUT_SECONDS = 600.0


def recover(workspace: Workspace, *args: str) -> CliRun:
    """`python -m tools.recover --stack dev ARGS` in the workspace, as `make up`/`make recover`
    and the deploy workflow run it (the CLI on PATH, the stack's own settings)."""
    command = [str(VENV / "bin" / "python"), "-m", "tools.recover", "--stack", STACK, *args]
    return run_command(
        command, cwd=workspace.project, env=workspace.env, timeout=RECOVER_TIMEOUT_SECONDS
    )
