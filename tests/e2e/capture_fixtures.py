"""Captures the drift report's fixtures from the real CLI against the local tenant:
`python -m tests.e2e.capture_fixtures` (needs `make engine`).

It deploys the demo stack, makes one change of every kind out of band, and saves what the drift
workflow's refresh (`refresh --preview-only --expect-no-changes`) prints with `--json` and logs
with `--event-log` under tests/fixtures/real/, with the CLI version beside them. Ports and ids
differ per run; secrets are the CLI's own masks. The refresh runs here as a command line, not
through the Automation API as the drift check runs it: the fixtures are the CLI's own bytes (the
event log is what the API streams to the check, one JSON event a line), which the API's typed
events cannot be written back into.

`--only element` captures just `refresh_element_drift` (on a stack of its own): changes the
azuread provider reports by element path, as the bridge does (`notificationEmailAddresses[0]`,
`credentials[1].value`), so the report's handling of them is tested on real CLI output.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tests.e2e import portal
from tests.e2e.demo import GROUP, SETTINGS, USER
from tests.e2e.engine import ROOT
from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import Workspace

OUT = ROOT / "tests" / "fixtures" / "real"
STACK = "demo"
CHANGES: list[portal.Change] = [
    portal.map_from_attribute("title", "department"),
    portal.disable_user_provisioning,
    portal.revoke_asana_token,
    portal.pause_job,
    portal.remove_user_assignment,
    portal.edit_notification_email,
]


def edit_sso_notification_emails(tenant: LocalTenant, deployed: portal.Deployed) -> None:
    """Enterprise app, Single sign-on, SAML certificates: the notification email replaced and a
    second one added (the service principal's `notificationEmailAddresses`, a TypeSet)."""
    tenant.emulator.patch_service_principal(
        deployed.service_principal_id,
        {"notificationEmailAddresses": ["identity-team@contoso.com", "sso-alerts@contoso.com"]},
    )


ELEMENT_CHANGES: list[portal.Change] = [
    edit_sso_notification_emails,
    portal.edit_notification_email,  # a synchronization secret credential's value
]
CAPTURES: dict[str, list[tuple[str, list[portal.Change]]]] = {
    "drift": [("refresh_clean", []), ("refresh_drift", CHANGES)],
    "element": [("refresh_element_drift", ELEMENT_CHANGES)],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.capture_fixtures")
    parser.add_argument("--only", choices=sorted(CAPTURES), help="one capture (default: all)")
    args = parser.parse_args(argv)
    for group in [args.only] if args.only else list(CAPTURES):
        capture(CAPTURES[group])
    return 0


def capture(runs: list[tuple[str, list[portal.Change]]]) -> None:
    """Deploy the demo stack, then per run: make its changes, refresh, keep what the CLI says."""
    tenant = LocalTenant.start(groups=[GROUP], users=[USER])
    try:
        workspace = Workspace(Path(tempfile.mkdtemp()) / "ws", ca_bundle=tenant.ca_bundle)
        workspace.extra_env = {"PULUMI_DEBUG_COMMANDS": "true"}
        workspace.create_stack(
            STACK, {**SETTINGS, **tenant.plain_settings()}, tenant.secret_settings()
        )
        workspace.pulumi("up", "--stack", STACK, "--yes", "--non-interactive")
        outputs = json.loads(workspace.pulumi("stack", "output", "--stack", STACK, "--json").stdout)
        deployed = portal.Deployed.from_outputs(outputs)
        OUT.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, changes in runs:
            for change in changes:
                change(tenant, deployed)
            events = OUT / f"{name}.events.jsonl"
            run = workspace.pulumi(
                "refresh", "--stack", STACK, "--preview-only", "--expect-no-changes", "--json",
                "--non-interactive", "--event-log", str(events),
                expect=(0, 7),
            )  # fmt: skip
            (OUT / f"{name}.json").write_text(run.stdout, encoding="utf-8")
            written += [events, OUT / f"{name}.json"]
            print(f"{name}: pulumi exited {run.exit_code}")
        version = workspace.pulumi("version").stdout.strip()
        (OUT / "CLI_VERSION").write_text(version + "\n", encoding="utf-8")
        for path in written:
            if any(secret in path.read_text(encoding="utf-8") for secret in tenant.secret_values()):
                path.unlink()
                raise SystemExit(f"{path} held a secret in plain text; not kept")
        print(f"captured with pulumi {version} into {OUT.relative_to(ROOT)}")
    finally:
        tenant.stop()


if __name__ == "__main__":
    sys.exit(main())
