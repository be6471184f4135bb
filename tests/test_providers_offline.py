"""providers/ logic without a process or a tenant: what the design documents promise, checked
with expected values written from it, not computed by the code under test."""

from __future__ import annotations

import hashlib

import pytest
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from providers import inputs
from providers.asana_token import fingerprint
from rules.urls import ALLOWED as URL_ALLOWED


def test_the_token_fingerprint_is_twelve_hex_digits_of_its_sha256():
    """docs/design.md: "The fingerprint (12 hex digits of SHA-256) identifies a rotation
    without revealing the token"."""
    token = "2/1204123412341234/5506550655065506:0123456789abcdef"

    assert fingerprint(token) == "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]
    assert fingerprint(token) != fingerprint(token + "x")


# --- providers/inputs.py: the offline checks every provider's `check` shares. The messages are
# what `pulumi preview` shows the user, so each is written out whole.


def failure(found) -> tuple[str, str] | None:
    return None if found is None else (found.property, found.reason)


@pytest.mark.parametrize("value", [Unknown(), UNKNOWN])
def test_a_value_not_known_yet_is_never_refused(value):
    assert inputs.is_unknown(value)
    assert inputs.failure_for_https_url("scim_base_url", value) is None
    assert inputs.failure_for_guid("service_principal_id", value, "x") is None
    assert inputs.failure_for_name("factory_tag", value, "x") is None
    assert inputs.failure_for_job_id("job_id", value) is None


def test_unknowns_are_found_nested_in_lists_dicts_and_tuples():
    assert inputs.contains_unknown({"a": [1, ("b", {"c": UNKNOWN})]})
    assert not inputs.contains_unknown({"a": [1, ("b", {"c": "known"})]})
    assert not inputs.is_unknown("known")


def test_a_service_principal_id_must_be_a_guid():
    assert inputs.failure_for_service_principal("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a") is None
    assert failure(inputs.failure_for_service_principal("sp-1")) == (
        "service_principal_id",
        "must be the object id of the Asana service principal "
        "(a GUID such as 00000000-0000-0000-0000-000000000000)",
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("asana", None),
        ("a" * 256, None),
        ("", "must be a factory tag: a non-empty string of at most 256 characters"),
        ("a" * 257, "must be a factory tag: a non-empty string of at most 256 characters"),
        (42, "must be a factory tag: a non-empty string of at most 256 characters"),
        (
            "asana tag",
            "must be a factory tag of visible ASCII characters (no spaces, controls or '…')",
        ),
    ],
    ids=["tag", "256", "empty", "257", "number", "space"],
)
def test_a_name_is_one_visible_ascii_token_of_at_most_256(value, reason):
    found = failure(inputs.failure_for_name("factory_tag", value, "a factory tag"))

    assert found == (None if reason is None else ("factory_tag", reason))


def test_a_job_id_or_the_azuread_job_resource_id_is_accepted():
    job = "asana.0a1b2c3d4e5f40718293a4b5c6d7e8f9.6f5e4d3c-2b1a-4098-8765-43210fedcba9"
    assert inputs.failure_for_job_id("job_id", job) is None
    assert failure(inputs.failure_for_job_id("job_id", "a job")) == (
        "job_id",
        "must be a synchronization job id (letters, digits, '.', '-', '_') or "
        "/servicePrincipals/{id}/synchronization/jobs/{jobId}",
    )


def test_an_https_url_is_judged_by_the_same_rule_as_the_settings():
    assert inputs.failure_for_https_url("u", "https://app.asana.com/api/1.0/scim") is None
    found = failure(inputs.failure_for_https_url("u", "http://app.asana.com/api/1.0/scim"))
    assert found is not None and found[0] == "u"
    assert found[1].startswith(f"must be {URL_ALLOWED}; this one ")


def test_failures_keeps_the_failures_in_order_and_drops_the_passes():
    first, second = CheckFailure("a", "x"), CheckFailure("b", "y")

    assert inputs.failures(None, first, None, second) == [first, second]
