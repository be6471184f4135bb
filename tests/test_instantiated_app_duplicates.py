"""Which applications are the duplicate a retried instantiate made: same template and name (the
Graph filter), created within fifteen minutes of the stack's own; and the provider deleting
exactly those against the local tenant."""

from __future__ import annotations

import pytest

from providers.instantiated_app import InstantiatedAppDuplicatesProvider, duplicate_ids
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import ASANA_TEMPLATE_ID, Emulator, Fault
from tests.emulator.client import GraphTestClient
from tests.engine import EngineResource, ProviderError

OURS = {"id": "a", "createdDateTime": "2026-12-03T10:00:00Z"}


@pytest.mark.parametrize(
    ("created", "duplicate"),
    [
        ("2026-12-03T10:00:03Z", True),  # the retry, seconds later
        ("2026-12-03T09:45:00Z", True),
        ("2026-12-03T10:15:01Z", False),  # more than fifteen minutes on
        ("2026-11-20T10:00:00Z", False),  # an app an admin made another day
        (None, False),
    ],
)
def test_only_an_app_made_within_fifteen_minutes_of_ours_is_a_duplicate(created, duplicate):
    other = {"id": "b", "createdDateTime": created}

    assert duplicate_ids([OURS, other], "a") == (["b"] if duplicate else [])


def test_without_our_own_creation_time_nothing_is_a_duplicate():
    assert (
        duplicate_ids([{"id": "a"}, {"id": "b", "createdDateTime": "2026-12-03T10:00:00Z"}], "a")
        == []
    )


def test_the_provider_deletes_the_twin_and_keeps_ours_and_an_app_of_another_name(
    emulator: Emulator, server
):
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    twin = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    other = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana (other)", TENANT_ID)
    resource = EngineResource(
        server=server,
        provider=InstantiatedAppDuplicatesProvider(),
        type_token="asana:InstantiatedAppDuplicates",
        name="asana-app-duplicates",
    )
    props = {
        "application_object_id": ours["id"],
        "template_id": ASANA_TEMPLATE_ID,
        "display_name": "Asana",
        "duplicates": None,
    }

    resource.up(props)

    left = set(emulator.snapshot()["applications"])
    assert ours["id"] in left and other["application"]["id"] in left
    assert twin["id"] not in left
    assert resource.refresh().drift is False


def test_a_twin_appearing_later_is_drift_on_refresh(emulator: Emulator, server):
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    resource = EngineResource(
        server=server,
        provider=InstantiatedAppDuplicatesProvider(),
        type_token="asana:InstantiatedAppDuplicates",
        name="asana-app-duplicates",
    )
    resource.up(
        {
            "application_object_id": ours["id"],
            "template_id": ASANA_TEMPLATE_ID,
            "display_name": "Asana",
            "duplicates": None,
        }
    )
    twin = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]

    refreshed = resource.refresh()

    assert refreshed.drift
    assert refreshed.changed_outputs["duplicates"] == ([], [twin["id"]])


def test_our_app_missing_from_the_list_makes_nothing_a_duplicate():
    """A new application reaches the directory's replicas later: the azuread provider waits
    for it after instantiating ("timed out waiting for replication of new application",
    terraform-provider-azuread v3.9.0, application_from_template_resource.go), so a list may
    not show it yet. Without our own creation time there is nothing to measure the window
    from, so nothing is deleted."""
    assert duplicate_ids([{"id": "b", "createdDateTime": "2026-12-03T10:00:00Z"}], "a") == []


def duplicates_resource(server) -> EngineResource:
    return EngineResource(
        server=server,
        provider=InstantiatedAppDuplicatesProvider(),
        type_token="asana:InstantiatedAppDuplicates",
        name="asana-app-duplicates",
    )


def declared(application_id: str, display_name: str = "Asana") -> dict:
    return {
        "application_object_id": application_id,
        "template_id": ASANA_TEMPLATE_ID,
        "display_name": display_name,
        "duplicates": None,
    }


DELETE_APPLICATION = r"^/v1\.0/applications/[^/]+$"


def test_a_twin_someone_else_deleted_first_is_no_error(emulator: Emulator, server):
    """Graph answers 404 for an application that is gone
    (https://learn.microsoft.com/graph/api/application-delete, "Response"): gone is what
    the tidy-up wanted, so the up goes on."""
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    emulator.inject(Fault.status(404), service="graph", method="DELETE", path=DELETE_APPLICATION)
    resource = duplicates_resource(server)

    resource.up(declared(ours["id"]))

    assert resource.outputs["duplicates"] == []


def test_a_twin_graph_refuses_to_delete_fails_the_up(emulator: Emulator, server):
    """Any other refusal (403: the deploying principal may not delete it) is an error: the
    duplicate is still there."""
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    twin = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    emulator.inject(Fault.status(403), service="graph", method="DELETE", path=DELETE_APPLICATION)
    resource = duplicates_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up(declared(ours["id"]))

    assert "HTTP 403" in failure.value.details
    assert resource.id is None
    assert twin["id"] in emulator.snapshot()["applications"]


def test_applications_of_the_name_are_listed_with_only_their_ids_and_creation_times(
    emulator: Emulator, server
):
    """The documented filter on template and name, and `$select` of the two properties the
    decision needs (https://learn.microsoft.com/graph/api/application-list, "Optional query
    parameters"; property names as the application resource spells them)."""
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]

    duplicates_resource(server).up(declared(ours["id"]))

    listed = [
        r.query
        for r in emulator.requests
        if r.service == "graph" and r.path == "/v1.0/applications"
    ]
    assert listed == [
        {
            "$filter": f"applicationTemplateId eq '{ASANA_TEMPLATE_ID}' and displayName eq 'Asana'",
            "$select": "id,createdDateTime",
        }
    ]


def test_a_second_refresh_finds_nothing_new(emulator: Emulator, server):
    """A refresh keeps the declared properties as the resource's inputs
    (pulumi.dynamic.ReadResult: the inputs used for subsequent diffs)."""
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    resource = duplicates_resource(server)
    resource.up(declared(ours["id"]))
    assert resource.refresh().drift is False

    assert resource.refresh().drift is False


def test_a_renamed_app_is_an_update_that_tidies_up_the_twins_of_the_new_name(
    emulator: Emulator, tenant: Tenant, server
):
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    resource = duplicates_resource(server)
    resource.up(declared(ours["id"]))
    graph = GraphTestClient(emulator, TENANT_ID, CLIENT_ID, tenant.client_secret)
    renamed = graph.patch(f"/v1.0/applications/{ours['id']}", {"displayName": "Asana (prod)"})
    assert renamed.status_code == 204
    twin = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana (prod)", TENANT_ID)

    diff = resource.up(declared(ours["id"], "Asana (prod)"))

    assert diff is not None and (diff.changes, diff.replaces) == (True, [])
    assert twin["application"]["id"] not in emulator.snapshot()["applications"]
    assert {k: v for k, v in resource.outputs.items() if k != "__provider"} == {
        **declared(ours["id"], "Asana (prod)"),
        "duplicates": [],
    }


def test_a_replacement_the_engine_makes_creates_before_it_deletes(emulator: Emulator, server):
    """The tidy-up never asks to be replaced, but `pulumi up --replace` replaces it anyway, in
    the order its diff asks: Pulumi's default, create before delete
    (https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace/)."""
    ours = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)["application"]
    resource = duplicates_resource(server)
    resource.up(declared(ours["id"]))

    _, diff = resource.preview(declared(ours["id"], "Asana (prod)"))

    assert diff is not None
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, [], False)
