"""The Graph and Asana clients in-process against the emulator: retries, timeouts, errors."""

from __future__ import annotations

import socket
import time

import pytest

from clients.asana import AsanaScimClient
from clients.connection import ConnectionSettings, resolve
from clients.graph import GraphClient, synchronization_path
from clients.http import ServiceError, shared_session
from tests.conftest import CLIENT_ID, SERVICE_PRINCIPAL_ID, TENANT_ID, Tenant
from tests.emulator import Emulator, Fault

TEMPLATES = synchronization_path(SERVICE_PRINCIPAL_ID, "templates")


def emulator_settings(
    emulator: Emulator, tenant: Tenant, timeout: int = 2, max_retries: int = 3, budget: int = 8
) -> ConnectionSettings:
    """A stack pointed at the local tenant, with the HTTP limits a test needs."""
    config = {
        "azuread:tenantId": TENANT_ID,
        "azuread:clientId": CLIENT_ID,
        "azuread:clientSecret": tenant.client_secret,
        "asana-provisioning:graphEndpoint": emulator.graph_url,
        "asana-provisioning:authorityHost": emulator.authority_host,
        "asana-provisioning:httpTimeoutSeconds": str(timeout),
        "asana-provisioning:maxRetries": str(max_retries),
        "asana-provisioning:retryBudgetSeconds": str(budget),
    }
    return resolve(config, {})


@pytest.fixture
def settings(trust_emulator: Emulator, tenant: Tenant) -> ConnectionSettings:
    return emulator_settings(trust_emulator, tenant)


def test_graph_client_waits_as_long_as_retry_after_asks(emulator: Emulator, settings):
    emulator.inject(Fault.status(429, retry_after=1), service="graph")
    started = time.monotonic()

    body = GraphClient(settings.graph).get(TEMPLATES)

    assert time.monotonic() - started >= 1
    assert [t["id"] for t in body["value"]] == ["asana"]
    assert emulator.count(service="graph") == 2


def test_a_post_is_retried_after_429_because_the_service_did_not_act(emulator, settings):
    graph = GraphClient(settings.graph)
    job = graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})
    emulator.inject(Fault.status(429, retry_after=0), service="graph", method="POST")
    graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs", job["id"], "start"))

    assert emulator.job(SERVICE_PRINCIPAL_ID, job["id"])["schedule"]["state"] == "Active"
    assert emulator.count(service="graph", method="POST", path=r"/start$") == 2


def test_a_post_is_not_repeated_after_a_dropped_connection(emulator: Emulator, settings):
    emulator.inject(Fault.reset(), service="graph", method="POST")

    graph = GraphClient(settings.graph)
    with pytest.raises(ServiceError) as failure:
        graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})

    assert "lost the connection" in str(failure.value)
    assert emulator.count(service="graph", method="POST") == 1
    assert emulator.jobs(SERVICE_PRINCIPAL_ID) == []


def test_a_put_is_retried_after_a_transient_server_error(emulator: Emulator, settings):
    graph = GraphClient(settings.graph)
    job = graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})
    schema_path = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs", job["id"], "schema")
    emulator.inject(Fault.status(502), service="graph", method="PUT")
    graph.put(schema_path, {"synchronizationRules": [], "directories": []})

    assert emulator.count(service="graph", method="PUT") == 2


# --- GraphClient: a query and request headers as given (h13). `$count=true` on a directory
# collection needs `ConsistencyLevel: eventual`
# (https://learn.microsoft.com/graph/aad-advanced-queries); a 401 for a token Graph no longer
# accepts is answered by authenticating afresh once and sending the same request again.

COUNTED_USERS = {"$count": "true", "$top": "1", "$select": "id"}
EVENTUAL = {"ConsistencyLevel": "eventual"}
EXPIRED = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired"}}


def test_a_get_sends_the_query_and_the_request_headers_it_is_given(emulator: Emulator, settings):
    graph = GraphClient(settings.graph)

    counted = graph.get("/users", params=COUNTED_USERS, headers=EVENTUAL)
    plain = graph.get("/users", params=COUNTED_USERS)

    assert isinstance(counted.get("@odata.count"), int)
    assert "@odata.count" not in plain
    assert [r.query for r in emulator.requests if r.service == "graph"] == [COUNTED_USERS] * 2


def test_a_token_graph_no_longer_accepts_is_replaced_and_the_same_get_sent_again(
    emulator: Emulator, settings
):
    graph = GraphClient(settings.graph)
    emulator.inject(Fault.status(401, body=EXPIRED), service="graph", method="GET")

    counted = graph.get("/users", params=COUNTED_USERS, headers=EVENTUAL)

    assert isinstance(counted.get("@odata.count"), int)
    sent = [
        (r.method, r.path, r.query, r.status) for r in emulator.requests if r.service == "graph"
    ]
    assert sent == [
        ("GET", "/v1.0/users", COUNTED_USERS, 401),
        ("GET", "/v1.0/users", COUNTED_USERS, 200),
    ]


def test_a_token_graph_no_longer_accepts_is_replaced_and_the_same_put_sent_again(
    emulator: Emulator, settings
):
    graph = GraphClient(settings.graph)
    job = graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})
    schema_path = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs", job["id"], "schema")
    schema = {"synchronizationRules": [], "directories": []}
    emulator.inject(Fault.status(401, body=EXPIRED), service="graph", method="PUT")

    graph.put(schema_path, schema)

    puts = [(r.path, r.body, r.status) for r in emulator.requests if r.method == "PUT"]
    assert puts == [(f"/v1.0{schema_path}", schema, 401), (f"/v1.0{schema_path}", schema, 204)]


def test_a_second_401_after_a_fresh_token_is_graphs_answer_and_nothing_more_is_sent(
    emulator: Emulator, settings
):
    emulator.inject(Fault.status(401, body=EXPIRED), service="graph", method="GET", times=3)

    with pytest.raises(ServiceError) as failure:
        GraphClient(settings.graph).get(TEMPLATES)

    assert failure.value.status == 401
    assert str(failure.value).startswith(f"Microsoft Graph GET /v1.0{TEMPLATES} ")
    assert "InvalidAuthenticationToken: Access token has expired" in str(failure.value)
    assert emulator.count(service="graph") == 2


def test_a_refused_put_names_the_method_as_http_spells_it(emulator: Emulator, settings):
    graph = GraphClient(settings.graph)
    job = graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})
    schema_path = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs", job["id"], "schema")
    refused = {"error": {"code": "BadRequest", "message": "Attribute 'x' is not defined."}}
    emulator.inject(Fault.status(400, body=refused), service="graph", method="PUT")

    with pytest.raises(ServiceError) as failure:
        graph.put(schema_path, {"synchronizationRules": [], "directories": []})

    assert (failure.value.method, failure.value.status) == ("PUT", 400)
    assert str(failure.value).startswith(f"Microsoft Graph PUT /v1.0{schema_path} ")
    assert str(failure.value).endswith("BadRequest: Attribute 'x' is not defined.")


