"""A tenant seeded for provisioning tests: the Asana gallery app with a started job whose saved
credentials reach the emulated Asana SCIM, three users (Ada assigned directly, Bob through the
assigned group "Asana users", Eve not assigned) and a Graph client allowed to read the
provisioning logs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests

from tests.emulator import ASANA_TEMPLATE_ID, USER_ROLE_ID, Emulator
from tests.emulator.client import GraphTestClient

TENANT = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
CLIENT_ID = "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"


@dataclass(frozen=True)
class Seeded:
    emu: Emulator
    client: GraphTestClient
    sp: str
    job: str
    rule: str
    token: str
    ada: str
    bob: str
    eve: str
    group: str
    ada_assignment: str

    @property
    def job_path(self) -> str:
        return f"/v1.0/servicePrincipals/{self.sp}/synchronization/jobs/{self.job}"

    def get_job(self) -> dict[str, Any]:
        reply = self.client.get(self.job_path)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def logs(self, **params: str) -> requests.Response:
        return self.client.get("/v1.0/auditLogs/provisioning", **params)

    def on_demand(
        self, object_id: str, type_name: str = "User", rule: str | None = None
    ) -> requests.Response:
        subject = {"objectId": object_id, "objectTypeName": type_name}
        body = {"parameters": [{"subjects": [subject], "ruleId": rule or self.rule}]}
        return self.client.post(f"{self.job_path}/provisionOnDemand", body)


def seed(emu: Emulator, *, start: bool = True) -> Seeded:
    """Reset the emulator and seed the tenant; the job is started unless `start` is False."""
    emu.reset()
    client = GraphTestClient(emu, TENANT, CLIENT_ID, f"secret-{secrets.token_hex(8)}")
    sp = emu.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana")["servicePrincipal"]["id"]
    ada = emu.add_user(
        "ada@contoso.com", "Ada Lovelace", given_name="Ada", surname="Lovelace", department="Eng"
    )
    bob = emu.add_user(
        "bob@contoso.com", "Bob Kahn", given_name="Bob", surname="Kahn", department="Sales"
    )
    eve = emu.add_user("eve@contoso.com", "Eve Moss", given_name="Eve", surname="Moss")
    group = emu.add_group("Asana users", members=[bob])
    ada_assignment = _assign(emu, sp, ada, "User", "Ada Lovelace")
    _assign(emu, sp, group, "Group", "Asana users")
    token = f"1/{secrets.randbelow(10**16):016d}:{secrets.token_hex(16)}"
    emu.add_scim_token(token)
    emu.set_secrets(sp, {"BaseAddress": emu.scim_base_url, "SecretToken": token})
    job = emu.create_job(sp, "asana")
    if start:
        emu.start_job(sp, job)
    rule = emu.schema(sp, job)["synchronizationRules"][0]["id"]
    return Seeded(emu, client, sp, job, rule, token, ada, bob, eve, group, ada_assignment)


def assign(seeded: Seeded, user_id: str, name: str) -> str:
    return _assign(seeded.emu, seeded.sp, user_id, "User", name)


def _assign(emu: Emulator, sp: str, principal: str, kind: str, name: str) -> str:
    return emu.add_app_role_assignment(
        sp,
        principal_id=principal,
        principal_type=kind,
        principal_display_name=name,
        app_role_id=USER_ROLE_ID,
    )
