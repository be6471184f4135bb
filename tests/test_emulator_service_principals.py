"""Service principals in the emulator: PATCH as use_existing sends it, POST and its conflict,
DELETE, SAML token-signing certificates, and app role assignment writes."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from tests.conftest import TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, MSIAM_ACCESS_ROLE_ID, USER_ROLE_ID
from tests.emulator.client import GraphTestClient


@pytest.fixture
def asana(graph: GraphTestClient) -> dict[str, str]:
    created = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    return {
        "app": created["application"]["id"],
        "app_id": created["application"]["appId"],
        "sp": created["servicePrincipal"]["id"],
    }


def sp_path(asana: dict[str, str], suffix: str = "") -> str:
    return f"/v1.0/servicePrincipals/{asana['sp']}{suffix}"


# ----- PATCH, POST, DELETE -----


def test_use_existing_patch_sets_saml_properties(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    """The body the azuread provider sends for use_existing with SAML settings."""
    body = {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "accountEnabled": True,
        "alternativeNames": [],
        "appRoleAssignmentRequired": True,
        "loginUrl": "https://app.asana.com/a/contoso.com",
        "notificationEmailAddresses": ["identity@contoso.com"],
        "preferredSingleSignOnMode": "saml",
        "samlSingleSignOnSettings": {},
        "tags": [],
    }

    response = graph.patch(sp_path(asana), body)

    assert response.status_code == 204
    sp = graph.get(sp_path(asana)).json()
    assert sp["preferredSingleSignOnMode"] == "saml"
    assert sp["loginUrl"] == "https://app.asana.com/a/contoso.com"
    assert sp["notificationEmailAddresses"] == ["identity@contoso.com"]
    assert sp["tags"] == []
    assert sp["samlSingleSignOnSettings"] == {}
    assert sp["appId"] == asana["app_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"preferredSingleSignOnMode": "SAML"},
        {"appRoleAssignmentRequired": "true"},
        {"notificationEmailAddresses": "identity@contoso.com"},
        {"appDisplayName": "renamed"},
        {"samlSingleSignOnSettings": {"relayState": 3}},
        {"tags": None},
    ],
)
def test_patch_refuses_bad_values_and_changes_nothing(
    graph: GraphTestClient, asana: dict[str, str], body: dict[str, object]
) -> None:
    before = graph.emulator.snapshot()

    response = graph.patch(sp_path(asana), body)

    assert response.status_code == 400
    assert graph.emulator.snapshot() == before


def test_a_principal_for_an_app_that_has_one_is_a_conflict(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    duplicate = graph.post("/v1.0/servicePrincipals", {"appId": asana["app_id"]})
    unknown = graph.post(
        "/v1.0/servicePrincipals", {"appId": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"}
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "Request_MultipleObjectsWithSameKeyValue"
    assert unknown.status_code == 400
    assert "does not reference a valid application object" in unknown.json()["error"]["message"]


def test_a_deleted_principal_can_be_created_again_from_its_application(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    deleted = graph.delete(sp_path(asana))
    created = graph.post(
        "/v1.0/servicePrincipals",
        {
            "appId": asana["app_id"],
            "appRoleAssignmentRequired": True,
            "owners@odata.bind": [f"https://x/v1.0/directoryObjects/{graph.object_id}"],
        },
    )

    assert deleted.status_code == 204
    assert graph.get(sp_path(asana)).status_code == 404
    assert created.status_code == 201
    sp = created.json()
    assert sp["id"] != asana["sp"]
    assert sp["appRoleAssignmentRequired"] is True
    assert [role["id"] for role in sp["appRoles"]] == [USER_ROLE_ID, MSIAM_ACCESS_ROLE_ID]
    templates = graph.get(f"/v1.0/servicePrincipals/{sp['id']}/synchronization/templates")
    assert [t["id"] for t in templates.json()["value"]] == ["asana"]
    assert graph.get(f"/v1.0/applications/{asana['app']}").status_code == 200


def test_the_beta_read_of_saml_metadata_url(graph: GraphTestClient, asana: dict[str, str]) -> None:
    beta = graph.get(f"/beta/servicePrincipals/{asana['sp']}", **{"$select": "samlMetadataUrl"})
    owners = graph.get(sp_path(asana, "/owners"))

    assert beta.json()["samlMetadataUrl"] is None
    assert set(beta.json()) == {"@odata.context", "samlMetadataUrl"}
    assert owners.json()["value"] == []


# ----- token signing certificates -----


def test_signing_certificate_is_real_and_adds_sign_verify_and_password_credentials(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    end = (datetime.now(UTC) + timedelta(days=365)).replace(microsecond=0)

    response = graph.post(
        sp_path(asana, "/addTokenSigningCertificate"),
        {"displayName": "CN=Asana SSO", "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )

    assert response.status_code == 200
    certificate = response.json()
    der = base64.b64decode(certificate["key"])
    parsed = x509.load_der_x509_certificate(der)
    sha1 = hashlib.sha1(der, usedforsecurity=False).digest()
    assert certificate["thumbprint"] == sha1.hex().upper()
    assert certificate["customKeyIdentifier"] == base64.b64encode(sha1).decode()
    assert parsed.subject.rfc4514_string() == "CN=Asana SSO"
    assert parsed.not_valid_after_utc == end
    assert (certificate["type"], certificate["usage"]) == ("AsymmetricX509Cert", "Verify")
    stored = graph.emulator.directory_object(asana["sp"])
    usages = {key["usage"]: key for key in stored["keyCredentials"]}
    assert set(usages) == {"Sign", "Verify"}
    assert certificate["keyId"] == usages["Sign"]["keyId"]  # as the azuread provider notes
    assert usages["Verify"]["key"] == certificate["key"]
    [password] = stored["passwordCredentials"]
    assert password["keyId"] == usages["Sign"]["keyId"]
    assert {k["customKeyIdentifier"] for k in [*stored["keyCredentials"], password]} == {
        certificate["customKeyIdentifier"]
    }


def test_the_certificate_key_shows_only_when_one_principal_selects_it(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    graph.post(sp_path(asana, "/addTokenSigningCertificate"), {"displayName": "CN=Asana"})

    plain = graph.get(sp_path(asana)).json()
    selected = graph.get(sp_path(asana), **{"$select": "keyCredentials"}).json()
    listed = graph.get("/v1.0/servicePrincipals", **{"$select": "keyCredentials"}).json()

    assert {key["key"] for key in plain["keyCredentials"]} == {None}
    assert [key["key"] is None for key in selected["keyCredentials"]] == [True, False]
    assert {key["key"] for key in listed["value"][0]["keyCredentials"]} == {None}


def test_removing_the_certificate_as_the_provider_does_keeps_other_keys(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    old = graph.post(sp_path(asana, "/addTokenSigningCertificate"), {}).json()
    new = graph.post(sp_path(asana, "/addTokenSigningCertificate"), {}).json()
    keys = graph.get(sp_path(asana)).json()["keyCredentials"]
    passwords = graph.get(sp_path(asana)).json()["passwordCredentials"]
    same = old["customKeyIdentifier"]

    response = graph.patch(
        sp_path(asana),
        {
            "keyCredentials": [k for k in keys if k["customKeyIdentifier"] != same],
            "passwordCredentials": [p for p in passwords if p["customKeyIdentifier"] != same],
        },
    )

    assert response.status_code == 204
    stored = graph.emulator.directory_object(asana["sp"])
    assert {k["customKeyIdentifier"] for k in stored["keyCredentials"]} == {
        new["customKeyIdentifier"]
    }
    verify = next(k for k in stored["keyCredentials"] if k["usage"] == "Verify")
    assert verify["key"] == new["key"]  # sent back without its key, kept as it was


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": "Asana SSO"},
        {"endDateTime": "2001-01-01T00:00:00Z"},
        {"endDateTime": (datetime.now(UTC) + timedelta(days=4 * 365)).isoformat()},
        {"endDateTime": "tomorrow"},
        {"thumbprint": "x"},
    ],
)
def test_bad_certificate_requests_are_refused(
    graph: GraphTestClient, asana: dict[str, str], body: dict[str, str]
) -> None:
    response = graph.post(sp_path(asana, "/addTokenSigningCertificate"), body)

    assert response.status_code == 400
    assert graph.emulator.directory_object(asana["sp"])["keyCredentials"] == []


def test_a_new_key_credential_without_its_key_is_refused(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    response = graph.patch(
        sp_path(asana),
        {
            "keyCredentials": [
                {
                    "keyId": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                    "key": None,
                }
            ]
        },
    )

    assert response.status_code == 400


# ----- app role assignments -----


def test_assigning_a_group_and_a_user_to_the_user_role(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    group = graph.emulator.add_group("Asana users")
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")

    made = [
        graph.post(
            sp_path(asana, "/appRoleAssignedTo"),
            {
                "@odata.type": "#microsoft.graph.appRoleAssignment",
                "appRoleId": USER_ROLE_ID,
                "principalId": principal,
                "resourceId": asana["sp"],
            },
        )
        for principal in (group, user)
    ]

    assert [r.status_code for r in made] == [201, 201]
    first = made[0].json()
    assert (first["principalType"], first["principalDisplayName"]) == ("Group", "Asana users")
    assert (first["resourceId"], first["resourceDisplayName"]) == (asana["sp"], "Asana")
    assert made[1].json()["principalType"] == "User"
    read = graph.get(sp_path(asana, f"/appRoleAssignedTo/{first['id']}")).json()
    assert read["id"] == first["id"]
    listed = graph.get(sp_path(asana, "/appRoleAssignedTo")).json()["value"]
    assert [a["principalId"] for a in listed] == [group, user]


def test_assignment_to_a_role_the_app_lacks_is_refused(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    group = graph.emulator.add_group("Asana users")

    response = graph.post(
        sp_path(asana, "/appRoleAssignedTo"),
        {
            "appRoleId": "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c",
            "principalId": group,
            "resourceId": asana["sp"],
        },
    )

    assert response.status_code == 400
    assert "Permission being assigned was not found" in response.json()["error"]["message"]
    assert graph.emulator.app_role_assignments(asana["sp"]) == []


def test_a_role_closed_to_the_principals_type_is_refused(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    """The caller's own principal is not in the directory; a second app's is, and gallery roles
    are for users and groups only."""
    other = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Other", TENANT_ID)

    response = graph.post(
        sp_path(asana, "/appRoleAssignedTo"),
        {
            "appRoleId": USER_ROLE_ID,
            "principalId": other["servicePrincipal"]["id"],
            "resourceId": asana["sp"],
        },
    )

    assert response.status_code == 400


def test_assigning_a_principal_that_does_not_exist_is_not_a_valid_reference(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    response = graph.post(
        sp_path(asana, "/appRoleAssignedTo"),
        {
            "appRoleId": USER_ROLE_ID,
            "principalId": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
            "resourceId": asana["sp"],
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Not a valid reference update."


def test_the_same_assignment_twice_is_refused(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    group = graph.emulator.add_group("Asana users")
    body = {"appRoleId": USER_ROLE_ID, "principalId": group, "resourceId": asana["sp"]}

    first = graph.post(sp_path(asana, "/appRoleAssignedTo"), body)
    second = graph.post(sp_path(asana, "/appRoleAssignedTo"), body)

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "Request_MultipleObjectsWithSameKeyValue"


def test_deleting_an_assignment_and_removing_one_out_of_band(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    groups = [graph.emulator.add_group(f"Group {n}") for n in range(2)]
    ids = [
        graph.post(
            sp_path(asana, "/appRoleAssignedTo"),
            {"appRoleId": USER_ROLE_ID, "principalId": g, "resourceId": asana["sp"]},
        ).json()["id"]
        for g in groups
    ]

    deleted = graph.delete(sp_path(asana, f"/appRoleAssignedTo/{ids[0]}"))
    graph.emulator.remove_app_role_assignment(asana["sp"], ids[1])

    assert deleted.status_code == 204
    assert graph.get(sp_path(asana, f"/appRoleAssignedTo/{ids[0]}")).status_code == 404
    assert graph.delete(sp_path(asana, f"/appRoleAssignedTo/{ids[1]}")).status_code == 404
    assert graph.emulator.app_role_assignments(asana["sp"]) == []
    with pytest.raises(KeyError):
        graph.emulator.remove_app_role_assignment(asana["sp"], ids[1])


def test_portal_edits_of_a_principal_show_as_drift(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    graph.emulator.patch_service_principal(asana["sp"], {"appRoleAssignmentRequired": False})

    assert graph.get(sp_path(asana)).json()["appRoleAssignmentRequired"] is False
    with pytest.raises(ValueError, match="Invalid value"):
        graph.emulator.patch_service_principal(asana["sp"], {"loginUrl": 3})
