"""Every request is bounded as a whole by httpTimeoutSeconds, the token request included.

A socket timeout bounds each read only, so a reply trickling a byte at a time within it would
never be cut off; and azure-identity's token requests had timeouts and retries of their own
(minutes, and Retry-After waited out whatever the budget). Each test measures the time taken,
against the local tenant with its injected faults.
"""

from __future__ import annotations

import time

import pytest
import requests

from clients.asana import AsanaScimClient
from clients.connection import ConnectionSettings, resolve
from clients.graph import GraphClient, synchronization_path
from clients.http import ServiceError
from tests.conftest import CLIENT_ID, SERVICE_PRINCIPAL_ID, TENANT_ID, Tenant
from tests.emulator import Emulator, Fault

TEMPLATES = synchronization_path(SERVICE_PRINCIPAL_ID, "templates")
TIMEOUT = 2
SLACK = 1.0  # thread scheduling and TLS on a busy CI machine; far below a trickle's length
TOKEN_PATH = r"/oauth2/v2\.0/token$"


def connection(emulator: Emulator, tenant: Tenant, retries: int, budget: int) -> ConnectionSettings:
    return resolve(
        {
            "azuread:tenantId": TENANT_ID,
            "azuread:clientId": CLIENT_ID,
            "azuread:clientSecret": tenant.client_secret,
            "asana-provisioning:graphEndpoint": emulator.graph_url,
            "asana-provisioning:authorityHost": emulator.authority_host,
            "asana-provisioning:httpTimeoutSeconds": str(TIMEOUT),
            "asana-provisioning:maxRetries": str(retries),
            "asana-provisioning:retryBudgetSeconds": str(budget),
        },
        {},
    )


@pytest.fixture
def settings(trust_emulator: Emulator, tenant: Tenant) -> ConnectionSettings:
    return connection(trust_emulator, tenant, retries=3, budget=8)


def timed(call):
    started = time.monotonic()
    try:
        call()
    except ServiceError as error:
        return time.monotonic() - started, error
    return time.monotonic() - started, None


@pytest.mark.parametrize(
    "seconds_per_byte",
    [0.5, TIMEOUT * 3, 1.8],
    ids=["a byte every 0.5 s", "the first byte due after it", "the second byte due after it"],
)
def test_a_graph_reply_trickled_past_the_deadline_is_cut_off_at_it(
    emulator: Emulator, settings, tenant: Tenant, seconds_per_byte: float
):
    """docs/configuration.md: "a reply trickling in a byte at a time is cut off at that
    deadline, however often a byte comes". Each read waits only for what is left of it: with
    a byte every 6 s the wait for the first ends at the deadline, not when the byte comes;
    with a byte every 1.8 s the first comes in time and the second is due at 3.6 s, so a read
    allowed the whole timeout again (2 s from 1.8 s) would end past the deadline and its
    slack."""
    graph = GraphClient(settings.graph)
    graph.get(TEMPLATES)  # the token is cached: only the Graph reply trickles
    emulator.inject(Fault.trickle(seconds_per_byte), service="graph", times=5)

    elapsed, error = timed(lambda: graph.get(TEMPLATES))

    assert error is not None
    assert TIMEOUT - 0.1 <= elapsed <= TIMEOUT + SLACK
    assert str(error).startswith(
        f"Microsoft Graph GET /v1.0{TEMPLATES} did not finish within {TIMEOUT} s"
    )
    assert tenant.client_secret not in str(error)
    assert emulator.count(service="graph", path="/templates$") == 2  # not retried


def test_an_asana_scim_reply_trickled_past_the_deadline_is_cut_off_at_it(
    emulator: Emulator, settings, tenant: Tenant
):
    scim = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    emulator.inject(Fault.trickle(0.5), service="scim", times=5)

    elapsed, error = timed(scim.check_token)

    assert error is not None
    assert TIMEOUT - 0.1 <= elapsed <= TIMEOUT + SLACK
    assert "Asana SCIM GET /api/1.0/scim/Users did not finish within 2 s" in str(error)
    assert tenant.asana_token not in str(error)