def test_a_throttled_graph_get_says_it_was_given_up_within_the_budget(emulator: Emulator, settings):
    """A 429 on every attempt (RFC 6585 section 4): the error names the request and says the
    retries were given up within the stack's 8 s budget."""
    emulator.inject(Fault.status(429, retry_after=0), service="graph", times=10)

    with pytest.raises(ServiceError) as throttled:
        GraphClient(settings.graph).get(TEMPLATES)

    assert throttled.value.status == 429
    assert str(throttled.value).startswith(f"Microsoft Graph GET /v1.0{TEMPLATES} was throttled ")
    assert "within the 8 s retry budget" in str(throttled.value)


def test_a_post_answered_with_a_body_that_is_not_json_names_the_post(emulator: Emulator, settings):
    """Any reply with a body must be JSON; a proxy's page in its place is named as what it is,
    with the request it answered."""
    jobs = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs")
    page = Fault.reply(b"<html>proxy</html>", content_type="text/html")
    emulator.inject(page, service="graph", method="POST")

    with pytest.raises(ServiceError) as error:
        GraphClient(settings.graph).post(jobs, {"templateId": "asana"})

    assert (error.value.service, error.value.method, error.value.path) == (
        "Microsoft Graph",
        "POST",
        f"/v1.0{jobs}",
    )
    assert "answered HTTP 200 with a body that is not JSON (text/html" in str(error.value)


def test_graph_errors_carry_status_code_text_and_path_but_no_credentials(
    emulator: Emulator, settings, tenant: Tenant
):
    missing = synchronization_path("00000000-0000-0000-0000-000000000000", "templates")

    with pytest.raises(ServiceError) as failure:
        GraphClient(settings.graph).get(missing)

    message = str(failure.value)
    assert message.startswith("Microsoft Graph GET /v1.0/servicePrincipals/00000000-")
    assert "failed with HTTP 404: Request_ResourceNotFound" in message
    assert failure.value.status == 404
    assert "Bearer" not in message and tenant.client_secret not in message


def test_schema_patch_is_refused_like_the_real_service(emulator: Emulator, settings):
    graph = GraphClient(settings.graph)
    job = graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})
    schema_path = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs", job["id"], "schema")
    with pytest.raises(ServiceError, match="No HTTP resource was found"):
        graph._send("PATCH", schema_path, {"synchronizationRules": []})


def test_scim_client_accepts_a_live_token_with_one_request(emulator: Emulator, settings, tenant):
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    check = asana.check_token()

    assert check.accepted
    (request,) = emulator.requests
    assert (request.method, request.path, request.status) == ("GET", "/api/1.0/scim/Users", 200)
    assert request.query["filter"].startswith('userName eq "')


def test_scim_client_reports_asanas_error_text_for_a_revoked_token(emulator, settings, tenant):
    emulator.revoke_scim_token(tenant.asana_token)

    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    check = asana.check_token()

    assert (check.accepted, check.status, check.message) == (False, 401, "Not Authorized")


def test_scim_client_redacts_a_token_the_service_echoes_back(emulator, settings, tenant):
    echo = {"errors": [{"message": f"bad request for {tenant.asana_token}"}]}
    emulator.inject(Fault.status(400, body=echo), service="scim")

    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    with pytest.raises(ServiceError) as failure:
        asana.check_token()

    assert "bad request for [redacted]" in str(failure.value)
    assert tenant.asana_token not in str(failure.value)


def test_graph_client_redacts_its_access_token_when_graph_echoes_it_bare(emulator, settings):
    """An error text that quotes the access token on its own (a debug page listing the token
    it rejected, not after `Bearer`) still never shows it: the token the request carried is
    taken out of Graph's error message (the Graph error shape,
    https://learn.microsoft.com/en-us/graph/errors)."""
    from clients.credentials import shared_credential

    graph = GraphClient(settings.graph)
    graph.get(TEMPLATES)  # the client now holds a token, cached by azure-identity
    token = shared_credential(settings.graph).get_token(settings.graph.scope).token
    echo = {"error": {"code": "BadRequest", "message": f"token {token} is not for this API"}}
    emulator.inject(Fault.status(400, body=echo), service="graph")

    with pytest.raises(ServiceError) as failure:
        graph.get(TEMPLATES)

    assert str(failure.value) == (
        f"Microsoft Graph GET /v1.0{TEMPLATES} failed with HTTP 400: "
        "BadRequest: token [redacted] is not for this API"
    )
    assert failure.value.status == 400


def test_untrusted_certificate_is_an_error_not_a_silent_downgrade(
    emulator: Emulator, settings, monkeypatch: pytest.MonkeyPatch, tenant: Tenant
):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")

    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    with pytest.raises(ServiceError, match="TLS certificate was not trusted"):
        asana.check_token()


def test_patch_and_delete_send_those_methods_to_the_path_given(emulator: Emulator, settings):
    """servicePrincipal update (PATCH, 204) and synchronizationJob delete (DELETE, 204):
    https://learn.microsoft.com/graph/api/serviceprincipal-update ,
    https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-delete ."""
    enterprise_app = "3d4e5f60-7182-4394-a5b6-c7d8e9f0a1b2"
    emulator.add_enterprise_app(
        enterprise_app,
        app_object_id="4e5f6071-8293-44a5-b6c7-d8e9f0a1b2c3",
        app_id="5f607182-93a4-45b6-87d8-e9f0a1b2c3d4",
        display_name="Asana",
        application_template_id=None,
        app_roles=[],
    )
    graph = GraphClient(settings.graph)
    job = graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})
    job_path = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs", job["id"])
    before = len(emulator.requests)

    graph.patch(f"/servicePrincipals/{enterprise_app}", {"notes": "managed by Pulumi"})
    graph.delete(job_path)

    sent = [(r.method, r.path) for r in emulator.requests[before:] if r.service == "graph"]
    assert sent == [
        ("PATCH", f"/v1.0/servicePrincipals/{enterprise_app}"),
        ("DELETE", f"/v1.0{job_path}"),
    ]
    assert graph.get(f"/servicePrincipals/{enterprise_app}")["notes"] == "managed by Pulumi"
    with pytest.raises(ServiceError) as gone:
        graph.get(job_path)
    assert gone.value.status == 404


def test_a_failed_patch_or_delete_names_the_method_as_http_spells_it(emulator, settings):
    """Method names are case-sensitive and the standard ones are upper case (RFC 9110
    section 9.1): an error names the request exactly as it went out."""
    graph = GraphClient(settings.graph)
    missing = "00000000-0000-0000-0000-000000000000"

    with pytest.raises(ServiceError) as patched:
        graph.patch(f"/servicePrincipals/{missing}", {"notes": "managed by Pulumi"})
    with pytest.raises(ServiceError) as deleted:
        graph.delete(synchronization_path(missing, "jobs", "Asana.0"))

    assert (patched.value.method, patched.value.status) == ("PATCH", 404)
    assert str(patched.value).startswith(
        f"Microsoft Graph PATCH /v1.0/servicePrincipals/{missing} "
    )
    assert (deleted.value.method, deleted.value.status) == ("DELETE", 404)
    assert str(deleted.value).startswith(
        f"Microsoft Graph DELETE /v1.0/servicePrincipals/{missing}"
    )


