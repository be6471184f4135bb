"""UnmanagedOwners against the local tenant: owners left to the portal are recorded, a portal
change is drift on refresh, the next `up` records the new owners, and nothing is written."""

from __future__ import annotations

import pytest

from providers.unmanaged_owners import UnmanagedOwnersProvider
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import ASANA_TEMPLATE_ID, Emulator
from tests.emulator.client import GraphTestClient
from tests.engine import EngineResource


@pytest.fixture
def app(emulator: Emulator) -> dict[str, str]:
    created = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    return {
        "application_object_id": created["application"]["id"],
        "service_principal_id": created["servicePrincipal"]["id"],
    }


def watch(server) -> EngineResource:
    return EngineResource(
        server=server,
        provider=UnmanagedOwnersProvider(),
        type_token="asana:UnmanagedOwners",
        name="asana-owners",
    )


def test_an_owner_added_in_the_portal_is_drift_until_the_next_up_records_it(
    emulator: Emulator, tenant: Tenant, server, app
):
    resource = watch(server)
    resource.up(app)
    assert resource.outputs["service_principal_owners"] == []
    user = emulator.add_user("owner@contoso.com", "Owner")
    graph = GraphTestClient(emulator, TENANT_ID, CLIENT_ID, tenant.client_secret)
    added = graph.post(
        f"/v1.0/servicePrincipals/{app['service_principal_id']}/owners/$ref",
        {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"},
    )
    assert added.status_code == 204
    writes = emulator.count(service="graph", method="POST") + emulator.count(
        service="graph", method="PATCH"
    )

    refreshed = resource.refresh()

    assert refreshed.drift
    assert refreshed.changed_outputs["service_principal_owners"] == ([], [user])
    assert resource.up(app).changes is True
    assert resource.refresh().drift is False
    assert (
        emulator.count(service="graph", method="POST")
        + emulator.count(service="graph", method="PATCH")
        == writes
    )  # it only reads


def test_an_owner_added_to_the_application_in_the_portal_is_drift_on_its_own_output(
    emulator: Emulator, tenant: Tenant, server, app
):
    """The application's owners are watched as well as the service principal's, each under
    its own output (the state names of docs/design.md)."""
    resource = watch(server)
    resource.up(app)
    user = emulator.add_user("app-owner@contoso.com", "App owner")
    graph = GraphTestClient(emulator, TENANT_ID, CLIENT_ID, tenant.client_secret)
    added = graph.post(
        f"/v1.0/applications/{app['application_object_id']}/owners/$ref",
        {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"},
    )
    assert added.status_code == 204

    refreshed = resource.refresh()

    assert refreshed.drift
    assert refreshed.changed_outputs == {"application_owners": ([], [user])}


def test_owners_are_listed_by_id_alone(emulator: Emulator, server, app):
    """Each owner is a whole user or service principal object unless `$select` asks for less
    (https://learn.microsoft.com/graph/api/serviceprincipal-list-owners, "Optional query
    parameters"); the record needs only their ids."""
    watch(server).up(app)

    listed = [
        (r.path, r.query)
        for r in emulator.requests
        if r.service == "graph" and r.path.endswith("/owners")
    ]
    assert listed == [
        (f"/v1.0/applications/{app['application_object_id']}/owners", {"$select": "id"}),
        (f"/v1.0/servicePrincipals/{app['service_principal_id']}/owners", {"$select": "id"}),
    ]


def test_the_record_of_an_app_deleted_in_the_portal_reads_as_gone(emulator: Emulator, server, app):
    """Graph answers 404 for the owners of a deleted object; Pulumi's contract for a resource
    that no longer exists is a read with no id (pulumi.dynamic.ReadResult), so refresh drops
    it from state instead of failing."""
    resource = watch(server)
    resource.up(app)
    emulator.remove_service_principal(app["service_principal_id"])

    refreshed = resource.refresh()

    assert refreshed.deleted and resource.id is None


def test_a_second_refresh_finds_nothing_new(emulator: Emulator, server, app):
    """A refresh keeps the two object ids as the resource's inputs (pulumi.dynamic.ReadResult:
    the inputs used for subsequent diffs), so a refresh after a refresh is clean."""
    resource = watch(server)
    resource.up(app)
    assert resource.refresh().drift is False

    assert resource.refresh().drift is False
    assert {k: v for k, v in resource.inputs.items() if k != "__provider"} == app


def test_another_app_replaces_the_record_creating_the_new_one_before_deleting_the_old(
    emulator: Emulator, server, app
):
    """Pulumi's default replacement creates the new resource first and deletes the old one
    after (https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace/): the record
    of the old app stays in state until the new app's owners have been read."""
    resource = watch(server)
    resource.up(app)
    other = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana (other)", TENANT_ID)

    _, diff = resource.preview({**app, "application_object_id": other["application"]["id"]})

    assert diff is not None
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (
        True,
        ["application_object_id"],
        False,
    )
