"""The emulator as the azuread provider finds and authenticates to it: the ARM metadata
endpoint its `metadataHost` setting reads, and JWT access tokens whose claims name the caller."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests

from tests.emulator import Emulator, Fault

TENANT = "5f0c2a1e-3b4d-4e6f-8a9b-0c1d2e3f4a5b"
CLIENT_ID = "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d"
CLIENT_SECRET = "identity-test-secret"


pytestmark = pytest.mark.usefixtures("fresh_emu")


def get(emu: Emulator, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(emu.base_url + path, verify=emu.ca_bundle_path, timeout=5, **kwargs)


def token_for(emu: Emulator, scope: str) -> requests.Response:
    """The request go-azure-sdk's client-secret authorizer sends: a form POST straight to
    `<loginEndpoint>/<tenant>/oauth2/v2.0/token`, no discovery first."""
    form = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "client_credentials",
        "scope": scope,
    }
    return requests.post(
        f"{emu.base_url}/{TENANT}/oauth2/v2.0/token",
        data=form,
        verify=emu.ca_bundle_path,
        timeout=5,
    )


def decoded(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Header, payload and signature, decoded like go-azure-sdk's claims.ParseClaims (which
    uses base64.RawURLEncoding: unpadded)."""
    parts = token.split(".")
    assert len(parts) == 3
    assert all("=" not in part for part in parts)
    raw = [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in parts]
    return json.loads(raw[0]), json.loads(raw[1]), raw[2]


# ----- metadata -----


def test_metadata_names_the_emulator_as_login_and_graph_endpoint(emu: Emulator) -> None:
    response = get(emu, "/metadata/endpoints", params={"api-version": "2022-09-01"})

    assert response.status_code == 200
    metadata = response.json()
    # The three fields go-azure-sdk's environments.FromEndpoint refuses to do without:
    assert metadata["name"]
    assert metadata["resourceManager"]
    assert metadata["microsoftGraphResourceId"].rstrip("/") == emu.base_url
    # ...and the authority its client-secret authorizer builds the token URL from:
    assert metadata["authentication"]["loginEndpoint"] == emu.base_url
    assert set(metadata["authentication"]) == {
        "loginEndpoint",
        "audiences",
        "tenant",
        "identityProvider",
    }
    assert isinstance(metadata["suffixes"], dict)
    assert emu.metadata_host == emu.base_url.removeprefix("https://")


def test_metadata_needs_no_token_but_a_supported_api_version(emu: Emulator) -> None:
    missing = get(emu, "/metadata/endpoints")
    unknown = get(emu, "/metadata/endpoints", params={"api-version": "2015-01-01"})
    posted = requests.post(
        f"{emu.base_url}/metadata/endpoints?api-version=2022-09-01",
        verify=emu.ca_bundle_path,
        timeout=5,
    )

    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert posted.status_code == 405
    assert emu.count(service="metadata") == 3


def test_the_endpoints_the_metadata_names_work_together(emu: Emulator) -> None:
    """Follow the document as the provider does: token from the login endpoint for scope
    `<graph resource>/.default`, then Graph at the resource id."""
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)
    metadata = get(emu, "/metadata/endpoints", params={"api-version": "2022-09-01"}).json()
    graph = metadata["microsoftGraphResourceId"].rstrip("/")

    token = token_for(emu, f"{graph}/.default").json()["access_token"]
    templates = requests.get(
        f"{graph}/v1.0/applicationTemplates",
        headers={"Authorization": f"Bearer {token}"},
        verify=emu.ca_bundle_path,
        timeout=5,
    )

    assert templates.status_code == 200
    assert decoded(token)[1]["aud"] == graph


# ----- tokens -----


def test_tokens_are_jwts_whose_claims_name_the_calling_app(emu: Emulator) -> None:
    object_id = emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET, display_name="Pulumi deploy")
    before = int(time.time())

    reply = token_for(emu, "https://graph.microsoft.com/.default").json()
    header, claims, signature = decoded(reply["access_token"])

    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    assert len(signature) == 256
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == f"{emu.base_url}/{TENANT}/v2.0"
    assert claims["tid"] == TENANT
    assert claims["oid"] == claims["sub"] == object_id
    assert claims["appid"] == claims["azp"] == CLIENT_ID
    assert claims["idtyp"] == "app"
    assert claims["app_displayname"] == "Pulumi deploy"
    assert "Application.ReadWrite.All" in claims["roles"]
    assert claims["nbf"] <= before and claims["iat"] <= before
    assert claims["exp"] - claims["iat"] >= reply["expires_in"]
    assert all(isinstance(claims[name], int) for name in ("iat", "nbf", "exp"))


def test_the_callers_object_id_is_stable_per_tenant_and_app(emu: Emulator) -> None:
    first = emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)
    emu.reset()
    again = emu.register_app(TENANT, CLIENT_ID.upper(), "rotated-secret")
    other_tenant = emu.register_app("7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", CLIENT_ID, "x")

    assert first == again == emu.caller_object_id(TENANT, CLIENT_ID)
    assert other_tenant != first


def test_roles_claim_lists_the_permissions_given_at_registration(emu: Emulator) -> None:
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET, roles=["Application.Read.All"])

    claims = decoded(token_for(emu, "https://graph.microsoft.com/.default").json()["access_token"])

    assert claims[1]["roles"] == ["Application.Read.All"]


def test_graph_accepts_only_tokens_it_issued_even_when_well_formed(emu: Emulator) -> None:
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)
    issued = token_for(emu, "https://graph.microsoft.com/.default").json()["access_token"]
    header, payload, signature = issued.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"

    accepted = get(emu, "/v1.0/applicationTemplates", headers={"Authorization": f"Bearer {issued}"})
    refused = get(emu, "/v1.0/applicationTemplates", headers={"Authorization": f"Bearer {forged}"})

    assert accepted.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_metadata_faults_are_injected_like_any_service(emu: Emulator) -> None:
    emu.inject(Fault.status(503), service="metadata")

    failed = get(emu, "/metadata/endpoints", params={"api-version": "2022-09-01"})
    recovered = get(emu, "/metadata/endpoints", params={"api-version": "2022-09-01"})

    assert failed.status_code == 503
    assert set(failed.json()["error"]) == {"code", "message"}
    assert recovered.status_code == 200