def test_the_scim_probe_is_the_filter_and_headers_rfc_7644_describes(
    emulator: Emulator, settings, tenant
):
    """A filtered GET of /Users (RFC 7644 section 3.4.2.2: `userName eq "..."`), accepted by
    the token as a bearer credential; a base URL given with a trailing slash is the same
    endpoint. (The local tenant records no request headers, so the Accept header is not
    checked here.)"""
    asana = AsanaScimClient(emulator.scim_base_url + "/", tenant.asana_token, settings.asana_policy)

    assert asana.check_token().accepted

    (request,) = emulator.requests
    assert request.path == "/api/1.0/scim/Users"
    assert request.query["filter"] == (
        'userName eq "asana-provisioning-connection-check@example.invalid"'
    )
    assert (request.method, request.status) == ("GET", 200)


def test_a_scim_base_url_that_is_not_https_is_refused_before_anything_is_sent(
    emulator: Emulator, settings, tenant
):
    with pytest.raises(ServiceError) as refused:
        AsanaScimClient(
            "http://app.asana.com/api/1.0/scim", tenant.asana_token, settings.asana_policy
        )

    assert (refused.value.method, refused.value.path, refused.value.status) == (
        "GET",
        "/Users",
        None,
    )
    assert str(refused.value).startswith("Asana SCIM GET /Users not sent: scim_base_url ")
    assert emulator.requests == []


SCIM_USERS_PATH = "/api/1.0/scim/Users"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
NOT_A_LIST = (
    f"Asana SCIM GET {SCIM_USERS_PATH} answered HTTP 200 without a SCIM ListResponse; "
    "check that scim_base_url is the SCIM base URL"
)


def test_the_scim_probe_asks_for_scim_json(emulator: Emulator, settings, tenant):
    """RFC 7644 section 8.1: a SCIM client asks for `application/scim+json` (and plain JSON,
    which some services answer with). A gateway page that echoes the request's headers shows
    what went out; field names and media types are compared case-insensitively (RFC 9110
    sections 5.1 and 8.3.1)."""
    emulator.inject(Fault.reflect(400, shape="json"), service="scim")
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    with pytest.raises(ServiceError) as refused:
        asana.check_token()

    assert str(refused.value).startswith(f"Asana SCIM GET {SCIM_USERS_PATH} failed with HTTP 400: ")
    assert "accept: application/scim+json, application/json" in str(refused.value).lower()
    assert tenant.asana_token not in str(refused.value)


def test_a_throttled_scim_probe_says_it_was_given_up_within_the_budget(
    emulator: Emulator, settings, tenant
):
    """A 429 on every attempt (RFC 6585 section 4) is not a rejected token: the error names the
    request and says the retries were given up within the stack's 8 s budget."""
    emulator.inject(Fault.status(429, retry_after=0), service="scim", times=10)
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    with pytest.raises(ServiceError) as throttled:
        asana.check_token()

    assert (throttled.value.service, throttled.value.method, throttled.value.path) == (
        "Asana SCIM",
        "GET",
        SCIM_USERS_PATH,
    )
    assert throttled.value.status == 429
    assert str(throttled.value).startswith(f"Asana SCIM GET {SCIM_USERS_PATH} was throttled ")
    assert "within the 8 s retry budget" in str(throttled.value)


def test_an_empty_list_response_without_resources_accepts_the_token(
    emulator: Emulator, settings, tenant
):
    """RFC 7644 section 3.4.2: `totalResults` is required, `Resources` only when there are
    results; the probe's filter matches nobody, so a ListResponse may leave it out."""
    empty = {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0}
    emulator.inject(Fault.status(200, body=empty), service="scim")
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    check = asana.check_token()

    assert (check.accepted, check.status, check.message) == (True, 200, "")


def test_a_list_response_that_leaves_out_total_results_still_shows_a_scim_endpoint(
    emulator: Emulator, settings, tenant
):
    """The check only tells a SCIM endpoint from some other page (RFC 7644 section 3.4.2 names
    `Resources` as the list's members, a key no Asana REST or HTML reply has): a list that
    slips on `totalResults` is still the SCIM base URL."""
    listed = {"schemas": [LIST_RESPONSE], "Resources": [], "startIndex": 1, "itemsPerPage": 0}
    emulator.inject(Fault.status(200, body=listed), service="scim")
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    assert asana.check_token().accepted


NOT_LIST_REPLIES = {
    # Asana's REST API (https://developers.asana.com/reference/getusers) wraps lists in "data":
    # what a base URL of /api/1.0 without /scim answers.
    "asana rest list": b'{"data": []}',
    "empty object": b"{}",
    "json string": b'"totalResults Resources"',
    "json number": b"1",
}


@pytest.mark.parametrize("body", list(NOT_LIST_REPLIES), ids=list(NOT_LIST_REPLIES))
def test_a_200_that_is_not_a_list_response_points_at_the_base_url(
    emulator: Emulator, settings, tenant, body: str
):
    """A 200 without `totalResults` or `Resources` (RFC 7644 section 3.4.2) did not come from
    a SCIM /Users endpoint: the error says so and names the setting to check."""
    emulator.inject(Fault.reply(NOT_LIST_REPLIES[body]), service="scim")
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    with pytest.raises(ServiceError) as wrong:
        asana.check_token()

    assert str(wrong.value) == NOT_A_LIST
    assert wrong.value.status == 200


def test_a_rejected_token_is_never_shown_in_asanas_error_text(emulator: Emulator, settings, tenant):
    """A SCIM error (RFC 7644 section 3.12) whose detail quotes the token: the token check
    reports the rejection with the token taken out."""
    error = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "detail": f"token {tenant.asana_token} is not valid",
        "status": "401",
    }
    emulator.inject(Fault.status(401, body=error), service="scim")
    asana = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    check = asana.check_token()

    assert (check.accepted, check.status) == (False, 401)
    assert check.message == "token [redacted] is not valid"


def test_only_a_trailing_slash_is_dropped_from_the_scim_base_url(
    emulator: Emulator, settings, tenant
):
    """The base URL is kept as given (RFC 3986: the path is opaque to the client), only a
    trailing "/" dropped before "/Users" is added: a base path that ends in another character
    is asked for as it is."""
    asana = AsanaScimClient(
        emulator.scim_base_url + "X//", tenant.asana_token, settings.asana_policy
    )

    with pytest.raises(ServiceError):
        asana.check_token()

    (request,) = emulator.requests
    assert request.path == "/api/1.0/scimX/Users"


