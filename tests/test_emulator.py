"""Behaviour of the local HTTPS emulator that stands in for the identity platform, Microsoft
Graph synchronization and Asana SCIM. Every other test relies on these guarantees."""

from __future__ import annotations

import copy
import http.client
import json
import os
import re
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.identity import ClientSecretCredential

from tests.emulator import Emulator, Fault, RecordedRequest

TENANT = "11111111-1111-1111-1111-111111111111"
CLIENT_ID = "22222222-2222-2222-2222-222222222222"
CLIENT_SECRET = "client-secret-value-never-logged"
SP_ID = "33333333-3333-3333-3333-333333333333"
TEMPLATE_ID = "asana"
SCIM_TOKEN = "1/1204567890123456:0123456789abcdef0123456789abcdef"
SYNC = f"/v1.0/servicePrincipals/{SP_ID}/synchronization"

TEMPLATE_SCHEMA: dict[str, Any] = {
    "id": TEMPLATE_ID,
    "version": "Date:2025-01-01T00:00:00.0000000Z, ActivityId:template",
    "directories": [],
    "synchronizationRules": [
        {
            "id": "USER_OUTBOUND_USER",
            "name": "USER_OUTBOUND_USER",
            "objectMappings": [
                {
                    "name": "Synchronize Microsoft Entra ID Users to Asana",
                    "attributeMappings": [
                        {
                            "targetAttributeName": "userName",
                            "source": {"expression": "[userPrincipalName]", "type": "Attribute"},
                        }
                    ],
                }
            ],
        }
    ],
}
TEMPLATE = {"id": TEMPLATE_ID, "factoryTag": "asana", "schema": TEMPLATE_SCHEMA}


pytestmark = pytest.mark.usefixtures("fresh_emu")


