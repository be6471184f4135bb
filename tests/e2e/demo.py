"""`make demo`: the whole job on the real Pulumi CLI against a local tenant, in one command.

No tenant, no account, nothing to configure. It starts the local tenant (Entra ID, Microsoft
Graph and Asana's SCIM service on 127.0.0.1), creates a `demo` stack in a local file backend
under `.demo/`, and runs the real engine through a stack's life: preview with the policy pack,
up, the outputs, a provisioning cycle and the health check, two changes made by hand the way an
admin would (an attribute mapping edited in the portal, the Asana token revoked), the drift
check exactly as the drift workflow runs it, the next cycle quarantining the job and the health
check saying so, the token rotated and `pulumi up` putting everything back, a clean drift check,
a healthy cycle again, and destroy, which must leave the tenant as it was. Each step says what
it does and how long it took; any unexpected outcome stops the demo with a non-zero exit.

The stack is driven through Pulumi's Automation API (`tests/e2e/workspace.py`: `preview`, `up`,
`destroy`), as a program driving Pulumi would: what the CLI prints is shown as it comes, each
step's counts come from the API's typed summary and the policy pack's findings from its typed
events. The drift and health checks run as the workflow and `make health` run them.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi.automation import CommandError, EngineEvent, Stack

from clients.pulumi_cli import run_cli
from rules.asana import SCIM_TENANT_URL
from tests.e2e import portal
from tests.e2e.drift import DRIFT, NO_DRIFT, run_drift_check
from tests.e2e.engine import ROOT, STANDIN_BIN, VENV, engine_bin
from tests.e2e.health import HEALTHY, UNHEALTHY, run_health_check
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import CliFailed, CliRun, Workspace, run_command
from tests.saml_sp import sign_in

STACK = "demo"
DEMO_DIR = ROOT / ".demo"
POLICY_PACK = ROOT / "policies"
POLICY_CONFIG = POLICY_PACK / "config" / "dev.json"
GROUP = "Asana Users"
USER = "asana.tester@contoso.com"

SETTINGS: dict[str, Any] = {
    f"{PROJECT}:appDisplayName": "Asana (demo)",
    f"{PROJECT}:ssoEnabled": True,
    f"{PROJECT}:ssoSignOnUrl": "https://app.asana.com/a/contoso.com",
    f"{PROJECT}:ssoNotificationEmails": ["identity-demo@contoso.com"],
    f"{PROJECT}:assignmentGroups": [GROUP],
    f"{PROJECT}:assignmentUsers": [USER],
    f"{PROJECT}:provisioningStatus": "on",
    f"{PROJECT}:notificationEmail": "identity-demo@contoso.com",
    f"{PROJECT}:notifyOnFailure": True,
    f"{PROJECT}:deletionThreshold": 25,
    f"{PROJECT}:userMappings": {
        "mode": "merge",
        "mappings": [{"target": "title", "attribute": "jobTitle"}],
    },
}
"""The demo stack: SSO, one group and one user assigned, provisioning on with one mapping."""
SSO_ONLY: dict[str, Any] = {
    **{key: value for key, value in SETTINGS.items() if key != f"{PROJECT}:userMappings"},
    f"{PROJECT}:provisioningEnabled": False,
}
"""The demo stack without provisioning, for tests of sign-in and ownership alone."""
ENGINEERING_ONLY: dict[str, Any] = {
    **SETTINGS[f"{PROJECT}:userMappings"],
    "scopingFilter": [
        [{"attribute": "department", "operator": "EQUALS", "values": ["Engineering"]}]
    ],
}
"""The demo's pull request: only Engineering keeps Asana."""
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Engineering", "Finance")
PEOPLE = 40
"""The demo directory: this many people in the assigned group, across DEPARTMENTS."""


def seed_people(tenant: LocalTenant) -> None:
    """People in the demo group, as an admin's directory holds them: departments, one disabled
    account, one guest, and a nested group whose member provisioning does not reach."""
    emu = tenant.emulator
    members = []
    for n in range(PEOPLE):
        members.append(
            emu.add_user(
                f"person{n:02d}@contoso.com",
                f"Person {n:02d}",
                department=DEPARTMENTS[n % len(DEPARTMENTS)],
                account_enabled=n != 7,
            )
        )
    members.append(
        emu.add_user(
            "kim_fabrikam.com#EXT#@contoso.com",
            "Kim (guest)",
            department="Sales",
            user_type="Guest",
        )
    )
    inner = emu.add_user("nested@contoso.com", "Nested Member", department="Engineering")
    members.append(emu.add_group("Asana Users (nested)", members=[inner]))
    emu.add_group_members(tenant.principal_ids[GROUP], members)