def test_get_all_sends_the_query_on_the_first_page_and_follows_next_links(
    emulator: Emulator, settings
):
    """Graph paging (https://learn.microsoft.com/graph/paging): the first request carries the
    caller's query options; each later page is the `@odata.nextLink` URL as given, which
    already holds them. Every item of every page is returned, in order."""
    base = f"{emulator.graph_url}/v1.0"
    pages = [
        {"value": [{"id": "a"}], "@odata.nextLink": f"{base}/servicePrincipals?$skiptoken=p2"},
        {"value": [{"id": "b"}, {"id": "c"}]},
    ]
    for page in pages:
        emulator.inject(Fault.status(200, body=page), service="graph", path=r"/servicePrincipals$")

    items = GraphClient(settings.graph).get_all("/servicePrincipals", {"$select": "id"})

    assert [item["id"] for item in items] == ["a", "b", "c"]
    sent = [(r.method, r.path, r.query) for r in emulator.requests if r.service == "graph"]
    assert sent == [
        ("GET", "/v1.0/servicePrincipals", {"$select": "id"}),
        ("GET", "/v1.0/servicePrincipals", {"$skiptoken": "p2"}),
    ]


def test_get_all_refuses_a_collection_longer_than_its_page_bound(
    emulator: Emulator, settings, monkeypatch: pytest.MonkeyPatch
):
    """Every read is bounded: a collection whose next links go on past the page bound is an
    error naming the request, not an endless loop (bound lowered here to keep the test fast)."""
    monkeypatch.setattr("clients.graph.MAX_PAGES", 3)
    link = f"{emulator.graph_url}/v1.0/servicePrincipals?$skiptoken=more"
    endless = {"value": [{"id": "a"}], "@odata.nextLink": link}
    emulator.inject(Fault.status(200, body=endless), service="graph", times=3)

    with pytest.raises(ServiceError) as bounded:
        GraphClient(settings.graph).get_all("/servicePrincipals")

    error = bounded.value
    assert (error.service, error.method, error.status) == ("Microsoft Graph", "GET", None)
    assert str(error) == "Microsoft Graph GET /v1.0/servicePrincipals has more than 3 pages"
    assert len([r for r in emulator.requests if r.service == "graph"]) == 3


def test_a_collection_without_a_value_list_names_the_request(emulator: Emulator, settings):
    """A Graph collection reply carries its items in `value` (OData JSON format 4.01,
    section 12): a reply without that list is an error naming the GET as sent."""
    emulator.inject(Fault.status(200, body={"value": "a"}), service="graph")

    with pytest.raises(ServiceError) as wrong:
        GraphClient(settings.graph).get_all("/servicePrincipals")

    assert str(wrong.value) == (
        "Microsoft Graph GET /v1.0/servicePrincipals answered with a collection whose value "
        "is missing or not a list of objects"
    )


def test_failed_get_all_and_post_name_the_method_as_http_spells_it(emulator, settings):
    """Standard method names are upper case (RFC 9110 section 9.1): an error names the request
    exactly as it went out."""
    graph = GraphClient(settings.graph)
    missing = "00000000-0000-0000-0000-000000000000"

    with pytest.raises(ServiceError) as listed:
        graph.get_all(synchronization_path(missing, "jobs"))
    with pytest.raises(ServiceError) as posted:
        graph.post(synchronization_path(missing, "jobs"), {"templateId": "asana"})

    jobs_path = f"/v1.0/servicePrincipals/{missing}/synchronization/jobs"
    assert (listed.value.method, listed.value.status) == ("GET", 404)
    assert str(listed.value).startswith(f"Microsoft Graph GET {jobs_path} ")
    assert (posted.value.method, posted.value.status) == ("POST", 404)
    assert str(posted.value).startswith(f"Microsoft Graph POST {jobs_path} ")


def test_a_next_link_to_another_host_is_never_followed(emulator: Emulator, settings):
    """`@odata.nextLink` is followed only within the Graph endpoint: the request carries our
    token, and a link elsewhere would hand it to that host."""
    away = {"value": [{"id": "a"}], "@odata.nextLink": "https://attacker.invalid/v1.0/x?$skip=1"}
    emulator.inject(Fault.status(200, body=away), service="graph")

    with pytest.raises(ServiceError) as refused:
        GraphClient(settings.graph).get_all("/servicePrincipals")

    error = refused.value
    assert (error.service, error.method, error.status) == ("Microsoft Graph", "GET", None)
    assert str(error) == (
        "Microsoft Graph GET /v1.0/servicePrincipals returned a next page on another host"
    )
    assert len([r for r in emulator.requests if r.service == "graph"]) == 1


def test_a_later_page_without_a_value_list_names_the_get_as_sent(emulator: Emulator, settings):
    """Every page of a collection carries its items in `value`; a later page without them is
    an error naming the collection's GET as sent (upper case, RFC 9110 section 9.1)."""
    link = f"{emulator.graph_url}/v1.0/servicePrincipals?$skiptoken=p2"
    pages = [{"value": [{"id": "a"}], "@odata.nextLink": link}, {"value": "b"}]
    for page in pages:
        emulator.inject(Fault.status(200, body=page), service="graph")

    with pytest.raises(ServiceError) as wrong:
        GraphClient(settings.graph).get_all("/servicePrincipals")

    assert str(wrong.value) == (
        "Microsoft Graph GET /v1.0/servicePrincipals answered with a collection whose value "
        "is missing or not a list of objects"
    )
    assert [r.method for r in emulator.requests if r.service == "graph"] == ["GET", "GET"]


def test_a_later_page_that_fails_names_its_get_as_http_spells_it(emulator: Emulator, settings):
    link = f"{emulator.graph_url}/v1.0/servicePrincipals?$skiptoken=p2"
    first = {"value": [{"id": "a"}], "@odata.nextLink": link}
    emulator.inject(Fault.status(200, body=first), service="graph")
    emulator.inject(Fault.status(404), service="graph")

    with pytest.raises(ServiceError) as failed:
        GraphClient(settings.graph).get_all("/servicePrincipals")

    assert (failed.value.method, failed.value.status) == ("GET", 404)
    assert str(failed.value).startswith(
        "Microsoft Graph GET /v1.0/servicePrincipals?$skiptoken=p2 "
    )


# Requests that get no response: each failure provoked for real against a local socket, and
# the error worded as docs/configuration.md ("Requests that get no response") tells the user,
# with its cause and what to do about it.
NO_REPLY_TIMEOUT = 2
NO_REPLY_FAULTS = 5  # more than the attempts made: what is left shows how many were taken
SCIM_USERS = "/api/1.0/scim/Users"


def one_retry(emulator: Emulator, tenant: Tenant) -> ConnectionSettings:
    """A stack with maxRetries 1: a request is tried at most twice."""
    return emulator_settings(emulator, tenant, timeout=NO_REPLY_TIMEOUT, max_retries=1)


def scim_probe_error(base_url: str, token: str, settings: ConnectionSettings) -> str:
    asana = AsanaScimClient(base_url, token, settings.asana_policy)
    with pytest.raises(ServiceError) as failure:
        asana.check_token()
    assert failure.value.status is None  # no reply, so no status
    return str(failure.value)


