"""A URN's name and type, read as the engine reads them (`URN.Name` and `URN.Type` in pulumi's
sdk/go/common/resource/urn/urn.go): a name may hold `::`, and a child's type part starts with
its parents' types, each ended by `$`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.urns import resource_name, resource_type

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", min_size=1, max_size=12)
TYPE = st.builds(lambda p, m, t: f"{p}:{m}:{t}", SEGMENT, SEGMENT, SEGMENT)
NAME = st.lists(SEGMENT, min_size=1, max_size=4).map("::".join)


def urn(parents: list[str], own_type: str, name: str) -> str:
    return f"urn:pulumi:dev::asana-provisioning::{'$'.join([*parents, own_type])}::{name}"


@given(parents=st.lists(TYPE, max_size=3), own_type=TYPE, name=NAME)
def test_a_urn_gives_back_its_own_type_and_its_whole_name(
    parents: list[str], own_type: str, name: str
):
    built = urn(parents, own_type, name)

    assert resource_type(built) == own_type
    assert resource_name(built) == name


@pytest.mark.parametrize(
    ("given_urn", "own_type"),
    [
        (
            "urn:pulumi:dev::p::asana-provisioning:index:AsanaEnterpriseApp"
            "$azuread:index/appRoleAssignment:AppRoleAssignment::asana-group-1",
            "azuread:index/appRoleAssignment:AppRoleAssignment",
        ),
        ("urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", "pulumi:pulumi:Stack"),
        ("urn:pulumi:dev::p::a:b:C::name::with::separators", "a:b:C"),
        ("urn:pulumi:dev::p::a:b:C", "a:b:C"),
        ("urn:pulumi:dev::p", ""),
        ("", ""),
    ],
    ids=[
        "a component's child",
        "the stack",
        "a name holding ::",
        "no name part",
        "no type part",
        "empty",
    ],
)
def test_known_urns_have_the_type_the_engine_gives_them(given_urn: str, own_type: str):
    assert resource_type(given_urn) == own_type
