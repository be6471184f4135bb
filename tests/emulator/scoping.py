"""Evaluating an object mapping's scoping filter (`objectMappings[].scope`, a `filter`) against a
source object, as the provisioning service does before it exports anything.

Semantics (https://learn.microsoft.com/graph/api/resources/synchronization-filter): a filter
group is true when all its clauses are; a group set (`groups`, `inputFilterGroups`,
`categoryFilterGroups`) is true when any of its groups is; an empty or absent set does not
restrict. Operators (https://learn.microsoft.com/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts):
EQUALS / NOT_EQUALS compare the attribute with the clause's values exactly (case sensitive),
IS_TRUE / IS_FALSE test a Boolean, IS_NULL / IS_NOT_NULL test for an empty attribute. Other
operators (REGEX_MATCH, GREATER_THAN, ...) are not emulated and raise ValueError, so a test
that relies on one fails loudly instead of passing on a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .messages import JsonObject

SUPPORTED_OPERATORS = frozenset(
    ["EQUALS", "NOT_EQUALS", "IS_TRUE", "IS_FALSE", "IS_NULL", "IS_NOT_NULL"]
)
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
    operator = str(clause.get("operatorName", "")).upper()
    if operator not in SUPPORTED_OPERATORS:
        raise ValueError(
            f"scoping operator {clause.get('operatorName')!r} is not emulated "
            f"(emulated: {', '.join(sorted(SUPPORTED_OPERATORS))})"
        )
    actual = value_of(str(clause.get("sourceOperandName", "")))
    text = as_text(actual)
    targets = [str(v) for v in ((clause.get("targetOperand") or {}).get("values") or [])]
    if operator == "EQUALS":
        return text is not None and text in targets
    if operator == "NOT_EQUALS":
        return text is None or text not in targets
    if operator == "IS_TRUE":
        return text is not None and text.lower() == "true"
    if operator == "IS_FALSE":
        return text is not None and text.lower() == "false"
    if operator == "IS_NULL":
        return text is None
    return text is not None  # IS_NOT_NULL


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
