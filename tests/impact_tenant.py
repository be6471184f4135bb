"""A local tenant for the access impact preview's tests: the Asana gallery app with a started
job whose credentials reach the emulated Asana, a directory the tests fill, and the product's
own Graph client (clients/directory.py) signed in as the test app.

`apply` makes the tenant hold a `Desired` configuration the way `pulumi up` would leave it
(assignments, SyncAll, the user scoping filter, the job started or paused), so a test can ask
the tool first and the emulated provisioning service after.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from clients.connection import PROJECT, resolve
from clients.credentials import shared_credential
from clients.directory import DirectoryReader
from clients.graph import GraphClient
from rules.provisioning_scope import filter_from_spec
from tests.conftest import CLIENT_ID, TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, USER_ROLE_ID, Emulator
from tools.impact_scan import Desired, Target


@dataclass
class ImpactTenant:
    emu: Emulator
    client_secret: str
    sp: str
    job: str
    token: str
    assignments: dict[str, str] = field(default_factory=dict)
    """principal id -> assignment id."""

    def reader(self) -> DirectoryReader:
        config = {
            "azuread:tenantId": TENANT_ID,
            "azuread:clientId": CLIENT_ID,
            "azuread:clientSecret": self.client_secret,
            f"{PROJECT}:graphEndpoint": self.emu.graph_url,
            f"{PROJECT}:authorityHost": self.emu.authority_host,
            f"{PROJECT}:httpTimeoutSeconds": "10",
            f"{PROJECT}:maxRetries": "3",
            f"{PROJECT}:retryBudgetSeconds": "20",
        }
        connection = resolve(config, {}, frozenset({"azuread:clientSecret"}))
        return DirectoryReader(GraphClient(connection.graph))

    @property
    def target(self) -> Target:
        return Target(self.sp, self.job)

    def assign(self, principal: str, kind: str) -> None:
        if principal not in self.assignments:
            self.assignments[principal] = self.emu.add_app_role_assignment(
                self.sp,
                principal_id=principal,
                principal_type=kind,
                principal_display_name=principal,
                app_role_id=USER_ROLE_ID,
            )

    def unassign(self, principal: str) -> None:
        self.emu.remove_app_role_assignment(self.sp, self.assignments.pop(principal))

    def apply(self, desired: Desired) -> None:
        """What `pulumi up` of `desired` leaves in the tenant (principals by object id)."""
        wanted = {**dict.fromkeys(desired.groups, "Group"), **dict.fromkeys(desired.users, "User")}
        for principal in list(self.assignments):
            if principal not in wanted:
                self.unassign(principal)
        for principal, kind in wanted.items():
            self.assign(principal, kind)
        secrets = {
            **self.emu.secrets(self.sp),
            "SyncAll": "true" if desired.sync_all else "false",
        }
        self.emu.set_secrets(self.sp, secrets)
        spec = desired.user_mappings or {}
        if "scopingFilter" in spec:
            scope = filter_from_spec(spec["scopingFilter"])

            def edit(schema: dict[str, Any]) -> None:
                rule = schema["synchronizationRules"][0]
                users = next(m for m in rule["objectMappings"] if m["sourceObjectName"] == "User")
                users["scope"] = copy.deepcopy(scope)

            self.emu.edit_schema(self.sp, self.job, edit)
        if desired.running:
            self.emu.start_job(self.sp, self.job)
        else:
            self.emu.pause_job(self.sp, self.job)

    def cycle(self) -> None:
        self.emu.run_provisioning_cycle(self.sp, self.job)

    def active_in_asana(self) -> set[str]:
        """User names of the active users in the emulated Asana."""
        return {u["userName"] for u in self.emu.scim_users() if u.get("active", True)}


def impact_tenant(emu: Emulator, client_secret: str, asana_token: str) -> ImpactTenant:
    """A fresh tenant in `emu` (whose test app is registered with `client_secret`)."""
    shared_credential.cache_clear()
    sp = emu.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana")["servicePrincipal"]["id"]
    emu.set_secrets(sp, {"BaseAddress": emu.scim_base_url, "SecretToken": asana_token})
    job = emu.create_job(sp, "asana")
    emu.start_job(sp, job)
    return ImpactTenant(emu, client_secret, sp, job, asana_token)


def add_users(emu: Emulator, people: Iterable[dict[str, Any]]) -> list[str]:
    """Users from dictionaries of add_user's arguments; their object ids in order."""
    return [emu.add_user(**person) for person in people]
