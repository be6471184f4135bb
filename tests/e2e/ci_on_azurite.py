"""The workflows' jobs on this machine, as CI runs them: a fresh clone per job, the real pinned
CLI, the local tenant, and a shared `azblob://` state backend served by Azurite.

What a repository owner configures on GitHub is given here as GitHub would give it: the
repository's and the stack environments' variables and secrets (`AZURE_CLIENT_ID`,
`PULUMI_BACKEND_URL`, `AZURE_STORAGE_KEY`, …), read by the workflows' own `env:` blocks. The
repository the jobs check out is this one at HEAD plus one commit that points the dev stack at
the local tenant, as a team using a sovereign or custom cloud would commit it: the stack file
names the tenant's endpoints (the azuread provider's `metadataHost`, our `graphEndpoint`,
`authorityHost` and the Asana SCIM URL, which have no environment variable) and the dev policy
config allows that SCIM URL (`allowedTenantUrls`, as the policy's fix text says).

Credentials are the one thing set differently from the workflows: they sign in by GitHub's OIDC
token (`ARM_USE_OIDC`), which neither the local tenant nor the azuread stand-in can exchange, so
each job's runner also has `ARM_CLIENT_SECRET`, the secret of the identity the workflow names
(`ARM_CLIENT_ID` from `vars.AZURE_CLIENT_ID` for deploy, `vars.AZURE_READONLY_CLIENT_ID` for
preview and drift); a client secret comes before OIDC in both providers' order. The read-only
identity is registered with the read-only permissions docs/ci.md lists.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import ssl
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.actions_runner import JobRun, Machine, StepCache, run_job
from tests.e2e.blob_backend import Azurite
from tests.e2e.engine import ROOT, engine_bin
from tests.e2e.stacks import named_principals, shipped_settings
from tests.e2e.tenant import CLIENT_ID, PROJECT, TENANT_ID, LocalTenant
from tests.e2e.workspace import CliRun, run_command

STACK = "dev"
READONLY_CLIENT_ID = "5d0c8a1e-6f2b-4c3d-8e9f-1a2b3c4d5e6f"
READONLY_ROLES = (
    "Application.Read.All",
    "Synchronization.Read.All",
    "Group.Read.All",
    "User.Read.All",
    "AuditLog.Read.All",
)
"""The read-only identity's permissions, as docs/ci.md asks for them."""
POLICY_VENV_STEP = "Build the policy pack's environment (policies/venv), as make does"
INSTALL_STEPS = {
    "Install the program's requirements": (".venv", ("requirements.txt",)),
    POLICY_VENV_STEP: ("policies/venv", ("policies/requirements.txt",)),
}
"""The setup action's steps that only install pinned packages (StepCache)."""
STATE_BLOB = f".pulumi/stacks/{PROJECT}/{STACK}.json"
LOCK = re.compile(rf"^\.pulumi/locks/(?:[^/]+/)?{PROJECT}/{STACK}/[^/]+\.json$")
"""A lock file of the stack: `.pulumi/locks/<org>/<project>/<stack>/<id>.json` in project mode
(pulumi/pulumi `pkg/backend/diy/lock.go`)."""
MACHINE_ENV = {
    "PULUMI_SKIP_UPDATE_CHECK": "true",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
}
"""No update checks and no plugin downloads: there is no internet here, and a missing plugin
must fail, not hang."""


def machine_ca_bundle() -> Path:
    """The CAs this machine trusts (pip reaches PyPI through them)."""
    named = os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().cafile
    return Path(named or "/etc/ssl/certs/ca-certificates.crt")


def local_tenant_commit(origin: Path, tenant: LocalTenant) -> None:
    """Commit, in `origin`, the dev stack's tenant endpoints and the SCIM URL allowed for it."""
    stack_file = origin / "stacks" / f"Pulumi.{STACK}.yaml"
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    local = tenant.plain_settings()
    for key in ("azuread:tenantId", "azuread:clientId"):  # ARM_TENANT_ID, ARM_CLIENT_ID
        del local[key]
    document["config"].update(local)
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    policy_file = origin / "policies" / "config" / f"{STACK}.json"
    policy = json.loads(policy_file.read_text(encoding="utf-8"))
    policy["scim-tenant-url-allowed"] = {
        "enforcementLevel": "mandatory",
        "allowedTenantUrls": [tenant.emulator.scim_base_url],
    }
    policy_file.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
    git(origin, "add", str(stack_file), str(policy_file))
    git(origin, "commit", "--quiet", "-m", "dev: the local tenant")


