"""The azuread stand-in's batch lookups, `getGroups` and `getUsers` by `objectIds`, against the
HTTPS emulator: the Graph requests upstream makes (`groups_data_source.go`: one beta
`GET /groups/{id}` per id; `users_data_source.go`: one `GET /users/{id}?$select=…` per id), its
failure on a missing id, and `ignoreMissing`."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest

from tests.azuread_standin.functions.users import SELECT
from tests.azuread_standin_fixtures import PluginError, StandinPlugin, plugin_environment
from tests.conftest import Tenant
from tests.emulator import Emulator
from tests.test_azuread_standin import provider_config

GET_GROUPS = "azuread:index/getGroups:getGroups"
GET_USERS = "azuread:index/getUsers:getUsers"
MISSING = "9f0e5c1e-9999-4c3b-9a7e-2b1e0d9c8a09"

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def standin(emulator: Emulator, tenant: Tenant) -> Iterator[StandinPlugin]:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        plugin.configure(provider_config(emulator, tenant))
        yield plugin


def graph_requests(emulator: Emulator, since: int) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (r.method, r.path, dict(r.query or {}))
        for r in emulator.requests[since:]
        if r.service == "graph"
    ]


def sha1_id(prefix: str, text: str) -> str:
    return prefix + base64.urlsafe_b64encode(hashlib.sha1(text.encode()).digest()).decode()


# ----- getGroups -----


def test_groups_by_object_ids_read_each_group_once_and_no_members_or_owners(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    first = emulator.add_group("Asana Users")
    second = emulator.add_group("Asana Admins")
    before = len(emulator.requests)

    found, failures = standin.invoke(GET_GROUPS, {"objectIds": [first, second]})

    assert failures == []
    assert found["objectIds"] == [first, second]
    assert found["displayNames"] == ["Asana Users", "Asana Admins"]
    assert found["id"] == sha1_id("groups#", "Asana Users-Asana Admins")
    assert graph_requests(emulator, before) == [
        ("GET", f"/beta/groups/{first}", {}),
        ("GET", f"/beta/groups/{second}", {}),
    ]


def test_groups_by_object_ids_fail_at_the_first_missing_id_naming_it(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    first = emulator.add_group("Asana Users")
    last = emulator.add_group("Asana Admins")
    before = len(emulator.requests)

    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_GROUPS, {"objectIds": [first, MISSING, last]})

    assert f'No group found with object ID: "{MISSING}"' in raised.value.details
    assert [path for _, path, _ in graph_requests(emulator, before)] == [
        f"/beta/groups/{first}",
        f"/beta/groups/{MISSING}",
    ]


def test_groups_with_ignore_missing_return_those_found(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    group = emulator.add_group("Asana Users")
    found, failures = standin.invoke(
        GET_GROUPS, {"objectIds": [MISSING, group], "ignoreMissing": True}
    )
    assert failures == []
    assert found["objectIds"] == [group]


def test_groups_need_exactly_one_way_to_choose_and_valid_ids(standin: StandinPlugin) -> None:
    _, failures = standin.invoke(GET_GROUPS, {})
    assert failures and failures[0][0] == "displayNames"
    _, failures = standin.invoke(GET_GROUPS, {"objectIds": ["not-a-guid"]})
    assert failures == [("objectIds", 'expected "objectIds[0]" to be a valid UUID, got not-a-guid')]
    _, failures = standin.invoke(GET_GROUPS, {"objectIds": [MISSING], "mailEnabled": True})
    assert ("mailEnabled", '"mailEnabled": conflicts with objectIds') in failures


def test_groups_by_display_name_are_refused_as_not_implemented(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_GROUPS, {"displayNames": ["Asana Users"]})
    assert "not implemented by the stand-in" in raised.value.details


# ----- getUsers -----


def test_users_by_object_ids_read_each_user_once_with_upstreams_select(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    ada = emulator.add_user("ada@contoso.example", "Ada")
    bob = emulator.add_user("bob@contoso.example", "Bob")
    before = len(emulator.requests)

    found, failures = standin.invoke(GET_USERS, {"objectIds": [ada, bob]})

    assert failures == []
    assert found["objectIds"] == [ada, bob]
    assert found["userPrincipalNames"] == ["ada@contoso.example", "bob@contoso.example"]
    assert found["id"] == sha1_id("users#", "ada@contoso.example/bob@contoso.example")
    assert [(u["objectId"], u["displayName"]) for u in found["users"]] == [
        (ada, "Ada"),
        (bob, "Bob"),
    ]
    assert graph_requests(emulator, before) == [
        ("GET", f"/v1.0/users/{ada}", {"$select": SELECT}),
        ("GET", f"/v1.0/users/{bob}", {"$select": SELECT}),
    ]


def test_users_by_object_ids_fail_on_a_missing_id_naming_it(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    ada = emulator.add_user("ada@contoso.example", "Ada")
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_USERS, {"objectIds": [ada, MISSING]})
    assert f'User not found with object ID: "{MISSING}"' in raised.value.details


def test_users_with_ignore_missing_return_those_found_even_none(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    ada = emulator.add_user("ada@contoso.example", "Ada")
    before = len(emulator.requests)

    found, failures = standin.invoke(
        GET_USERS, {"objectIds": [MISSING, ada], "ignoreMissing": True}
    )

    assert failures == []
    assert found["objectIds"] == [ada]
    assert len(graph_requests(emulator, before)) == 2
    found, _ = standin.invoke(GET_USERS, {"objectIds": [MISSING], "ignoreMissing": True})
    assert found["objectIds"] == [] and found["users"] == []


def test_users_by_principal_name_are_refused_as_not_implemented(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_USERS, {"userPrincipalNames": ["ada@contoso.example"]})
    assert "not implemented by the stand-in" in raised.value.details
