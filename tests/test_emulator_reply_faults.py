"""The emulator's reply faults: exact bytes, redirects, error pages echoing the headers, and a
reply trickled one byte at a time."""

from __future__ import annotations

import html
import json
import time
from urllib.parse import quote

import pytest
import requests

from tests.emulator import Emulator, Fault

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