def scim_reply_size(emulator: Emulator, tenant: Tenant) -> int:
    response = requests.get(
        emulator.scim_base_url + "/Users",
        params={"filter": 'userName eq "nobody@example.invalid"'},
        headers={"Authorization": f"Bearer {tenant.asana_token}"},
        timeout=5,
    )
    return len(response.content)


def test_a_reply_trickled_within_the_deadline_is_read_whole(
    emulator: Emulator, settings, tenant: Tenant
):
    scim = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    interval = (TIMEOUT * 0.6) / scim_reply_size(emulator, tenant)
    emulator.inject(Fault.trickle(interval), service="scim")

    elapsed, error = timed(scim.check_token)

    assert error is None
    assert TIMEOUT * 0.5 <= elapsed < TIMEOUT


def test_each_attempt_has_a_deadline_of_its_own_after_a_retry(
    emulator: Emulator, settings, tenant: Tenant
):
    """Retry-After 1, then a reply trickled over 1.4 s: 2.4 s in all, more than the timeout,
    yet each attempt finished within it."""
    scim = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)
    interval = (TIMEOUT * 0.7) / scim_reply_size(emulator, tenant)
    emulator.inject(Fault.status(429, retry_after=1), service="scim")
    emulator.inject(Fault.trickle(interval), service="scim")

    elapsed, error = timed(scim.check_token)

    assert error is None
    assert TIMEOUT < elapsed < TIMEOUT + 1 + SLACK


def test_normal_calls_are_unaffected(emulator: Emulator, settings, tenant: Tenant):
    graph = GraphClient(settings.graph)
    scim = AsanaScimClient(emulator.scim_base_url, tenant.asana_token, settings.asana_policy)

    elapsed, error = timed(lambda: (graph.get(TEMPLATES), scim.check_token()))

    assert error is None
    assert elapsed < 1.5
    assert [t["id"] for t in graph.get(TEMPLATES)["value"]] == ["asana"]


def test_a_slow_token_endpoint_is_bounded_by_the_http_timeout(
    emulator: Emulator, trust_emulator: Emulator, tenant: Tenant
):
    settings = connection(emulator, tenant, retries=0, budget=5)
    emulator.inject(Fault.slow(8), service="token", path=TOKEN_PATH, times=5)

    elapsed, error = timed(lambda: GraphClient(settings.graph).get(TEMPLATES))

    assert error is not None
    assert TIMEOUT - 0.1 <= elapsed <= TIMEOUT + SLACK
    assert "could not get a token" in str(error) and "timed out" in str(error)
    assert tenant.client_secret not in str(error)


def test_a_trickled_token_reply_is_cut_off_at_the_deadline(
    emulator: Emulator, trust_emulator: Emulator, tenant: Tenant
):
    settings = connection(emulator, tenant, retries=3, budget=5)
    emulator.inject(Fault.trickle(0.5), service="token", path=TOKEN_PATH, times=5)

    elapsed, error = timed(lambda: GraphClient(settings.graph).get(TEMPLATES))

    assert error is not None
    assert TIMEOUT - 0.1 <= elapsed <= TIMEOUT + SLACK
    assert f"could not get a token for {emulator.graph_url}/.default" in str(error)
    assert f"did not finish within {TIMEOUT} s" in str(error)
    assert tenant.client_secret not in str(error)


def test_a_throttled_token_endpoint_asking_for_more_than_the_budget_fails_at_once(
    emulator: Emulator, trust_emulator: Emulator, tenant: Tenant
):
    settings = connection(emulator, tenant, retries=4, budget=5)
    emulator.inject(Fault.status(429, retry_after=8), service="token", path=TOKEN_PATH, times=10)

    elapsed, error = timed(lambda: GraphClient(settings.graph).get(TEMPLATES))

    assert error is not None
    assert elapsed < 1.5  # no waiting 8 s, nor several requests
    assert emulator.count(service="token", path=TOKEN_PATH) == 1
    message = str(error)
    assert "could not get a token" in message
    assert "throttled (HTTP 429) and was given up after 1 attempt(s)" in message
    # The client credentials grant is a POST to /{tenant}/oauth2/v2.0/token
    # (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
    assert (
        f"POST /{TENANT_ID}/oauth2/v2.0/token was throttled (HTTP 429) and was given up after "
        "1 attempt(s) within the 5 s retry budget; the last reply asked to wait 8 s"
    ) in message
    assert "5 s retry budget; the last reply asked to wait 8 s" in message
    assert tenant.client_secret not in message
    assert emulator.count(service="graph") == 0


