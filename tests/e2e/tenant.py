"""The local tenant the real CLI deploys to: the emulator, seeded as an Entra ID tenant with the
app Pulumi signs in as, the groups and users the stacks name, and a live Asana token.

Everything secret (the app's client secret, Asana tokens) is fresh per run, so a leak scan can
never match something by accident.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.emulator import Emulator
from tests.emulator.client import GraphTestClient
from tests.emulator.seeding import add_principals

TENANT_ID = "3c1f7e52-9a4d-4b8e-b6f0-2d5a7c9e1f30"
CLIENT_ID = "7a2e4c6d-1b3f-4d5e-9a8b-0c1d2e3f4a5b"
PROJECT = "asana-provisioning"


def new_asana_token() -> str:
    """A token in the shape Asana issues for service accounts (`2/<user>/<app>:<hex>`)."""
    return (
        f"2/{secrets.randbelow(10**16):016d}/{secrets.randbelow(10**16):016d}:"
        f"{secrets.token_hex(16)}"
    )


@dataclass
class LocalTenant:
    """A running emulator holding one tenant; `stop()` ends it."""

    emulator: Emulator
    client_secret: str
    asana_token: str
    principal_ids: dict[str, str] = field(default_factory=dict)
    retired_tokens: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, groups: Iterable[str] = (), users: Iterable[str] = ()) -> LocalTenant:
        emulator = Emulator.start()
        tenant = cls(emulator, f"local~{secrets.token_urlsafe(24)}", new_asana_token())
        emulator.register_app(TENANT_ID, CLIENT_ID, tenant.client_secret)
        emulator.add_scim_token(tenant.asana_token)
        tenant.add_principals(groups, users)
        return tenant

    def add_principals(self, groups: Iterable[str], users: Iterable[str]) -> None:
        """Groups by display name and users by user principal name, as an admin created them."""
        add_principals(self.emulator, groups, users, self.principal_ids)

    def rotate_asana_token(self) -> str:
        """A new token from Asana's Admin Console (the old one stays as it was)."""
        self.retired_tokens.append(self.asana_token)
        self.asana_token = new_asana_token()
        self.emulator.add_scim_token(self.asana_token)
        return self.asana_token

    def stop(self) -> None:
        self.emulator.stop()

    def graph(self) -> GraphTestClient:
        """Graph as an admin's script sees it (signed in as the deploying app): what the tests
        change "in the portal"."""
        return GraphTestClient(self.emulator, TENANT_ID, CLIENT_ID, self.client_secret)

    @property
    def ca_bundle(self) -> str:
        return self.emulator.ca_bundle_path

    @property
    def metadata_host(self) -> str:
        return self.emulator.base_url.removeprefix("https://")

    def plain_settings(self, *, local_asana: bool = True) -> dict[str, Any]:
        """Stack settings that point both providers at this tenant (no secrets among them).
        Without `local_asana` the stack keeps its own Asana tenant URL (a preview never calls
        Asana, and the policy packs allow only Asana's)."""
        base = self.emulator.base_url
        scim = {f"{PROJECT}:scimTenantUrl": self.emulator.scim_base_url} if local_asana else {}
        return {
            "azuread:metadataHost": self.metadata_host,
            "azuread:tenantId": TENANT_ID,
            "azuread:clientId": CLIENT_ID,
            f"{PROJECT}:graphEndpoint": base,
            f"{PROJECT}:authorityHost": base,
            **scim,
            f"{PROJECT}:httpTimeoutSeconds": 10,
            f"{PROJECT}:maxRetries": 3,
            f"{PROJECT}:retryBudgetSeconds": 20,
        }

    def secret_settings(self) -> dict[str, str]:
        """Set with `pulumi config set --secret`, never written in plain text."""
        return {
            "azuread:clientSecret": self.client_secret,
            f"{PROJECT}:asanaToken": self.asana_token,
        }

    def secret_values(self) -> list[str]:
        """What must never appear in plain text anywhere (state, outputs, logs): the client
        secret and every Asana token this tenant has issued."""
        return [self.client_secret, self.asana_token, *self.retired_tokens]
