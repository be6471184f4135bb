"""SAML signing-certificate facts that Graph spells two ways, and the dates it gives back.

Graph names one certificate by its SHA-1 thumbprint in two spellings: the service principal's
`preferredTokenSigningKeyThumbprint` (and `addTokenSigningCertificate`'s reply, and the azuread
provider's `thumbprint`) in hex, and every keyCredential's `customKeyIdentifier` as the digest's
bytes in base64 (Edm.Binary). Comparing the two spellings directly never matches, which is how
`tools.adopt` once picked the wrong certificate; everything that compares them goes through here.
https://learn.microsoft.com/graph/application-saml-sso-configure-api (steps 4 and 5).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from rules.moments import graph_moment

_HEX_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")


def is_thumbprint(value: object) -> bool:
    """A SHA-1 thumbprint in hex, as `preferredTokenSigningKeyThumbprint` holds it."""
    return isinstance(value, str) and bool(_HEX_THUMBPRINT.match(value))


def thumbprint_of_key_identifier(custom_key_identifier: object) -> str:
    """The hex thumbprint (upper case, as Graph and the azuread provider print it) that a
    keyCredential's base64 `customKeyIdentifier` holds, or "" when it holds none."""
    try:
        digest = base64.b64decode(str(custom_key_identifier or ""), validate=True)
    except (ValueError, binascii.Error):
        return ""
    return digest.hex().upper() if len(digest) == 20 else ""


def key_identifier_of_thumbprint(thumbprint: str) -> str:
    """The base64 `customKeyIdentifier` Graph stores for a certificate of this hex thumbprint."""
    return base64.b64encode(bytes.fromhex(thumbprint)).decode()


def same_thumbprint(first: object, second: object) -> bool:
    """Whether two hex thumbprints name one certificate (Graph compares them case-insensitively;
    its replies use upper case, the portal's copy buttons too)."""
    return (
        is_thumbprint(first) and is_thumbprint(second) and str(first).upper() == str(second).upper()
    )


def utc_rfc3339(value: str) -> str:
    """`value` (an RFC 3339 date-time with a time zone) as Graph gives it back: in UTC, to the
    second, with `Z`. A stack may write `2029-01-31T02:00:00+02:00`; Graph answers
    `2029-01-31T00:00:00Z`, and the azuread provider would replace a certificate whose `end_date`
    reads back different from what the program declares, on every `up`."""
    return _moment(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_until(end_date: str, now: datetime | None = None) -> float:
    """Days from `now` (default: this moment) until `end_date`; negative once it has passed."""
    return (_moment(end_date) - (now or datetime.now(UTC))).total_seconds() / 86400


def _moment(value: str) -> datetime:
    moment = graph_moment(value)
    if moment is None:
        raise ValueError(f"{value!r} is not a date-time with a time zone")
    return moment
