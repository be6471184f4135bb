"""providers/ logic without a process or a tenant: what the design documents promise, checked
with expected values written from it, not computed by the code under test."""

from __future__ import annotations

import hashlib

from providers.asana_token import fingerprint


def test_the_token_fingerprint_is_twelve_hex_digits_of_its_sha256():
    """docs/design.md: "The fingerprint (12 hex digits of SHA-256) identifies a rotation
    without revealing the token"."""
    token = "2/1204123412341234/5506550655065506:0123456789abcdef"

    assert fingerprint(token) == "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]
    assert fingerprint(token) != fingerprint(token + "x")