def git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=ci-test", "-c", "user.email=ci-test@localhost", *args],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def clone_head(target: Path) -> Path:
    """A clone of this repository's HEAD: what a push to main would run."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=120)
    return target


@dataclass
class CiOnAzurite:
    """One repository, one local tenant and one empty Azurite container: the jobs run here."""

    tenant: LocalTenant
    azurite: Azurite
    container: str
    machine: Machine
    passphrase: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    readonly_secret: str = field(default_factory=lambda: f"ro~{secrets.token_urlsafe(24)}")

    @classmethod
    def create(
        cls, base: Path, tenant: LocalTenant, azurite: Azurite, cache: StepCache, origin: Path
    ) -> CiOnAzurite:
        """`origin` is a clone of the repository to run; the local tenant's commit is added."""
        settings = shipped_settings(ROOT / "stacks" / f"Pulumi.{STACK}.yaml")
        tenant.add_principals(*named_principals(settings))
        local_tenant_commit(origin, tenant)
        container = f"state-{secrets.token_hex(4)}"
        azurite.create_container(container)
        bundle = base / "trusted-cas.pem"
        trusted = [machine_ca_bundle(), Path(tenant.ca_bundle), azurite.ca_bundle]
        bundle.write_text("".join(path.read_text() for path in trusted), encoding="utf-8")
        machine = Machine(origin, base, bundle, cache, MACHINE_ENV)
        ci = cls(tenant, azurite, container, machine)
        tenant.emulator.register_app(
            TENANT_ID, READONLY_CLIENT_ID, ci.readonly_secret, roles=READONLY_ROLES
        )
        return ci

    @property
    def vars(self) -> dict[str, str]:
        return {
            "AZURE_TENANT_ID": TENANT_ID,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_READONLY_CLIENT_ID": READONLY_CLIENT_ID,
            "PULUMI_BACKEND_URL": self.azurite.backend_url(self.container),
            "AZURE_STORAGE_ACCOUNT": self.azurite.account,
        }

    @property
    def secrets(self) -> dict[str, str]:
        return {
            "ASANA_TOKEN": self.tenant.asana_token,
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            "PULUMI_ACCESS_TOKEN": "",  # not set: the backend is not Pulumi Cloud
            "AZURE_STORAGE_KEY": self.azurite.key,
        }

    def secret_values(self) -> list[str]:
        return [
            *self.tenant.secret_values(),
            self.readonly_secret,
            self.passphrase,
            self.azurite.key,
        ]

    def job(self, workflow: str, job: str, secret: str, **kwargs: Any) -> JobRun:
        return run_job(
            self.machine,
            workflow,
            job,
            vars=self.vars,
            secrets=self.secrets,
            extra_env={"ARM_CLIENT_SECRET": secret},
            **kwargs,
        )

    def stacks(self, workflow: str) -> dict[str, Any]:
        """The `stacks` job of `workflow`, for the `needs` of its matrix job."""
        listing = self.job(workflow, "stacks", "")
        assert listing.result == "success", listing.log
        assert STACK in json.loads(listing.outputs["stacks"])
        return {"stacks": {"outputs": listing.outputs, "result": "success"}}

    def deploy(self, **kwargs: Any) -> JobRun:
        """The deploy job of the dev stack (`kwargs`: run_job's cancel, label, step_timeouts)."""
        return self.job(
            "deploy", "deploy", self.tenant.client_secret, matrix={"stack": STACK},
            needs=self.stacks("deploy"), **kwargs,
        )  # fmt: skip

    def preview(self) -> JobRun:
        return self.job(
            "preview", "preview", self.readonly_secret, matrix={"stack": STACK},
            needs=self.stacks("preview"), event={"pull_request": {"number": 17}},
            gh_answers=[(["api"], {"stdout": ""})],
        )  # fmt: skip

    def drift(self) -> JobRun:
        return self.job(
            "drift", "drift", self.readonly_secret, matrix={"stack": STACK},
            needs=self.stacks("drift"), gh_answers=[(["issue", "list"], {"stdout": "[]"})],
        )  # fmt: skip

    # What the tenant and the backend hold.

    def apps(self) -> list[dict[str, Any]]:
        """The tenant's applications named as the dev stack names its app."""
        name = shipped_settings(ROOT / "stacks" / f"Pulumi.{STACK}.yaml")[
            f"{PROJECT}:appDisplayName"
        ]
        snapshot = self.tenant.emulator.snapshot()
        return [a for a in snapshot["applications"].values() if a["displayName"] == name]

    def blobs(self) -> list[str]:
        return self.azurite.blob_names(self.container)

    def locks(self) -> list[str]:
        """The stack's lock files in the backend."""
        return [name for name in self.blobs() if LOCK.match(name)]

    def pulumi(self, workspace: Path, *args: str, timeout: float = 300) -> CliRun:
        """The pinned CLI in a finished job's checkout, with the job's backend settings (for
        checks after the jobs: `stack export`, `cancel`)."""
        env: Mapping[str, str] = {
            "PATH": f"{engine_bin()}:/usr/bin:/bin",
            "HOME": str(workspace.parent / "home"),
            "PULUMI_HOME": str(workspace.parent / "home" / ".pulumi"),
            "PULUMI_BACKEND_URL": self.vars["PULUMI_BACKEND_URL"],
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            "SSL_CERT_FILE": str(self.machine.ca_bundle),
            **self.azurite.storage_env,
            **MACHINE_ENV,
        }
        run = run_command(["pulumi", *args], cwd=workspace, env=env, timeout=timeout)
        assert run.exit_code == 0, f"pulumi {' '.join(args)} exited {run.exit_code}:\n{run.output}"
        return run