def test_an_untrusted_certificate_says_so_and_names_requests_ca_bundle(
    emulator: Emulator, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)

    message = scim_probe_error(
        emulator.scim_base_url, tenant.asana_token, one_retry(emulator, tenant)
    )

    assert message.startswith(
        f"Asana SCIM GET {SCIM_USERS} got no response: the TLS certificate was not trusted "
        "(set REQUESTS_CA_BUNDLE for a private CA); gave up after at most "
    )
    assert emulator.count() == 0  # the handshake failed: nothing was sent
    assert tenant.asana_token not in message


def test_a_service_that_never_answers_is_said_to_have_timed_out_after_every_attempt(
    trust_emulator: Emulator, tenant: Tenant
):
    settings = one_retry(trust_emulator, tenant)
    trust_emulator.inject(Fault.slow(NO_REPLY_TIMEOUT + 3), service="scim", times=NO_REPLY_FAULTS)

    message = scim_probe_error(trust_emulator.scim_base_url, tenant.asana_token, settings)

    attempts = NO_REPLY_FAULTS - trust_emulator.pending_faults()
    assert attempts == 2  # maxRetries 1: the first try and one retry of a GET
    assert message == (
        f"Asana SCIM GET {SCIM_USERS} got no response: timed out (read timeout "
        f"{NO_REPLY_TIMEOUT} s); gave up after at most {attempts} attempts"
    )


def test_a_post_that_gets_no_answer_is_said_to_have_timed_out_and_is_not_sent_again(
    trust_emulator: Emulator, tenant: Tenant
):
    shared_session.cache_clear()  # this client's session is built here, under this policy
    graph = GraphClient(one_retry(trust_emulator, tenant).graph)
    trust_emulator.inject(
        Fault.slow(NO_REPLY_TIMEOUT + 3), service="graph", method="POST", times=NO_REPLY_FAULTS
    )

    with pytest.raises(ServiceError) as failure:
        graph.post(synchronization_path(SERVICE_PRINCIPAL_ID, "jobs"), {"templateId": "asana"})

    assert NO_REPLY_FAULTS - trust_emulator.pending_faults() == 1
    assert (
        f"got no response: timed out (read timeout {NO_REPLY_TIMEOUT} s); gave up after at most "
        in str(failure.value)
    )


def test_a_connection_reset_on_every_attempt_is_named_a_lost_connection(
    trust_emulator: Emulator, tenant: Tenant
):
    settings = one_retry(trust_emulator, tenant)
    trust_emulator.inject(Fault.reset(), service="scim", times=NO_REPLY_FAULTS)

    message = scim_probe_error(trust_emulator.scim_base_url, tenant.asana_token, settings)

    attempts = NO_REPLY_FAULTS - trust_emulator.pending_faults()
    assert attempts == trust_emulator.count(service="scim") == 2
    assert message == (
        f"Asana SCIM GET {SCIM_USERS} got no response: lost the connection (reset or refused); "
        f"gave up after at most {attempts} attempts"
    )


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (Fault.slow(NO_REPLY_TIMEOUT + 3), f"timed out (read timeout {NO_REPLY_TIMEOUT} s)"),
        (Fault.reset(), "lost the connection (reset or refused)"),
    ],
)
def test_a_failure_whose_retry_the_budget_leaves_no_time_for_keeps_its_own_cause(
    trust_emulator: Emulator, tenant: Tenant, fault: Fault, cause: str
):
    """With retries left but `retryBudgetSeconds` 0, the first failure is the last attempt, and
    the error is still worded by that failure, as docs/configuration.md lists the causes
    ("Requests that get no response"), not by the budget that stopped the retries."""
    settings = emulator_settings(trust_emulator, tenant, timeout=NO_REPLY_TIMEOUT, budget=0)
    trust_emulator.inject(fault, service="scim", times=NO_REPLY_FAULTS)

    message = scim_probe_error(trust_emulator.scim_base_url, tenant.asana_token, settings)

    assert NO_REPLY_FAULTS - trust_emulator.pending_faults() == 1
    assert message == (
        f"Asana SCIM GET {SCIM_USERS} got no response: {cause}; gave up after at most 4 attempts"
    )


def test_a_graph_get_reset_on_every_attempt_names_graph_the_get_and_its_path(
    trust_emulator: Emulator, tenant: Tenant
):
    settings = one_retry(trust_emulator, tenant)
    trust_emulator.inject(Fault.reset(), service="graph", times=NO_REPLY_FAULTS)

    with pytest.raises(ServiceError) as failure:
        GraphClient(settings.graph).get(TEMPLATES)

    error = failure.value
    assert (error.service, error.method, error.path, error.status) == (
        "Microsoft Graph",
        "GET",
        f"/v1.0{TEMPLATES}",
        None,
    )
    assert str(error).startswith(
        f"Microsoft Graph GET /v1.0{TEMPLATES} got no response: lost the connection"
    )


def test_a_refused_connection_is_named_a_lost_connection(trust_emulator: Emulator, tenant: Tenant):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the kernel refuses the connection

    message = scim_probe_error(
        f"https://127.0.0.1:{port}/api/1.0/scim",
        tenant.asana_token,
        one_retry(trust_emulator, tenant),
    )

    assert message.startswith(
        f"Asana SCIM GET {SCIM_USERS} got no response: lost the connection (reset or refused); "
    )


def test_a_reply_past_the_deadline_says_the_timeout_bounds_the_whole_request(
    trust_emulator: Emulator, tenant: Tenant
):
    settings = one_retry(trust_emulator, tenant)
    trust_emulator.inject(Fault.trickle(0.5), service="scim", times=NO_REPLY_FAULTS)

    message = scim_probe_error(trust_emulator.scim_base_url, tenant.asana_token, settings)

    assert message == (
        f"Asana SCIM GET {SCIM_USERS} did not finish within {NO_REPLY_TIMEOUT} s and was cut "
        "off (httpTimeoutSeconds bounds each request as a whole: connect, send and the entire "
        "reply)"
    )


def test_a_request_requests_refuses_to_send_is_named_by_its_exception_alone(
    trust_emulator: Emulator, tenant: Tenant
):
    """`requests` refuses a header value with a line break (RFC 9110 section 5.5) and quotes
    it in its message: only the exception's name may be shown, never the token."""
    token = f"{tenant.asana_token}\n"  # pasted with its line break

    message = scim_probe_error(
        trust_emulator.scim_base_url, token, one_retry(trust_emulator, tenant)
    )

    assert message.startswith(f"Asana SCIM GET {SCIM_USERS} got no response: InvalidHeader; ")
    assert tenant.asana_token not in message
    assert trust_emulator.count() == 0


# BoundedRetry is a urllib3 `Retry` (https://urllib3.readthedocs.io/en/stable/reference/urllib3.util.html):
# it takes Retry's arguments as Retry does, and `new()`, "a new Retry object with the same
# settings, overriding those given", keeps the retry budget and when retrying started.


def test_a_bounded_retry_takes_retrys_own_arguments_positionally_too():
    from urllib3.util.retry import Retry

    from clients.http import BoundedRetry

    assert (BoundedRetry(2).total, BoundedRetry(2, 3).connect) == (2, 3)
    assert (Retry(2).total, Retry(2, 3).connect) == (2, 3)


