"""Principals given by object id are looked up at preview, before anything is declared
(`getGroups` and `getUsers` by `objectIds` with `ignoreMissing`, in `rules.lookups` batches run
at the same time), so an id that names nothing fails the preview naming its setting, with
nothing registered, instead of failing `up` at its assignment after other resources were
created. Run under Pulumi's mocks (`tests/program.py`), with a directory that knows only some
ids."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, ClassVar

import pulumi
import pytest

import tests.program as program
from components.asana_app import AsanaEnterpriseApp
from components.settings import load_settings
from components.stack_config import engine_config
from rules.lookups import LOOKUPS_AT_ONCE, lookup_batches
from tests.program import AzureAdMocks, run_program, stack_name
from tests.test_program_stacks import ASSIGNMENT, stack_config

DEV = next(path for path in program.STACK_FILES if stack_name(path) == "dev")
KNOWN_GROUP = "1f0e5c1e-1111-4c3b-9a7e-2b1e0d9c8a01"
KNOWN_USER = "2f0e5c1e-2222-4c3b-9a7e-2b1e0d9c8a02"
MISSING = "9f0e5c1e-9999-4c3b-9a7e-2b1e0d9c8a09"
GET_GROUP = "azuread:index/getGroup:getGroup"
GET_USER = "azuread:index/getUser:getUser"
GET_GROUPS = "azuread:index/getGroups:getGroups"
GET_USERS = "azuread:index/getUsers:getUsers"
LOOKUPS = (GET_GROUP, GET_USER, GET_GROUPS, GET_USERS)


class Directory(AzureAdMocks):
    """The mocks, with a directory: an object id lookup of an id not in it behaves as
    pulumi-azuread's data sources do with `ignoreMissing` (upstream `groups_data_source.go`,
    `users_data_source.go`: the objects found, the others left out); every lookup is recorded,
    with how many were in flight at once (the mocks serve each invoke on an executor thread,
    as the engine's monitor does)."""

    known: ClassVar[set[str]] = {KNOWN_GROUP, KNOWN_USER}
    lookups: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    failure: ClassVar[str | None] = None
    """When set, every getGroups fails with it (a Graph outage, not a missing id)."""
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0
    lock = threading.Lock()

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        inputs = args.args
        if args.token not in (GET_GROUPS, GET_USERS):
            assert args.token not in LOOKUPS, "each id is looked up in a batch, never alone"
            return super().call(args)
        with Directory.lock:
            Directory.lookups.append((args.token, dict(inputs)))
            Directory.in_flight += 1
            Directory.most_in_flight = max(Directory.most_in_flight, Directory.in_flight)
        try:
            time.sleep(0.05)  # a Graph round trip: long enough for the others to start
            assert inputs.get("ignoreMissing") is True
            if args.token == GET_GROUPS and Directory.failure is not None:
                return {}, [("object_ids", Directory.failure)]
            found = [i for i in inputs["objectIds"] if i in Directory.known]
            names = "displayNames" if args.token == GET_GROUPS else "userPrincipalNames"
            return {**inputs, "objectIds": found, names: found, "id": "x"}
        finally:
            with Directory.lock:
                Directory.in_flight -= 1


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> None:
    Directory.lookups = []
    Directory.known = {KNOWN_GROUP, KNOWN_USER}
    Directory.failure = None
    Directory.most_in_flight = 0
    monkeypatch.setattr(program, "AzureAdMocks", Directory)


def dev_with(
    groups: list[str], users: list[str], secret: set[str] = frozenset()
) -> program.ProgramRun:
    config, secret_keys = stack_config(DEV)
    config["asana-provisioning:assignmentGroups"] = program.engine_string(groups)
    config["asana-provisioning:assignmentUsers"] = program.engine_string(users)
    return run_program(
        config, secret_keys | {f"asana-provisioning:{key}" for key in secret}, preview=True
    )


def test_principals_given_by_object_id_are_looked_up_in_one_invoke_per_kind():
    run = dev_with([KNOWN_GROUP], [KNOWN_USER])

    assert run.error is None, run.error
    by_ids = [
        (token, args["objectIds"]) for token, args in Directory.lookups if "objectIds" in args
    ]
    assert sorted(by_ids) == [(GET_GROUPS, [KNOWN_GROUP]), (GET_USERS, [KNOWN_USER])]
    assert not [token for token, args in Directory.lookups if "objectId" in args]
    assert sorted(a.inputs["principalObjectId"] for a in run.of_type(ASSIGNMENT)) == sorted(
        [KNOWN_GROUP, KNOWN_USER]
    )


def test_many_ids_are_looked_up_once_each_in_batches_that_run_at_the_same_time():
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(1_000)]
    users = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"user-{n}")) for n in range(60)]
    Directory.known |= {*groups, *users}

    run = dev_with(groups, users)

    assert run.error is None, run.error
    asked = {GET_GROUPS: [], GET_USERS: []}
    for token, args in Directory.lookups:
        asked[token].append(args["objectIds"])
    assert asked[GET_GROUPS] and asked[GET_USERS]
    assert sorted(i for batch in asked[GET_GROUPS] for i in batch) == sorted(groups)
    assert sorted(i for batch in asked[GET_USERS] for i in batch) == sorted(users)
    assert len(asked[GET_GROUPS]) == len(lookup_batches(groups)) == LOOKUPS_AT_ONCE
    assert len(asked[GET_USERS]) == len(lookup_batches(users)) == 2
    assert Directory.most_in_flight > LOOKUPS_AT_ONCE // 2  # not one after another
    assert len(run.of_type(ASSIGNMENT)) == len(groups) + len(users)