class DemoFailed(Exception):
    """A step did something the demo did not expect."""


@dataclass
class Demo:
    tenant: LocalTenant
    workspace: Workspace
    timings: list[tuple[str, float]] = field(default_factory=list)

    def step(self, title: str, action: Callable[[], str | None]) -> None:
        number = len(self.timings) + 1
        print(f"\n[{number}] {title}", flush=True)
        started = time.monotonic()
        note = action()
        seconds = time.monotonic() - started
        self.timings.append((title, seconds))
        print(f"    done in {seconds:.1f} s{f': {note}' if note else ''}", flush=True)

    def pulumi(
        self,
        *args: str,
        expect: int | tuple[int, ...] = 0,
        show: bool = True,
        stdin: str | None = None,
    ) -> CliRun:
        run = self.workspace.pulumi(*args, expect=expect, stdin=stdin)
        if show:
            _indent(run.stdout)
        return run


STANDIN_WARNING = "using pulumi-resource-azuread from $PATH"
"""The CLI's own note that it runs the stand-in; said once at the start instead of per line."""


def _shown(line: str) -> bool:
    """Whether a line of the CLI's output is worth showing: not a progress line, a heading
    without content or the repeated stand-in note."""
    stripped = line.strip()
    if not stripped or stripped.startswith("@ ") or stripped == "Diagnostics:":
        return False
    if STANDIN_WARNING in line:
        return False
    return not (stripped.startswith("pulumi:pulumi:Stack (") or stripped.endswith("warnings"))


def _readable(text: str) -> list[str]:
    """The CLI's output without progress lines and the repeated stand-in note."""
    return [line for line in text.rstrip().splitlines() if _shown(line)]


def _indent(text: str, limit: int = 60) -> None:
    lines = _readable(text)
    for line in lines[:limit]:
        print(f"    | {line}")
    if len(lines) > limit:
        print(f"    | … ({len(lines) - limit} more lines)")


class Live:
    """What the CLI prints, shown as it comes (the Automation API's on_output), indented and
    filtered as `_indent` does, up to `limit` lines; `close` says how many more there were."""

    def __init__(self, limit: int = 60) -> None:
        self.limit, self.count = limit, 0

    def __call__(self, line: str) -> None:
        if _shown(line):
            self.count += 1
            if self.count <= self.limit:
                print(f"    | {line}", flush=True)

    def close(self) -> None:
        if self.count > self.limit:
            print(f"    | … ({self.count - self.limit} more lines)", flush=True)


DONE = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "replace": "replaced",
    "same": "unchanged",
}
PLANNED = {"create": "to create", "update": "to update", "delete": "to delete"}


def _summary(changes: Mapping[str, int] | None, words: Mapping[str, str] = DONE) -> str:
    """The API's typed change summary (resource count per operation) in words, e.g.
    "14 created, 1 unchanged"."""
    words = {**DONE, **words}
    counts = [f"{count} {words.get(str(op), str(op))}" for op, count in (changes or {}).items()]
    return ", ".join(counts) or "no changes"


def up(stack: Stack, **options: Any) -> str:
    """`pulumi up` (--yes --skip-preview, as the API runs it), shown as it comes; its counts."""
    live = Live()
    try:
        result = stack.up(on_output=live, show_secrets=False, **options)
    finally:
        live.close()
    return _summary(result.summary.resource_changes)


