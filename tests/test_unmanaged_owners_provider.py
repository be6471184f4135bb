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
