"""Graph requests of the two guard resources, read from the local tenant's log: what
docs/design.md says each operation costs.

`InstantiatedAppDuplicates`: one GET per create, update and refresh, none on an `up` with
nothing changed. `UnmanagedOwners`: two GETs (the two owner lists) per create, update and
refresh, none on an unchanged `up`, and never a write.
"""

from __future__ import annotations

from collections.abc import Callable

from providers.instantiated_app import InstantiatedAppDuplicatesProvider
from providers.unmanaged_owners import UnmanagedOwnersProvider
from tests.conftest import TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, Emulator
from tests.engine import EngineResource

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def graph_requests(emulator: Emulator, step: Callable[[], object]) -> tuple[int, int]:
    """The Graph requests `step` sent, and how many of them were writes."""
    before = emulator.count(service="graph")
    before_writes = sum(emulator.count(service="graph", method=m) for m in WRITES)
    step()
    writes = sum(emulator.count(service="graph", method=m) for m in WRITES) - before_writes
    return emulator.count(service="graph") - before, writes


def test_the_duplicate_check_is_one_get_per_create_update_and_refresh(emulator: Emulator, server):
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana (other)", TENANT_ID)
    resource = EngineResource(
        server=server,
        provider=InstantiatedAppDuplicatesProvider(),
        type_token="asana:InstantiatedAppDuplicates",
        name="asana-app-duplicates",
    )
    declared = {
        "application_object_id": ours["id"],
        "template_id": ASANA_TEMPLATE_ID,
        "display_name": "Asana",
        "duplicates": None,
    }
    renamed = {**declared, "display_name": "Asana (other)"}

    assert graph_requests(emulator, lambda: resource.up(declared)) == (1, 0)
    assert graph_requests(emulator, lambda: resource.up(declared)) == (0, 0)
    assert graph_requests(emulator, resource.refresh) == (1, 0)
    assert graph_requests(emulator, lambda: resource.up(renamed)) == (1, 0)


def test_the_owner_record_is_two_gets_per_create_update_and_refresh_and_never_writes(
    emulator: Emulator, server
):
    first = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    second = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana (next)", TENANT_ID)
    resource = EngineResource(
        server=server,
        provider=UnmanagedOwnersProvider(),
        type_token="asana:UnmanagedOwners",
        name="asana-owners",
    )

    def ids(created: dict) -> dict[str, str]:
        return {
            "application_object_id": created["application"]["id"],
            "service_principal_id": created["servicePrincipal"]["id"],
        }

    assert graph_requests(emulator, lambda: resource.up(ids(first))) == (2, 0)
    assert graph_requests(emulator, lambda: resource.up(ids(first))) == (0, 0)
    assert graph_requests(emulator, resource.refresh) == (2, 0)
    updated, writes = graph_requests(emulator, lambda: resource.up(ids(second)))
    assert writes == 0
    assert updated == 2, "another app replaces the record: create the new one, read its owners"
