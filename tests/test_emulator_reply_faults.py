"""The emulator's reply faults: exact bytes, redirects, error pages echoing the headers, a
reply trickled one byte at a time, and a reply held after its write landed."""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

from tests.conftest import CLIENT_ID, TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, Emulator, Fault, RecordedRequest
from tests.emulator.client import GraphTestClient

SCIM_TOKEN = "2/1/2:reply-faults-token"
USERS = "/api/1.0/scim/Users"


@pytest.fixture
def emu(emulator_session: Emulator) -> Emulator:
    emulator_session.reset()
    emulator_session.add_scim_token(SCIM_TOKEN)
    yield emulator_session
    emulator_session.reset()


def get(emu: Emulator, path: str = USERS) -> requests.Response:
    return requests.get(
        emu.base_url + path,
        headers={"Authorization": f"Bearer {SCIM_TOKEN}"},
        verify=emu.ca_bundle_path,
        timeout=5,
        allow_redirects=False,
    )


def test_a_reply_fault_sends_exactly_its_bytes_and_content_type(emu: Emulator):
    emu.inject(Fault.reply(b'{"totalRes', content_type="application/scim+json"), service="scim")

    response = get(emu)

    assert response.status_code == 200
    assert response.content == b'{"totalRes'
    assert response.headers["Content-Type"] == "application/scim+json"
    assert response.headers["Content-Length"] == "10"
    assert emu.requests[-1].fault == "reply"
    assert get(emu).json()["totalResults"] == 0  # used up: the service answers again


def test_an_empty_reply_fault_has_no_body(emu: Emulator):
    emu.inject(Fault.reply(b""), service="scim")

    response = get(emu)

    assert (response.status_code, response.content) == (200, b"")


def test_a_redirect_fault_carries_its_location_and_the_service_does_not_act(emu: Emulator):
    emu.inject(Fault.redirect("https://attacker.invalid/x", code=307), service="scim")

    response = get(emu)

    assert response.status_code == 307
    assert response.headers["Location"] == "https://attacker.invalid/x"
    assert response.content == b""


def test_a_reflecting_page_echoes_the_credential_in_several_spellings(emu: Emulator):
    emu.inject(Fault.reflect(401, padding=100), service="scim")

    response = get(emu)

    page = response.text
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/html")
    assert html.escape(f"Authorization: Bearer {SCIM_TOKEN}") in page
    assert quote(SCIM_TOKEN, safe="") in page
    assert SCIM_TOKEN.replace("/", "\\/") in page
    assert page.index("<p>") + 103 <= page.index("<pre>")


def test_a_reflecting_json_error_echoes_the_credential_in_its_message(emu: Emulator):
    emu.inject(Fault.reflect(400, shape="json"), service="scim")

    response = get(emu)

    assert SCIM_TOKEN in json.loads(response.text)["error"]["message"]


def test_reply_faults_are_validated():
    with pytest.raises(ValueError):
        Fault.reply(b"", code=700)
    with pytest.raises(ValueError):
        Fault.redirect("https://x.example", code=200)
    with pytest.raises(ValueError):
        Fault.reflect(200)
    with pytest.raises(ValueError):
        Fault.reflect(400, padding=-1)
    with pytest.raises(ValueError):
        Fault.trickle(0)


def test_a_trickle_fault_sends_the_real_reply_one_byte_at_a_time(emu: Emulator):
    emu.inject(Fault.trickle(0.05), service="scim")
    started = time.monotonic()
    with requests.get(
        emu.base_url + USERS,
        headers={"Authorization": f"Bearer {SCIM_TOKEN}"},
        verify=emu.ca_bundle_path,
        timeout=5,
        stream=True,
    ) as response:
        headers_after = time.monotonic() - started
        first = response.raw.read1(1024)
        rest = response.raw.read()
    elapsed = time.monotonic() - started

    assert headers_after < 1.0  # the headers come at once, only the body trickles
    assert first == b"{"  # one byte per write, so one byte per read
    assert json.loads(first + rest)["totalResults"] == 0
    assert elapsed >= 0.05 * (len(first + rest) - 1) * 0.9
    assert emu.requests[-1].fault == "trickle"


# ----- a held reply: the write lands, the client is never told (what a killed client leaves) -----


def _owner_reference(graph: GraphTestClient, user: str) -> dict[str, str]:
    return {"@odata.id": f"{graph.emulator.graph_url}/v1.0/directoryObjects/{user}"}


