"""The identifier rules: the stack settings, the providers' `check`, `tools.adopt` and
`tools.health` all judge GUIDs, job ids and visible names by these, so a value one accepts the
others accept too."""

from __future__ import annotations

import re

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
GUID_EXAMPLE = "00000000-0000-0000-0000-000000000000"

JOB_ID = re.compile(r"^[A-Za-z0-9._-]{1,256}$")
"""A synchronization job id such as `asana.0a1b….<uuid>` (letters, digits, '.', '-', '_')."""
JOB_RESOURCE_ID = re.compile(
    r"^/servicePrincipals/[0-9a-fA-F-]{36}/synchronization/jobs/(?P<job>[A-Za-z0-9._-]{1,256})$"
)
"""The azuread provider's id of a synchronization job: `/servicePrincipals/{id}/…/jobs/{jobId}`."""

INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
"""Control characters, and the invisible format characters (bidi overrides, zero-width) that
let a name look like another."""
NOT_VISIBLE_ASCII = re.compile(r"[^\x21-\x7e]")
"""Anything but visible ASCII: whitespace, controls, and letters from other scripts (a
look-alike, or the "…" a truncated copy leaves) in names that are plain identifiers."""


DISPLAY_NAME_RULE = "a display name of 1 to 120 characters, without control characters"
MAX_DISPLAY_NAME_LENGTH = 120


def display_name_problem(value: str) -> str | None:
    """What is allowed when `value` cannot be an app's display name (`appDisplayName`), else
    None. The stack setting and `tools.new_stack --display-name` judge by this one rule, so a
    stack file the tool writes is one `pulumi preview` accepts."""
    if not value.strip() or len(value) > MAX_DISPLAY_NAME_LENGTH or INVISIBLE.search(value):
        return DISPLAY_NAME_RULE
    return None


def is_guid(value: object) -> bool:
    return isinstance(value, str) and GUID.match(value) is not None


def is_job_reference(value: object) -> bool:
    """A job id, or the azuread resource id that ends in one."""
    return isinstance(value, str) and bool(JOB_ID.match(value) or JOB_RESOURCE_ID.match(value))


def job_id_of(value: str) -> str:
    """The job id, also from the azuread resource id `/servicePrincipals/…/jobs/{id}`."""
    match = JOB_RESOURCE_ID.match(value)
    return match.group("job") if match else value
