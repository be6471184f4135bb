"""The emulator's Microsoft Graph directory reads for an enterprise app configured by hand:
servicePrincipals, applications and appRoleAssignedTo, with `$filter`, `$select` and paging."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.emulator import Emulator
from tests.emulator.client import GraphTestClient

TENANT = "11111111-1111-1111-1111-111111111111"
CLIENT_ID = "22222222-2222-2222-2222-222222222222"
CLIENT_SECRET = "directory-test-client-secret"
SP_ID = "44444444-4444-4444-4444-444444444444"
APP_OBJECT_ID = "55555555-5555-5555-5555-555555555555"
APP_ID = "66666666-6666-6666-6666-666666666666"
ASANA_TEMPLATE_ID = "c3a10d7a-5f44-4bcb-9a0d-b2ff2e3c0e71"
USER_ROLE_ID = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
MSIAM_ROLE_ID = "b9632174-c057-4f7e-951b-be3adc52bfe6"
SIGNING_KEY = {
    "keyId": "7f4c1e0a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
    "thumbprint": "8B4F3A2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A",
    "endDateTime": "2028-03-01T12:00:00Z",
    "displayName": "CN=Microsoft Azure Federated SSO Certificate",
}
APP_ROLES: list[dict[str, Any]] = [
    {
        "id": USER_ROLE_ID,
        "displayName": "User",
        "value": None,
        "description": "User",
        "allowedMemberTypes": ["User"],
        "isEnabled": True,
        "origin": "Application",
    },
    {
        "id": MSIAM_ROLE_ID,
        "displayName": "msiam_access",
        "value": None,
        "description": "msiam_access",
        "allowedMemberTypes": ["User"],
        "isEnabled": True,
        "origin": "ServicePrincipal",
    },
]
TEMPLATE = {"id": "asana", "factoryTag": "asana", "schema": {"synchronizationRules": []}}


pytestmark = pytest.mark.usefixtures("fresh_emu")


@pytest.fixture
def token(emu: Emulator) -> str:
    """A Graph access token issued by the emulator."""
    return GraphTestClient(emu, TENANT, CLIENT_ID, CLIENT_SECRET).token


def get(
    emu: Emulator, path: str, token: str | None, params: dict[str, str] | None = None
) -> requests.Response:
    """GET `path` (relative to the emulator, or an absolute URL such as a nextLink)."""
    url = path if path.startswith("https://") else emu.base_url + path
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, params=params, headers=headers, verify=emu.ca_bundle_path, timeout=5)


def graph_error_code(response: requests.Response) -> str:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    return str(error["code"])


def seed_asana(emu: Emulator, sp_id: str = SP_ID, **overrides: Any) -> None:
    """The Asana gallery app as an admin configures SAML and provisioning in the portal."""
    settings: dict[str, Any] = {
        "app_object_id": APP_OBJECT_ID,
        "app_id": APP_ID,
        "display_name": "Asana",
        "application_template_id": ASANA_TEMPLATE_ID,
        "app_roles": APP_ROLES,
        "preferred_single_sign_on_mode": "saml",
        "login_url": "https://app.asana.com/",
        "notification_email_addresses": ["admin@contoso.example"],
        "identifier_uris": ["https://app.asana.com/"],
        "redirect_uris": ["https://app.asana.com/-/saml/consume"],
        "token_signing_key": SIGNING_KEY,
        "templates": [TEMPLATE],
    }
    settings.update(overrides)
    emu.add_enterprise_app(sp_id, **settings)


def other_app(emu: Emulator, number: int, display_name: str) -> str:
    """A second enterprise app with distinct ids; returns its service principal id."""
    sp_id = str(uuid.UUID(int=number))
    emu.add_enterprise_app(
        sp_id,
        app_object_id=str(uuid.UUID(int=number + 1000)),
        app_id=str(uuid.UUID(int=number + 2000)),
        display_name=display_name,
        application_template_id=None,
        app_roles=[],
    )
    return sp_id


def assign_users(emu: Emulator, count: int) -> list[str]:
    return [
        emu.add_app_role_assignment(
            SP_ID,
            principal_id=str(uuid.UUID(int=index + 1)),
            principal_type="User",
            principal_display_name=f"User {index}",
            app_role_id=USER_ROLE_ID,
        )
        for index in range(count)
    ]


# ----- servicePrincipals -----


def test_filter_by_display_name_matches_exactly_and_unescapes_quotes(
    emu: Emulator, token: str
) -> None:
    seed_asana(emu)
    quoted = other_app(emu, 1, "Asana (Bob's copy)")
    other_app(emu, 2, "Asana staging")

    plain = get(emu, "/v1.0/servicePrincipals", token, {"$filter": "displayName eq 'Asana'"})
    with_quote = get(
        emu, "/v1.0/servicePrincipals", token, {"$filter": "displayName eq 'Asana (Bob''s copy)'"}
    )

    assert plain.status_code == 200
    assert plain.json()["@odata.context"] == f"{emu.base_url}/v1.0/$metadata#servicePrincipals"
    assert [sp["id"] for sp in plain.json()["value"]] == [SP_ID]
    assert [sp["id"] for sp in with_quote.json()["value"]] == [quoted]
    assert "@odata.nextLink" not in plain.json()


def test_filter_by_app_id_and_listing_without_a_filter(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    other = other_app(emu, 1, "Other")
    emu.add_service_principal("sync-only", [TEMPLATE])  # no directory object to list

    by_app_id = get(emu, "/v1.0/servicePrincipals", token, {"$filter": f"appId eq '{APP_ID}'"})
    unmatched = get(emu, "/v1.0/servicePrincipals", token, {"$filter": "appId eq 'nope'"})
    everything = get(emu, "/v1.0/servicePrincipals", token)

    assert [sp["id"] for sp in by_app_id.json()["value"]] == [SP_ID]
    assert unmatched.json()["value"] == []
    assert [sp["id"] for sp in everything.json()["value"]] == [SP_ID, other]


def test_select_returns_only_the_listed_properties(emu: Emulator, token: str) -> None:
    seed_asana(emu)

    listed = get(emu, "/v1.0/servicePrincipals", token, {"$select": "appId, displayName"})
    single = get(emu, f"/v1.0/servicePrincipals/{SP_ID}", token, {"$select": "id,appRoles"})
    unknown = get(emu, "/v1.0/servicePrincipals", token, {"$select": "id,samlMetadataUrl"})

    assert listed.json()["value"] == [{"appId": APP_ID, "displayName": "Asana"}]
    assert listed.json()["@odata.context"].endswith("#servicePrincipals(appId,displayName)")
    assert set(single.json()) == {"@odata.context", "id", "appRoles"}
    assert single.json()["@odata.context"].endswith("#servicePrincipals(id,appRoles)/$entity")
    assert unknown.status_code == 400
    assert graph_error_code(unknown) == "BadRequest"


def test_get_service_principal_has_roles_sso_and_signing_key(emu: Emulator, token: str) -> None:
    seed_asana(emu)

    response = get(emu, f"/v1.0/servicePrincipals/{SP_ID}", token)

    assert response.status_code == 200
    sp = response.json()
    assert sp["@odata.context"] == f"{emu.base_url}/v1.0/$metadata#servicePrincipals/$entity"
    assert sp["id"] == SP_ID
    assert sp["appId"] == APP_ID
    assert sp["displayName"] == "Asana"
    assert sp["applicationTemplateId"] == ASANA_TEMPLATE_ID
    assert sp["appRoles"] == APP_ROLES
    assert sp["appRoleAssignmentRequired"] is True
    assert sp["preferredSingleSignOnMode"] == "saml"
    assert sp["loginUrl"] == "https://app.asana.com/"
    assert sp["notificationEmailAddresses"] == ["admin@contoso.example"]
    assert sp["preferredTokenSigningKeyThumbprint"] == SIGNING_KEY["thumbprint"]
    assert sp["servicePrincipalType"] == "Application"
    assert sp["accountEnabled"] is True
    assert sp["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]
    assert sp["keyCredentials"] == [
        {
            # Edm.Binary: the thumbprint's bytes in base64, as Graph's own examples show
            "customKeyIdentifier": base64.b64encode(
                bytes.fromhex(SIGNING_KEY["thumbprint"])
            ).decode(),
            "displayName": SIGNING_KEY["displayName"],
            "endDateTime": "2028-03-01T12:00:00Z",
            "key": None,
            "keyId": SIGNING_KEY["keyId"],
            "startDateTime": "2025-03-01T12:00:00Z",
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        }
    ]


def test_a_non_gallery_app_without_sso_has_empty_defaults(emu: Emulator, token: str) -> None:
    sp_id = other_app(emu, 1, "Hand-made")

    sp = get(emu, f"/v1.0/servicePrincipals/{sp_id}", token).json()

    assert sp["appRoleAssignmentRequired"] is False
    assert sp["applicationTemplateId"] is None
    assert sp["keyCredentials"] == []
    assert sp["preferredTokenSigningKeyThumbprint"] is None
    assert sp["preferredSingleSignOnMode"] is None
    assert sp["notificationEmailAddresses"] == []


# ----- applications -----


def test_application_by_app_id_and_by_object_id(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    other_app(emu, 1, "Other")

    listed = get(emu, "/v1.0/applications", token, {"$filter": f"appId eq '{APP_ID}'"})
    single = get(emu, f"/v1.0/applications/{APP_OBJECT_ID}", token)

    assert listed.status_code == 200
    assert listed.json()["@odata.context"] == f"{emu.base_url}/v1.0/$metadata#applications"
    [application] = listed.json()["value"]
    assert application["id"] == APP_OBJECT_ID
    assert application["appId"] == APP_ID
    assert application["displayName"] == "Asana"
    assert application["applicationTemplateId"] == ASANA_TEMPLATE_ID
    assert application["identifierUris"] == ["https://app.asana.com/"]
    assert application["appRoles"] == [APP_ROLES[0]]  # the role defined on the application
    assert application["web"] == {
        "homePageUrl": None,
        "implicitGrantSettings": {
            "enableAccessTokenIssuance": False,
            "enableIdTokenIssuance": False,
        },
        "logoutUrl": None,
        "redirectUris": ["https://app.asana.com/-/saml/consume"],
    }
    assert single.json() == {
        "@odata.context": f"{emu.base_url}/v1.0/$metadata#applications/$entity",
        **application,
    }


# ----- appRoleAssignedTo -----


def test_assignments_page_at_100_with_an_absolute_next_link(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    assigned = assign_users(emu, 250)
    path = f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo"

    pages = [get(emu, path, token).json()]
    while "@odata.nextLink" in pages[-1]:
        link = pages[-1]["@odata.nextLink"]
        assert link.startswith(f"{emu.base_url}{path}?")
        assert "$skiptoken" in parse_qs(urlsplit(link).query)
        pages.append(get(emu, link, token).json())

    assert [len(page["value"]) for page in pages] == [100, 100, 50]
    assert [item["id"] for page in pages for item in page["value"]] == assigned
    assert pages[0]["@odata.context"] == (
        f"{emu.base_url}/v1.0/$metadata#servicePrincipals('{SP_ID}')/appRoleAssignedTo"
    )
    first = pages[0]["value"][0]
    assert set(first) == {
        "id",
        "deletedDateTime",
        "appRoleId",
        "createdDateTime",
        "principalDisplayName",
        "principalId",
        "principalType",
        "resourceDisplayName",
        "resourceId",
    }
    assert first["appRoleId"] == USER_ROLE_ID
    assert first["principalId"] == str(uuid.UUID(int=1))
    assert first["principalType"] == "User"
    assert first["principalDisplayName"] == "User 0"
    assert first["resourceDisplayName"] == "Asana"
    assert first["resourceId"] == SP_ID


def test_assignments_honour_top_and_keep_it_in_the_next_link(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    assign_users(emu, 250)
    path = f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo"

    small = get(emu, path, token, {"$top": "120"}).json()
    rest = get(emu, small["@odata.nextLink"], token).json()
    everything = get(emu, path, token, {"$top": "999"}).json()
    too_big = get(emu, path, token, {"$top": "1000"})

    assert len(small["value"]) == 120
    assert parse_qs(urlsplit(small["@odata.nextLink"]).query)["$top"] == ["120"]
    assert len(rest["value"]) == 120
    assert len(everything["value"]) == 250
    assert "@odata.nextLink" not in everything
    assert too_big.status_code == 400


def test_groups_are_assigned_and_bad_assignments_are_refused(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    group_id = str(uuid.uuid4())
    emu.add_app_role_assignment(
        SP_ID,
        principal_id=group_id,
        principal_type="Group",
        principal_display_name="Asana users",
        app_role_id=MSIAM_ROLE_ID,
    )

    [assignment] = get(emu, f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo", token).json()[
        "value"
    ]
    assert (assignment["principalId"], assignment["principalType"]) == (group_id, "Group")
    good = {"principal_type": "User", "principal_display_name": "x"}
    with pytest.raises(ValueError, match="GUID"):
        emu.add_app_role_assignment(SP_ID, principal_id="bob", app_role_id=USER_ROLE_ID, **good)
    with pytest.raises(ValueError, match="not declared"):
        emu.add_app_role_assignment(
            SP_ID, principal_id=group_id, app_role_id=str(uuid.uuid4()), **good
        )
    with pytest.raises(KeyError):
        emu.add_app_role_assignment(
            "unknown", principal_id=group_id, app_role_id=USER_ROLE_ID, **good
        )


# ----- errors and authentication -----


def test_unknown_ids_answer_404(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    emu.add_service_principal("sync-only", [TEMPLATE])
    paths = [
        "/v1.0/servicePrincipals/nope",
        "/v1.0/servicePrincipals/nope/appRoleAssignedTo",
        "/v1.0/servicePrincipals/sync-only",
        f"/v1.0/applications/{SP_ID}",  # a service principal id is not an application id
    ]

    for path in paths:
        response = get(emu, path, token)
        assert response.status_code == 404, path
        assert graph_error_code(response) == "Request_ResourceNotFound"


@pytest.mark.parametrize(
    ("clause", "code"),
    [
        ("notes eq 'x'", "Request_UnsupportedQuery"),
        ("startswith(displayName, 'As')", "Request_UnsupportedQuery"),
        ("displayName ne 'Asana'", "Request_UnsupportedQuery"),
        ("displayName eq 'Bob's'", "BadRequest"),
    ],
)
def test_unsupported_filters_answer_400(emu: Emulator, token: str, clause: str, code: str) -> None:
    seed_asana(emu)

    response = get(emu, "/v1.0/servicePrincipals", token, {"$filter": clause})

    assert response.status_code == 400
    assert graph_error_code(response) == code


def test_unimplemented_query_options_are_refused_not_ignored(emu: Emulator, token: str) -> None:
    seed_asana(emu)

    ordered = get(emu, "/v1.0/servicePrincipals", token, {"$orderby": "displayName"})
    filtered = get(
        emu,
        f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo",
        token,
        {"$filter": "principalType eq 'User'"},
    )
    bad_token = get(
        emu, f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo", token, {"$skiptoken": "x"}
    )

    assert [r.status_code for r in (ordered, filtered, bad_token)] == [400, 400, 400]


def test_directory_reads_need_an_issued_token(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    paths = [
        "/v1.0/servicePrincipals",
        f"/v1.0/servicePrincipals/{SP_ID}",
        f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo",
        "/v1.0/applications",
        f"/v1.0/applications/{APP_OBJECT_ID}",
    ]

    for path in paths:
        for credential in (None, "not-issued-here"):
            response = get(emu, path, credential)
            assert response.status_code == 401, path
            assert graph_error_code(response) == "InvalidAuthenticationToken"
    assert emu.count(service="graph", method="GET") == 2 * len(paths)


def test_directory_collections_refuse_methods_graph_lacks(emu: Emulator, token: str) -> None:
    response = requests.put(
        f"{emu.base_url}/v1.0/servicePrincipals",
        json={"appId": APP_ID},
        headers={"Authorization": f"Bearer {token}"},
        verify=emu.ca_bundle_path,
        timeout=5,
    )

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


# ----- seeding -----


def test_remove_service_principal_drops_directory_data(emu: Emulator, token: str) -> None:
    seed_asana(emu)
    assign_users(emu, 3)

    emu.remove_service_principal(SP_ID)

    assert get(emu, f"/v1.0/servicePrincipals/{SP_ID}", token).status_code == 404
    assert get(emu, f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo", token).status_code == 404
    assert get(emu, f"/v1.0/applications/{APP_OBJECT_ID}", token).status_code == 404
    assert get(emu, "/v1.0/servicePrincipals", token).json()["value"] == []
    assert get(emu, "/v1.0/applications", token).json()["value"] == []
    sync = f"/v1.0/servicePrincipals/{SP_ID}/synchronization/templates"
    assert get(emu, sync, token).status_code == 404
    seed_asana(emu)  # the ids are free again
    assert get(emu, f"/v1.0/servicePrincipals/{SP_ID}/appRoleAssignedTo", token).json() == {
        "@odata.context": (
            f"{emu.base_url}/v1.0/$metadata#servicePrincipals('{SP_ID}')/appRoleAssignedTo"
        ),
        "value": [],
    }


def test_enterprise_app_completes_a_synchronization_only_principal(
    emu: Emulator, token: str
) -> None:
    emu.add_service_principal(SP_ID, [TEMPLATE])
    job_id = emu.create_job(SP_ID, "asana")

    with pytest.raises(ValueError, match="set_templates"):
        seed_asana(emu)
    seed_asana(emu, templates=None)

    assert get(emu, f"/v1.0/servicePrincipals/{SP_ID}", token).json()["displayName"] == "Asana"
    assert [job["id"] for job in emu.jobs(SP_ID)] == [job_id]
    templates = get(emu, f"/v1.0/servicePrincipals/{SP_ID}/synchronization/templates", token)
    assert [template["id"] for template in templates.json()["value"]] == ["asana"]


def test_a_new_enterprise_app_offers_its_templates_and_portal_secrets(
    emu: Emulator, token: str
) -> None:
    seed_asana(emu)
    emu.set_secrets(SP_ID, {"BaseAddress": emu.scim_base_url, "SecretToken": "portal-token"})

    templates = get(emu, f"/v1.0/servicePrincipals/{SP_ID}/synchronization/templates", token)
    secrets = get(emu, f"/v1.0/servicePrincipals/{SP_ID}/synchronization/secrets", token)

    assert [template["id"] for template in templates.json()["value"]] == ["asana"]
    assert secrets.json()["value"] == [
        {"key": "BaseAddress", "value": emu.scim_base_url},
        {"key": "SecretToken", "value": "*"},
    ]
    assert emu.secrets(SP_ID)["SecretToken"] == "portal-token"
    with pytest.raises(ValueError, match="synchronizationSecret"):
        emu.set_secrets(SP_ID, {"NotASecret": "x"})
    with pytest.raises(KeyError):
        emu.set_secrets("unknown", {})


def test_seeds_the_portal_could_not_produce_are_refused(emu: Emulator, token: str) -> None:
    seed_asana(emu)

    with pytest.raises(ValueError, match="already"):
        seed_asana(emu)
    with pytest.raises(ValueError, match="app id"):
        seed_asana(emu, "77777777-7777-7777-7777-777777777777", app_object_id="other")
    with pytest.raises(ValueError, match="lacks"):
        seed_asana(emu, "other", app_id="other", app_object_id="other", app_roles=[{"id": "r"}])
    with pytest.raises(ValueError, match="token_signing_key"):
        seed_asana(
            emu, "other", app_id="other", app_object_id="other", token_signing_key={"keyId": "k"}
        )
    with pytest.raises(ValueError, match="template"):
        seed_asana(emu, "other", app_id="other", app_object_id="other", templates=[{"id": "t"}])
    with pytest.raises(KeyError):  # nothing half-made was left behind by the refusals
        emu.jobs("other")
    listed = get(emu, "/v1.0/servicePrincipals", token).json()["value"]
    assert [sp["id"] for sp in listed] == [SP_ID]


def test_the_seed_is_copied_not_shared(emu: Emulator, token: str) -> None:
    roles = [dict(role) for role in APP_ROLES]
    uris = ["https://app.asana.com/"]
    seed_asana(emu, app_roles=roles, identifier_uris=uris)
    roles[0]["displayName"] = "changed after seeding"
    uris.append("https://changed.example")

    first = get(emu, f"/v1.0/servicePrincipals/{SP_ID}", token).json()
    application = get(emu, f"/v1.0/applications/{APP_OBJECT_ID}", token).json()

    assert first["appRoles"] == APP_ROLES
    assert application["identifierUris"] == ["https://app.asana.com/"]
