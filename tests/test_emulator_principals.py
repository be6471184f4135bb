"""Users and groups in the emulator, read as the azuread group and user data sources read them,
and the whole-tenant snapshot tests use to prove a destroy left nothing behind."""

from __future__ import annotations

import pytest

from tests.emulator import ASANA_TEMPLATE_ID, USER_ROLE_ID
from tests.emulator.client import GraphTestClient

USER_DATA_SOURCE_SELECT = (
    "accountEnabled,ageGroup,businessPhones,city,companyName,consentProvidedForMinor,country,"
    "creationType,department,displayName,employeeHireDate,employeeId,employeeOrgData,"
    "employeeType,externalUserState,faxNumber,givenName,id,imAddresses,jobTitle,mail,"
    "mailNickname,mobilePhone,officeLocation,onPremisesDistinguishedName,onPremisesDomainName,"
    "onPremisesImmutableId,onPremisesSamAccountName,onPremisesSecurityIdentifier,"
    "onPremisesSyncEnabled,onPremisesUserPrincipalName,otherMails,postalCode,preferredLanguage,"
    "proxyAddresses,showInAddressList,state,streetAddress,surname,usageLocation,"
    "userPrincipalName,userType"
)
"""What azuread_user selects on its second GET (internal/services/users/user_data_source.go)."""


# ----- groups -----


def test_a_group_is_found_by_display_name_on_beta_as_the_data_source_asks(
    graph: GraphTestClient,
) -> None:
    wanted = graph.emulator.add_group("Asana users", description="Everyone on Asana")
    graph.emulator.add_group("Asana admins")

    found = graph.get("/beta/groups", **{"$filter": "displayName eq 'Asana users'"})
    secure = graph.get(
        "/beta/groups",
        **{"$filter": "displayName eq 'Asana users' and securityEnabled eq true"},
    )
    mailed = graph.get(
        "/beta/groups", **{"$filter": "displayName eq 'Asana users' and mailEnabled eq true"}
    )

    [group] = found.json()["value"]
    assert group["id"] == wanted
    assert group["description"] == "Everyone on Asana"
    assert (group["securityEnabled"], group["mailEnabled"]) == (True, False)
    assert found.json()["@odata.context"] == f"{graph.emulator.base_url}/beta/$metadata#groups"
    assert [g["id"] for g in secure.json()["value"]] == [wanted]
    assert mailed.json()["value"] == []


def test_group_members_are_typed_directory_objects(graph: GraphTestClient) -> None:
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    inner = graph.emulator.add_group("Inner")
    outer = graph.emulator.add_group("Outer", members=[user, inner])

    members = graph.get(f"/beta/groups/{outer}/members").json()["value"]
    owners = graph.get(f"/beta/groups/{outer}/owners").json()["value"]

    assert [(m["@odata.type"], m["id"]) for m in members] == [
        ("#microsoft.graph.user", user),
        ("#microsoft.graph.group", inner),
    ]
    assert owners == []
    with pytest.raises(ValueError, match="member"):
        graph.emulator.add_group("Broken", members=["8e9f0a1b-2c3d-4e4f-9a5b-6c7d8e9f0a1b"])


def test_group_filters_outside_the_data_sources_are_refused(graph: GraphTestClient) -> None:
    graph.emulator.add_group("Asana users")

    by_type = graph.get("/v1.0/groups", **{"$filter": "groupTypes eq 'Unified'"})
    not_equal = graph.get("/v1.0/groups", **{"$filter": "displayName ne 'x'"})
    counted = graph.get("/v1.0/groups", **{"$count": "true"})

    assert [r.status_code for r in (by_type, not_equal, counted)] == [400, 400, 400]


def test_groups_and_users_are_found_fifteen_ids_at_a_time_as_the_program_checks_them(
    graph: GraphTestClient,
) -> None:
    group = graph.emulator.add_group("Asana users")
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    absent = "8e9f0a1b-2c3d-4e4f-9a5b-6c7d8e9f0a1b"

    def ids_in(collection: str, ids: list[str]) -> list[str]:
        listed = ", ".join(f"'{i}'" for i in ids)
        reply = graph.get(
            f"/v1.0/{collection}", **{"$filter": f"id in ({listed})", "$select": "id"}
        )
        assert reply.status_code == 200, reply.text
        return [item["id"] for item in reply.json()["value"]]

    assert ids_in("groups", [absent, group.upper(), user]) == [group]  # a user is not a group
    assert ids_in("users", [group, user, absent]) == [user]
    assert ids_in("groups", [absent] * 14 + [group]) == [group]  # fifteen: Graph's limit


def test_an_in_filter_beyond_graphs_limit_or_on_another_property_is_refused(
    graph: GraphTestClient,
) -> None:
    sixteen = ", ".join(f"'{n:08d}-0000-4000-8000-000000000000'" for n in range(16))

    too_many = graph.get("/v1.0/groups", **{"$filter": f"id in ({sixteen})"})
    not_in_filterable = graph.get("/v1.0/groups", **{"$filter": "securityEnabled in ('true')"})

    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert not_in_filterable.status_code == 400


