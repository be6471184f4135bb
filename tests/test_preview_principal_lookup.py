"""Principals given by object id are looked up at preview, before anything is declared
(`GET /groups?$filter=id in (…)` and the same on `/users`, `rules.lookups.IDS_PER_REQUEST` ids
per request, `REQUESTS_AT_ONCE` requests at the same time), so an id that names nothing fails
the preview naming its setting, with nothing registered, instead of failing `up` at its
assignment after other resources were created. Run under Pulumi's mocks (`tests/program.py`),
with a directory that knows only some ids."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence

import pytest

import tests.program as program
from clients.http import ServiceError
from components.asana_app import AsanaEnterpriseApp
from components.settings import load_settings
from components.stack_config import engine_config
from rules.lookups import IDS_PER_REQUEST, REQUESTS_AT_ONCE, lookup_requests
from tests.program import AzureAdMocks, run_program, stack_name
from tests.test_program_stacks import ASSIGNMENT, stack_config

DEV = next(path for path in program.STACK_FILES if stack_name(path) == "dev")
KNOWN_GROUP = "1f0e5c1e-1111-4c3b-9a7e-2b1e0d9c8a01"
KNOWN_USER = "2f0e5c1e-2222-4c3b-9a7e-2b1e0d9c8a02"
MISSING = "9f0e5c1e-9999-4c3b-9a7e-2b1e0d9c8a09"
LOOKUP_FUNCTIONS = (
    "azuread:index/getGroup:getGroup",
    "azuread:index/getUser:getUser",
    "azuread:index/getGroups:getGroups",
    "azuread:index/getUsers:getUsers",
)


class Directory:
    """A tenant's groups and users as `clients.directory.DirectoryReader.existing_ids` sees
    them: the ids asked for that name an object of the collection, the others left out. Every
    request is recorded, with how many were in flight at once (the lookup sends them from a
    thread pool)."""

    def __init__(self) -> None:
        self.known = {"groups": {KNOWN_GROUP}, "users": {KNOWN_USER}}
        self.requests: list[tuple[str, list[str]]] = []
        self.failure: ServiceError | None = None
        """When set, every request for groups fails with it (a Graph outage, not a missing
        id)."""
        self.sign_ins = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def signed_in(self) -> Directory:
        self.sign_ins += 1
        return self

    def existing_ids(self, collection: str, ids: Sequence[str]) -> list[str]:
        assert 0 < len(ids) <= IDS_PER_REQUEST
        with self.lock:
            self.requests.append((collection, list(ids)))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.02)  # a Graph round trip: long enough for the others to start
            if collection == "groups" and self.failure is not None:
                raise self.failure
            return [i.upper() for i in ids if i in self.known[collection]]  # Graph's spelling
        finally:
            with self.lock:
                self.in_flight -= 1


class NoLookupFunctions(AzureAdMocks):
    """The mocks, refusing pulumi-azuread's lookup functions: ids are checked in the
    directory, a few per request, never one invoke per id."""

    def call(self, args):
        assert args.token not in LOOKUP_FUNCTIONS, args.token
        return super().call(args)


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> Directory:
    monkeypatch.setattr(program, "AzureAdMocks", NoLookupFunctions)
    return Directory()


def dev_with(
    directory: Directory, groups: list[str], users: list[str], secret: set[str] = frozenset()
) -> program.ProgramRun:
    config, secret_keys = stack_config(DEV)
    config["asana-provisioning:assignmentGroups"] = program.engine_string(groups)
    config["asana-provisioning:assignmentUsers"] = program.engine_string(users)
    return run_program(
        config,
        secret_keys | {f"asana-provisioning:{key}" for key in secret},
        preview=True,
        directory=directory.signed_in,
    )


def test_principals_given_by_object_id_are_looked_up_one_request_per_kind(directory):
    run = dev_with(directory, [KNOWN_GROUP], [KNOWN_USER])

    assert run.error is None, run.error
    assert sorted(directory.requests) == [("groups", [KNOWN_GROUP]), ("users", [KNOWN_USER])]
    assert directory.sign_ins == 1
    assert sorted(a.inputs["principalObjectId"] for a in run.of_type(ASSIGNMENT)) == sorted(
        [KNOWN_GROUP.upper(), KNOWN_USER.upper()]  # as the directory spells them
    )


def test_no_object_id_to_look_up_means_no_sign_in(directory):
    run = dev_with(directory, [], [])

    assert run.error is None, run.error
    assert directory.sign_ins == 0
    assert directory.requests == []


def test_many_ids_take_few_requests_that_run_at_the_same_time(directory):
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(1_000)]
    users = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"user-{n}")) for n in range(60)]
    directory.known["groups"] |= set(groups)
    directory.known["users"] |= set(users)

    run = dev_with(directory, groups, users)

    assert run.error is None, run.error
    asked = {"groups": [], "users": []}
    for collection, ids in directory.requests:
        asked[collection].append(ids)
    assert sorted(i for ids in asked["groups"] for i in ids) == sorted(groups)
    assert sorted(i for ids in asked["users"] for i in ids) == sorted(users)
    assert len(asked["groups"]) == len(lookup_requests(groups)) == 67
    assert len(asked["users"]) == len(lookup_requests(users)) == 4
    assert directory.most_in_flight > REQUESTS_AT_ONCE // 2  # not one after another
    assert directory.most_in_flight <= REQUESTS_AT_ONCE
    assert directory.sign_ins == 1
    assert len(run.of_type(ASSIGNMENT)) == len(groups) + len(users)


def test_a_missing_group_among_many_fails_naming_it_with_nothing_registered(directory):
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(200)]
    directory.known["groups"] |= set(groups)

    run = dev_with(directory, [*groups[:120], MISSING, *groups[120:]], [KNOWN_USER])

    assert run.error is not None
    message = str(run.error)
    assert f'asana-provisioning:assignmentGroups lists the object id "{MISSING}"' in message
    assert "GET /groups?$filter=id in (…) did not return it" in message
    assert run.resources == []  # the lookup comes before any resource


def test_a_failed_lookup_names_the_setting_hides_secret_ids_and_registers_nothing(directory):
    directory.failure = ServiceError(
        "Microsoft Graph", "GET", "/v1.0/groups", f"503: id in ('{KNOWN_GROUP}') unavailable", 503
    )

    run = dev_with(directory, [KNOWN_GROUP], [KNOWN_USER], secret={"assignmentGroups"})

    assert run.error is not None
    message = str(run.error)
    assert message.startswith("asana-provisioning:assignmentGroups: looking its object ids up")
    assert "503" in message
    assert KNOWN_GROUP not in message
    assert run.resources == []


def test_after_a_failed_request_the_requests_not_yet_sent_are_not_sent(directory):
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(1_000)]
    directory.known["groups"] |= set(groups)
    directory.failure = ServiceError("Microsoft Graph", "GET", "/v1.0/groups", "403", 403)

    run = dev_with(directory, groups, [KNOWN_USER])

    assert run.error is not None
    assert "asana-provisioning:assignmentGroups: looking its object ids up" in str(run.error)
    assert len(directory.requests) == 1  # the first one, sent alone, signs in and fails
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
    directory, groups, users, setting, kind
):
    run = dev_with(directory, groups, users)

    assert run.error is not None
    message = str(run.error)
    assert f'asana-provisioning:{setting} lists the object id "{MISSING}"' in message
    assert f"not a {kind} in the tenant" in message


def test_a_missing_object_id_in_a_secret_setting_is_named_without_its_value(directory):
    run = dev_with(directory, [MISSING], [KNOWN_USER], secret={"assignmentGroups"})

    assert run.error is not None
    message = str(run.error)
    assert "asana-provisioning:assignmentGroups is set (value hidden)" in message
    assert MISSING not in message


def test_an_object_id_in_a_secret_setting_stays_secret_once_found(directory):
    run = dev_with(directory, [KNOWN_GROUP], [KNOWN_USER], secret={"assignmentGroups"})

    assert run.error is None, run.error
    assert all(KNOWN_GROUP not in resource.urn.lower() for resource in run.resources)


def test_the_component_refuses_principals_given_by_object_id_that_were_not_looked_up(directory):
    def declare_without_lookup() -> None:
        settings = load_settings(*engine_config(), env={})
        AsanaEnterpriseApp("asana", settings, existing={})

    config, secret_keys = stack_config(DEV)
    config["asana-provisioning:assignmentGroups"] = program.engine_string([KNOWN_GROUP])
    run = run_program(
        config,
        secret_keys,
        preview=True,
        main=declare_without_lookup,
        directory=directory.signed_in,
    )

    assert isinstance(run.error, ValueError)
    assert "1 principal(s) given by object id were not looked up" in str(run.error)
    assert directory.requests == []
