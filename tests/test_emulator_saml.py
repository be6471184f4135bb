"""SAML sign-in through the local tenant, judged by a real SP (tests/saml_sp.py, python3-saml in
strict mode) configured only from the SSO outputs a stack publishes; and the service principal's
preferredTokenSigningKeyThumbprint that picks the signing certificate."""

from __future__ import annotations

import base64
import zlib
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from tests.conftest import TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, USER_ROLE_ID
from tests.emulator.client import GraphTestClient
from tests.saml_sp import SignInResult, consume, sign_in

APP_IDENTIFIER = "https://app.asana.com/"
REPLY_URL = "https://app.asana.com/-/saml/consume"
CLAIMS = "http://schemas.microsoft.com/identity/claims"
WS_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"


class Asana:
    """The Asana enterprise app set up for SAML as the stack does it, over Graph."""

    def __init__(self, graph: GraphTestClient) -> None:
        self.graph = graph
        created = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
        self.app = created["application"]["id"]
        self.sp = created["servicePrincipal"]["id"]
        self.sp_path = f"/v1.0/servicePrincipals/{self.sp}"
        assert (
            graph.patch(
                f"/v1.0/applications/{self.app}",
                {"identifierUris": [APP_IDENTIFIER], "web": {"redirectUris": [REPLY_URL]}},
            ).status_code
            == 204
        )
        assert graph.patch(self.sp_path, {"preferredSingleSignOnMode": "saml"}).status_code == 204

    def new_certificate(self, *, activate: bool = True) -> dict[str, Any]:
        made = self.graph.post(f"{self.sp_path}/addTokenSigningCertificate", {})
        assert made.status_code == 200
        certificate = made.json()
        if activate:
            self.activate(certificate["thumbprint"])
        return certificate

    def activate(self, thumbprint: str | None) -> None:
        body = {"preferredTokenSigningKeyThumbprint": thumbprint}
        assert self.graph.patch(self.sp_path, body).status_code == 204

    def assign(self, principal_id: str) -> None:
        body = {"appRoleId": USER_ROLE_ID, "principalId": principal_id, "resourceId": self.sp}
        assert self.graph.post(f"{self.sp_path}/appRoleAssignedTo", body).status_code == 201

    def outputs(self, certificate: dict[str, Any], **overrides: str) -> dict[str, str]:
        """The stack's SSO outputs, as Asana's admin would paste them."""
        return {
            "signInUrl": self.graph.emulator.saml_sign_in_url(TENANT_ID),
            "entraIdentifier": f"https://sts.windows.net/{TENANT_ID}/",
            "certificateBase64": certificate["key"],
            "appIdentifier": APP_IDENTIFIER,
            "replyUrl": REPLY_URL,
            **overrides,
        }

    def sign_in(self, certificate: dict[str, Any], user: str, **overrides: str) -> SignInResult:
        outputs = self.outputs(certificate, **overrides)
        return sign_in(outputs, user, ca_bundle=self.graph.emulator.ca_bundle_path)


@pytest.fixture
def asana(graph: GraphTestClient) -> Asana:
    return Asana(graph)


def add_ada(graph: GraphTestClient, **kwargs: Any) -> str:
    return graph.emulator.add_user(
        "ada@contoso.com",
        "Ada Lovelace",
        mail="ada.lovelace@contoso.com",
        given_name="Ada",
        surname="Lovelace",
        **kwargs,
    )


# ----- who may sign in -----


