"""Owners under the real CLI: declared owners are set on the application and its service
principal and kept there (a portal addition is drift, undone by `up --refresh`); with none
declared, an owner added in the portal is drift of `asana-owners` and left alone (the azuread
provider alone would remove it without a word on the next `up --refresh`)."""

from __future__ import annotations

import json

from tests.e2e.demo import GROUP, SSO_ONLY, USER
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace
from tests.emulator.client import GraphTestClient

STACK = "owners"
OWNER = "app.owner@contoso.com"
PORTAL_OWNER = "added.in.portal@contoso.com"
UP = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")


def deploy(tenant: LocalTenant, workspace: Workspace, owners: list[str]) -> dict[str, str]:
    tenant.add_principals([GROUP], [USER, OWNER, PORTAL_OWNER])
    settings = {**SSO_ONLY, **tenant.plain_settings(), f"{PROJECT}:appOwners": owners}
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    workspace.pulumi(*UP)
    return json.loads(workspace.pulumi("stack", "output", "--stack", STACK, "--json").stdout)


def owner_ids(graph: GraphTestClient, collection: str, object_id: str) -> set[str]:
    listed = graph.get(f"/v1.0/{collection}/{object_id}/owners")
    assert listed.status_code == 200, listed.text
    return {owner["id"] for owner in listed.json()["value"]}


def add_owner_in_portal(graph: GraphTestClient, sp: str, user: str) -> None:
    reply = graph.post(
        f"/v1.0/servicePrincipals/{sp}/owners/$ref",
        {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"},
    )
    assert reply.status_code == 204, reply.text


def refresh_preview(workspace: Workspace) -> str:
    return workspace.pulumi(
        "refresh", "--stack", STACK, "--preview-only", "--expect-no-changes", "--diff",
        "--non-interactive", expect=7,
    ).stdout  # fmt: skip


def test_declared_owners_own_app_and_principal_and_a_portal_addition_is_undone(
    tenant: LocalTenant, workspace: Workspace
):
    outputs = deploy(tenant, workspace, [OWNER])
    graph = tenant.graph()
    owner, extra = tenant.principal_ids[OWNER], tenant.principal_ids[PORTAL_OWNER]
    sp, app = outputs["servicePrincipalObjectId"], outputs["applicationObjectId"]

    assert owner_ids(graph, "servicePrincipals", sp) == {owner}
    assert owner_ids(graph, "applications", app) == {owner}
    workspace.pulumi("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")

    add_owner_in_portal(graph, sp, extra)
    assert "owners" in refresh_preview(workspace)
    workspace.pulumi(*UP, "--refresh")

    assert owner_ids(graph, "servicePrincipals", sp) == {owner}


def test_without_declared_owners_a_portal_owner_is_reported_and_left_alone(
    tenant: LocalTenant, workspace: Workspace
):
    outputs = deploy(tenant, workspace, [])
    graph = tenant.graph()
    sp, extra = outputs["servicePrincipalObjectId"], tenant.principal_ids[PORTAL_OWNER]

    add_owner_in_portal(graph, sp, extra)
    drift = refresh_preview(workspace)
    workspace.pulumi(*UP, "--refresh")

    assert "asana-owners" in drift and "service_principal_owners" in drift
    assert owner_ids(graph, "servicePrincipals", sp) == {extra}
    workspace.pulumi("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")
