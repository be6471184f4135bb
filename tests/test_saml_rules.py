"""The two spellings of a certificate thumbprint, and end dates as Graph gives them back.

Expected values come from Microsoft's documentation, not from the functions under test: the
SAML-via-Graph page shows `preferredTokenSigningKeyThumbprint` in hex and `customKeyIdentifier`
as the same 20 bytes in base64 (https://learn.microsoft.com/graph/application-saml-sso-configure-api).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest

from rules.saml import (
    days_until,
    is_thumbprint,
    key_identifier_of_thumbprint,
    same_thumbprint,
    thumbprint_of_key_identifier,
    utc_rfc3339,
)

DIGEST = hashlib.sha1(b"a certificate's DER bytes", usedforsecurity=False).digest()
HEX = DIGEST.hex().upper()
BASE64 = base64.b64encode(DIGEST).decode()


def test_a_key_identifier_is_the_thumbprint_bytes_in_base64():
    assert key_identifier_of_thumbprint(HEX) == BASE64
    assert key_identifier_of_thumbprint(HEX.lower()) == BASE64
    assert thumbprint_of_key_identifier(BASE64) == HEX


def test_the_hex_and_base64_spellings_never_compare_equal_as_text():
    assert not same_thumbprint(HEX, BASE64)
    assert same_thumbprint(HEX, HEX.lower())


@pytest.mark.parametrize(
    "identifier", ["", None, "not base64!", base64.b64encode(b"short").decode()]
)
def test_a_key_identifier_that_holds_no_sha1_digest_names_no_thumbprint(identifier):
    assert thumbprint_of_key_identifier(identifier) == ""


@pytest.mark.parametrize("value", ["", "ABC", HEX + "0", "G" * 40, None, 40])
def test_only_forty_hex_digits_are_a_thumbprint(value):
    assert not is_thumbprint(value)
    assert not same_thumbprint(value, value)


@pytest.mark.parametrize(
    ("given", "graph_answers"),
    [
        ("2029-01-31T02:00:00+02:00", "2029-01-31T00:00:00Z"),
        ("2029-01-30T21:30:00-02:30", "2029-01-31T00:00:00Z"),
        ("2029-01-31T00:00:00Z", "2029-01-31T00:00:00Z"),
        ("2029-01-31T00:00:00+00:00", "2029-01-31T00:00:00Z"),
    ],
)
def test_an_end_date_with_an_offset_is_sent_as_graph_gives_it_back(given, graph_answers):
    assert utc_rfc3339(given) == graph_answers


def test_an_end_date_without_a_time_zone_is_refused():
    with pytest.raises(ValueError, match="not a date-time with a time zone"):
        utc_rfc3339("2029-01-31T00:00:00")


def test_days_until_counts_down_to_the_end_date_and_below_zero_after_it():
    now = datetime(2029, 1, 1, tzinfo=UTC)
    assert days_until("2029-01-31T00:00:00Z", now) == 30
    assert days_until("2028-12-31T00:00:00+00:00", now) == -1
