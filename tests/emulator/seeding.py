"""Seeding a tenant the way an admin would have set it up, for the standalone emulator
(`python -m tests.emulator`) and the real-engine tests' local tenant (tests/e2e/tenant.py).

The demo tenant holds what a deployment of this project needs to find: the app registration
Pulumi signs in as, a service principal offering the Asana provisioning template, the groups
and users the repository's stacks and demo assign, and a live Asana SCIM token. The Asana
gallery application template needs no seeding: the emulated gallery always offers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rules.identifiers import is_guid

from .emulator import Emulator
from .gallery import asana_synchronization_template

DEMO_TENANT_ID = "00000000-0000-0000-0000-00000000000a"
DEMO_CLIENT_ID = "00000000-0000-0000-0000-00000000000b"
DEMO_CLIENT_SECRET = "emulator-client-secret"
DEMO_SERVICE_PRINCIPAL_ID = "00000000-0000-0000-0000-00000000000c"
DEMO_SCIM_TOKEN = "emulator-scim-token"

DEMO_USERS: dict[str, dict[str, str]] = {
    # The dev stack's test user, in the department its scoping filter provisions.
    "asana.tester@contoso.com": {"department": "Asana Pilot", "job_title": "Tester"},
    "avery.admin@contoso.com": {"department": "IT", "job_title": "Asana administrator"},
}
"""Users by user principal name, with the attributes the stacks' mappings and filters read."""

DEMO_GROUPS: dict[str, tuple[str, ...]] = {
    "Asana Users": ("asana.tester@contoso.com", "avery.admin@contoso.com"),
    "Asana Administrators": ("avery.admin@contoso.com",),
    "Asana Provisioning Test": ("asana.tester@contoso.com",),
}
"""Groups by display name (the names stacks/ and the demo assign), with their members."""


def display_name_of(user_principal_name: str) -> str:
    """ "asana.tester@contoso.com" -> "Asana Tester", as an admin would name the account."""
    return user_principal_name.split("@", 1)[0].replace(".", " ").title()


def add_principals(
    emulator: Emulator, groups: Iterable[str], users: Iterable[str], known: dict[str, str]
) -> None:
    """Groups by display name and users by user principal name, as an admin created them;
    each new object id goes into `known` (name -> id), and names already there are skipped. A
    group or user given by object id (as a stack may list it) is created with that id."""
    for name in groups:
        if name not in known:
            if is_guid(name):
                known[name] = emulator.add_group(f"Group {name[:8]}", group_id=name)
            else:
                known[name] = emulator.add_group(name)
    for upn in users:
        if upn not in known:
            if is_guid(upn):
                known[upn] = emulator.add_user(
                    f"user.{upn[:8]}@contoso.com", f"User {upn[:8]}", user_id=upn
                )
            else:
                known[upn] = emulator.add_user(upn, display_name_of(upn))


@dataclass(frozen=True)
class DemoTenant:
    """What `seed_demo_tenant` created; the client secret and SCIM token are not kept."""

    tenant_id: str
    client_id: str
    service_principal_id: str
    template_id: str
    principal_ids: dict[str, str] = field(default_factory=dict)


def seed_demo_tenant(
    emulator: Emulator,
    *,
    tenant_id: str = DEMO_TENANT_ID,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    service_principal_id: str = DEMO_SERVICE_PRINCIPAL_ID,
    scim_token: str = DEMO_SCIM_TOKEN,
    template: dict[str, Any] | None = None,
) -> DemoTenant:
    """Seed the demo tenant; `template` (id, factoryTag, schema) defaults to the Asana gallery
    app's provisioning template with its realistic schema (tests/emulator/asana_schema.py)."""
    template = template if template is not None else asana_synchronization_template()
    emulator.register_app(tenant_id, client_id, client_secret)
    emulator.add_service_principal(service_principal_id, [template])
    emulator.add_scim_token(scim_token)
    ids: dict[str, str] = {}
    for upn, attributes in DEMO_USERS.items():
        ids[upn] = emulator.add_user(upn, display_name_of(upn), **attributes)
    for name, members in DEMO_GROUPS.items():
        ids[name] = emulator.add_group(name, members=[ids[upn] for upn in members])
    return DemoTenant(tenant_id, client_id, service_principal_id, str(template["id"]), ids)