def test_a_throttled_token_endpoint_within_the_budget_is_retried(
    emulator: Emulator, trust_emulator: Emulator, tenant: Tenant
):
    settings = connection(emulator, tenant, retries=4, budget=5)
    emulator.inject(Fault.status(429, retry_after=1), service="token", path=TOKEN_PATH)

    elapsed, error = timed(lambda: GraphClient(settings.graph).get(TEMPLATES))

    assert error is None
    assert 1 <= elapsed < 1 + SLACK + 1
    assert emulator.count(service="token", path=TOKEN_PATH) == 2


class _TimeoutSeen(requests.adapters.HTTPAdapter):
    """An adapter that notes the timeout a request was handed to send with, and sends nothing."""

    seen: object = None

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.seen = kwargs["timeout"]
        raise requests.exceptions.ConnectionError("not sent")


@pytest.mark.parametrize(
    ("given", "connect", "whole"),
    [
        (None, 10.0, 60.0),
        (5, 5.0, 5.0),
        (2.5, 2.5, 2.5),
        ((3, 30), 3.0, 30.0),
        ((3, None), 3.0, 60.0),
        ((None, 30), 10.0, 30.0),
        ((30, 5), 5.0, 5.0),
        ((120, 600), 10.0, 60.0),
    ],
    ids=[
        "none",
        "one int",
        "one float",
        "both shorter",
        "connect only",
        "read only",
        "connect past the whole",
        "both longer",
    ],
)
def test_a_callers_timeout_may_shorten_the_policys_never_lengthen_it(given, connect, whole):
    """requests' `timeout` is one number for connect and read, or a (connect, read) tuple,
    None meaning no limit (https://requests.readthedocs.io/en/latest/user/advanced/#timeouts).
    The session keeps the shorter of the caller's and the policy's (10 s connect, 60 s whole
    request, docs/configuration.md httpTimeoutSeconds); connecting is part of the whole, so it
    never gets longer than the whole."""
    from urllib3.util.timeout import Timeout

    from clients.http import DeadlineSession, HttpPolicy

    session = DeadlineSession(HttpPolicy(connect_timeout=10.0, read_timeout=60.0))
    adapter = _TimeoutSeen()
    session.mount("https://", adapter)

    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("https://graph.example/v1.0/servicePrincipals", timeout=given)

    assert isinstance(adapter.seen, Timeout)
    assert (adapter.seen.connect_timeout, adapter.seen.read_timeout, adapter.seen.total) == (
        connect,
        whole,
        whole,
    )


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        # Short of its Content-Length: azure-core words it from the error's text.
        (Fault.cut(), "IncompleteRead"),
        # Sent as gzip, not gzip: urllib3's decoding error.
        (
            Fault.reply(b'{"token_type": "Bearer"}', content_encoding="gzip"),
            "Received response with content-encoding: gzip, but failed to decode it",
        ),
        # A TLS record that fails its integrity check: the SSL layer's words.
        (Fault.garble(), "SSL"),
    ],
    ids=["cut short", "not in its content-encoding", "broken by a TLS error"],
)
def test_a_token_reply_broken_in_its_body_says_why_in_the_errors_own_words(
    emulator: Emulator, trust_emulator: Emulator, tenant: Tenant, fault: Fault, cause: str
):
    """clients.http.read_within turns what urllib3 raises while reading a body into the error
    requests would raise, keeping its text, which is all a token error shows."""
    settings = connection(emulator, tenant, retries=0, budget=5)
    emulator.inject(fault, service="token", path=TOKEN_PATH)

    _, error = timed(lambda: GraphClient(settings.graph).get(TEMPLATES))

    assert error is not None
    message = str(error)
    assert "could not get a token" in message
    assert cause in message, message
    assert tenant.client_secret not in message
    assert emulator.count(service="graph") == 0