def test_an_assigned_user_is_accepted_with_microsofts_default_claims(asana: Asana) -> None:
    user = add_ada(asana.graph)
    asana.assign(user)
    certificate = asana.new_certificate()

    result = asana.sign_in(certificate, "ada@contoso.com")

    assert result.accepted, result.errors
    assert result.name_id == "ada@contoso.com"
    assert result.attributes == {
        f"{CLAIMS}/tenantid": [TENANT_ID],
        f"{CLAIMS}/objectidentifier": [user],
        f"{CLAIMS}/displayname": ["Ada Lovelace"],
        f"{CLAIMS}/identityprovider": [f"https://sts.windows.net/{TENANT_ID}/"],
        "http://schemas.microsoft.com/claims/authnmethodsreferences": [
            "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"
        ],
        f"{WS_CLAIMS}/givenname": ["Ada"],
        f"{WS_CLAIMS}/surname": ["Lovelace"],
        f"{WS_CLAIMS}/emailaddress": ["ada.lovelace@contoso.com"],
        f"{WS_CLAIMS}/name": ["ada@contoso.com"],
    }
    logged = [r for r in asana.graph.emulator.requests if r.service == "saml"]
    assert [(r.method, r.path, r.status) for r in logged] == [("GET", f"/{TENANT_ID}/saml2", 200)]
    assert logged[0].query["login_hint"] == "ada@contoso.com"


def test_the_response_is_shaped_as_entra_sends_it(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()

    result = asana.sign_in(certificate, "ada@contoso.com")

    assert result.saml_response is not None
    xml = base64.b64decode(result.saml_response).decode()
    assert f'Destination="{REPLY_URL}"' in xml
    assert f"<Issuer>https://sts.windows.net/{TENANT_ID}/</Issuer>" in xml
    assert f"<Audience>{APP_IDENTIFIER}</Audience>" in xml
    assert "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" in xml
    assert "http://www.w3.org/2001/10/xml-exc-c14n#" in xml
    assert f"<ds:X509Certificate>{certificate['key']}</ds:X509Certificate>" in xml.replace("\n", "")


def test_the_sp_is_strict_about_the_request_it_answers_and_the_issuer(asana: Asana) -> None:
    """The helper's SP really judges: a response replayed for another AuthnRequest, and one
    from an IdP entity id it was not given, are both rejected."""
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()
    result = asana.sign_in(certificate, "ada@contoso.com")
    assert result.saml_response is not None
    fields = {"SAMLResponse": result.saml_response}

    replayed = consume(asana.outputs(certificate), fields, request_id="ONELOGIN_other")
    other_idp = consume(
        asana.outputs(certificate, entraIdentifier="https://sts.windows.net/other/"),
        fields,
        request_id=None,
    )

    assert not replayed.accepted and replayed.errors
    assert not other_idp.accepted and other_idp.errors


def test_an_unassigned_user_is_refused_with_no_response(asana: Asana) -> None:
    add_ada(asana.graph)
    certificate = asana.new_certificate()

    result = asana.sign_in(certificate, "ada@contoso.com")

    assert not result.accepted
    assert result.entra_error == "AADSTS50105"
    assert result.saml_response is None
    assert result.idp_status == 400


def test_a_user_assigned_through_a_group_is_accepted_but_not_through_a_nested_one(
    asana: Asana,
) -> None:
    ada = add_ada(asana.graph)
    grace = asana.graph.emulator.add_user("grace@contoso.com", "Grace Hopper")
    inner = asana.graph.emulator.add_group("Inner", members=[grace])
    outer = asana.graph.emulator.add_group("Asana users", members=[ada, inner])
    asana.assign(outer)
    certificate = asana.new_certificate()

    direct_member = asana.sign_in(certificate, "ada@contoso.com")
    nested_member = asana.sign_in(certificate, "grace@contoso.com")

    assert direct_member.accepted, direct_member.errors
    assert nested_member.entra_error == "AADSTS50105"


def test_without_required_assignment_any_enabled_user_signs_in(asana: Asana) -> None:
    add_ada(asana.graph)
    asana.graph.patch(asana.sp_path, {"appRoleAssignmentRequired": False})
    certificate = asana.new_certificate()

    assert asana.sign_in(certificate, "ada@contoso.com").accepted


def test_a_disabled_or_unknown_user_is_refused(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph, account_enabled=False))
    certificate = asana.new_certificate()

    disabled = asana.sign_in(certificate, "ada@contoso.com")
    unknown = asana.sign_in(certificate, "nobody@contoso.com")

    assert (disabled.entra_error, disabled.saml_response) == ("AADSTS50057", None)
    assert (unknown.entra_error, unknown.saml_response) == ("AADSTS50034", None)


