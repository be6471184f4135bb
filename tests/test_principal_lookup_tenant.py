"""The program's object id check against the local tenant, through our own Graph client: a few
`GET /groups?$filter=id in (…)` requests, as Graph takes them (at most fifteen ids each, which
the local tenant enforces), each id found as the directory spells it, a missing one named."""

from __future__ import annotations

import pulumi
import pytest

from clients.graph import GraphClient
from components.principal_lookup import GraphObjectIds, existing_principals
from components.settings import Principal
from rules.lookups import IDS_PER_REQUEST
from tests.conftest import Tenant
from tests.emulator import Emulator
from tests.test_http_clients import emulator_settings

MISSING = "9f0e5c1e-9999-4c3b-9a7e-2b1e0d9c8a09"
GROUP_LIST = r"^/v1\.0/groups$"


def tenant_ids(emu: Emulator, tenant: Tenant) -> GraphObjectIds:
    """The lookup's directory, signed in to the local tenant as the program signs in."""
    return GraphObjectIds(GraphClient(emulator_settings(emu, tenant).graph))


def test_forty_groups_and_a_user_take_four_requests(trust_emulator: Emulator, tenant: Tenant):
    emu = trust_emulator
    groups = [emu.add_group(f"Group {n}") for n in range(40)]
    user = emu.add_user("ada@contoso.com", "Ada")
    directory = tenant_ids(emu, tenant)
    before = emu.count("graph", "GET", GROUP_LIST)
    principals = [Principal("group", g.upper()) for g in groups] + [Principal("user", user)]

    found = existing_principals(principals, directory=lambda: directory)

    assert found == {
        **{Principal("group", g.upper()): g for g in groups},
        Principal("user", user): user,
    }
    assert emu.count("graph", "GET", GROUP_LIST) - before == -(-40 // IDS_PER_REQUEST) == 3
    assert emu.count("graph", "GET", r"^/v1\.0/users$") == 1


def test_a_missing_id_and_a_user_given_as_a_group_are_named(
    trust_emulator: Emulator, tenant: Tenant
):
    emu = trust_emulator
    user = emu.add_user("ada@contoso.com", "Ada")
    directory = tenant_ids(emu, tenant)

    with pytest.raises(pulumi.RunError, match=f'assignmentGroups lists the object id "{user}"'):
        existing_principals([Principal("group", user)], directory=lambda: directory)
    with pytest.raises(pulumi.RunError, match="not a user in the tenant"):
        existing_principals([Principal("user", MISSING)], directory=lambda: directory)
