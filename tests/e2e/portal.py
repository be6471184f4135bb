"""Changes an admin makes by hand, out of band, in the Entra admin center or Asana's console.

Each is one of the drift kinds the drift check must find and `pulumi up` must put back. They act
on the emulator's state directly, as the portal would, never through the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.e2e.tenant import LocalTenant

Change = Callable[["LocalTenant", "Deployed"], None]


@dataclass(frozen=True)
class Deployed:
    """The ids a deployed stack shows in its outputs."""

    service_principal_id: str
    job_id: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> Deployed:
        # provisioningJobId is the azuread resource id /servicePrincipals/{sp}/…/jobs/{job}.
        return cls(
            service_principal_id=outputs["servicePrincipalObjectId"],
            job_id=str(outputs["provisioningJobId"]).rsplit("/", 1)[-1],
        )


def _user_object_mapping(schema: dict[str, Any]) -> dict[str, Any]:
    for rule in schema["synchronizationRules"]:
        for mapping in rule["objectMappings"]:
            if mapping["sourceObjectName"] == "User":
                return mapping
    raise LookupError("the job schema has no User object mapping")


def map_from_attribute(target: str, attribute: str) -> Change:
    """Attribute mappings: `target` now flows from the Entra attribute `attribute`."""

    def change(tenant: LocalTenant, deployed: Deployed) -> None:
        def edit(schema: dict[str, Any]) -> None:
            for mapping in _user_object_mapping(schema)["attributeMappings"]:
                if mapping["targetAttributeName"] == target:
                    mapping["source"] = {
                        "expression": f"[{attribute}]",
                        "name": attribute,
                        "parameters": [],
                        "type": "Attribute",
                    }
                    return
            raise LookupError(f"no mapping targets {target}")

        tenant.emulator.edit_schema(deployed.service_principal_id, deployed.job_id, edit)

    return change


def widen_scoping_filter(tenant: LocalTenant, deployed: Deployed) -> None:
    """Scoping filter: users of department Sales are now in scope too."""

    def edit(schema: dict[str, Any]) -> None:
        groups = _user_object_mapping(schema)["scope"]["groups"]
        groups[0]["clauses"][0]["targetOperand"]["values"].append("Sales")

    tenant.emulator.edit_schema(deployed.service_principal_id, deployed.job_id, edit)


def disable_user_provisioning(tenant: LocalTenant, deployed: Deployed) -> None:
    """Mappings: "Synchronize Microsoft Entra ID Users to Asana" switched to No."""

    def edit(schema: dict[str, Any]) -> None:
        _user_object_mapping(schema)["enabled"] = False

    tenant.emulator.edit_schema(deployed.service_principal_id, deployed.job_id, edit)


def revoke_asana_token(tenant: LocalTenant, deployed: Deployed) -> None:
    """Asana's Admin Console: the service account's token is revoked."""
    tenant.emulator.revoke_scim_token(tenant.asana_token)


def pause_job(tenant: LocalTenant, deployed: Deployed) -> None:
    """Provisioning Status switched Off."""
    tenant.emulator.pause_job(deployed.service_principal_id, deployed.job_id)


def delete_job(tenant: LocalTenant, deployed: Deployed) -> None:
    """The provisioning job is deleted (with its schema: the mappings go too)."""
    tenant.emulator.delete_job(deployed.service_principal_id, deployed.job_id)


def edit_notification_email(tenant: LocalTenant, deployed: Deployed) -> None:
    """Provisioning settings: the failure notification goes somewhere else."""
    secrets = tenant.emulator.secrets(deployed.service_principal_id)
    secrets["SyncNotificationSettings"] = secrets["SyncNotificationSettings"].replace(
        "@contoso.com", "@example.org"
    )
    tenant.emulator.set_secrets(deployed.service_principal_id, secrets)


def remove_user_assignment(tenant: LocalTenant, deployed: Deployed) -> None:
    """Users and groups: the assigned user is removed from the app."""
    emulator = tenant.emulator
    assignments = emulator.app_role_assignments(deployed.service_principal_id)
    user = next(a for a in assignments if a["principalType"] == "User")
    emulator.remove_app_role_assignment(deployed.service_principal_id, user["id"])
