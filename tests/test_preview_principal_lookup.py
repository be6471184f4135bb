"""A principal given by object id is looked up at preview (one `getGroup` / `getUser` invoke by
`objectId` each), so an id that names nothing fails the preview naming its setting instead of
failing `up` at its assignment after other resources were created. Run under Pulumi's mocks
(`tests/program.py`), with a directory that knows only some ids."""

from __future__ import annotations

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


class Directory(AzureAdMocks):
    """The mocks, with a directory: an object id lookup of an id not in it fails as
    pulumi-azuread's data sources do (upstream `group_data_source.go`: "No group found with
    object ID"); every lookup is recorded."""

    lookups: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        inputs = args.args
        if args.token in (GET_GROUP, GET_USER):
            Directory.lookups.append((args.token, dict(inputs)))
        object_id = inputs.get("objectId")
        if args.token in (GET_GROUP, GET_USER) and object_id is not None:
            if object_id not in (KNOWN_GROUP, KNOWN_USER):
                kind = "group" if args.token == GET_GROUP else "user"
                return {}, [("objectId", f"No {kind} found with object ID: {object_id!r}")]
            return {**inputs, "objectId": object_id}
        return super().call(args)


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> None:
    Directory.lookups = []
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


def test_principals_given_by_object_id_are_each_looked_up_once_by_that_id():
    run = dev_with([KNOWN_GROUP], [KNOWN_USER])

    assert run.error is None, run.error
    by_id = [(token, args["objectId"]) for token, args in Directory.lookups if "objectId" in args]
    assert sorted(by_id) == [(GET_GROUP, KNOWN_GROUP), (GET_USER, KNOWN_USER)]
    assert sorted(a.inputs["principalObjectId"] for a in run.of_type(ASSIGNMENT)) == sorted(
        [KNOWN_GROUP, KNOWN_USER]
    )


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
