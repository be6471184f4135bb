"""Settings nested absurdly deep or grown absurdly large are refused, never a RecursionError."""

from __future__ import annotations

import json

import pytest

from rules import bounds


def test_json_nested_thousands_of_levels_deep_is_refused_before_the_decoder_recurses():
    with pytest.raises(bounds.TooLarge, match="nested 100000 levels deep"):
        bounds.parse_json("[" * 100_000 + "]" * 100_000)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert bounds.parse_json('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"]]]]"}') == {
        "a": '[[[[[[[[[[[[[[[[[[[[[[[[[[[["]]]]'
    }


def test_text_over_the_size_bound_is_refused_without_being_parsed():
    with pytest.raises(bounds.TooLarge, match="characters long"):
        bounds.parse_json('"' + "x" * bounds.MAX_TEXT_CHARS + '"')


def test_bad_json_is_a_value_error_not_too_large():
    with pytest.raises(ValueError) as error:
        bounds.parse_json("{not json")
    assert not isinstance(error.value, bounds.TooLarge)


def test_an_already_parsed_value_is_measured_without_recursion():
    deep: list = []
    for _ in range(50_000):
        deep = [deep]

    assert "nested more than" in (bounds.size_problem(deep) or "")
    assert bounds.size_problem({"mappings": [{"target": "title"}]}) is None
    assert "values" in (bounds.size_problem(list(range(bounds.MAX_NODES + 1))) or "")


# The documented bounds (docs/configuration.md, "Lists and objects"): at most 16 levels of
# nesting, 2,000,000 characters and 200,000 values. A bound is a maximum: reaching it is allowed.
DOCUMENTED_DEPTH = 16
DOCUMENTED_CHARS = 2_000_000
DOCUMENTED_VALUES = 200_000


def nested_lists(levels: int) -> list:
    """`[[…[1]…]]`: `levels` lists, each inside the one before."""
    value: list = [1]
    for _ in range(levels - 1):
        value = [value]
    return value


def nested_objects(levels: int) -> dict:
    """`{"a": {"a": … {"a": 1}}}`: `levels` objects, each inside the one before."""
    value: dict = {"a": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("nest", [nested_lists, nested_objects], ids=["lists", "objects"])
def test_a_value_nested_exactly_as_deep_as_the_bound_is_accepted_and_one_more_level_is_not(nest):
    at_bound, past_bound = nest(DOCUMENTED_DEPTH), nest(DOCUMENTED_DEPTH + 1)

    assert bounds.size_problem(at_bound) is None
    assert bounds.parse_json(json.dumps(at_bound)) == at_bound
    assert bounds.size_problem(past_bound) == "is nested more than 16 levels deep"
    with pytest.raises(bounds.TooLarge, match="is nested 17 levels deep"):
        bounds.parse_json(json.dumps(past_bound))


def test_a_text_exactly_as_long_as_the_bound_is_parsed():
    text = '"' + "x" * (DOCUMENTED_CHARS - 2) + '"'  # a JSON string: two quotes around the rest

    assert len(text) == DOCUMENTED_CHARS
    assert bounds.parse_json(text) == "x" * (DOCUMENTED_CHARS - 2)


def test_a_parsed_text_exactly_as_long_as_the_bound_is_accepted_and_one_longer_is_not():
    assert bounds.size_problem(["x" * DOCUMENTED_CHARS]) is None
    assert (
        bounds.size_problem(["x" * (DOCUMENTED_CHARS + 1)])
        == "holds a text of 2,000,001 characters"
    )


def test_exactly_as_many_values_as_the_bound_are_accepted_and_one_more_is_not():
    """The list counts as a value too: a list of 199,999 numbers is 200,000 values."""
    assert bounds.size_problem(list(range(DOCUMENTED_VALUES - 1))) is None
    assert bounds.size_problem(list(range(DOCUMENTED_VALUES))) == "has more than 200,000 values"


def test_json_text_with_too_many_values_is_refused_naming_the_bound():
    text = "[" + ",".join(["0"] * DOCUMENTED_VALUES) + "]"  # shallow and short, but 200,001 values

    with pytest.raises(bounds.TooLarge) as error:
        bounds.parse_json(text)
    assert str(error.value) == "has more than 200,000 values"


DEEP = 5_000  # far past the decoder's recursion limit (1,000 by default)


@pytest.mark.parametrize(
    "text",
    [
        "[ " * DEEP + "]" * DEEP,
        "[[]," * DEEP + "[]" + "]" * DEEP,
        '["a", ' + "[" * DEEP + "]" * DEEP + "]",
        '["a \\" b", ' + "[" * DEEP + "]" * DEEP + "]",
        '["\\\\", ' + "[" * DEEP + "]" * DEEP + "]",
        '{"k": "\\n", "v": ' + "[" * DEEP + "]" * DEEP + "}",
    ],
    ids=[
        "spaces between brackets",
        "an empty list beside each level",
        "after a string",
        "after an escaped quote in a string",
        "after an escaped backslash",
        "after an escape in an object",
    ],
)
def test_deep_json_is_refused_as_too_large_whatever_stands_around_its_brackets(text: str):
    """RFC 8259: whitespace may surround any token, and a string ends at the first quote not
    escaped by a backslash; none of that may hide a level from the depth count, or the decoder
    recurses past Python's limit and fails with `RecursionError`."""
    with pytest.raises(bounds.TooLarge, match="nested"):
        bounds.parse_json(text)


def test_a_wide_but_shallow_value_is_accepted():
    wide = [[[]] for _ in range(100)]

    assert bounds.parse_json(json.dumps(wide)) == wide
    assert bounds.parse_json(json.dumps({str(n): {"a": []} for n in range(100)})) is not None


def test_brackets_after_an_escaped_quote_are_still_inside_the_string():
    """RFC 8259 section 7: `\\"` is a quote inside the string, so the string goes on."""
    assert bounds.parse_json('["\\" ' + "[" * 40 + '"]') == ['" ' + "[" * 40]


def test_the_depth_of_a_text_counts_its_brackets_and_nothing_else():
    """Letters outside strings (bad JSON) neither open nor close a level: a text with no
    bracket is bad JSON, and one with 17 open brackets is 17 levels deep."""
    with pytest.raises(json.JSONDecodeError):
        bounds.parse_json("X" * 40)
    with pytest.raises(bounds.TooLarge, match="is nested 17 levels deep"):
        bounds.parse_json("X" * 40 + "[" * 17)