def call(
    emu: Emulator,
    method: str,
    path: str,
    *,
    token: str | None = None,
    timeout: float = 5,
    **kwargs: Any,
) -> requests.Response:
    """One request to the emulator, trusting only its CA (passed per call because a
    REQUESTS_CA_BUNDLE in the environment would override a Session-level `verify`)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method,
        emu.base_url + path,
        headers=headers,
        verify=emu.ca_bundle_path,
        timeout=timeout,
        **kwargs,
    )


def token_request(emu: Emulator, secret: str = CLIENT_SECRET) -> requests.Response:
    form = {
        "client_id": CLIENT_ID,
        "client_secret": secret,
        "grant_type": "client_credentials",
        "scope": "https://graph.microsoft.com/.default",
    }
    return call(emu, "POST", f"/{TENANT}/oauth2/v2.0/token", data=form)


@pytest.fixture
def graph_token(emu: Emulator) -> str:
    """An access token issued by the emulator, with one service principal offering TEMPLATE."""
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)
    emu.add_service_principal(SP_ID, [TEMPLATE])
    return str(token_request(emu).json()["access_token"])


@pytest.fixture
def job_id(emu: Emulator, graph_token: str) -> str:
    return str(
        call(
            emu, "POST", f"{SYNC}/jobs", token=graph_token, json={"templateId": TEMPLATE_ID}
        ).json()["id"]
    )


def graph_error_code(response: requests.Response) -> str:
    """The Graph error code, after checking the whole Graph error envelope."""
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    return str(error["code"])


# ----- identity platform -----


def test_token_endpoint_accepts_azure_identity_client_secret_credential(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)
    emu.add_service_principal(SP_ID, [TEMPLATE])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle_path)
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_bundle_path)
    credential = ClientSecretCredential(
        TENANT,
        CLIENT_ID,
        CLIENT_SECRET,
        authority=emu.authority_host,
        disable_instance_discovery=True,
    )

    access = credential.get_token(emu.graph_url + "/.default")

    assert access.expires_on > time.time() + 3000
    assert call(emu, "GET", f"{SYNC}/templates", token=access.token).status_code == 200
    assert emu.count("token", "GET", r"/v2\.0/\.well-known/openid-configuration$") == 1
    assert emu.count("token", "POST", r"/oauth2/v2\.0/token$") == 1


def test_token_endpoint_rejects_a_wrong_secret_without_echoing_it(emu: Emulator) -> None:
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)

    response = token_request(emu, secret="wrong-secret-value")

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert "wrong-secret-value" not in response.text


def test_discovery_rejects_an_unknown_tenant(emu: Emulator) -> None:
    response = call(emu, "GET", "/no-such-tenant/v2.0/.well-known/openid-configuration")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_tenant"
    assert response.json()["error_codes"] == [90002]


def test_discovery_names_the_token_endpoint(emu: Emulator) -> None:
    emu.register_app(TENANT, CLIENT_ID, CLIENT_SECRET)

    document = call(emu, "GET", f"/{TENANT}/v2.0/.well-known/openid-configuration").json()

    assert document["token_endpoint"] == f"{emu.base_url}/{TENANT}/oauth2/v2.0/token"
    assert {"authorization_endpoint", "issuer", "device_authorization_endpoint"} <= set(document)


# ----- Graph: authentication and routing -----


def test_graph_rejects_requests_without_issued_token(emu: Emulator, graph_token: str) -> None:
    missing = call(emu, "GET", f"{SYNC}/templates")
    forged = call(emu, "GET", f"{SYNC}/templates", token="not-issued-here")

    for response in (missing, forged):
        assert response.status_code == 401
        assert graph_error_code(response) == "InvalidAuthenticationToken"


def test_graph_errors_echo_the_client_request_id(emu: Emulator) -> None:
    response = requests.get(
        f"{emu.base_url}{SYNC}/templates",
        headers={"client-request-id": "abc-123"},
        verify=emu.ca_bundle_path,
        timeout=5,
    )

    assert response.headers["client-request-id"] == "abc-123"
    assert response.json()["error"]["innerError"]["client-request-id"] == "abc-123"


def test_graph_answers_404_for_unknown_service_principal_and_job(
    emu: Emulator, graph_token: str
) -> None:
    unknown_sp = call(
        emu, "GET", "/v1.0/servicePrincipals/nope/synchronization/jobs", token=graph_token
    )
    unknown_job = call(emu, "GET", f"{SYNC}/jobs/nope", token=graph_token)

    assert unknown_sp.status_code == 404
    assert graph_error_code(unknown_sp) == "Request_ResourceNotFound"
    assert unknown_job.status_code == 404


def test_graph_rejects_unknown_segments_and_unsupported_methods(
    emu: Emulator, graph_token: str
) -> None:
    unknown = call(emu, "GET", f"{SYNC}/nonsense", token=graph_token)
    wrong_method = call(emu, "PATCH", f"{SYNC}/secrets", token=graph_token, json={})

    assert unknown.status_code == 400
    assert graph_error_code(unknown) == "BadRequest"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, PUT"


# ----- Graph: jobs -----


def test_job_is_created_disabled_from_a_listed_template(emu: Emulator, graph_token: str) -> None:
    templates = call(emu, "GET", f"{SYNC}/templates", token=graph_token).json()
    assert "@odata.context" in templates
    assert [template["id"] for template in templates["value"]] == [TEMPLATE_ID]

    created = call(emu, "POST", f"{SYNC}/jobs", token=graph_token, json={"templateId": TEMPLATE_ID})

    assert created.status_code == 201
    job = created.json()
    assert re.fullmatch(rf"{TEMPLATE_ID}\.[0-9a-f]{{32}}\.[0-9a-f-]{{36}}", job["id"])
    assert job["templateId"] == TEMPLATE_ID
    assert job["schedule"] == {"expiration": None, "interval": "PT40M", "state": "Disabled"}
    assert job["status"]["code"] == "NotRun"
    assert job["synchronizationJobSettings"] == []
    assert emu.job(SP_ID, job["id"]) == job
    assert emu.schema(SP_ID, job["id"]) == TEMPLATE_SCHEMA
    listed = call(emu, "GET", f"{SYNC}/jobs", token=graph_token).json()["value"]
    assert listed == [job]


def test_job_creation_rejects_a_template_the_service_principal_lacks(
    emu: Emulator, graph_token: str
) -> None:
    response = call(emu, "POST", f"{SYNC}/jobs", token=graph_token, json={"templateId": "other"})

    assert response.status_code == 400
    assert graph_error_code(response) == "BadRequest"
    assert emu.jobs(SP_ID) == []


def test_start_pause_and_restart_drive_the_job_state(
    emu: Emulator, graph_token: str, job_id: str
) -> None:
    job_path = f"{SYNC}/jobs/{job_id}"
    fields_before = set(emu.job(SP_ID, job_id))

    assert call(emu, "POST", f"{job_path}/start", token=graph_token).status_code == 204
    assert emu.job(SP_ID, job_id)["schedule"]["state"] == "Active"
    assert emu.job(SP_ID, job_id)["status"]["code"] == "Active"

    assert call(emu, "POST", f"{job_path}/pause", token=graph_token).status_code == 204
    assert emu.job(SP_ID, job_id)["schedule"]["state"] == "Paused"
    assert emu.job(SP_ID, job_id)["status"]["code"] == "Paused"

    criteria = {"criteria": {"resetScope": "Watermark, Escrows, QuarantineState"}}
    restarted = call(emu, "POST", f"{job_path}/restart", token=graph_token, json=criteria)
    assert restarted.status_code == 204
    assert call(emu, "POST", f"{job_path}/restart", token=graph_token).status_code == 204
    assert emu.restarts(SP_ID, job_id) == [criteria["criteria"], None]
    assert set(emu.job(SP_ID, job_id)) == fields_before


def test_job_delete_removes_the_job(emu: Emulator, graph_token: str, job_id: str) -> None:
    assert call(emu, "DELETE", f"{SYNC}/jobs/{job_id}", token=graph_token).status_code == 204
    assert call(emu, "GET", f"{SYNC}/jobs/{job_id}", token=graph_token).status_code == 404
    assert emu.jobs(SP_ID) == []


def test_out_of_band_changes_are_visible_as_drift(emu: Emulator, graph_token: str) -> None:
    job_id = emu.create_job(SP_ID, TEMPLATE_ID)
    version_before = emu.schema(SP_ID, job_id)["version"]

    emu.edit_schema(SP_ID, job_id, lambda schema: schema["synchronizationRules"].clear())
    emu.pause_job(SP_ID, job_id)

    schema = call(emu, "GET", f"{SYNC}/jobs/{job_id}/schema", token=graph_token).json()
    assert schema["synchronizationRules"] == []
    assert schema["version"] != version_before
    job = call(emu, "GET", f"{SYNC}/jobs/{job_id}", token=graph_token).json()
    assert job["schedule"]["state"] == "Paused"
    with pytest.raises(ValueError):
        emu.create_job(SP_ID, "not-offered")


# ----- Graph: schema -----


def test_schema_put_replaces_whole_document(emu: Emulator, graph_token: str, job_id: str) -> None:
    schema_path = f"{SYNC}/jobs/{job_id}/schema"
    replacement = {"synchronizationRules": [{"id": "only-rule", "objectMappings": []}]}

    response = call(emu, "PUT", schema_path, token=graph_token, json=replacement)

    assert response.status_code == 204
    stored = call(emu, "GET", schema_path, token=graph_token).json()
    version = stored.pop("version")
    assert stored == replacement  # "directories" and "id" from the template are gone
    assert version != TEMPLATE_SCHEMA["version"]
    call(emu, "PUT", schema_path, token=graph_token, json=replacement)
    assert emu.schema(SP_ID, job_id)["version"] != version


def test_schema_put_rejects_a_document_without_rules(
    emu: Emulator, graph_token: str, job_id: str
) -> None:
    response = call(emu, "PUT", f"{SYNC}/jobs/{job_id}/schema", token=graph_token, json={"x": 1})

    assert response.status_code == 400
    assert graph_error_code(response) == "BadRequest"
    assert emu.schema(SP_ID, job_id) == TEMPLATE_SCHEMA


def test_schema_delete_restores_template_default(
    emu: Emulator, graph_token: str, job_id: str
) -> None:
    schema_path = f"{SYNC}/jobs/{job_id}/schema"
    call(emu, "PUT", schema_path, token=graph_token, json={"synchronizationRules": []})

    assert call(emu, "DELETE", schema_path, token=graph_token).status_code == 204
    assert call(emu, "GET", schema_path, token=graph_token).json() == TEMPLATE_SCHEMA


def test_schema_patch_is_rejected_like_the_real_service(
    emu: Emulator, graph_token: str, job_id: str
) -> None:
    schema = copy.deepcopy(TEMPLATE_SCHEMA)
    schema["synchronizationRules"] = []

    response = call(emu, "PATCH", f"{SYNC}/jobs/{job_id}/schema", token=graph_token, json=schema)

    assert response.status_code == 404
    assert graph_error_code(response) == "UnknownError"
    uri = (
        f"https://syncfabric.windowsazure.com/api/servicePrincipals('{SP_ID}')"
        f"/synchronization/jobs('{job_id}')/schema?api-version=2.0"
    )
    message = response.json()["error"]["message"]
    assert message.startswith('{"Message":"No HTTP resource')
    assert json.loads(message) == {
        "Message": f"No HTTP resource was found that matches the request URI '{uri}'."
    }
    assert emu.schema(SP_ID, job_id) == TEMPLATE_SCHEMA


# ----- Graph: secrets and credential validation -----


def put_secrets(emu: Emulator, token: str, secrets: dict[str, str]) -> requests.Response:
    pairs = [{"key": key, "value": value} for key, value in secrets.items()]
    return call(emu, "PUT", f"{SYNC}/secrets", token=token, json={"value": pairs})


def test_secrets_get_masks_sensitive_values(emu: Emulator, graph_token: str) -> None:
    put_secrets(
        emu,
        graph_token,
        {"BaseAddress": emu.scim_base_url, "SecretToken": SCIM_TOKEN, "SyncAll": "false"},
    )

    listed = call(emu, "GET", f"{SYNC}/secrets", token=graph_token).json()["value"]

    assert listed == [
        {"key": "BaseAddress", "value": emu.scim_base_url},
        {"key": "SecretToken", "value": "*"},
        {"key": "SyncAll", "value": "false"},
    ]
    assert emu.secrets(SP_ID)["SecretToken"] == SCIM_TOKEN


def test_secrets_put_replaces_the_set(emu: Emulator, graph_token: str) -> None:
    put_secrets(emu, graph_token, {"BaseAddress": emu.scim_base_url, "SecretToken": SCIM_TOKEN})

    response = put_secrets(emu, graph_token, {"SyncAll": "true"})

    assert response.status_code == 204
    assert emu.secrets(SP_ID) == {"SyncAll": "true"}


def test_secrets_put_rejects_keys_outside_the_enum(emu: Emulator, graph_token: str) -> None:
    put_secrets(emu, graph_token, {"SyncAll": "false"})

    response = put_secrets(emu, graph_token, {"BaseAdress": "typo"})

    assert response.status_code == 400
    assert graph_error_code(response) == "BadRequest"
    assert emu.secrets(SP_ID) == {"SyncAll": "false"}


def test_validate_credentials_accepts_only_a_live_scim_token(
    emu: Emulator, graph_token: str, job_id: str
) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    validate_path = f"{SYNC}/jobs/{job_id}/validateCredentials"

    def validate(base_address: str, secret_token: str) -> requests.Response:
        credentials = [
            {"key": "BaseAddress", "value": base_address},
            {"key": "SecretToken", "value": secret_token},
        ]
        body = {"useSavedCredentials": False, "credentials": credentials}
        return call(emu, "POST", validate_path, token=graph_token, json=body)

    assert validate(emu.scim_base_url, SCIM_TOKEN).status_code == 204
    assert validate(emu.scim_base_url + "/", SCIM_TOKEN).status_code == 204
    wrong_token = validate(emu.scim_base_url, "not-a-service-account-token")
    wrong_base = validate("https://app.asana.com/api/1.0/scim", SCIM_TOKEN)
    for response in (wrong_token, wrong_base):
        assert response.status_code == 400
        assert graph_error_code(response) == "BadRequest"
        assert "not-a-service-account-token" not in response.text
        assert SCIM_TOKEN not in response.text

    put_secrets(emu, graph_token, {"BaseAddress": emu.scim_base_url, "SecretToken": SCIM_TOKEN})
    saved = {"useSavedCredentials": True, "credentials": []}
    assert call(emu, "POST", validate_path, token=graph_token, json=saved).status_code == 204
    emu.revoke_scim_token(SCIM_TOKEN)
    assert call(emu, "POST", validate_path, token=graph_token, json=saved).status_code == 400


# ----- Asana SCIM -----


def test_scim_filter_by_username(emu: Emulator) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    alice = emu.add_scim_user("Alice@Example.com", title="Engineer")
    emu.add_scim_user("bob@example.com")

    found = call(
        emu,
        "GET",
        "/api/1.0/scim/Users",
        token=SCIM_TOKEN,
        params={"filter": 'userName eq "alice@example.com"'},
    )
    everyone = call(emu, "GET", "/api/1.0/scim/Users", token=SCIM_TOKEN).json()

    assert found.status_code == 200
    assert found.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 1,
        "startIndex": 1,
        "itemsPerPage": 1,
        "Resources": [alice],
    }
    assert alice["title"] == "Engineer"
    assert {"schemas", "id", "userName", "active", "name", "emails", "meta"} <= set(alice)
    assert everyone["totalResults"] == 2
    assert emu.requests[0].query == {"filter": 'userName eq "alice@example.com"'}


def test_scim_rejects_filters_on_other_attributes(emu: Emulator) -> None:
    emu.add_scim_token(SCIM_TOKEN)

    response = call(
        emu,
        "GET",
        "/api/1.0/scim/Users",
        token=SCIM_TOKEN,
        params={"filter": 'emails.value eq "alice@example.com"'},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["errors"]
    assert response.json()["errors"][0]["message"]


def test_scim_get_user_by_id(emu: Emulator) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    user = emu.add_scim_user("carol@example.com")

    assert call(emu, "GET", f"/api/1.0/scim/Users/{user['id']}", token=SCIM_TOKEN).json() == user
    assert call(emu, "GET", "/api/1.0/scim/Users/999", token=SCIM_TOKEN).status_code == 404


def test_revoked_scim_token_gets_asana_401_body(emu: Emulator) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    assert call(emu, "GET", "/api/1.0/scim/Users", token=SCIM_TOKEN).status_code == 200

    emu.revoke_scim_token(SCIM_TOKEN)

    for token in (SCIM_TOKEN, "never-issued", None):
        response = call(emu, "GET", "/api/1.0/scim/Users", token=token)
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json() == {"errors": [{"message": "Not Authorized"}]}


# ----- faults -----


def test_injected_429_carries_retry_after_and_is_consumed(emu: Emulator, graph_token: str) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    emu.inject(Fault.status(429, retry_after=7), service="graph")
    emu.inject(Fault.status(429, retry_after=30), service="scim")
    assert emu.pending_faults() == 2

    throttled = call(emu, "GET", f"{SYNC}/templates", token=graph_token)
    asana_throttled = call(emu, "GET", "/api/1.0/scim/Users", token=SCIM_TOKEN)

    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    assert graph_error_code(throttled) == "TooManyRequests"
    assert asana_throttled.status_code == 429
    assert asana_throttled.headers["Retry-After"] == "30"
    assert asana_throttled.json() == {
        "errors": [
            {
                "message": "You've made too many requests and hit a rate limit. "
                "Please retry after the given amount of time."
            }
        ]
    }
    assert emu.pending_faults() == 0
    assert call(emu, "GET", f"{SYNC}/templates", token=graph_token).status_code == 200
    assert [record.fault for record in emu.requests[-3:]] == ["status", "status", None]


def test_injected_faults_match_filters_in_injection_order(emu: Emulator, graph_token: str) -> None:
    emu.inject(Fault.status(503), service="graph", method="PUT", path=r"/schema$")
    emu.inject(Fault.status(500), service="graph", path=r"/templates$", times=2)
    emu.inject(Fault.status(502), service="graph", path=r"/templates$")

    statuses = [
        call(emu, "GET", f"{SYNC}/templates", token=graph_token).status_code for _ in range(4)
    ]

    assert statuses == [500, 500, 502, 200]
    assert emu.pending_faults() == 1  # the PUT .../schema fault never matched


def test_injected_status_can_carry_a_custom_body(emu: Emulator, graph_token: str) -> None:
    emu.inject(Fault.status(409, body={"error": {"code": "Conflict", "message": "busy"}}))

    response = call(emu, "GET", f"{SYNC}/templates", token=graph_token)

    assert response.status_code == 409
    assert response.json() == {"error": {"code": "Conflict", "message": "busy"}}


def test_faults_are_validated_when_injected(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        Fault.status(200)
    with pytest.raises(ValueError):
        Fault.slow(-1)
    with pytest.raises(ValueError):
        emu.inject(Fault.reset(), service="asana")
    with pytest.raises(ValueError):
        emu.inject(Fault.reset(), times=0)
    assert emu.pending_faults() == 0


def test_injected_reset_drops_connection(emu: Emulator, graph_token: str) -> None:
    emu.inject(Fault.reset(), service="graph", method="GET")

    with pytest.raises(requests.ConnectionError):
        call(emu, "GET", f"{SYNC}/templates", token=graph_token)

    assert emu.requests[-1].status == 0
    assert emu.requests[-1].fault == "reset"
    assert call(emu, "GET", f"{SYNC}/templates", token=graph_token).status_code == 200


def tls_connection(emu: Emulator) -> ssl.SSLSocket:
    """A raw TLS connection to the emulator, for requests no HTTP client would send."""
    host, port = emu.base_url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=emu.ca_bundle_path)
    return context.wrap_socket(
        socket.create_connection((host, int(port)), timeout=5), server_hostname=host
    )


def test_injected_reset_is_a_tcp_rst_not_a_response(emu: Emulator) -> None:
    emu.inject(Fault.reset(), service="scim")
    tls = tls_connection(emu)
    # A second descriptor on the same connection sees the raw TCP stream under TLS.
    with tls, socket.socket(fileno=os.dup(tls.fileno())) as raw:
        raw.settimeout(5)
        tls.sendall(b"GET /api/1.0/scim/Users HTTP/1.1\r\nHost: emulator\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            while raw.recv(65536):  # skip TLS session tickets sent before the request
                pass


def test_a_request_whose_body_never_arrives_is_not_acted_on(
    emu: Emulator, graph_token: str
) -> None:
    """A client killed between its headers and its body: the headers promise a body, the
    connection closes, and the service must not act as if the body were empty (the emulator
    once made a certificate named by Graph's default that way)."""
    tls = tls_connection(emu)
    before = len(emu.requests)
    with tls:
        tls.sendall(
            f"POST {SYNC}/jobs HTTP/1.1\r\nHost: emulator\r\n"
            f"Authorization: Bearer {graph_token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 40\r\n\r\n".encode()
        )
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(emu.requests) == before:
        time.sleep(0.05)  # give a wrongly served request time to land

    assert emu.requests[before:] == []  # never handed to the service
    assert call(emu, "GET", f"{SYNC}/jobs", token=graph_token).json()["value"] == []


def test_injected_slow_reply_delays(emu: Emulator, graph_token: str) -> None:
    emu.inject(Fault.slow(0.3), service="graph", times=2)

    started = time.monotonic()
    response = call(emu, "GET", f"{SYNC}/templates", token=graph_token)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert 0.3 <= elapsed < 2
    assert emu.requests[-1].fault == "slow"
    with pytest.raises(requests.ReadTimeout):
        call(emu, "GET", f"{SYNC}/templates", token=graph_token, timeout=0.1)


def test_a_slow_request_does_not_block_others_and_the_log_keeps_arrival_order(
    emu: Emulator, graph_token: str
) -> None:
    emu.inject(Fault.slow(0.5), path=r"/jobs$")
    slow = threading.Thread(
        target=call, args=(emu, "GET", f"{SYNC}/jobs"), kwargs={"token": graph_token}
    )
    slow.start()
    deadline = time.monotonic() + 5
    while emu.pending_faults() and time.monotonic() < deadline:
        time.sleep(0.01)  # the slow request has arrived once its fault is taken

    started = time.monotonic()
    assert call(emu, "GET", f"{SYNC}/templates", token=graph_token).status_code == 200
    assert time.monotonic() - started < 0.4
    slow.join(timeout=5)

    assert [record.path for record in emu.requests[-2:]] == [f"{SYNC}/jobs", f"{SYNC}/templates"]


# ----- request log -----


def test_request_log_records_method_path_status_and_never_the_client_secret(
    emu: Emulator, graph_token: str
) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    call(emu, "GET", f"{SYNC}/jobs", token=graph_token, params={"$top": "5"})
    call(emu, "GET", "/api/1.0/scim/Users", token=SCIM_TOKEN)
    token_request(emu, secret="wrong-secret-value")

    log = emu.requests

    assert all(isinstance(record, RecordedRequest) for record in log)
    token_record, graph_record, scim_record, failed_token_record = log
    assert (token_record.service, token_record.method, token_record.status) == (
        "token",
        "POST",
        200,
    )
    assert isinstance(token_record.body, dict)
    assert token_record.body["client_secret"] == "[redacted]"
    assert token_record.body["client_id"] == CLIENT_ID
    assert graph_record == RecordedRequest(
        "graph", "GET", f"{SYNC}/jobs", {"$top": "5"}, 200, None, None
    )
    assert (scim_record.service, scim_record.status) == ("scim", 200)
    assert failed_token_record.status == 401
    logged = repr(log)
    for secret in (CLIENT_SECRET, "wrong-secret-value", graph_token, SCIM_TOKEN):
        assert secret not in logged
    assert emu.count() == 4
    assert emu.count(service="graph", method="get", path="/jobs") == 1


def test_request_log_keeps_graph_bodies_as_sent(emu: Emulator, graph_token: str) -> None:
    put_secrets(emu, graph_token, {"BaseAddress": emu.scim_base_url, "SecretToken": SCIM_TOKEN})

    record = emu.requests[-1]

    assert record.body == {
        "value": [
            {"key": "BaseAddress", "value": emu.scim_base_url},
            {"key": "SecretToken", "value": SCIM_TOKEN},
        ]
    }


def test_unrouted_paths_get_404_and_are_logged(emu: Emulator) -> None:
    response = call(emu, "GET", "/somewhere/else")

    assert response.status_code == 404
    assert emu.requests[-1].service == "unknown"


# ----- lifecycle and transport -----


def test_reset_clears_state_faults_and_log(emu: Emulator, graph_token: str, job_id: str) -> None:
    emu.add_scim_token(SCIM_TOKEN)
    emu.add_scim_user("dave@example.com")
    emu.inject(Fault.status(500), times=3)

    emu.reset()

    assert emu.requests == []
    assert emu.pending_faults() == 0
    with pytest.raises(KeyError):
        emu.jobs(SP_ID)
    assert call(emu, "GET", f"{SYNC}/templates", token=graph_token).status_code == 401
    assert token_request(emu).status_code == 400  # tenant no longer known
    assert call(emu, "GET", "/api/1.0/scim/Users", token=SCIM_TOKEN).status_code == 401


def test_connections_are_kept_alive_with_exact_content_length(
    emu: Emulator, graph_token: str
) -> None:
    host, port = emu.base_url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=emu.ca_bundle_path)
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=5)
    headers = {"Authorization": f"Bearer {graph_token}"}
    try:
        connection.request("GET", f"{SYNC}/templates", headers=headers)
        first = connection.getresponse()
        body = first.read()
        socket_after_first = connection.sock
        connection.request("POST", f"{SYNC}/jobs/none/start", headers=headers)
        second = connection.getresponse()
        second.read()
    finally:
        connection.close()

    assert first.status == 200
    assert int(first.headers["Content-Length"]) == len(body)
    assert not first.will_close
    assert second.status == 404
    assert socket_after_first is not None and connection.sock is None  # closed only by us


