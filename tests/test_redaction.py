"""Secrets are taken out of every text we show, in every spelling a service may echo them in."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

import pytest
import requests

from clients.http import error_text
from rules.redaction import REDACTED, redact, string_leaves

TOKEN = "2/1204123412341234/5506550655065506:0123456789abcdef0123456789abcdef"


def reply(status: int, body: bytes, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = content_type
    response.reason = "Bad Request"
    return response


@pytest.mark.parametrize(
    "spelling",
    [
        TOKEN,
        html.escape(TOKEN),
        quote(TOKEN, safe=""),
        quote(TOKEN),
        json.dumps(TOKEN)[1:-1].replace("/", "\\/"),
    ],
    ids=["raw", "html", "percent-encoded", "percent-encoded path", "json-escaped"],
)
def test_a_reflected_token_is_removed_in_every_spelling(spelling: str):
    text = f"<pre>X-Echo: {spelling}</pre>"

    assert redact(text, [TOKEN]) == f"<pre>X-Echo: {REDACTED}</pre>"


def test_any_bearer_credential_is_removed_even_one_we_were_not_told_about():
    text = "headers: Authorization: Bearer eyJ0eXAiOiJKV1Qi.eyJvaWQiOiJ4In0.c2ln; Accept: */*"

    assert redact(text, []) == f"headers: Authorization: Bearer {REDACTED}; Accept: */*"


@pytest.mark.parametrize("offset", range(440, 520, 7))
def test_redaction_happens_before_the_error_text_is_cut(offset: int):
    """Wherever the token sits relative to the cut, no fragment of it is left."""
    page = ("x" * offset + f" Authorization: Bearer {TOKEN} ").encode()

    text = error_text(reply(400, page, "text/html"), [TOKEN])

    assert not any(TOKEN[i : i + 8] in text for i in range(len(TOKEN) - 8))


def test_a_json_error_message_echoing_the_token_is_redacted():
    body = json.dumps({"error": {"code": "BadRequest", "message": f"token {TOKEN} refused"}})

    text = error_text(reply(400, body.encode(), "application/json"), [TOKEN])

    assert text == f"BadRequest: token {REDACTED} refused"


def test_string_leaves_are_the_values_of_a_structured_setting_not_its_keys():
    value = {"mappings": [{"target": "title", "constant": "s3cr3t"}], "mode": "merge"}

    assert set(string_leaves(value)) == {"title", "s3cr3t", "merge"}


# A secret setting may hold any character; these five are the ones HTML escapes (HTML Standard,
# "Escaping a string"; Python's html.escape, Go's html.EscapeString, Jinja's markupsafe).
MARKUP_TOKEN = "s3cr&t<v>\"q'x"


@pytest.mark.parametrize(
    "spelling",
    [
        # Python's html.escape (quote=True): &#x27; for the apostrophe
        "s3cr&amp;t&lt;v&gt;&quot;q&#x27;x",
        # html.escape(quote=False), as in a text node: quotes left as they are
        "s3cr&amp;t&lt;v&gt;\"q'x",
        # Go's html.EscapeString and Jinja/markupsafe: numeric references for both quotes
        "s3cr&amp;t&lt;v&gt;&#34;q&#39;x",
    ],
    ids=["html.escape", "text node", "numeric quotes"],
)
def test_a_token_holding_markup_characters_is_removed_when_an_echo_escapes_them(spelling: str):
    text = f"<td>X-Api-Key</td><td>{spelling}</td>"

    assert redact(text, [MARKUP_TOKEN]) == f"<td>X-Api-Key</td><td>{REDACTED}</td>"


def test_a_secret_that_holds_another_secret_is_removed_whole():
    """The longer secret goes first: replacing the shorter one inside it first would leave the
    rest of the longer one ("my-") in the text."""
    text = "echo: my-s3cret-value"

    assert redact(text, ["s3cret-value", "my-s3cret-value"]) == f"echo: {REDACTED}"
    assert redact(text, ["my-s3cret-value", "s3cret-value"]) == f"echo: {REDACTED}"
