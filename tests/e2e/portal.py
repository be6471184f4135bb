"""Changes an admin makes by hand, out of band, in the Entra admin center or Asana's console.

Each is one of the drift kinds the drift check must find and `pulumi up` must put back. They act
on the emulator's state directly, as the portal would, never through the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.e2e.tenant import LocalTenant


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


def edit_title_mapping(tenant: LocalTenant, deployed: Deployed) -> None:
    """Attribute mappings: "title" now flows from department instead of jobTitle."""

    def edit(schema: dict[str, Any]) -> None:
        for attribute in _user_object_mapping(schema)["attributeMappings"]:
            if attribute["targetAttributeName"] == "title":
                attribute["source"] = {
                    "expression": "[department]",
                    "name": "department",
                    "parameters": [],
                    "type": "Attribute",
                }
                return
        raise LookupError("no mapping targets title")

    tenant.emulator.edit_schema(deployed.service_principal_id, deployed.job_id, edit)


def widen_scoping_filter(tenant: LocalTenant, deployed: Deployed) -> None:
    """Scoping filter: users of department Sales are now in scope too."""

    def edit(schema: dict[str, Any]) -> None:
        groups = _user_object_mapping(schema)["scope"]["groups"]
        groups[0]["clauses"][0]["targetOperand"]["values"].append("Sales")

    tenant.emulator.edit_schema(deployed.service_principal_id, deployed.job_id, edit)


def revoke_asana_token(tenant: LocalTenant, deployed: Deployed) -> None:
    """Asana's Admin Console: the service account's token is revoked."""
    tenant.emulator.revoke_scim_token(tenant.asana_token)


def pause_job(tenant: LocalTenant, deployed: Deployed) -> None:
    """Provisioning Status switched Off."""
    tenant.emulator.pause_job(deployed.service_principal_id, deployed.job_id)


def edit_notification_email(tenant: LocalTenant, deployed: Deployed) -> None:
    """Provisioning settings: the failure notification goes somewhere else."""
    secrets = tenant.emulator.secrets(deployed.service_principal_id)
    secrets["SyncNotificationSettings"] = secrets["SyncNotificationSettings"].replace(
        "@contoso.com", "@example.org"
    )
    tenant.emulator.set_secrets(deployed.service_principal_id, secrets)


Change = Callable[[LocalTenant, Deployed], None]
