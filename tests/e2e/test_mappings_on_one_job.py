"""The user and the group mappings of one job under the real CLI: created in one `pulumi up`
(the engine runs them in parallel in one dynamic-provider process) while Graph is slow to
save the schema, both changes end up live; removing the group mappings from the stack then
leaves the user mappings and their scoping filter alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rules.schema_edit import object_mapping
from tests.e2e.portal import Deployed
from tests.e2e.stacks import named_principals, shipped_settings
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace
from tests.emulator import Fault
from tests.emulator.asana_schema import asana_template_schema

STACK = "both"
DEV_STACK = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.dev.yaml"
ORGANIZATION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"
GROUP_MAPPINGS: dict[str, Any] = {
    "mappings": [{"target": "displayName", "attribute": "mailNickname", "matchingPriority": 1}],
    "scopingFilter": [[{"attribute": "displayName", "operator": "REGEX MATCH", "values": ["^A"]}]],
}
SCHEMA_PUT = r"/synchronization/jobs/[^/]+/schema$"
SLOW_WRITE_SECONDS = 3.0
RESTORED = ("attributeMappings", "scope", "enabled", "flowTypes")


def _source_name(mapping: dict[str, Any], target: str) -> str | None:
    for attribute_mapping in mapping["attributeMappings"]:
        if attribute_mapping["targetAttributeName"] == target:
            return attribute_mapping["source"]["name"]
    return None


def _filter_values(mapping: dict[str, Any]) -> list[list[str]]:
    groups = (mapping.get("scope") or {}).get("groups") or []
    return [clause["targetOperand"]["values"] for g in groups for clause in g["clauses"]]


def _live(tenant: LocalTenant, workspace: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    run = workspace.pulumi("stack", "output", "--stack", STACK, "--json")
    deployed = Deployed.from_outputs(json.loads(run.stdout))
    schema = tenant.emulator.schema(deployed.service_principal_id, deployed.job_id)
    return object_mapping(schema, "User", "User"), object_mapping(schema, "Group", "Group")


def test_user_and_group_mappings_created_in_one_up_both_end_up_live(
    tenant: LocalTenant, workspace: Workspace
):
    settings = shipped_settings(DEV_STACK)
    tenant.add_principals(*named_principals(settings))
    stack_settings = {
        **settings,
        f"{PROJECT}:groupMappings": GROUP_MAPPINGS,
        **tenant.plain_settings(),
    }
    workspace.create_stack(STACK, stack_settings, tenant.secret_settings())
    tenant.emulator.inject(
        Fault.slow(SLOW_WRITE_SECONDS), service="graph", method="PUT", path=SCHEMA_PUT, times=2
    )

    workspace.pulumi("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")

    assert tenant.emulator.pending_faults() == 0, "both schema writes were slowed"
    user, group = _live(tenant, workspace)
    assert _source_name(user, ORGANIZATION) == "Contoso (dev)"
    assert _filter_values(user) == [["Asana Pilot"]]
    assert _source_name(group, "displayName") == "mailNickname"
    assert _filter_values(group) == [["^A"]]
    workspace.pulumi("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")

    workspace.pulumi("config", "rm", "--stack", STACK, f"{PROJECT}:groupMappings")
    workspace.pulumi("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")

    after_user, after_group = _live(tenant, workspace)
    assert after_user == user
    template_group = object_mapping(asana_template_schema(), "Group", "Group")
    assert {k: after_group.get(k) for k in RESTORED} == {k: template_group[k] for k in RESTORED}
    workspace.pulumi(
        "refresh", "--stack", STACK, "--preview-only", "--expect-no-changes", "--non-interactive"
    )
