"""What a credential header value and an app's display name may hold, at the edges of the rules.

Header values: a credential is a token68 or a token (RFC 9110 sections 11.2 and 5.6.2), visible
ASCII only; anything past ASCII is refused naming its code point, also when Unicode gives the
character no name. Display names: 1 to 120 characters (docs/environments.md), counted in UTF-16
code units as Graph counts them; no control or invisible characters, except the zero width
joiner inside an emoji ZWJ sequence (Unicode TS #51).
"""

from __future__ import annotations

import pytest

from rules.header_values import header_value_problem
from rules.identifiers import display_name_problem

NOT_ASCII = "which an HTTP header cannot carry: only visible ASCII characters are allowed"


@pytest.mark.parametrize(
    ("character", "code"),
    [("\ue000", "U+E000"), ("\x80", "U+0080"), ("\U0010fffd", "U+10FFFD")],
    ids=["private use", "C1 control", "supplementary private use"],
)
def test_a_character_past_ascii_that_unicode_never_named_is_refused_by_its_code_point(
    character: str, code: str
):
    """Private-use characters and the C1 controls have no Unicode name (UnicodeData.txt gives
    none), so the refusal says so instead of failing while it names the character."""
    assert header_value_problem(f"abc{character}def") == (
        f"has {code} (an unnamed character), {NOT_ASCII}"
    )


MAX_DISPLAY_NAME = 120  # docs/environments.md: "a display name of 1 to 120 characters"


def test_a_display_name_of_exactly_the_longest_length_is_accepted_and_one_longer_is_not():
    assert display_name_problem("a" * MAX_DISPLAY_NAME) is None
    assert display_name_problem("a" * (MAX_DISPLAY_NAME + 1)) == (
        "a display name of 1 to 120 characters (it has 121)"
    )


def test_an_emoji_counts_two_towards_the_longest_display_name():
    """U+1F600 lies past the Basic Multilingual Plane: two UTF-16 code units, as .NET counts."""
    assert display_name_problem("\U0001f600" * 60) is None
    assert display_name_problem("\U0001f600" * 61) == (
        "a display name of 1 to 120 characters (it has 122)"
    )


def test_an_invisible_character_after_an_emoji_sequence_is_still_refused():
    """The joiner inside 👩‍💻 is allowed; the zero width space later in the name is not."""
    problem = display_name_problem("\U0001f469\u200d\U0001f4bb Engineers\u200b")

    assert problem == (
        "a display name without control or invisible characters "
        "(U+200B ZERO WIDTH SPACE at character 14)"
    )
