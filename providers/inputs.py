"""Offline checks of dynamic-resource inputs, shared by our providers' `check` and `diff`."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from rules.identifiers import GUID_EXAMPLE, NOT_VISIBLE_ASCII, is_guid, is_job_reference
from rules.urls import ALLOWED as URL_ALLOWED
from rules.urls import BASE_URL, UrlRule, url_problem

_MAX_WALK = 100_000


def is_unknown(value: Any) -> bool:
    """True for a value the engine will only know after an earlier resource is created.

    The provider server turns the wire's unknown sentinel into `pulumi.output.Unknown` for
    check and diff; the raw sentinel is accepted too.
    """
    return isinstance(value, Unknown) or value == UNKNOWN


def contains_unknown(value: Any) -> bool:
    """True when `value`, or anything nested in it, is not known yet (a first preview)."""
    pending, seen = [value], 0
    while pending and seen < _MAX_WALK:
        item = pending.pop()
        seen += 1
        if is_unknown(item):
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def failure_for_https_url(prop: str, value: Any, rule: UrlRule = BASE_URL) -> CheckFailure | None:
    """The URL judged by `rules.urls`, the same rule the stack settings are held to."""
    if is_unknown(value):
        return None
    problem = url_problem(value, rule)
    return (
        None
        if problem is None
        else CheckFailure(prop, f"must be {URL_ALLOWED}; this one {problem}")
    )


def failures(*found: CheckFailure | None) -> list[CheckFailure]:
    """The failures among the results of the `failure_for_*` checks."""
    return [failure for failure in found if failure is not None]


def failure_for_service_principal(value: Any) -> CheckFailure | None:
    return failure_for_guid(
        "service_principal_id", value, "object id of the Asana service principal"
    )


def failure_for_guid(prop: str, value: Any, what: str) -> CheckFailure | None:
    if is_unknown(value):
        return None
    if not is_guid(value):
        return CheckFailure(prop, f"must be the {what} (a GUID such as {GUID_EXAMPLE})")
    return None


def failure_for_name(prop: str, value: Any, what: str) -> CheckFailure | None:
    """Identifiers such as a factory tag: non-empty, one visible-ASCII token, bounded length."""
    if is_unknown(value):
        return None
    if not isinstance(value, str) or not value or len(value) > 256:
        return CheckFailure(prop, f"must be {what}: a non-empty string of at most 256 characters")
    if NOT_VISIBLE_ASCII.search(value):
        return CheckFailure(
            prop, f"must be {what} of visible ASCII characters (no spaces, controls or '…')"
        )
    return None


def failure_for_job_id(prop: str, value: Any) -> CheckFailure | None:
    """A job id (`asana.0a1b….uuid`) or the azuread job's resource id."""
    if is_unknown(value):
        return None
    if not is_job_reference(value):
        return CheckFailure(
            prop,
            "must be a synchronization job id (letters, digits, '.', '-', '_') or "
            "/servicePrincipals/{id}/synchronization/jobs/{jobId}",
        )
    return None
