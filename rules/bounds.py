"""How deep and how large a structured setting may be, and the one JSON reader that enforces it.

Python's `json` decoder recurses once per nesting level, so `[[[[…]]]]` a few thousand levels
deep ends in `RecursionError` (not the `ValueError` callers expect), and so do `repr` and
`json.dumps` of such a value. The depth is therefore measured without recursion, before
anything else looks at the value. Our settings need five levels at most (a scoping filter's
values); the bounds leave room and stop absurd input. Pure.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 16
MAX_TEXT_CHARS = 2_000_000
MAX_NODES = 200_000
LIMITS = (
    f"at most {MAX_DEPTH} levels of nesting, {MAX_TEXT_CHARS:,} characters and {MAX_NODES:,} values"
)


class TooLarge(ValueError):
    """A value nested too deep or too large; the message says which bound it broke."""


def parse_json(text: str) -> Any:
    """`json.loads` for settings: `TooLarge` past the bounds (`LIMITS`), `ValueError` for bad
    JSON; the depth is measured on the text, so the decoder never gets a chance to recurse."""
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"is {len(text):,} characters long")
    depth = _json_text_depth(text)
    if depth > MAX_DEPTH:
        raise TooLarge(f"is nested {depth} levels deep")
    value = json.loads(text)
    if problem := size_problem(value):
        raise TooLarge(problem)
    return value


def size_problem(value: Any) -> str | None:
    """Why `value` (already parsed) is too deep or too large, or None; never recurses."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while pending:
        item, depth = pending.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return f"has more than {MAX_NODES:,} values"
        container = isinstance(item, dict | list | tuple)
        if container and depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, str) and len(item) > MAX_TEXT_CHARS:
            return f"holds a text of {len(item):,} characters"
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
    return None


def _json_text_depth(text: str) -> int:
    """The deepest bracket nesting in JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest
