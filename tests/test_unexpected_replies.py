"""Replies we do not expect end in an error naming the service, the request path and what was
wrong with the reply: never a traceback from a JSON decoder, never "token invalid".
"""

from __future__ import annotations

import json

import pytest

from clients.asana import AsanaScimClient
from clients.connection import ConnectionSettings, resolve
from clients.graph import GraphClient, synchronization_path
from clients.http import ServiceError
from providers.provisioning_template import ProvisioningTemplateProvider, TemplateLookupError
from tests.conftest import CLIENT_ID, SERVICE_PRINCIPAL_ID, TENANT_ID, Tenant
from tests.emulator import Emulator, Fault
from tests.engine import EngineResource, ProviderError, ProviderServer, Secret
from tests.test_asana_token_provider import token_resource

TEMPLATES = synchronization_path(SERVICE_PRINCIPAL_ID, "templates")
TEMPLATES_PATH = f"/v1.0{TEMPLATES}"
SCIM_USERS_PATH = "/api/1.0/scim/Users"
# (fault, words the error must contain)
REPLIES = {
    "not JSON": (
        Fault.reply(b"<html><body>Service unavailable</body></html>", content_type="text/html"),
        "a body that is not JSON (text/html, 45 bytes)",
    ),
    "truncated JSON": (
        Fault.reply(b'{"value": [{"id": "asana", "factoryT'),
        "JSON that stops short",
    ),
    "empty body": (Fault.reply(b""), "an empty body where a JSON document was expected"),
    "not an object": (Fault.reply(b'["asana"]'), "JSON that is not an object"),
    "redirect to another host": (
        Fault.redirect("https://attacker.invalid/steal?next=x"),
        "a redirect to another host (https://attacker.invalid), which is not followed",
    ),
    "redirect within the host": (
        Fault.redirect("/api/1.0/scim/Users/", code=301),
        "a redirect within the same host, which is not followed",
    ),
}


@pytest.fixture
def settings(trust_emulator: Emulator, tenant: Tenant) -> ConnectionSettings:
    config = {
        "azuread:tenantId": TENANT_ID,
        "azuread:clientId": CLIENT_ID,
        "azuread:clientSecret": tenant.client_secret,
        "asana-provisioning:graphEndpoint": trust_emulator.graph_url,
        "asana-provisioning:authorityHost": trust_emulator.authority_host,
        "asana-provisioning:httpTimeoutSeconds": "2",
        "asana-provisioning:maxRetries": "1",
        "asana-provisioning:retryBudgetSeconds": "4",
    }
    return resolve(config, {})


@pytest.mark.parametrize("reply", list(REPLIES))
def test_graph_names_what_was_wrong_with_a_reply(
    emulator: Emulator, settings: ConnectionSettings, reply: str
):
    fault, words = REPLIES[reply]
    emulator.inject(fault, service="graph", path=r"/templates$")

    with pytest.raises(ServiceError) as error:
        GraphClient(settings.graph).get(TEMPLATES)

    assert str(error.value).startswith(f"Microsoft Graph GET {TEMPLATES_PATH} answered HTTP ")
    assert words in str(error.value)
    assert "steal" not in str(error.value)


@pytest.mark.parametrize("reply", list(REPLIES))
def test_asana_names_what_was_wrong_with_a_reply(
    trust_emulator: Emulator, tenant: Tenant, reply: str
):
    emulator = trust_emulator
    fault, words = REPLIES[reply]
    emulator.inject(fault, service="scim")
    client = AsanaScimClient(
        emulator.scim_base_url, tenant.asana_token, resolve({}, {}).asana_policy
    )

    with pytest.raises(ServiceError) as error:
        client.check_token()

    assert str(error.value).startswith(f"Asana SCIM GET {SCIM_USERS_PATH} ")
    if reply != "not an object":  # an array is "without a SCIM ListResponse"
        assert words in str(error.value)


def test_a_redirect_to_another_host_is_a_clear_error_not_token_invalid(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    """Followed, requests would drop the token on the way and the other host would answer
    401: "token invalid". Not followed, the error says what happened."""
    resource = token_resource(server)
    emulator.inject(Fault.redirect("https://attacker.invalid/api/1.0/scim/Users"), service="scim")

    with pytest.raises(ProviderError) as error:
        resource.up({"token": Secret(tenant.asana_token), "scim_base_url": emulator.scim_base_url})

    message = error.value.details.strip().splitlines()[-1]
    assert "HTTP 302, a redirect to another host (https://attacker.invalid)" in message
    assert "rejected" not in message and "invalid or revoked" not in message
    assert resource.id is None
    assert emulator.count(service="scim") == 1


def test_a_redirect_on_refresh_is_an_error_not_drift(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    resource = token_resource(server)
    resource.up({"token": Secret(tenant.asana_token), "scim_base_url": emulator.scim_base_url})
    emulator.inject(Fault.redirect("https://attacker.invalid/"), service="scim")

    with pytest.raises(ProviderError) as error:
        resource.refresh()

    assert "redirect to another host" in error.value.details
    assert resource.outputs["accepted"] is True


def test_an_empty_templates_list_names_the_request_and_the_service_principal(
    emulator: Emulator, server: ProviderServer
):
    emulator.set_templates(SERVICE_PRINCIPAL_ID, [])
    resource = EngineResource(server, ProvisioningTemplateProvider(), "asana:Template", "tpl")

    with pytest.raises(ProviderError) as error:
        resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    message = error.value.details.strip().splitlines()[-1]
    assert (
        f"Microsoft Graph GET {TEMPLATES_PATH}: service principal {SERVICE_PRINCIPAL_ID} has no "
        "synchronization template"
    ) in message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"value": "asana"}', "not a list of objects"),
        (b'{"value": ["asana"]}', "not a list of objects"),
        (b'{"value": [{"factoryTag": "asana"}]}', "a template without an id"),
        (b"{}", "value is missing"),
    ],
)
def test_a_templates_reply_of_the_wrong_shape_is_named(
    emulator: Emulator, server: ProviderServer, body: bytes, words: str
):
    emulator.inject(Fault.reply(body), service="graph", path=r"/templates$", times=5)
    resource = EngineResource(server, ProvisioningTemplateProvider(), "asana:Template", "tpl")

    with pytest.raises(ProviderError) as error:
        resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    message = error.value.details.strip().splitlines()[-1]
    assert f"Microsoft Graph GET {TEMPLATES_PATH}" in message
    assert words in message


def test_a_lookup_error_is_still_a_template_lookup_error():
    """Callers (adoption, read) tell 'no such template' from a service failure by type."""
    assert issubclass(TemplateLookupError, Exception)
    assert not issubclass(TemplateLookupError, ServiceError)


@pytest.mark.parametrize(
    "schema",
    [
        {"synchronizationRules": []},
        {"synchronizationRules": [{"objectMappings": []}]},
        {"directories": []},
    ],
    ids=["no rules", "a rule without object mappings", "no synchronizationRules"],
)
def test_a_schema_with_no_object_mappings_names_the_request(
    emulator: Emulator, server: ProviderServer, schema: dict
):
    from providers.attribute_mappings import ProvisioningAttributeMappingsProvider

    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    emulator.inject(
        Fault.reply(json.dumps(schema).encode()), service="graph", path=r"/schema$", times=5
    )
    resource = EngineResource(
        server, ProvisioningAttributeMappingsProvider(), "asana:Mappings", "maps"
    )

    with pytest.raises(ProviderError) as error:
        resource.up(
            {
                "service_principal_id": SERVICE_PRINCIPAL_ID,
                "job_id": job,
                "kind": "user",
                "source_object": "User",
                "target_object": "User",
                "mappings": [{"target": "title", "attribute": "department"}],
            }
        )

    message = error.value.details.strip().splitlines()[-1]
    schema_path = (
        f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/jobs/{job}/schema"
    )
    assert f"Microsoft Graph GET {schema_path} answered with a schema that has no object" in message