def test_stop_is_quick_with_a_sleeping_handler_and_is_idempotent() -> None:
    emulator = Emulator.start()
    emulator.inject(Fault.slow(30))
    outcome: list[BaseException] = []

    def doomed_request() -> None:
        try:
            call(emulator, "GET", "/api/1.0/scim/Users", timeout=10)
        except requests.RequestException as error:
            outcome.append(error)

    worker = threading.Thread(target=doomed_request)
    worker.start()
    deadline = time.monotonic() + 5
    while emulator.pending_faults() and time.monotonic() < deadline:
        time.sleep(0.01)  # the request is asleep in the server once its fault is taken

    started = time.monotonic()
    with emulator:
        pass  # leaving the block stops it
    emulator.stop()
    worker.join(timeout=5)

    assert time.monotonic() - started < 2
    assert not worker.is_alive() and len(outcome) == 1
    assert not Path(emulator.ca_bundle_path).exists()
    host, port = emulator.base_url.removeprefix("https://").split(":")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2)


def test_clients_must_trust_the_emulator_ca(emu: Emulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(emu.base_url + "/api/1.0/scim/Users", verify=True, timeout=5)
    assert call(emu, "GET", "/api/1.0/scim/Users").status_code == 401  # the server kept going


def test_a_token_request_sent_to_a_wrong_path_is_logged_without_its_secret(emu: Emulator) -> None:
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "x"}

    call(emu, "POST", f"/{TENANT}/oauth2/token", data=form)

    assert emu.requests[-1].service == "unknown"
    assert emu.requests[-1].body == {**form, "client_secret": "[redacted]"}


def test_secrets_put_with_empty_values_deletes_those_keys(emu: Emulator, graph_token: str) -> None:
    """How the azuread provider destroys a SynchronizationSecret: same keys, empty values."""
    saved = [{"key": "BaseAddress", "value": "https://x"}, {"key": "SecretToken", "value": "t"}]
    call(emu, "PUT", f"{SYNC}/secrets", token=graph_token, json={"value": saved})
    emptied = [{"key": pair["key"], "value": ""} for pair in saved]

    response = call(emu, "PUT", f"{SYNC}/secrets", token=graph_token, json={"value": emptied})

    assert response.status_code == 204
    listed = call(emu, "GET", f"{SYNC}/secrets", token=graph_token).json()["value"]
    assert listed == []
    assert emu.secrets(SP_ID) == {}