def test_a_missing_group_among_many_fails_naming_it_with_nothing_registered():
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(200)]
    Directory.known |= set(groups)

    run = dev_with([*groups[:120], MISSING, *groups[120:]], [KNOWN_USER])

    assert run.error is not None
    message = str(run.error)
    assert f'asana-provisioning:assignmentGroups lists the object id "{MISSING}"' in message
    assert f'No group found with object ID: "{MISSING}"' in message
    assert run.resources == []  # the lookup comes before any resource


def test_a_failed_lookup_names_the_setting_hides_secret_ids_and_registers_nothing():
    Directory.failure = f'Retrieving group with object ID: "{KNOWN_GROUP}": 503 Service Unavailable'

    run = dev_with([KNOWN_GROUP], [KNOWN_USER], secret={"assignmentGroups"})

    assert run.error is not None
    message = str(run.error)
    assert message.startswith("asana-provisioning:assignmentGroups: looking its object ids up")
    assert "503 Service Unavailable" in message
    assert KNOWN_GROUP not in message
    assert run.resources == []


@pytest.mark.parametrize(
    ("groups", "users", "setting", "kind"),
    [
        ([MISSING], [KNOWN_USER], "assignmentGroups", "group"),
        ([KNOWN_GROUP], [MISSING], "assignmentUsers", "user"),
    ],
    ids=["group", "user"],
)
def test_a_missing_object_id_fails_the_preview_naming_the_setting_and_the_id(
    groups, users, setting, kind
):
    run = dev_with(groups, users)

    assert run.error is not None
    message = str(run.error)
    assert f'asana-provisioning:{setting} lists the object id "{MISSING}"' in message
    assert f"not a {kind} in the tenant" in message


def test_a_missing_object_id_in_a_secret_setting_is_named_without_its_value():
    run = dev_with([MISSING], [KNOWN_USER], secret={"assignmentGroups"})

    assert run.error is not None
    message = str(run.error)
    assert "asana-provisioning:assignmentGroups is set (value hidden)" in message
    assert MISSING not in message


def test_an_object_id_in_a_secret_setting_stays_secret_once_found():
    run = dev_with([KNOWN_GROUP], [KNOWN_USER], secret={"assignmentGroups"})

    assert run.error is None, run.error
    assert all(KNOWN_GROUP not in resource.urn for resource in run.resources)


def test_the_component_refuses_principals_given_by_object_id_that_were_not_looked_up():
    def declare_without_lookup() -> None:
        settings = load_settings(*engine_config(), env={})
        AsanaEnterpriseApp("asana", settings, existing={})

    config, secret_keys = stack_config(DEV)
    config["asana-provisioning:assignmentGroups"] = program.engine_string([KNOWN_GROUP])
    run = run_program(config, secret_keys, preview=True, main=declare_without_lookup)

    assert isinstance(run.error, ValueError)
    assert "1 principal(s) given by object id were not looked up" in str(run.error)
    assert Directory.lookups == []