def run(demo: Demo) -> None:
    tenant, workspace = demo.tenant, demo.workspace
    before = tenant.emulator.snapshot()
    deployed: list[portal.Deployed] = []

    demo.step(
        "Create the `demo` stack on a local file backend under .demo/",
        lambda: (
            workspace.create_stack(
                STACK, {**SETTINGS, **tenant.plain_settings()}, tenant.secret_settings()
            )
            or f"settings in {workspace.stack_file(STACK).relative_to(ROOT)}"
        ),
    )

    stack = workspace.stack(STACK)

    def preview() -> str:
        config = local_policy_config(tenant, workspace.base / "policy-config.json")
        events: list[EngineEvent] = []
        live = Live()
        try:
            result = stack.preview(
                policy_packs=[str(POLICY_PACK)],
                policy_pack_configs=[str(config)],
                on_output=live,
                on_event=events.append,
            )
        finally:
            live.close()
        if not result.change_summary.get("create"):
            raise DemoFailed("the preview shows nothing to create")
        findings = [event.policy_event for event in events if event.policy_event is not None]
        advisory = f" ({len(findings)} advisory finding(s) above)" if findings else ""
        return (
            f"{_summary(result.change_summary, PLANNED)}; the policy pack (dev config, local "
            f"SCIM URL allowed) passed{advisory}"
        )

    demo.step("pulumi preview, with the policy pack (what `up` would do)", preview)
    demo.step(
        "pulumi up (creates the app, SSO, assignments and provisioning in the local tenant)",
        lambda: up(stack),
    )

    def outputs() -> str:
        # What `pulumi stack output --json` prints, through the API's command: not
        # Stack.outputs(), which reads every value with --show-secrets and flags only whole
        # outputs as secret, so a secret inside one would be shown.
        values = json.loads(run_cli(stack, "stack", "output", "--json").stdout)
        _indent(json.dumps(values, indent=2))
        deployed.append(portal.Deployed.from_outputs(values))
        return "secrets stay hidden: only the token's fingerprint is an output"

    demo.step("pulumi stack output", outputs)

    def saml_sign_in() -> str:
        sso = json.loads(run_cli(stack, "stack", "output", "sso", "--json").stdout)
        result = sign_in(sso, USER, ca_bundle=tenant.ca_bundle)
        if not result.accepted:
            raise DemoFailed(f"Asana's side refused the SAML response: {result.errors}")
        _indent(
            f"Asana (python3-saml, configured from the `sso` output only) accepted the response "
            f"for {result.name_id}, signed with certificate {sso['activeThumbprint']}, "
            f"which expires {sso['certificateExpires']}"
        )
        return "the certificate Entra signs with is the one the stack published"

    demo.step(f"Sign in to Asana as {USER}: Entra signs, Asana's SAML check accepts", saml_sign_in)

    def health(expected: int) -> Callable[[], str]:
        """A provisioning cycle, then the health check as `make health` runs it."""

        def check() -> str:
            ids = deployed[0]
            tenant.emulator.run_provisioning_cycle(ids.service_principal_id, ids.job_id)
            result = run_health_check(workspace, STACK)
            _indent(result.text, limit=25)
            if result.status != expected:
                _indent(result.run.stderr, limit=40)
                raise DemoFailed(f"the health check exited {result.status}, not {expected}")
            return result.title

        return check

    demo.step(
        "The provisioning service runs a cycle; the health check (`make health`)",
        health(HEALTHY),
    )

    def impact() -> str:
        path = workspace.stack_file(STACK)  # what the pull request changes in the stack file
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["config"][f"{PROJECT}:userMappings"] = ENGINEERING_ONLY
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        command = [str(VENV / "bin" / "python"), "-m", "tools.impact", "--stack", STACK]
        run = run_command(command, cwd=workspace.project, env=workspace.env, timeout=300)
        _indent(run.stdout, limit=30)
        if run.exit_code != 2:
            _indent(run.stderr, limit=20)
            raise DemoFailed(f"the impact preview exited {run.exit_code}, not 2 (someone affected)")
        return run.stdout.splitlines()[0]

    demo.step(
        "A pull request narrows the scoping filter to Engineering: who loses Asana "
        "(`make impact`, as the preview workflow comments it), before its `up`",
        impact,
    )
    demo.step(
        "pulumi up of the filter change; the next cycle disables those accounts in Asana",
        lambda: up(stack),
    )

    def by_hand() -> str:
        portal.map_from_attribute("title", "department")(tenant, deployed[0])
        portal.revoke_asana_token(tenant, deployed[0])
        return "title now flows from department; the Asana token no longer works"

    demo.step("An admin changes things by hand: a mapping in the portal, a token in Asana", by_hand)

    def drift(expected: int) -> Callable[[], str]:
        def check() -> str:
            result = run_drift_check(workspace, STACK)
            _indent(result.report)
            if result.status != expected:
                _indent(result.log, limit=80)
                raise DemoFailed(f"the drift report's status is {result.status}, not {expected}")
            return result.title

        return check

    demo.step("The drift check, exactly as .github/workflows/drift.yml runs it", drift(DRIFT))
    demo.step(
        "The next cycle meets the revoked token: the health check reports quarantine",
        health(UNHEALTHY),
    )

    def put_back() -> str:
        tenant.rotate_asana_token()
        # On standard input, not through Stack.set_config: the API passes the value on the
        # command line, where `ps` shows it.
        demo.pulumi(
            "config", "set", "--secret", "--stack", STACK, f"{PROJECT}:asanaToken",
            show=False, stdin=tenant.asana_token,
        )  # fmt: skip
        return up(stack, refresh=True)

    demo.step("A new Asana token is set as a secret, and pulumi up puts everything back", put_back)
    demo.step("The drift check again: no drift", drift(NO_DRIFT))
    demo.step("A cycle with the new token: the health check is healthy again", health(HEALTHY))

    def destroy() -> str:
        live = Live()
        try:
            result = stack.destroy(on_output=live, show_secrets=False)
        finally:
            live.close()
        if tenant.emulator.snapshot() != before:
            raise DemoFailed("destroy left the tenant different from before `up`")
        deleted = _summary(result.summary.resource_changes)
        return f"{deleted}; the tenant is exactly as it was before `up`"

    demo.step("pulumi destroy", destroy)