@pytest.fixture
def app_and_user(graph: GraphTestClient) -> tuple[str, str]:
    """An instantiated Asana app's object id and a user who can become its owner."""
    created = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    return created["application"]["id"], graph.emulator.add_user("ada@contoso.com", "Ada")


def _held(emulator: Emulator, deadline_seconds: float = 5.0) -> RecordedRequest:
    """The logged request a hold fault applied to, waiting for it (bounded)."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        held = [record for record in emulator.requests if record.fault == "hold"]
        if held:
            return held[0]
        time.sleep(0.02)
    raise AssertionError(f"no held request logged within {deadline_seconds} s")


def _in_background(call: Callable[[], requests.Response]) -> Future[requests.Response]:
    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(call)
    executor.shutdown(wait=False)
    return future


def _owners(graph: GraphTestClient, app: str) -> list[str]:
    return [owner["id"] for owner in graph.get(f"/v1.0/applications/{app}/owners").json()["value"]]


def test_a_held_write_lands_and_is_logged_before_its_reply_is_sent(
    graph: GraphTestClient, app_and_user: tuple[str, str]
):
    app, user = app_and_user
    graph.emulator.inject(Fault.hold(3.0), method="POST", path=r"/owners/\$ref$")
    started = time.monotonic()

    reply = _in_background(
        lambda: graph.post(f"/v1.0/applications/{app}/owners/$ref", _owner_reference(graph, user))
    )
    held = _held(graph.emulator)
    owners_while_held = _owners(graph, app)  # another request is answered meanwhile
    answered_while_held = reply.done()

    assert (held.method, held.status) == ("POST", 204)
    assert owners_while_held == [user]
    assert not answered_while_held
    assert reply.result(timeout=10).status_code == 204
    assert time.monotonic() - started >= 2.9


def test_a_client_that_gives_up_on_a_held_reply_leaves_its_write_once(
    graph: GraphTestClient, app_and_user: tuple[str, str]
):
    app, user = app_and_user
    graph.emulator.inject(Fault.hold(5.0), method="POST", path=r"/owners/\$ref$")
    owners = f"/v1.0/applications/{app}/owners/$ref"

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            graph.emulator.base_url + owners,
            json=_owner_reference(graph, user),
            headers={"Authorization": f"Bearer {graph.token}"},
            verify=graph.emulator.ca_bundle_path,
            timeout=0.5,
        )
    again = graph.post(owners, _owner_reference(graph, user))  # used up: answered at once

    assert _owners(graph, app) == [user]
    assert again.status_code == 400
    assert "already exist" in again.json()["error"]["message"]


def test_a_hold_applies_only_to_the_request_its_filter_names(
    graph: GraphTestClient, app_and_user: tuple[str, str]
):
    app, ada = app_and_user
    grace = graph.emulator.add_user("grace@contoso.com", "Grace")
    graph.emulator.inject(
        Fault.hold(0.5),
        method="POST",
        path=r"/owners/\$ref$",
        where=lambda _query, body: isinstance(body, dict) and grace in body["@odata.id"],
    )
    owners = f"/v1.0/applications/{app}/owners/$ref"

    first = graph.post(owners, _owner_reference(graph, ada))
    second = graph.post(owners, _owner_reference(graph, grace))

    assert [record.fault for record in graph.emulator.requests[-2:]] == [None, "hold"]
    assert (first.status_code, second.status_code) == (204, 204)
    assert sorted(_owners(graph, app)) == sorted([ada, grace])


def test_stopping_the_emulator_drops_a_held_reply_at_once():
    emulator = Emulator.start()
    try:
        graph = GraphTestClient(emulator, TENANT_ID, CLIENT_ID, "held-reply-secret")
        created = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
        app, user = created["application"]["id"], emulator.add_user("ada@contoso.com", "Ada")
        emulator.inject(Fault.hold(60.0), method="POST", path=r"/owners/\$ref$")
        reply = _in_background(
            lambda: graph.post(
                f"/v1.0/applications/{app}/owners/$ref", _owner_reference(graph, user)
            )
        )
        _held(emulator)
        stopped = time.monotonic()
    finally:
        emulator.stop()

    with pytest.raises(requests.exceptions.ConnectionError):
        reply.result(timeout=10)
    assert time.monotonic() - stopped < 5.0


def test_a_hold_must_last_some_time():
    with pytest.raises(ValueError):
        Fault.hold(0)
