"""The Asana app as `pulumi up` leaves it, seeded in the emulator for the health check's tests
and for the sample report in docs/health.md (tests/health_sample.py): Ada assigned directly,
the team assigned with Grace in it, Alan not assigned; the job's secrets saved, the job started.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import ASANA_TEMPLATE
from tests.emulator import Emulator

SP = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
APP_OBJECT = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091"
APP_ID = "a1b2c3d4-e5f6-4789-8abc-def012345678"
USER_ROLE = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
ROLES = [
    {"id": USER_ROLE, "displayName": "User", "value": None, "description": "User",
     "allowedMemberTypes": ["User"], "isEnabled": True, "origin": "Application"},
]  # fmt: skip
ADA = "11111111-2222-4333-8444-555555555551"
ALAN = "11111111-2222-4333-8444-555555555552"
GRACE = "11111111-2222-4333-8444-555555555553"
TEAM = "22222222-3333-4444-8555-666666666661"
P = "asana-provisioning:"
LOGS_PAGE = (
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/"
    f"ProvisioningActivity/appId/{APP_ID}/objectId/{SP}"
)
"""What the program's `provisioningLogsPage` output is for this app in the global cloud."""


def seed_asana_app(emulator: Emulator, asana_token: str) -> str:
    """Seed the app; returns the job id."""
    emulator.add_enterprise_app(
        SP,
        app_object_id=APP_OBJECT,
        app_id=APP_ID,
        display_name="Asana",
        application_template_id=None,
        app_roles=ROLES,
        templates=[ASANA_TEMPLATE],
    )
    emulator.add_user("ada@contoso.com", "Ada Lovelace", user_id=ADA)
    emulator.add_user("alan@contoso.com", "Alan Turing", user_id=ALAN)
    emulator.add_user("grace@contoso.com", "Grace Hopper", user_id=GRACE)
    emulator.add_group("Asana Team", group_id=TEAM, members=[GRACE])
    for principal, kind, name in ((ADA, "User", "Ada Lovelace"), (TEAM, "Group", "Asana Team")):
        emulator.add_app_role_assignment(
            SP, principal_id=principal, principal_type=kind,
            principal_display_name=name, app_role_id=USER_ROLE,
        )  # fmt: skip
    job_id = emulator.create_job(SP, "asana")
    emulator.set_secrets(SP, {"BaseAddress": emulator.scim_base_url, "SecretToken": asana_token})
    emulator.start_job(SP, job_id)
    return job_id


def pulumi_config(
    emulator: Emulator, tenant_id: str, client_id: str, client_secret: str, asana_token: str
) -> dict[str, Any]:
    """The stack's settings as `pulumi config --json --show-secrets` prints them."""

    def plain(value: str) -> dict[str, Any]:
        return {"value": value, "secret": False}

    return {
        "azuread:tenantId": plain(tenant_id),
        "azuread:clientId": plain(client_id),
        "azuread:clientSecret": {"value": client_secret, "secret": True},
        f"{P}asanaToken": {"value": asana_token, "secret": True},
        f"{P}graphEndpoint": plain(emulator.graph_url),
        f"{P}authorityHost": plain(emulator.authority_host),
        f"{P}httpTimeoutSeconds": plain("5"),
        f"{P}maxRetries": plain("3"),
        f"{P}retryBudgetSeconds": plain("5"),
    }


def stack_outputs(job_id: str) -> dict[str, Any]:
    """`pulumi stack output --json` of the deployed stack."""
    return {
        "servicePrincipalObjectId": SP,
        "provisioningJobId": f"/servicePrincipals/{SP}/synchronization/jobs/{job_id}",
        "provisioningLogsPage": LOGS_PAGE,
    }
