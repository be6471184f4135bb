"""Plain request and response values passed between the HTTP transport and the services.

Keeping them free of sockets lets each emulated service be an ordinary function from a
request to a response, which is what makes the services easy to read and to test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Literal
from urllib.parse import parse_qsl

JsonObject = dict[str, Any]
"""A decoded JSON object, as stored in the emulated services' state."""

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request; `path` is the URL path exactly as sent, without the query."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Message
    body: object | None
    target: str = ""
    """The request target (path and query) exactly as sent, before any decoding: what a bound
    on the URL's length measures. Empty for a request the emulator makes itself."""

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup (HTTP header names are case-insensitive)."""
        value = self.headers.get(name)
        return None if value is None else str(value)

    def bearer_token(self) -> str | None:
        """The credential of an `Authorization: Bearer ...` header; None if absent or not Bearer."""
        scheme, _, token = (self.header("Authorization") or "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None


JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Response:
    """A JSON response; `body` None means an empty body (as for 204 No Content).

    `raw` replaces the encoded body with exactly these bytes, sent as `content_type`: how an
    injected fault answers with something that is not the service's JSON. `trickle_seconds`
    above 0 sends the body one byte at a time at that interval (a `Fault.trickle`); `broken_body`
    "cut" sends only its first half, then closes the connection (a `Fault.cut`); "garble"
    sends a TLS record that fails its integrity check instead of the body (a `Fault.garble`).
    """

    status: int
    body: object | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = JSON_CONTENT_TYPE
    trickle_seconds: float = 0.0
    broken_body: Literal["", "cut", "garble"] = ""

    def payload(self) -> bytes:
        """The encoded body, so the transport can send an exact Content-Length."""
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


def parse_body(raw: bytes, content_type: str) -> object | None:
    """Decode a request body the way the services need it: form fields for the token endpoint,
    JSON for everything else. Undecodable bodies are kept as text so that handlers can reject
    them and the request log still shows what was sent."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if content_type == FORM_CONTENT_TYPE:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