def test_a_copy_of_a_bounded_retry_keeps_its_budget_and_its_start():
    from clients.http import BoundedRetry

    retry = BoundedRetry(total=3, budget_seconds=7, started_at=12.5)

    copy = retry.new(total=2)

    assert (copy.total, copy.budget_seconds, copy.started_at) == (2, 7, 12.5)
    assert type(copy) is BoundedRetry


@pytest.mark.parametrize(("budget", "retried"), [(2.0, True), (1.5, False)])
def test_a_retry_whose_wait_ends_at_the_budget_is_within_it(
    monkeypatch: pytest.MonkeyPatch, budget: float, retried: bool
):
    """ "Retried within a budget": a wait that ends exactly when the budget does is still
    within it; one that ends after it is not. The clock is held still, so the 2 s the reply's
    Retry-After asks for is the whole of the time the retry would take."""
    from urllib3 import HTTPResponse
    from urllib3.exceptions import MaxRetryError

    from clients.http import BoundedRetry, RetryBudgetExceeded

    monkeypatch.setattr("clients.http.time.monotonic", lambda: 100.0)
    retry = BoundedRetry(
        total=3, status_forcelist={503}, respect_retry_after_header=True, budget_seconds=budget
    )
    throttled = HTTPResponse(status=503, headers={"Retry-After": "2"})

    if retried:
        assert retry.increment("GET", "/users", response=throttled).total == 2
    else:
        with pytest.raises(MaxRetryError) as given_up:
            retry.increment("GET", "/users", response=throttled)
        assert isinstance(given_up.value.reason, RetryBudgetExceeded)


