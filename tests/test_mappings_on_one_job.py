"""The user and the group mappings are two resources editing one job's schema: applied at the
same moment (the engine creates independent resources in parallel, in one provider process)
neither change may be lost, and destroying one leaves the other's part of the schema alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rules.schema_edit import object_mapping
from tests.conftest import ASANA_TEMPLATE, SERVICE_PRINCIPAL_ID
from tests.emulator import Emulator, Fault
from tests.engine import ProviderError, ProviderServer
from tests.mapping_resources import (
    ORGANIZATION,
    SCHEMA_PATH,
    group_change_is_live,
    group_inputs,
    live_group,
    live_user,
    mappings_resource,
    user_change_is_live,
    user_inputs,
)

SLOW_WRITE_SECONDS = 1.0


@pytest.fixture
def job(emulator: Emulator) -> str:
    return emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")


def at_once(*steps: Callable[[], object]) -> list[BaseException | None]:
    """Runs the steps in threads released together, as the engine runs independent resources;
    returns each step's exception (None when it succeeded)."""
    barrier = threading.Barrier(len(steps))

    def run(step: Callable[[], object]) -> BaseException | None:
        barrier.wait(timeout=10)
        try:
            step()
        except Exception as error:  # reported to the test, which decides
            return error
        return None

    with ThreadPoolExecutor(len(steps)) as pool:
        return list(pool.map(run, steps))


def template_part(kind: str) -> dict[str, Any]:
    """What the template has for one object mapping, in the fields a destroy restores."""
    source, target = ("User", "User") if kind == "user" else ("Group", "Group")
    mapping = object_mapping(ASANA_TEMPLATE["schema"], source, target)
    return {key: mapping[key] for key in ("attributeMappings", "scope", "enabled", "flowTypes")}


def restorable(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: mapping.get(key) for key in ("attributeMappings", "scope", "enabled", "flowTypes")}


def test_user_and_group_mappings_applied_at_once_both_end_up_live(
    emulator: Emulator, server: ProviderServer, job: str
):
    users = mappings_resource(server, "asana-user-attribute-mappings")
    groups = mappings_resource(server, "asana-group-attribute-mappings")
    emulator.inject(
        Fault.slow(SLOW_WRITE_SECONDS), service="graph", method="PUT", path=SCHEMA_PATH, times=2
    )

    errors = at_once(lambda: users.up(user_inputs(job)), lambda: groups.up(group_inputs(job)))

    assert errors == [None, None]
    assert user_change_is_live(emulator, job), live_user(emulator, job)
    assert group_change_is_live(emulator, job), live_group(emulator, job)
    assert not users.refresh().drift
    assert not groups.refresh().drift


def test_a_change_overwritten_before_it_is_verified_fails_clearly_and_the_next_up_converges(
    emulator: Emulator, server: ProviderServer, job: str
):
    """Another writer (a second stack, the portal) our lock cannot see saves an older schema
    between our PUT and our check of it: the operation fails naming what was lost."""
    users = mappings_resource(server, "asana-user-attribute-mappings")
    template = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    # The read before the write is fast; the read that verifies the write is slow, and the
    # other writer saves the template's user mapping back while it waits.
    emulator.inject(Fault.slow(0), service="graph", method="GET", path=SCHEMA_PATH, times=1)
    emulator.inject(Fault.slow(1.0), service="graph", method="GET", path=SCHEMA_PATH, times=1)

    def other_writer() -> None:
        deadline = time.monotonic() + 10
        while emulator.count(service="graph", method="PUT") == 0:
            assert time.monotonic() < deadline, "our PUT never came"
            time.sleep(0.02)
        emulator.edit_schema(
            SERVICE_PRINCIPAL_ID,
            job,
            lambda schema: schema.update(synchronizationRules=template["synchronizationRules"]),
        )

    errors = at_once(lambda: users.up(user_inputs(job)), other_writer)

    assert isinstance(errors[0], ProviderError), errors
    message = errors[0].details
    assert "changed by another writer" in message
    assert f"{ORGANIZATION}: " in message and "scoping filter" in message
    assert "run `pulumi up` again" in message
    assert users.id is None
    users.up(user_inputs(job))
    assert user_change_is_live(emulator, job)
    assert not users.refresh().drift


def test_destroying_group_mappings_keeps_the_user_mappings_and_filter(
    emulator: Emulator, server: ProviderServer, job: str
):
    users = mappings_resource(server, "asana-user-attribute-mappings")
    groups = mappings_resource(server, "asana-group-attribute-mappings")
    users.up(user_inputs(job))
    groups.up(group_inputs(job))
    user_before = live_user(emulator, job)

    groups.destroy()

    assert live_user(emulator, job) == user_before
    assert restorable(live_group(emulator, job)) == template_part("group")
    assert not users.refresh().drift
    assert ("DELETE", "schema") not in [
        (r.method, r.path.rsplit("/", 1)[-1]) for r in emulator.requests
    ]


def test_destroying_both_restores_each_object_mapping_as_the_template_has_it(
    emulator: Emulator, server: ProviderServer, job: str
):
    users = mappings_resource(server, "asana-user-attribute-mappings")
    groups = mappings_resource(server, "asana-group-attribute-mappings")
    users.up(user_inputs(job))
    groups.up(group_inputs(job))

    users.destroy()
    groups.destroy()

    live = emulator.schema(SERVICE_PRINCIPAL_ID, job)
    expected = {key: value for key, value in ASANA_TEMPLATE["schema"].items() if key != "version"}
    assert {key: value for key, value in live.items() if key != "version"} == expected


def test_destroying_one_while_the_other_is_applied_loses_neither(
    emulator: Emulator, server: ProviderServer, job: str
):
    users = mappings_resource(server, "asana-user-attribute-mappings")
    groups = mappings_resource(server, "asana-group-attribute-mappings")
    groups.up(group_inputs(job))
    emulator.inject(
        Fault.slow(SLOW_WRITE_SECONDS), service="graph", method="PUT", path=SCHEMA_PATH, times=2
    )

    errors = at_once(lambda: users.up(user_inputs(job)), groups.destroy)

    assert errors == [None, None]
    assert user_change_is_live(emulator, job)
    assert restorable(live_group(emulator, job)) == template_part("group")


def test_a_put_landing_late_never_overwrites_the_other_mappings_later_change(
    emulator: Emulator, server: ProviderServer, job: str
):
    """The first PUT lands 5 s after it was sent: after the 2 s timeout and the 2 s window in
    which the schema stayed as read, so it is sent once more; the job's lock is held while the
    late one lands (the same document), so the other mapping's write comes after it."""
    users = mappings_resource(server, "asana-user-attribute-mappings")
    groups = mappings_resource(server, "asana-group-attribute-mappings")
    emulator.inject(Fault.slow(5.0), service="graph", method="PUT", path=SCHEMA_PATH, times=1)

    errors = at_once(lambda: users.up(user_inputs(job)), lambda: groups.up(group_inputs(job)))

    assert errors == [None, None]
    time.sleep(1.5)  # past the late landing, whenever it came
    assert user_change_is_live(emulator, job), live_user(emulator, job)
    assert group_change_is_live(emulator, job), live_group(emulator, job)
    assert emulator.count(service="graph", method="PUT") == 3
    assert not users.refresh().drift
    assert not groups.refresh().drift
