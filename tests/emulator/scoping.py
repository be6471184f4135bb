"""Evaluating an object mapping's scoping filter (`objectMappings[].scope`, a `filter`) against a
source object, as the provisioning service does before it exports anything.

This is the local tenant's own implementation, written apart from the product's
rules/provisioning_scope.py on purpose: the property test (tests/test_impact_property.py)
checks the product's prediction against what this service then does, and two copies of one
function would agree by construction.

Semantics (https://learn.microsoft.com/graph/api/resources/synchronization-filter): a filter
group is true when all its clauses are; a group set (`groups`, `inputFilterGroups`,
`categoryFilterGroups`) is true when any of its groups is; an empty or absent set does not
restrict. Operators, spelled as the Learn page lists them and as `FILTER_OPERATORS` (what
`GET .../schema/filterOperators` answers here) spells them
(https://learn.microsoft.com/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts):
EQUALS / NOT EQUALS exact and case-sensitive; Includes ordinal containment; IS TRUE / IS FALSE a
Boolean; IS NULL / IS NOT NULL an empty attribute; Greater_Than(_OR_EQUALS) integers; every
other operator false on a null or empty value (the page's note). Where the page is silent the
emulated service makes one choice, as a real one must: a regular expression is searched
anywhere in the value (.NET's Regex.IsMatch), ENDS_WITH is ordinal (case-sensitive), several
values in a clause mean "any of them" (and the negated operators "none of them"), `&` is true
when the value occurs within the clause's value, and a Boolean is written "True"/"False".
An operator outside the list raises ValueError, so a test that relies on one fails loudly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .messages import JsonObject

_STRING = ["String"]
FILTER_OPERATORS: list[JsonObject] = [
    {
        "id": name,
        "arity": arity,
        "multivaluedComparisonType": "All",
        "supportedAttributeTypes": types,
    }
    for name, arity, types in (
        ("&", "Binary", _STRING),
        ("!&", "Binary", _STRING),
        ("ENDS_WITH", "Binary", _STRING),
        ("EQUALS", "Binary", ["String", "Integer"]),
        ("Greater_Than", "Binary", ["Integer"]),
        ("Greater_Than_OR_EQUALS", "Binary", ["Integer"]),
        ("Includes", "Binary", _STRING),
        ("IS FALSE", "Unary", ["Boolean"]),
        ("IS NOT NULL", "Unary", ["String", "Integer", "Boolean", "Reference"]),
        ("IS NULL", "Unary", ["String", "Integer", "Boolean", "Reference"]),
        ("IS TRUE", "Unary", ["Boolean"]),
        ("NOT EQUALS", "Binary", ["String", "Integer"]),
        ("NOT REGEX MATCH", "Binary", _STRING),
        ("REGEX MATCH", "Binary", _STRING),
    )
]  # fmt: skip
"""The answer of `GET .../schema/filterOperators`. The resource page names the operator in
`name`; Graph's v1.0 metadata (msgraph-sdk's FilterOperatorSchema, an entity) has no `name` and
keys each operator by `id`, which is what is served here (readers take either). Microsoft's
example lists only EQUALS, Binary, for String and Integer; the other entries' types are the
emulator's reading of the Learn page's descriptions."""
SUPPORTED_OPERATORS = frozenset(str(o["id"]) for o in FILTER_OPERATORS)
GROUP_SETS = ("groups", "inputFilterGroups", "categoryFilterGroups")

ValueOf = Callable[[str], Any]
"""A source attribute's value by its schema name (None when the object has none)."""


@dataclass(frozen=True)
class ScopeResult:
    """Whether the object is in scope, and the clauses that kept it out (for the log)."""

    passed: bool
    failed_clauses: list[str] = field(default_factory=list)


def evaluate(scope: JsonObject | None, value_of: ValueOf) -> ScopeResult:
    """Evaluate a `filter` (None: no scoping filter, everything passes)."""
    if not scope:
        return ScopeResult(True)
    failed: list[str] = []
    for name in GROUP_SETS:
        groups = [g for g in scope.get(name) or [] if isinstance(g, dict)]
        if not groups:
            continue
        outcomes = [_group(group, value_of) for group in groups]
        if not any(not misses for misses in outcomes):
            failed += [miss for misses in outcomes for miss in misses]
    return ScopeResult(not failed, failed)


def _group(group: JsonObject, value_of: ValueOf) -> list[str]:
    """The clauses of one filter group that the object fails (empty: the group passes)."""
    return [
        _describe(clause)
        for clause in group.get("clauses") or []
        if isinstance(clause, dict) and not clause_holds(clause, value_of)
    ]


def clause_holds(clause: JsonObject, value_of: ValueOf) -> bool:
    operator = str(clause.get("operatorName", ""))
    if operator not in SUPPORTED_OPERATORS:
        raise ValueError(
            f"scoping operator {operator!r} is not emulated "
            f"(emulated: {', '.join(sorted(SUPPORTED_OPERATORS))})"
        )
    text = as_text(value_of(str(clause.get("sourceOperandName", ""))))
    targets = [str(v) for v in ((clause.get("targetOperand") or {}).get("values") or [])]
    if operator == "IS NULL":
        return text is None
    if operator == "IS NOT NULL":
        return text is not None
    if text is None:
        return False
    if operator == "IS TRUE":
        return text.lower() == "true"
    if operator == "IS FALSE":
        return text.lower() == "false"
    tests: dict[str, Callable[[str], bool]] = {
        "EQUALS": lambda target: text == target,
        "NOT EQUALS": lambda target: text == target,
        "Includes": lambda target: target in text,
        "ENDS_WITH": text.endswith,
        "REGEX MATCH": lambda target: re.search(target, text) is not None,
        "NOT REGEX MATCH": lambda target: re.search(target, text) is not None,
        "&": lambda target: text in target,
        "!&": lambda target: text in target,
        "Greater_Than": lambda target: _integer(text) > _integer(target),
        "Greater_Than_OR_EQUALS": lambda target: _integer(text) >= _integer(target),
    }
    found = any(tests[operator](target) for target in targets)
    return not found if operator in ("NOT EQUALS", "NOT REGEX MATCH", "!&") else found


def _integer(text: str) -> float:
    """An integer, or NaN (every comparison with it false) for anything else."""
    try:
        return int(text)
    except ValueError:
        return float("nan")


def as_text(value: Any) -> str | None:
    """How the service writes a source value: Booleans as "True"/"False", an empty string or
    list as no value, a multi-valued attribute by its first value."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _describe(clause: JsonObject) -> str:
    values = (clause.get("targetOperand") or {}).get("values") or []
    suffix = f" {', '.join(str(v) for v in values)}" if values else ""
    return f"{clause.get('sourceOperandName')} {clause.get('operatorName')}{suffix}"