def test_a_token_request_that_is_refused_names_the_authority_path_it_went_to(
    trust_emulator: Emulator, tenant: Tenant
):
    """The first request for a token reads the tenant's OpenID Connect metadata at
    `{authority}/{tenant}/v2.0/.well-known/openid-configuration`
    (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc); when the authority
    refuses every connection, the error names that path, and never the client secret."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    config = {
        "azuread:tenantId": TENANT_ID,
        "azuread:clientId": CLIENT_ID,
        "azuread:clientSecret": tenant.client_secret,
        "asana-provisioning:graphEndpoint": trust_emulator.graph_url,
        "asana-provisioning:authorityHost": f"https://127.0.0.1:{port}",
        "asana-provisioning:maxRetries": "1",
    }

    with pytest.raises(ServiceError) as failure:
        GraphClient(resolve(config, {}).graph).get(TEMPLATES)

    message = str(failure.value)
    assert message.startswith(f"Microsoft Graph GET /v1.0{TEMPLATES} could not get a token for ")
    assert f"/{TENANT_ID}/v2.0/.well-known/openid-configuration" in message
    # urllib3 names the connection pool (the authority's host and port) that gave up
    assert f"HTTPSConnectionPool(host='127.0.0.1', port={port}): Max retries exceeded" in message
    assert tenant.client_secret not in message
    assert trust_emulator.count(service="graph") == 0


@pytest.mark.parametrize(
    "body",
    [
        b'["quota exceeded"]',
        b'"quota exceeded"',
        b'{"message": "quota exceeded"}',
        b'{"errors": "quota exceeded"}',
    ],
    ids=["a list", "a string", "an object of no known shape", "errors that are not a list"],
)
def test_an_error_body_in_no_known_shape_is_quoted_as_the_json_it_is(body: bytes):
    """Graph, OAuth 2.0, Asana and SCIM errors have shapes of their own (tests/
    test_clients_offline.py); a JSON body in none of them is shown as it came, not dropped."""
    import requests

    from clients.http import error_text

    response = requests.Response()
    response.status_code = 400
    response.reason = "Bad Request"
    response._content = body

    assert error_text(response) == body.decode()


def test_a_graph_error_without_a_message_is_named_by_its_code_alone():
    """Graph's error resource carries `code` and `message` (https://learn.microsoft.com/graph/errors);
    one that leaves the message out is named by its code, with no stand-in word for what is
    missing."""
    import requests

    from clients.http import error_text

    response = requests.Response()
    response.status_code = 400
    response.reason = "Bad Request"
    response._content = b'{"error": {"code": "Request_BadRequest"}}'

    text = error_text(response)

    assert text.rstrip(":") == "Request_BadRequest"
    assert "None" not in text


def error_reply(body: bytes, reason: str | None = "Bad Request"):
    import requests

    response = requests.Response()
    response.status_code = 400
    response.reason = reason
    response._content = body
    return response


def test_an_oauth2_error_description_is_quoted_whole_whatever_it_ends_with():
    """RFC 6749 section 5.2: `error` and a human-readable `error_description`, quoted as given."""
    from clients.http import error_text

    body = b'{"error": "invalid_request", "error_description": "AADSTS90002: Tenant CONTOSO-X"}'

    assert error_text(error_reply(body)) == "invalid_request: AADSTS90002: Tenant CONTOSO-X"


def test_an_asana_error_without_a_message_is_shown_by_what_it_does_carry():
    """Asana's error objects carry `message`, and may carry `help` and `phrase`
    (https://developers.asana.com/docs/errors): one without a message is still shown."""
    from clients.http import error_text

    body = b'{"errors": [{"phrase": "6 sad squid snuggle softly"}]}'

    text = error_text(error_reply(body))

    assert "6 sad squid snuggle softly" in text
    assert "None" not in text


def test_an_empty_error_reply_without_a_reason_phrase_adds_no_words():
    """HTTP/2 carries no reason phrase (RFC 9113 section 8.3.1): an empty error body then
    leaves nothing to quote, and nothing is made up."""
    from clients.http import error_text

    assert error_text(error_reply(b"", reason=None)) == ""


def test_the_retry_budget_bounds_the_total_wait_of_all_retries(trust_emulator: Emulator, tenant):
    """retryBudgetSeconds is the "longest total wait on retries" (docs/configuration.md): with
    every reply asking to wait 1 s and retries to spare, the request is given up once the
    next wait would take the time spent past the 3 s budget, not after each wait alone."""
    settings = emulator_settings(trust_emulator, tenant, max_retries=10, budget=3)
    shared_session.cache_clear()  # this client's session is built here, under this policy
    scim = AsanaScimClient(trust_emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    trust_emulator.inject(Fault.status(429, retry_after=1), service="scim", times=20)
    started = time.monotonic()

    with pytest.raises(ServiceError) as throttled:
        scim.check_token()

    assert time.monotonic() - started < 3 + 1.5
    assert (
        trust_emulator.count(service="scim") == 3
    )  # at 0, 1 and 2 s; a third wait would end past 3 s
    assert "was given up after 3 attempt(s) within the 3 s retry budget" in str(throttled.value)


def test_a_413_with_retry_after_is_tried_again_after_the_wait(emulator: Emulator, settings):
    """RFC 9110 section 15.5.14: a server that sends 413 with Retry-After says the condition is
    temporary and the client may try again after that time (urllib3 retries 413, 429 and 503
    when Retry-After is given)."""
    emulator.inject(Fault.status(413, retry_after=1), service="graph")

    body = GraphClient(settings.graph).get(TEMPLATES)

    assert [t["id"] for t in body["value"]] == ["asana"]
    assert emulator.count(service="graph") == 2


def test_token_requests_are_given_the_stacks_timeout_even_past_azure_cores_default():
    """azure-core's RequestsTransport reads for at most 300 s unless told otherwise; our token
    requests get httpTimeoutSeconds, which may be up to 600."""
    from clients.credentials import bounded_transport
    from clients.http import HttpPolicy

    transport = bounded_transport(HttpPolicy(read_timeout=450))["transport"]

    assert transport.connection_config.read_timeout == 450


def test_a_failed_tls_handshake_is_not_tried_again(tenant: Tenant):
    """A TLS failure (here a server that answers a ClientHello with plain text) is not one
    asking again can mend, unlike a dropped connection: one connection, however many retries
    the stack allows."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            connection.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    policy = resolve({"asana-provisioning:maxRetries": "3"}, {}).asana_policy
    try:
        shared_session.cache_clear()  # this client's session is built here, under this policy
        scim = AsanaScimClient(
            f"https://127.0.0.1:{listener.getsockname()[1]}/api/1.0/scim",
            tenant.asana_token,
            policy,
        )
        with pytest.raises(ServiceError) as failed:
            scim.check_token()
    finally:
        stop.set()
        server.join(timeout=5)
        listener.close()

    # Not the untrusted-certificate advice: no CA bundle mends a server that is not TLS
    # (docs/configuration.md, "Requests that get no response").
    assert "got no response: the TLS handshake failed (is the URL that of an HTTPS service?)" in (
        str(failed.value)
    )
    assert "REQUESTS_CA_BUNDLE" not in str(failed.value)
    assert len(accepted) == 1


@pytest.mark.parametrize("status", [500, 502, 504], ids=["500", "502", "504"])
def test_a_get_answered_with_a_transient_server_error_is_tried_again(
    trust_emulator: Emulator, tenant: Tenant, status: int
):
    """500, 502 and 504 say nothing of whether the request was acted on (RFC 9110 sections
    15.6.1, 15.6.3, 15.6.5), so only a request safe to repeat is tried again: a GET is."""
    shared_session.cache_clear()  # this client's session is built here, under this policy
    scim = AsanaScimClient(
        trust_emulator.scim_base_url,
        tenant.asana_token,
        one_retry(trust_emulator, tenant).asana_policy,
    )
    trust_emulator.inject(Fault.status(status), service="scim")

    assert scim.check_token().accepted
    assert trust_emulator.count(service="scim") == 2


def test_retries_without_retry_after_wait_longer_each_time(trust_emulator: Emulator, tenant):
    """With no Retry-After to follow, urllib3 backs off exponentially between retries (0 s,
    then 1 s, 2 s, ... with our factor of 0.5): three failures cost at least 3 s of waiting."""
    shared_session.cache_clear()  # this client's session is built here, under this policy
    config = {"asana-provisioning:maxRetries": "3", "asana-provisioning:retryBudgetSeconds": "20"}
    scim = AsanaScimClient(
        trust_emulator.scim_base_url, tenant.asana_token, resolve(config, {}).asana_policy
    )
    trust_emulator.inject(Fault.status(502), service="scim", times=3)
    started = time.monotonic()

    assert scim.check_token().accepted
    assert time.monotonic() - started >= 3
    assert trust_emulator.count(service="scim") == 4


def test_max_retries_bounds_all_retries_together_whatever_failed(
    trust_emulator: Emulator, tenant: Tenant
):
    """maxRetries is the number of retries of a request (docs/configuration.md), however its
    attempts failed: with 1, a reset then a 502 is two attempts, and the 502 is reported."""
    shared_session.cache_clear()  # this client's session is built here, under this policy
    scim = AsanaScimClient(
        trust_emulator.scim_base_url,
        tenant.asana_token,
        one_retry(trust_emulator, tenant).asana_policy,
    )
    trust_emulator.inject(Fault.reset(), service="scim")
    trust_emulator.inject(Fault.status(502), service="scim")

    with pytest.raises(ServiceError) as failed:
        scim.check_token()

    assert failed.value.status == 502
    assert trust_emulator.count(service="scim") == 2


def test_a_200_whose_json_is_not_an_object_keeps_its_status(emulator: Emulator, settings):
    emulator.inject(Fault.reply(b'["asana"]'), service="graph")

    with pytest.raises(ServiceError) as wrong:
        GraphClient(settings.graph).get(TEMPLATES)

    assert wrong.value.status == 200
    assert str(wrong.value).endswith("answered HTTP 200 with JSON that is not an object (a list)")


def test_closing_one_credentials_transport_leaves_the_shared_token_session_open():
    """The token session is shared by this process's credentials: azure-identity closes a
    credential's transport on `with credential:` exit or `close()`, and that must neither close
    the session for the others nor leave this credential unable to ask again."""
    from clients.credentials import bounded_transport
    from clients.http import HttpPolicy

    policy = HttpPolicy(read_timeout=7)
    transport = bounded_transport(policy)["transport"]
    session = transport.session

    with transport:
        pass
    with transport:  # azure-core refuses to reopen a transport whose own session it closed
        assert transport.session is session
    assert bounded_transport(policy)["transport"].session is session


def test_a_200_that_is_not_json_keeps_its_status(emulator: Emulator, settings):
    emulator.inject(Fault.reply(b"<html></html>", content_type="text/html"), service="graph")

    with pytest.raises(ServiceError) as wrong:
        GraphClient(settings.graph).get(TEMPLATES)

    assert wrong.value.status == 200


def test_the_backoff_between_retries_never_exceeds_the_policys_bound():
    """Exponential backoff doubles with each failure in a row; the session's retries stop
    doubling at the policy's `backoff_max`, however many failures came before."""
    from urllib3.util.retry import RequestHistory

    from clients.http import HttpPolicy, build_session

    policy = HttpPolicy(max_retries=20, backoff_max=7.0)
    retry = build_session(policy).get_adapter("https://graph.example/").max_retries
    failures = tuple(RequestHistory("GET", "/x", None, 502, None) for _ in range(12))

    assert retry.new(history=failures).planned_wait(None) == 7.0


def test_json_nested_deeper_than_python_reads_is_named_as_such(emulator: Emulator, settings):
    emulator.inject(Fault.reply(b"[" * 100_000 + b"]" * 100_000), service="graph")

    with pytest.raises(ServiceError) as wrong:
        GraphClient(settings.graph).get(TEMPLATES)

    assert "answered HTTP 200 with JSON nested too deep to read (application/json," in str(
        wrong.value
    )


def test_a_streamed_request_returns_before_its_body_is_read(trust_emulator: Emulator, tenant):
    """`stream=True` (requests' documented way to read a body oneself) is kept: the session
    hands back the reply at its headers, and the body trickles in as the caller reads it."""
    from clients.http import HttpPolicy, build_session

    trust_emulator.inject(Fault.trickle(0.2), service="scim")
    session = build_session(HttpPolicy(read_timeout=30))
    started = time.monotonic()

    response = session.get(
        trust_emulator.scim_base_url + "/Users",
        headers={"Authorization": f"Bearer {tenant.asana_token}"},
        stream=True,
    )

    assert time.monotonic() - started < 2  # the whole body would take far longer
    assert response.status_code == 200
    assert not response._content_consumed
    response.close()


GATEWAY_DOWN = {"error": {"code": "BadGateway", "message": "The upstream service is down."}}


def test_a_get_failing_on_every_attempt_says_it_kept_failing_and_how_often(
    trust_emulator: Emulator, tenant: Tenant
):
    """A GET is idempotent (RFC 9110 section 9.2.2), so a 502 is tried again; with maxRetries 1
    and a 502 each time, the error says the request kept failing, after 2 attempts within the
    8 s budget, and quotes Graph's error (https://learn.microsoft.com/en-us/graph/errors). No
    reply asked to wait, so no wait is named."""
    shared_session.cache_clear()  # this client's session is built here, under this policy
    settings = emulator_settings(trust_emulator, tenant, max_retries=1, budget=8)
    trust_emulator.inject(Fault.status(502, body=GATEWAY_DOWN), service="graph", times=2)

    with pytest.raises(ServiceError) as failed:
        GraphClient(settings.graph).get(TEMPLATES)

    assert str(failed.value) == (
        f"Microsoft Graph GET /v1.0{TEMPLATES} kept failing (HTTP 502) and was given up after "
        "2 attempt(s) within the 8 s retry budget: BadGateway: The upstream service is down."
    )
    assert failed.value.status == 502
    assert trust_emulator.count(service="graph") == 2


def test_a_post_answered_500_once_is_not_said_to_have_been_retried(
    trust_emulator: Emulator, tenant: Tenant
):
    """A POST is not idempotent (RFC 9110 section 9.2.2): a 500 may follow a write that landed,
    so it is not sent again, and the error is the service's answer to one attempt, not
    "kept failing"."""
    shared_session.cache_clear()  # this client's session is built here, under this policy
    settings = emulator_settings(trust_emulator, tenant, max_retries=3, budget=8)
    error = {"error": {"code": "InternalServerError", "message": "Something went wrong."}}
    trust_emulator.inject(Fault.status(500, body=error), service="graph", method="POST")
    jobs = synchronization_path(SERVICE_PRINCIPAL_ID, "jobs")

    with pytest.raises(ServiceError) as failed:
        GraphClient(settings.graph).post(jobs, {"templateId": "asana"})

    assert str(failed.value) == (
        f"Microsoft Graph POST /v1.0{jobs} failed with HTTP 500: "
        "InternalServerError: Something went wrong."
    )
    assert trust_emulator.count(service="graph", method="POST") == 1


def test_a_refusal_after_a_dropped_connection_is_the_services_answer_not_kept_failing(
    trust_emulator: Emulator, tenant: Tenant
):
    """A GET whose first attempt lost its connection is sent again (maxRetries 1); a 400 to
    the second is Graph refusing the request, said as such: nothing "kept failing"."""
    shared_session.cache_clear()  # this client's session is built here, under this policy
    settings = emulator_settings(trust_emulator, tenant, max_retries=1, budget=8)
    refusal = {"error": {"code": "BadRequest", "message": "Invalid filter clause."}}
    trust_emulator.inject(Fault.reset(), service="graph")
    trust_emulator.inject(Fault.status(400, body=refusal), service="graph")

    with pytest.raises(ServiceError) as refused:
        GraphClient(settings.graph).get(TEMPLATES)

    assert str(refused.value) == (
        f"Microsoft Graph GET /v1.0{TEMPLATES} failed with HTTP 400: "
        "BadRequest: Invalid filter clause."
    )
    assert trust_emulator.count(service="graph") == 2


def test_a_gzip_coded_reply_is_read_as_the_document_it_codes():
    """requests asks for `Accept-Encoding: gzip, deflate` by default, so a service may send its
    JSON gzip-coded (RFC 9110 section 8.4.1.3); the body read within the deadline is the
    decoded document. The raw reply is made as requests' adapter has urllib3 make it: not
    preloaded, not decoded."""
    import gzip
    import io
    import json

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.response import HTTPResponse

    from clients.http import read_within

    document = {"value": [{"id": "asana", "factoryTag": "asana"}]}
    coded = gzip.compress(json.dumps(document).encode())
    raw = HTTPResponse(
        body=io.BytesIO(coded),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        status=200,
        preload_content=False,
        decode_content=False,
    )
    request = requests.Request("GET", f"https://graph.example/v1.0{TEMPLATES}").prepare()
    response = HTTPAdapter().build_response(request, raw)

    read_within(response, time.monotonic() + 5, 5)

    assert response.json() == document


def test_a_deadline_session_hands_back_a_throttled_reply_unless_asked_to_raise(
    trust_emulator: Emulator, tenant: Tenant
):
    """Only the token session is built to raise a reply whose retries were given up (for
    azure-identity, which would report it without saying why); any other `DeadlineSession`
    hands the 429 back (RFC 6585 section 4), for its caller to report with the request."""
    from clients.http import DeadlineSession, HttpPolicy, RetriesGivenUp

    url = trust_emulator.scim_base_url + "/Users"
    auth = {"Authorization": f"Bearer {tenant.asana_token}"}
    trust_emulator.inject(Fault.status(429, retry_after=30), service="scim", times=2)

    plain = DeadlineSession(HttpPolicy(max_retries=0)).get(url, headers=auth)
    with pytest.raises(RetriesGivenUp) as given_up:
        DeadlineSession(HttpPolicy(max_retries=0), raise_given_up=True).get(url, headers=auth)

    assert plain.status_code == 429
    assert str(given_up.value).startswith("GET /api/1.0/scim/Users was throttled (HTTP 429)")
    assert trust_emulator.count(service="scim") == 2


def test_a_body_is_not_read_at_all_once_the_deadline_has_passed():
    """clients.http.read_within checks the deadline before each read: a reply whose headers
    took the whole deadline (its attempt started earlier, say) is cut off before any read of
    its body, in the words every deadline uses, and its connection closed."""
    import io

    import requests
    from urllib3 import HTTPResponse

    from clients.http import DeadlineExceeded, read_within

    class Body(io.BytesIO):
        read_when_closed: int | None = None

        def close(self) -> None:
            self.read_when_closed = self.tell()
            super().close()

    body = Body(b'{"value": []}')
    response = requests.Response()
    response.raw = HTTPResponse(body=body, preload_content=False)

    with pytest.raises(DeadlineExceeded) as cut_off:
        read_within(response, time.monotonic() - 1, 5)

    assert str(cut_off.value) == "did not finish within 5 s"
    assert body.read_when_closed == 0  # closed, and nothing was read
