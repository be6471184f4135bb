"""Small rules/ modules, each against the document that fixes it; expected values are written
from the documents, not computed by the code under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rules.header_values import header_value_problem
from rules.moments import graph_moment
from rules.tokens import MAX_TOKEN_LENGTH, token_problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2/1/2:abc", None),
        ("!~", None),  # the ends of visible ASCII (RFC 9110 section 5.5: VCHAR, %x21-7E)
        ("abc def", "has a space or line break"),
        ("abc\ndef", "has a space or line break"),
        ("abc\x00", "has a control character"),
        ("abc\x7f", "has a control character"),
    ],
    ids=["token", "visible ascii ends", "space", "line break", "nul", "del"],
)
def test_a_header_value_must_be_visible_ascii(value: str, problem: str | None):
    assert header_value_problem(value) == problem


def test_a_character_past_ascii_is_named_by_its_code_point_never_quoted():
    assert header_value_problem("abc\u2026") == (
        "has U+2026 (horizontal ellipsis, as a truncated copy leaves), which an HTTP header "
        "cannot carry: only visible ASCII characters are allowed"
    )
    assert header_value_problem("\u0410bc") == (
        "has U+0410 (cyrillic capital letter a), which an HTTP header cannot carry: only "
        "visible ASCII characters are allowed"
    )


def test_a_token_is_refused_when_empty_or_too_long_and_kept_at_the_limit():
    assert token_problem("  ") == "is empty"
    assert token_problem("a" * MAX_TOKEN_LENGTH) is None
    assert token_problem("a" * (MAX_TOKEN_LENGTH + 1)) == f"is over {MAX_TOKEN_LENGTH} characters"
    assert MAX_TOKEN_LENGTH == 4096


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2029-01-31T00:00:00Z", datetime(2029, 1, 31, tzinfo=UTC)),
        ("2029-01-31t00:00:00z", datetime(2029, 1, 31, tzinfo=UTC)),  # RFC 3339 5.6 NOTE
        (
            "2029-01-31T02:00:00+02:00",
            datetime(2029, 1, 31, 2, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2029-01-31T00:00:00", None),  # no time zone: not an Edm.DateTimeOffset
        ("not a date", None),
        (None, None),
    ],
)
def test_graph_moments_are_rfc3339_date_times_with_a_time_zone(value, expected):
    assert graph_moment(value) == expected
