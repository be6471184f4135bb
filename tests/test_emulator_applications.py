"""The gallery and application objects in the emulator: templates, instantiation, PATCH and
DELETE with Graph's answers, and the out-of-band helpers tests use for drift."""

from __future__ import annotations

import pytest

from tests.conftest import TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, MSIAM_ACCESS_ROLE_ID, USER_ROLE_ID
from tests.emulator.client import GraphTestClient

CUSTOM_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"


def instantiate(graph: GraphTestClient, name: str = "Asana") -> tuple[str, str, str]:
    """Application object id, appId and service principal id of a new Asana instance."""
    created = graph.post(
        f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate", {"displayName": name}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return body["application"]["id"], body["application"]["appId"], body["servicePrincipal"]["id"]


def error_code(response: object) -> str:
    return str(response.json()["error"]["code"])  # type: ignore[attr-defined]


# ----- application templates -----


def test_templates_are_found_by_display_name_ignoring_case(graph: GraphTestClient) -> None:
    exact = graph.get("/v1.0/applicationTemplates", **{"$filter": "displayName eq 'Asana'"})
    other_case = graph.get("/v1.0/applicationTemplates", **{"$filter": "displayName eq 'asana'"})
    missing = graph.get("/v1.0/applicationTemplates", **{"$filter": "displayName eq 'Asanas'"})
    everything = graph.get("/v1.0/applicationTemplates")

    [asana] = exact.json()["value"]
    assert asana["id"] == ASANA_TEMPLATE_ID
    assert asana["displayName"] == "Asana"
    assert "saml" in asana["supportedSingleSignOnModes"]
    assert asana["supportedProvisioningTypes"] == ["sync"]
    assert [t["id"] for t in other_case.json()["value"]] == [ASANA_TEMPLATE_ID]
    assert missing.json()["value"] == []
    assert {t["id"] for t in everything.json()["value"]} == {ASANA_TEMPLATE_ID, CUSTOM_TEMPLATE_ID}
    assert exact.json()["@odata.context"].endswith("/v1.0/$metadata#applicationTemplates")


def test_a_template_is_read_by_id_and_an_unknown_one_is_404(graph: GraphTestClient) -> None:
    found = graph.get(f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}")
    unknown = graph.get("/v1.0/applicationTemplates/00000000-0000-0000-0000-00000000abcd")

    assert found.json()["publisher"] == "Asana, Inc."
    assert unknown.status_code == 404


# ----- instantiate -----


def test_instantiated_app_is_readable_at_once(graph: GraphTestClient) -> None:
    app_object_id, app_id, sp_id = instantiate(graph, "Asana (dev)")

    application = graph.get(f"/v1.0/applications/{app_object_id}")
    sp = graph.get(f"/v1.0/servicePrincipals/{sp_id}")
    by_app_id = graph.get("/v1.0/servicePrincipals", **{"$filter": f"appId eq '{app_id}'"})

    assert application.status_code == sp.status_code == 200
    assert application.json()["applicationTemplateId"] == ASANA_TEMPLATE_ID
    assert application.json()["displayName"] == "Asana (dev)"
    assert [r["id"] for r in application.json()["appRoles"]] == [
        USER_ROLE_ID,
        MSIAM_ACCESS_ROLE_ID,
    ]
    assert sp.json()["appId"] == app_id
    assert sp.json()["appRoleAssignmentRequired"] is True
    assert sp.json()["servicePrincipalType"] == "Application"
    assert sp.json()["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]
    assert sp.json()["appOwnerOrganizationId"] == TENANT_ID
    assert sp.json()["servicePrincipalNames"] == [app_id]
    assert [item["id"] for item in by_app_id.json()["value"]] == [sp_id]


def test_an_instantiated_asana_app_offers_the_asana_provisioning_template(
    graph: GraphTestClient,
) -> None:
    _, _, sp_id = instantiate(graph)

    templates = graph.get(f"/v1.0/servicePrincipals/{sp_id}/synchronization/templates").json()
    job = graph.post(
        f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs", {"templateId": "asana"}
    )

    [template] = templates["value"]
    assert (template["id"], template["factoryTag"]) == ("asana", "asana")
    assert template["schema"]["synchronizationRules"]
    assert job.status_code == 201


def test_each_instantiation_creates_new_objects_even_with_the_same_name(
    graph: GraphTestClient,
) -> None:
    first = instantiate(graph)
    second = instantiate(graph)

    assert len(set(first) | set(second)) == 6
    named = graph.get("/v1.0/applications", **{"$filter": "displayName eq 'Asana'"}).json()
    assert len(named["value"]) == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"displayName": ""}, 400),
        ({"displayName": 7}, 400),
        ({"displayName": "Asana", "description": "x"}, 400),
        ([], 400),
    ],
)
def test_instantiate_refuses_a_body_without_a_display_name(
    graph: GraphTestClient, body: object, status: int
) -> None:
    response = graph.post(f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate", body)

    assert response.status_code == status
    assert graph.emulator.applications() == []


def test_instantiating_an_unknown_template_is_404(graph: GraphTestClient) -> None:
    response = graph.post(
        "/v1.0/applicationTemplates/9a8b7c6d-0000-4000-8000-000000000000/instantiate",
        {"displayName": "x"},
    )

    assert response.status_code == 404
    assert graph.emulator.snapshot()["applications"] == {}


# ----- PATCH -----


def test_patch_sets_saml_uris_and_keeps_the_rest_of_web(graph: GraphTestClient) -> None:
    app_object_id, app_id, sp_id = instantiate(graph)
    home = graph.get(f"/v1.0/applications/{app_object_id}").json()["web"]["homePageUrl"]

    first = graph.patch(
        f"/v1.0/applications/{app_object_id}",
        {
            "@odata.type": "#microsoft.graph.application",
            "identifierUris": ["https://app.asana.com/"],
        },
    )
    second = graph.patch(
        f"/v1.0/applications/{app_object_id}",
        {"web": {"redirectUris": ["https://app.asana.com/-/saml/consume"]}},
    )

    assert (first.status_code, second.status_code) == (204, 204)
    assert first.content == b""
    application = graph.get(f"/v1.0/applications/{app_object_id}").json()
    assert application["identifierUris"] == ["https://app.asana.com/"]
    assert application["web"]["redirectUris"] == ["https://app.asana.com/-/saml/consume"]
    assert application["web"]["homePageUrl"] == home
    assert application["web"]["implicitGrantSettings"]["enableIdTokenIssuance"] is False
    sp = graph.get(f"/v1.0/servicePrincipals/{sp_id}").json()
    assert sp["replyUrls"] == ["https://app.asana.com/-/saml/consume"]
    assert sp["servicePrincipalNames"] == [app_id, "https://app.asana.com/"]


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"appId": "x"}, "Request_BadRequest", "read-only"),
        ({"nonsense": 1}, "Request_BadRequest", "does not exist as a declared property"),
        ({"identifierUris": "https://app.asana.com/"}, "Request_BadRequest", "Invalid value"),
        ({"identifierUris": ["not a uri"]}, "Request_BadRequest", "Invalid value"),
        ({"web": {"redirectUris": ["http://app.asana.com/"]}}, "Request_BadRequest", "Invalid"),
        ({"web": {"redirectUri": []}}, "BadRequest", "does not exist"),
        ({"displayName": None}, "Request_BadRequest", "Invalid value"),
        ({"@odata.type": "#microsoft.graph.servicePrincipal"}, "BadRequest", "@odata.type"),
        ({"api": {}}, "Request_BadRequest", "emulator does not implement"),
        ("identifierUris", "BadRequest", "Empty Payload"),
    ],
)
def test_patch_refuses_what_graph_refuses_and_changes_nothing(
    graph: GraphTestClient, body: object, code: str, fragment: str
) -> None:
    app_object_id, _, _ = instantiate(graph)
    before = graph.emulator.snapshot()

    response = graph.patch(f"/v1.0/applications/{app_object_id}", body)

    assert response.status_code == 400
    assert error_code(response) == code
    assert fragment in response.json()["error"]["message"]
    assert graph.emulator.snapshot() == before


