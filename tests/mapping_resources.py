"""Helpers for tests that drive `ProvisioningAttributeMappings` through the engine harness:
the resource as the engine sees it, inputs for the user and the group object mapping of one
job, and reads of the live object mappings from the emulator."""

from __future__ import annotations

from typing import Any

from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from rules.schema_edit import object_mapping
from tests.conftest import SERVICE_PRINCIPAL_ID
from tests.emulator import Emulator
from tests.engine import EngineResource, ProviderServer

ORGANIZATION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"
GROUP_OBJECT = "urn:ietf:params:scim:schemas:core:2.0:Group"
PILOT = [[{"attribute": "department", "operator": "EQUALS", "values": ["Asana Pilot"]}]]
TEAMS = [[{"attribute": "displayName", "operator": "REGEX MATCH", "values": ["^Asana "]}]]
SCHEMA_PATH = r"/synchronization/jobs/[^/]+/schema$"


def mappings_resource(server: ProviderServer, name: str) -> EngineResource:
    return EngineResource(
        server=server,
        provider=ProvisioningAttributeMappingsProvider(),
        type_token="asana:ProvisioningAttributeMappings",
        name=name,
    )


def job_inputs(job: str, kind: str, **spec: Any) -> dict[str, Any]:
    """Inputs as the component passes them (the job as the azuread resource id)."""
    source = "User" if kind == "user" else "Group"
    return {
        "service_principal_id": SERVICE_PRINCIPAL_ID,
        "job_id": f"/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/jobs/{job}",
        "kind": kind,
        "source_object": source,
        "target_object": source,
        **spec,
    }


def user_inputs(job: str) -> dict[str, Any]:
    """The dev stack's user change: the organization a constant, and a scoping filter."""
    return job_inputs(
        job,
        "user",
        mappings=[{"target": ORGANIZATION, "constant": "Contoso (dev)"}],
        scoping_filter=PILOT,
    )


def group_inputs(job: str) -> dict[str, Any]:
    """A group change: teams named from mailNickname, only groups named "Asana ..."."""
    return job_inputs(
        job,
        "group",
        mappings=[{"target": "displayName", "attribute": "mailNickname", "matchingPriority": 1}],
        scoping_filter=TEAMS,
    )


def live_user(emulator: Emulator, job: str) -> dict[str, Any]:
    return object_mapping(emulator.schema(SERVICE_PRINCIPAL_ID, job), "User", "User")


def live_group(emulator: Emulator, job: str) -> dict[str, Any]:
    return object_mapping(emulator.schema(SERVICE_PRINCIPAL_ID, job), "Group", "Group")


def source_of_target(mapping: dict[str, Any], target: str) -> dict[str, Any] | None:
    """The live source of `target` in an object mapping, or None when it is not mapped."""
    for attribute_mapping in mapping.get("attributeMappings") or []:
        if attribute_mapping["targetAttributeName"] == target:
            return dict(attribute_mapping["source"])
    return None


def user_change_is_live(emulator: Emulator, job: str) -> bool:
    user = live_user(emulator, job)
    organization = source_of_target(user, ORGANIZATION) or {}
    clauses = [g["clauses"] for g in ((user.get("scope") or {}).get("groups") or [])]
    return (
        organization.get("name") == "Contoso (dev)"
        and bool(clauses)
        and (clauses[0][0]["targetOperand"]["values"] == ["Asana Pilot"])
    )


def group_change_is_live(emulator: Emulator, job: str) -> bool:
    group = live_group(emulator, job)
    display_name = source_of_target(group, "displayName") or {}
    groups = (group.get("scope") or {}).get("groups") or []
    return display_name.get("name") == "mailNickname" and len(groups) == 1