def test_a_reply_cut_off_on_the_wire_is_named():
    import requests

    from clients.http import HttpPolicy, transport_error

    error = transport_error(
        "Asana SCIM",
        "GET",
        SCIM_USERS_PATH,
        requests.exceptions.ChunkedEncodingError("IncompleteRead(12 bytes read)"),
        HttpPolicy(),
    )

    assert str(error).startswith(f"Asana SCIM GET {SCIM_USERS_PATH} got no response: the reply")
    assert "cut off before its end" in str(error)


# A successful reply as requests hands it over: built by its HTTPAdapter from the bytes and
# headers urllib3 read off the wire (so the headers are requests' case-insensitive dict).
REPLY_PATH = f"/v1.0{TEMPLATES}"
# A Graph collection reply (https://learn.microsoft.com/en-us/graph/paging): strings, objects
# and arrays only, so that every cut of it ends inside a string or where more was due.
COLLECTION = b'{"value": [{"id": "asana", "factoryTag": "asana"}]}'


def wire_reply(body: bytes, *, content_type: str | None = "application/json", status: int = 200):
    import io

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.response import HTTPResponse

    headers = {"Content-Length": str(len(body))}
    if content_type is not None:
        headers["Content-Type"] = content_type
    raw = HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, preload_content=False)
    request = requests.Request("GET", f"https://graph.example{REPLY_PATH}").prepare()
    return HTTPAdapter().build_response(request, raw)


def unusable_reply(body: bytes, **reply: object) -> ServiceError:
    from clients.http import json_object

    with pytest.raises(ServiceError) as error:
        json_object("Microsoft Graph", "GET", REPLY_PATH, wire_reply(body, **reply))
    return error.value


def test_an_empty_reply_is_an_error_that_keeps_the_status_the_service_answered():
    """An empty 200 where a document was due is the service's answer, not a lost request: the
    error carries its HTTP status (None is kept for requests that got no response)."""
    error = unusable_reply(b"", status=200)

    assert str(error) == (
        f"Microsoft Graph GET {REPLY_PATH} answered HTTP 200 with an empty body where a JSON "
        "document was expected"
    )
    assert error.status == 200


def test_an_empty_reply_where_none_is_required_is_no_document():
    from clients.http import json_reply

    reply = wire_reply(b"", status=204)  # RFC 9110 section 15.3.5: 204 No Content

    assert json_reply("Microsoft Graph", "PATCH", REPLY_PATH, reply, required=False) is None


def test_a_reply_that_is_not_utf8_is_named_with_its_type_and_size():
    """RFC 8259 section 8.1: JSON exchanged between systems is UTF-8. A Latin-1 body (what a
    misconfigured gateway might send) is named as such, never shown."""
    body = '{"value": [{"displayName": "Zoë"}]}'.encode("latin-1")

    error = unusable_reply(body)

    assert str(error) == (
        f"Microsoft Graph GET {REPLY_PATH} answered HTTP 200 with a body that is not UTF-8 text "
        f"(application/json, {len(body)} bytes)"
    )
    assert error.status == 200


def test_a_reply_without_a_content_type_says_it_had_none():
    """RFC 9110 section 8.3: content should come with a Content-Type, but may not; the error
    then says there was none instead of naming a type."""
    body = b"<html><body>Service unavailable</body></html>"

    error = unusable_reply(body, content_type=None)

    assert str(error) == (
        f"Microsoft Graph GET {REPLY_PATH} answered HTTP 200 with a body that is not JSON "
        f"(no content type, {len(body)} bytes)"
    )


def test_every_cut_of_a_collection_reply_is_named_as_stopping_short():
    """A reply cut off anywhere (a proxy that dropped the rest, a Content-Length that lied) is
    "JSON that stops short (cut off?)", wherever the cut falls: inside a string, after a name,
    after a colon, after a complete member or element."""
    assert json.loads(COLLECTION)["value"][0]["id"] == "asana"  # the whole reply is fine
    for end in range(1, len(COLLECTION)):
        cut = COLLECTION[:end]

        error = unusable_reply(cut)

        assert str(error) == (
            f"Microsoft Graph GET {REPLY_PATH} answered HTTP 200 with JSON that stops short "
            f"(cut off?) (application/json, {end} bytes)"
        ), cut