# ----- which app, which reply URL -----


def test_a_reply_url_the_app_does_not_list_is_refused(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()

    result = asana.sign_in(
        certificate, "ada@contoso.com", replyUrl="https://attacker.example/-/saml/consume"
    )

    assert (result.entra_error, result.saml_response) == ("AADSTS50011", None)


def test_an_identifier_no_saml_app_has_is_an_unknown_application(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()
    unknown = asana.sign_in(certificate, "ada@contoso.com", appIdentifier="https://other.example/")
    asana.graph.patch(asana.sp_path, {"preferredSingleSignOnMode": "password"})
    not_saml = asana.sign_in(certificate, "ada@contoso.com")

    assert unknown.entra_error == "AADSTS700016"
    assert not_saml.entra_error == "AADSTS700016"


def test_a_disabled_service_principal_is_refused(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()
    asana.graph.patch(asana.sp_path, {"accountEnabled": False})

    assert asana.sign_in(certificate, "ada@contoso.com").entra_error == "AADSTS7000112"


# ----- the signing key -----


def test_without_a_preferred_thumbprint_there_is_no_response(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate(activate=False)

    result = asana.sign_in(certificate, "ada@contoso.com")

    assert (result.entra_error, result.saml_response) == ("AADSTS50003", None)


def test_a_response_signed_with_another_certificate_is_rejected_by_the_sp(asana: Asana) -> None:
    """Asana still holds the old certificate after the tenant made a new one active."""
    asana.assign(add_ada(asana.graph))
    old = asana.new_certificate()
    new = asana.new_certificate()

    with_old = asana.sign_in(old, "ada@contoso.com")
    with_new = asana.sign_in(new, "ada@contoso.com")

    assert with_old.saml_response is not None  # the IdP answered, signed with the new key
    assert not with_old.accepted
    assert any("Signature validation failed" in e for e in with_old.errors)
    assert with_new.accepted, with_new.errors


def test_the_preferred_thumbprint_is_matched_ignoring_case(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate(activate=False)
    asana.activate(certificate["thumbprint"].lower())

    assert asana.sign_in(certificate, "ada@contoso.com").accepted


def test_a_thumbprint_of_no_key_of_the_principal_is_stored_but_signs_nothing(
    asana: Asana,
) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate(activate=False)

    asana.activate("unused")

    stored = asana.graph.get(asana.sp_path).json()["preferredTokenSigningKeyThumbprint"]
    assert stored == "unused"
    assert asana.sign_in(certificate, "ada@contoso.com").entra_error == "AADSTS50003"


def test_an_expired_certificate_is_not_active(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()
    keys = asana.graph.emulator.directory_object(asana.sp)["keyCredentials"]
    expired = [{**k, "endDateTime": "2020-01-01T00:00:00Z"} for k in keys]
    asana.graph.emulator.patch_service_principal(asana.sp, {"keyCredentials": expired})

    assert asana.sign_in(certificate, "ada@contoso.com").entra_error == "AADSTS50003"


def test_a_removed_certificate_is_not_active(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    certificate = asana.new_certificate()
    asana.graph.patch(asana.sp_path, {"keyCredentials": [], "passwordCredentials": []})

    assert asana.sign_in(certificate, "ada@contoso.com").entra_error == "AADSTS50003"


def test_null_clears_the_thumbprint_and_a_non_string_is_refused(asana: Asana) -> None:
    certificate = asana.new_certificate()

    refused = asana.graph.patch(asana.sp_path, {"preferredTokenSigningKeyThumbprint": 3})
    asana.activate(None)

    assert refused.status_code == 400
    assert asana.graph.get(asana.sp_path).json()["preferredTokenSigningKeyThumbprint"] is None
    assert certificate["thumbprint"]


def test_the_private_key_is_never_in_a_graph_reply(asana: Asana) -> None:
    certificate = asana.new_certificate()
    # emulator memory, read here only to prove it never leaves it
    key = asana.graph.emulator._graph.tenant.signing_keys[certificate["thumbprint"]]
    der = key.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    secret = base64.b64encode(der).decode()

    replies = [
        asana.graph.get(asana.sp_path, **{"$select": "keyCredentials,passwordCredentials"}),
        asana.graph.get("/v1.0/servicePrincipals"),
        asana.graph.get(f"/beta/servicePrincipals/{asana.sp}"),
    ]

    assert all(r.status_code == 200 for r in replies)
    assert not any(secret[:64] in r.text or "PRIVATE KEY" in r.text for r in replies)
    assert secret[:64] not in str(asana.graph.emulator.snapshot())


# ----- the endpoint itself -----


def _authn_request(request_id: str = "_abc", acs: str = REPLY_URL) -> bytes:
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{request_id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" '
        f'AssertionConsumerServiceURL="{acs}">'
        f"<saml:Issuer>{APP_IDENTIFIER}</saml:Issuer></samlp:AuthnRequest>"
    ).encode()


def test_the_post_binding_answers_the_same_auto_post_form(asana: Asana) -> None:
    asana.assign(add_ada(asana.graph))
    asana.new_certificate()

    reply = requests.post(
        asana.graph.emulator.saml_sign_in_url(TENANT_ID),
        data={
            "SAMLRequest": base64.b64encode(_authn_request()).decode(),
            "RelayState": "state-1",
            "login_hint": "ada@contoso.com",
        },
        verify=asana.graph.emulator.ca_bundle_path,
        timeout=5,
    )

    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert f'action="{REPLY_URL}"' in reply.text
    assert 'name="RelayState" value="state-1"' in reply.text
    assert 'name="SAMLResponse"' in reply.text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({}, "AADSTS750054"),
        ({"SAMLRequest": "not base64 at all!"}, "AADSTS75005"),
        ({"SAMLRequest": base64.b64encode(b"<a/>").decode()}, "AADSTS75005"),
        (
            {
                "SAMLRequest": base64.b64encode(
                    zlib.compress(b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')[2:-4]
                ).decode()
            },
            "AADSTS75005",
        ),
    ],
)
def test_a_missing_or_unreadable_request_is_refused(
    asana: Asana, query: dict[str, str], code: str
) -> None:
    url = asana.graph.emulator.saml_sign_in_url(TENANT_ID)
    reply = requests.get(
        f"{url}?{urlencode(query)}", verify=asana.graph.emulator.ca_bundle_path, timeout=5
    )

    assert reply.status_code == 400
    assert code + ":" in reply.text
    assert 'name="SAMLResponse"' not in reply.text


def test_an_unknown_tenant_and_a_missing_sign_in_are_refused(asana: Asana) -> None:
    deflated = zlib.compress(_authn_request())[2:-4]
    query = {"SAMLRequest": base64.b64encode(deflated).decode()}
    emulator = asana.graph.emulator
    unknown = requests.get(
        emulator.saml_sign_in_url("11111111-2222-4333-8444-555555555555"),
        params=query,
        verify=emulator.ca_bundle_path,
        timeout=5,
    )
    no_user = requests.get(
        emulator.saml_sign_in_url(TENANT_ID),
        params=query,
        verify=emulator.ca_bundle_path,
        timeout=5,
    )

    assert unknown.status_code == 400 and "AADSTS90002" in unknown.text
    assert no_user.status_code == 400 and "login_hint" in no_user.text
    assert 'name="SAMLResponse"' not in no_user.text