def test_an_advanced_query_takes_more_than_fifteen_ids_up_to_graphs_url_length(
    graph: GraphTestClient,
) -> None:
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    absent = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(60)]
    advanced = {"$count": "true", "$select": "id"}
    eventual = {"ConsistencyLevel": "eventual"}

    def listed(ids: list[str]) -> str:
        return "id in (" + ", ".join(f"'{i}'" for i in ids) + ")"

    def advanced_query(ids: list[str]):
        params = {**advanced, "$filter": listed(ids)}
        return graph.request("GET", "/v1.0/users", params=params, headers=eventual)

    twenty = advanced_query([*absent[:19], user])
    sixty = advanced_query(absent)

    assert twenty.status_code == 200, twenty.text
    assert [u["id"] for u in twenty.json()["value"]] == [user]
    assert sixty.status_code == 400  # longer than 2,048 characters


# ----- users -----


def test_a_user_is_found_by_upn_and_read_with_the_data_sources_select(
    graph: GraphTestClient,
) -> None:
    manager = graph.emulator.add_user("grace@contoso.com", "Grace Hopper")
    user = graph.emulator.add_user(
        "ada@contoso.com",
        "Ada Lovelace",
        mail="ada@contoso.com",
        given_name="Ada",
        surname="Lovelace",
        manager_id=manager,
    )

    listed = graph.get("/v1.0/users", **{"$filter": "userPrincipalName eq 'ADA@contoso.com'"})
    selected = graph.get(f"/v1.0/users/{user}", **{"$select": USER_DATA_SOURCE_SELECT})
    by_upn = graph.get("/v1.0/users/ada@contoso.com")
    manager_of_user = graph.get(f"/v1.0/users/{user}/manager")
    manager_of_manager = graph.get(f"/v1.0/users/{manager}/manager")

    [found] = listed.json()["value"]
    assert found["id"] == user
    assert "accountEnabled" not in found  # not a default property of users
    assert set(selected.json()) == {"@odata.context", *USER_DATA_SOURCE_SELECT.split(",")}
    assert selected.json()["accountEnabled"] is True
    assert selected.json()["mailNickname"] == "ada"
    assert by_upn.json()["id"] == user
    assert manager_of_user.json()["id"] == manager
    assert manager_of_user.json()["@odata.type"] == "#microsoft.graph.user"
    assert manager_of_manager.status_code == 404


def test_users_are_unique_by_upn(graph: GraphTestClient) -> None:
    graph.emulator.add_user("ada@contoso.com", "Ada")

    with pytest.raises(ValueError, match="already exists"):
        graph.emulator.add_user("Ada@Contoso.com", "Ada again")
    with pytest.raises(ValueError, match="alias@domain"):
        graph.emulator.add_user("ada", "No domain")
    assert graph.get("/v1.0/users/nobody@contoso.com").status_code == 404


# ----- the whole tenant -----


def test_a_snapshot_proves_a_deploy_and_destroy_left_the_tenant_as_it_was(
    graph: GraphTestClient,
) -> None:
    """The program's resources, created and destroyed in dependency order through the
    routes the azuread provider uses."""
    group = graph.emulator.add_group("Asana users")
    graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    before = graph.emulator.snapshot()

    created = graph.post(
        f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate", {"displayName": "Asana"}
    ).json()
    app, sp = created["application"]["id"], created["servicePrincipal"]["id"]
    graph.patch(f"/v1.0/servicePrincipals/{sp}", {"preferredSingleSignOnMode": "saml", "tags": []})
    graph.patch(f"/v1.0/applications/{app}", {"identifierUris": ["https://app.asana.com/"]})
    graph.post(f"/v1.0/servicePrincipals/{sp}/addTokenSigningCertificate", {})
    assignment = graph.post(
        f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo",
        {"appRoleId": USER_ROLE_ID, "principalId": group, "resourceId": sp},
    ).json()["id"]
    job = graph.post(
        f"/v1.0/servicePrincipals/{sp}/synchronization/jobs", {"templateId": "asana"}
    ).json()["id"]
    graph.put(
        f"/v1.0/servicePrincipals/{sp}/synchronization/secrets",
        {"value": [{"key": "BaseAddress", "value": graph.emulator.scim_base_url}]},
    )
    during = graph.emulator.snapshot()

    graph.delete(f"/v1.0/servicePrincipals/{sp}/synchronization/jobs/{job}")
    graph.delete(f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo/{assignment}")
    graph.delete(f"/v1.0/servicePrincipals/{sp}")
    graph.delete(f"/v1.0/applications/{app}")

    assert during != before
    assert during["synchronization"][sp]["secrets"] == {"BaseAddress": graph.emulator.scim_base_url}
    assert graph.emulator.snapshot() == before


def test_snapshots_are_copies(graph: GraphTestClient) -> None:
    graph.emulator.add_group("Asana users")
    snapshot = graph.emulator.snapshot()

    snapshot["groups"].clear()

    assert len(graph.emulator.snapshot()["groups"]) == 1
