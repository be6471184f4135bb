"""Settings nested absurdly deep or grown absurdly large are refused, never a RecursionError."""

from __future__ import annotations

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
