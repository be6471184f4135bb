"""The identifier rules: the stack settings, the providers' `check`, `tools.adopt` and
`tools.health` all judge GUIDs, job ids and visible names by these, so a value one accepts the
others accept too."""

from __future__ import annotations

import re
import unicodedata

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


MAX_DISPLAY_NAME_LENGTH = 120
ZERO_WIDTH_JOINER = "\u200d"
_EMOJI_MODIFIERS = re.compile(r"[\ufe0f\U0001f3fb-\U0001f3ff]")
"""What may stand between an emoji and the joiner after it: the emoji presentation selector
(VS16) and the skin-tone modifiers (👩🏽‍💻, 🏳️‍🌈)."""


def display_name_problem(value: str) -> str | None:
    """Which rule `value` breaks as an app's display name (`appDisplayName`), else None. The
    stack setting and `tools.new_stack --display-name` judge by this one rule, so a stack file
    the tool writes is one `pulumi preview` accepts.

    Graph takes any Unicode in a display name; the length is counted as Graph (.NET) counts
    string length, in UTF-16 code units, so an emoji counts two. Control characters and the
    invisible format characters that let a name pass for another are refused, except the zero
    width joiner inside an emoji ZWJ sequence ("👩‍💻 Engineers"), which is how such emoji are
    written (Unicode TS #51, https://www.unicode.org/reports/tr51/#Emoji_ZWJ_Sequences)."""
    length = len(value.encode("utf-16-le")) // 2
    if not value.strip():
        return f"a display name of 1 to {MAX_DISPLAY_NAME_LENGTH} characters (it is blank)"
    if length > MAX_DISPLAY_NAME_LENGTH:
        return f"a display name of 1 to {MAX_DISPLAY_NAME_LENGTH} characters (it has {length})"
    for found in INVISIBLE.finditer(value):
        position = found.start()
        if value[position] == ZERO_WIDTH_JOINER and _joins_emoji(value, position):
            continue
        return (
            "a display name without control or invisible characters "
            f"({_described(value, position)} at character {position + 1})"
        )
    return None


def _joins_emoji(value: str, position: int) -> bool:
    """Whether the joiner at `position` stands between two emoji (symbols, category So), after
    any presentation selector or skin-tone modifier of the first."""
    before = _EMOJI_MODIFIERS.sub("", value[:position])
    after = value[position + 1 : position + 2]
    return bool(before and after) and all(
        unicodedata.category(character) == "So" for character in (before[-1], after)
    )


def _described(value: str, position: int) -> str:
    character = value[position]
    code = f"U+{ord(character):04X}"
    if character == ZERO_WIDTH_JOINER:
        return f"{code} ZERO WIDTH JOINER, outside an emoji sequence,"
    name = unicodedata.name(character, "")
    return f"{code} {name}" if name else f"{code}, a control character,"


def is_guid(value: object) -> bool:
    return isinstance(value, str) and GUID.match(value) is not None


def is_job_reference(value: object) -> bool:
    """A job id, or the azuread resource id that ends in one."""
    return isinstance(value, str) and bool(JOB_ID.match(value) or JOB_RESOURCE_ID.match(value))


def job_id_of(value: str) -> str:
    """The job id, also from the azuread resource id `/servicePrincipals/…/jobs/{id}`."""
    match = JOB_RESOURCE_ID.match(value)
    return match.group("job") if match else value


def odata_string(value: str) -> str:
    """`value` as an OData string literal in a `$filter`: in single quotes, each quote doubled
    (OData ABNF, `SQUOTE-in-string`; https://learn.microsoft.com/graph/filter-query-parameter)."""
    return "'" + value.replace("'", "''") + "'"
