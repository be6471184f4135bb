"""Keeping secret values out of text we show: errors, outputs, resource names. Pure.

A service that echoes a request back (a proxy's error page listing the headers, a debug page)
may write our token raw, HTML-escaped, percent-encoded or JSON-escaped, so each of those
spellings is removed, and so is whatever follows `Bearer`. Redaction runs on the whole text
before it is shortened, so a cut can never leave part of a secret behind.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# `Bearer <credential>` in any error text, whichever credential it is (Graph's access token too).
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[^\s\"'<>&,;]+")
# At most this many leaves of a structured secret value are collected (bounded work).
_MAX_LEAVES = 10_000
# How HTML escapers write the two quotes: Python's html.escape (&quot; &#x27;), Go's
# html.EscapeString and Jinja's markupsafe (&#34; &#39;), PHP's htmlspecialchars (&quot; &#039;),
# XML and HTML5's named reference (&apos;).
_HTML_DOUBLE_QUOTES = ("&quot;", "&#34;", "&#034;")
_HTML_APOSTROPHES = ("&#x27;", "&#39;", "&#039;", "&apos;")


def digest(value: str) -> str:
    """Twelve hex digits of SHA-256: tells two values apart without showing either."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def spellings(secret: str) -> list[str]:
    """The ways a service (or our own message) may write `secret` back: raw, HTML, URL, JSON
    and Python-repr escaped."""
    forms = {
        secret,
        *_html_spellings(secret),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        repr(secret + '"')[1:-2],  # repr picks the other quote when the text holds one
        json.dumps(secret)[1:-1].replace("/", "\\/"),
    }
    return sorted((form for form in forms if form), key=len, reverse=True)


def _html_spellings(secret: str) -> set[str]:
    """`secret` HTML-escaped: `&`, `<` and `>` always, the quotes in each escaper's spelling
    or left as they are (a text node needs them unescaped)."""
    text = html.escape(secret, quote=False)
    forms = {text}
    for double in _HTML_DOUBLE_QUOTES:
        for apostrophe in _HTML_APOSTROPHES:
            forms.add(text.replace('"', double).replace("'", apostrophe))
    return forms


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every spelling of each secret, and any bearer credential, replaced."""
    forms = sorted({form for secret in secrets if secret for form in spellings(secret)}, key=len)
    for form in reversed(forms):
        text = text.replace(form, REDACTED)
    return _BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", text)


def string_leaves(value: Any) -> list[str]:
    """Every text inside a structured value (its values, not its keys, which are the setting's
    own vocabulary): what a secret setting holds, so each can be kept out of messages."""
    return sorted(set(_leaves(value)), key=len, reverse=True)


def _leaves(value: Any) -> Iterator[str]:
    pending, seen = [value], 0
    while pending and seen < _MAX_LEAVES:
        item = pending.pop()
        seen += 1
        if isinstance(item, str) and item:
            yield item
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