def local_policy_config(tenant: LocalTenant, path: Path) -> Path:
    """The dev pack config, with the local tenant's SCIM URL added to the allowed tenant URLs
    (the shipped config rightly allows Asana's only)."""
    config = json.loads(POLICY_CONFIG.read_text(encoding="utf-8"))
    rule = config["scim-tenant-url-allowed"]
    if isinstance(rule, str):  # a bare enforcement level: the pack's default list applies
        rule = config["scim-tenant-url-allowed"] = {"enforcementLevel": rule}
    rule["allowedTenantUrls"] = [
        *rule.get("allowedTenantUrls", [SCIM_TENANT_URL]),
        tenant.emulator.scim_base_url,
    ]
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def main() -> int:
    started = time.monotonic()
    print(f"Pulumi CLI: {engine_bin() / 'pulumi'}")
    print(
        f"azuread provider: the STAND-IN in {STANDIN_BIN.relative_to(ROOT)} (the real plugin "
        "cannot be built here; see docs/engine.md)"
    )
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    print("\n[0] Starting the local tenant (Entra ID, Microsoft Graph, Asana SCIM) on 127.0.0.1")
    tenant = LocalTenant.start(groups=[GROUP], users=[USER])
    seed_people(tenant)
    print(f"    listening at {tenant.emulator.base_url}; {PEOPLE + 2} people in {GROUP}")
    workspace = Workspace(DEMO_DIR, ca_bundle=tenant.ca_bundle)
    demo = Demo(tenant, workspace)
    try:
        run(demo)
    except (DemoFailed, CliFailed) as error:
        print(f"\nDEMO FAILED: {error}", file=sys.stderr)
        return 1
    except CommandError:  # never its text: it quotes all the CLI printed; the last call's end
        failed = workspace.runs[-1]
        command = next(arg for arg in failed.args if not arg.startswith("-"))
        tail = "\n".join(failed.stderr.strip().splitlines()[-40:])
        print(
            f"\nDEMO FAILED: `pulumi {command}` exited {failed.exit_code}:\n{tail}", file=sys.stderr
        )
        return 1
    finally:
        tenant.stop()
    leftovers = workspace.leftover_processes()
    if leftovers:
        listed = "\n  ".join(leftovers)
        print(f"\nDEMO FAILED: processes left running:\n  {listed}", file=sys.stderr)
        return 1
    print("\nStage times:")
    for title, seconds in demo.timings:
        print(f"  {seconds:6.1f} s  {title}")
    print(f"The demo took {time.monotonic() - started:.1f} s; nothing is left running.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