def test_identifier_uris_are_unique_in_the_tenant(graph: GraphTestClient) -> None:
    first, _, _ = instantiate(graph)
    second, _, _ = instantiate(graph)
    uri = {"identifierUris": ["https://app.asana.com/"]}

    taken = graph.patch(f"/v1.0/applications/{first}", uri)
    clash = graph.patch(f"/v1.0/applications/{second}", uri)

    assert taken.status_code == 204
    assert clash.status_code == 400
    assert "already exists" in clash.json()["error"]["message"]


# ----- DELETE -----


def test_deleting_the_application_deletes_its_principal_and_provisioning(
    graph: GraphTestClient,
) -> None:
    app_object_id, _, sp_id = instantiate(graph)
    group = graph.emulator.add_group("Asana users")
    graph.post(
        f"/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo",
        {"principalId": group, "resourceId": sp_id, "appRoleId": USER_ROLE_ID},
    )
    graph.post(f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs", {"templateId": "asana"})

    deleted = graph.delete(f"/v1.0/applications/{app_object_id}")
    again = graph.delete(f"/v1.0/applications/{app_object_id}")

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert graph.get(f"/v1.0/servicePrincipals/{sp_id}").status_code == 404
    assert graph.get(f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs").status_code == 404
    snapshot = graph.emulator.snapshot()
    assert snapshot["applications"] == snapshot["servicePrincipals"] == {}
    assert snapshot["appRoleAssignments"] == snapshot["synchronization"] == {}
    assert list(snapshot["groups"]) == [group]


# ----- data source reads -----


def test_the_application_data_source_reads_owners_and_the_beta_property(
    graph: GraphTestClient,
) -> None:
    app_object_id, _, _ = instantiate(graph)

    owners = graph.get(f"/v1.0/applications/{app_object_id}/owners")
    beta = graph.get(
        f"/beta/applications/{app_object_id}", **{"$select": "oauth2RequirePostResponse"}
    )

    assert owners.json()["value"] == []
    assert beta.json() == {
        "@odata.context": (
            f"{graph.emulator.base_url}/beta/$metadata#applications(oauth2RequirePostResponse)"
            "/$entity"
        ),
        "oauth2RequirePostResponse": False,
    }


# ----- out of band -----


def test_portal_edits_follow_patch_rules(graph: GraphTestClient) -> None:
    app_object_id, _, _ = instantiate(graph)

    graph.emulator.patch_application(app_object_id, {"identifierUris": ["https://other/"]})

    assert graph.emulator.directory_object(app_object_id)["identifierUris"] == ["https://other/"]
    with pytest.raises(ValueError, match="read-only"):
        graph.emulator.patch_application(app_object_id, {"appId": "x"})
    with pytest.raises(KeyError):
        graph.emulator.patch_application("no-such-app", {"notes": "x"})


def test_facade_instantiation_and_deletion_match_the_routes(graph: GraphTestClient) -> None:
    created = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    app_object_id = created["application"]["id"]

    read = graph.get(f"/v1.0/applications/{app_object_id}")
    graph.emulator.delete_application(app_object_id)

    assert read.json()["appId"] == created["application"]["appId"]
    assert graph.get(f"/v1.0/applications/{app_object_id}").status_code == 404
    with pytest.raises(KeyError):
        graph.emulator.delete_application(app_object_id)
