"""Principals given by object id are looked up at preview (one `getGroups` and one `getUsers`
invoke by `objectIds` for them all), so an id that names nothing fails the preview naming its
setting instead of failing `up` at its assignment after other resources were created. Only when
getGroups fails is each group looked up alone (`getGroup` by `objectId`), to name the missing
one. Run under Pulumi's mocks (`tests/program.py`), with a directory that knows only some ids."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pulumi
import pytest

import tests.program as program
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
    """The mocks, with a directory: an object id lookup of an id not in it fails as
    pulumi-azuread's data sources do (upstream `group_data_source.go`: "No group found with
    object ID"; `groups_data_source.go` stops at the first missing id; `users_data_source.go`
    with `ignore_missing` returns the users it found); every lookup is recorded."""

    known: ClassVar[set[str]] = {KNOWN_GROUP, KNOWN_USER}
    lookups: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        inputs = args.args
        if args.token in LOOKUPS:
            Directory.lookups.append((args.token, dict(inputs)))
        object_id = inputs.get("objectId")
        if args.token in (GET_GROUP, GET_USER) and object_id is not None:
            if object_id not in Directory.known:
                kind = "group" if args.token == GET_GROUP else "user"
                return {}, [("objectId", f"No {kind} found with object ID: {object_id!r}")]
            return {**inputs, "objectId": object_id}
        if args.token == GET_GROUPS:
            for object_id in inputs["objectIds"]:
                if object_id not in Directory.known:
                    return {}, [("object_id", f'No group found with object ID: "{object_id}"')]
        if args.token == GET_USERS:
            assert inputs.get("ignoreMissing") is True
            found = [i for i in inputs["objectIds"] if i in Directory.known]
            return {**inputs, "objectIds": found, "userPrincipalNames": found, "id": "users#x"}
        return super().call(args)


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> None:
    Directory.lookups = []
    Directory.known = {KNOWN_GROUP, KNOWN_USER}
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


def test_n_group_ids_cost_one_get_groups_invoke_and_no_lookup_of_each():
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(50)]
    users = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"user-{n}")) for n in range(20)]
    Directory.known |= {*groups, *users}

    run = dev_with(groups, users)

    assert run.error is None, run.error
    tokens = [token for token, _ in Directory.lookups]
    assert sorted(tokens) == [GET_GROUPS, GET_USERS]
    asked = {token: args["objectIds"] for token, args in Directory.lookups}
    assert sorted(asked[GET_GROUPS]) == sorted(groups)
    assert sorted(asked[GET_USERS]) == sorted(users)
    assert len(run.of_type(ASSIGNMENT)) == len(groups) + len(users)


def test_a_missing_group_among_many_is_found_by_looking_up_each_alone():
    groups = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-{n}")) for n in range(5)]
    Directory.known |= set(groups)

    run = dev_with([*groups, MISSING], [KNOWN_USER])

    assert run.error is not None
    assert f'asana-provisioning:assignmentGroups lists the object id "{MISSING}"' in str(run.error)
    tokens = [token for token, _ in Directory.lookups]
    assert tokens.count(GET_GROUPS) == 1
    assert {args["objectId"] for token, args in Directory.lookups if token == GET_GROUP} <= {
        *groups,
        MISSING,
    }


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
