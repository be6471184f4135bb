"""Which applications are the duplicate a retried instantiate made: same template and name (the
Graph filter), created within fifteen minutes of the stack's own; and the provider deleting
exactly those against the local tenant."""

from __future__ import annotations

import pytest

from providers.instantiated_app import InstantiatedAppDuplicatesProvider, duplicate_ids
from tests.conftest import TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, Emulator
from tests.engine import EngineResource

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
