"""The desired state of one object mapping (users or groups), checked and put in canonical form.

One shape, plain JSON, from the stack file to the schema edit: the stack setting
(`userMappings`, `groupMappings`), the `spec` `ProvisioningAttributeMappings` is given, what its
provider checks and the schema edit applies, and what its `read` reports back:

    {"mode": "merge", "enabled": True, "actions": ["create", "update", "delete"],
     "mappings": [{"target": "title", "attribute": "jobTitle"}, ...],
     "scopingFilter": [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]}

`normalize` is the one check and canonical form (the settings use it, and the provider's check,
for a resource declared without them); problems come back as (path, message) pairs, the path in
the stack file's words relative to the object mapping (`mappings[2].expression`), so an error
names the stack key as written. `to_wire` and `from_wire` are the one place that knows how the
resource's properties spell three of the keys (`source_object`, `target_object`,
`scoping_filter`: the names in every stack's state, kept so that state from earlier versions
reads and refreshes unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from rules import expressions

ObjectKind = Literal["user", "group"]
Problem = tuple[str, str]

# Asana's user target attributes: exactly the table of Microsoft's Asana provisioning tutorial
# (learn.microsoft.com/entra/identity/saas-apps/asana-provisioning-tutorial, ms.date 03/25/2025;
# api-facts graph-synchronization §3.1). This is the offline first check a preview can make;
# before a write, targets are checked again against the job's own schema (`schema_targets`).
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
USER_TARGETS = frozenset(
    {
        "userName",
        "active",
        "name.formatted",
        "title",
        f"{_ENTERPRISE}department",
        f"{_ENTERPRISE}manager",
        'addresses[type eq "work"].country',
        'addresses[type eq "work"].region',
        'addresses[type eq "work"].locality',
        'phoneNumbers[type eq "work"].value',
        f"{_ENTERPRISE}employeeNumber",
        f"{_ENTERPRISE}costCenter",
        f"{_ENTERPRISE}organization",
        f"{_ENTERPRISE}division",
    }
)
# Attributes the tutorial's change log says Entra dropped from the Asana mapping (§3.1).
_REFUSED_USER_TARGETS = {
    "name.givenName": "Asana does not update given names; map name.formatted instead",
    "name.familyName": "Asana does not update family names; map name.formatted instead",
    "externalId": "Asana does not support externalId; users are matched on userName",
    "preferredLanguage": "Entra's Asana mapping dropped preferredLanguage on 05/23/2023",
}
GROUP_TARGETS = frozenset({"displayName", "members"})
# Asana filters users on userName and teams on displayName only (api-facts asana §2).
MATCHING_TARGET: Mapping[ObjectKind, str] = {"user": "userName", "group": "displayName"}
DEFAULT_OBJECTS: Mapping[ObjectKind, str] = {"user": "User", "group": "Group"}

# attributeMapping.flowType (synchronization-attributemapping.md).
FLOW_TYPES = ("Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly")
# objectMapping.flowTypes, in the stack file's words.
ACTIONS = {"create": "Add", "update": "Update", "delete": "Delete"}
# The operators `GET .../schema/filterOperators` lists (synchronization-synchronizationschema-
# filteroperators.md, full response): unary ones take no values.
UNARY_OPERATORS = frozenset({"IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"})
BINARY_OPERATORS = frozenset({"EQUALS", "NOT EQUALS", "REGEX MATCH", "NOT REGEX MATCH"})
MODES = ("merge", "exact")
SOURCE_KINDS = ("attribute", "constant", "expression")

# Each spec key and the `ProvisioningAttributeMappings` property that carries it.
_WIRE = {
    "sourceObject": "source_object",
    "targetObject": "target_object",
    "mode": "mode",
    "enabled": "enabled",
    "actions": "actions",
    "mappings": "mappings",
    "scopingFilter": "scoping_filter",
}
_KEYS = set(_WIRE)
_MAPPING_KEYS = {"target", *SOURCE_KINDS, "flowType", "matchingPriority", "defaultValue"}
_CLAUSE_KEYS = {"attribute", "operator", "values"}
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")
_OBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:\-]{0,199}$")
MAX_MAPPINGS = 200
MAX_FILTER_GROUPS = 50
MAX_CLAUSES = 50
MAX_VALUES = 100
MAX_TEXT = 1024


def normalize(raw: Any, kind: ObjectKind) -> tuple[dict[str, Any], list[Problem]]:
    """The canonical spec (defaults filled in) and every problem found in `raw`."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        return {}, [("", "must be an object with mappings, mode, enabled, actions, scopingFilter")]
    for key in sorted(set(raw) - _KEYS):
        problems.append((key, f"is not a mapping setting; known: {', '.join(sorted(_KEYS))}"))
    spec: dict[str, Any] = {
        "sourceObject": _object_name(raw, "sourceObject", DEFAULT_OBJECTS[kind], problems),
        "targetObject": _object_name(raw, "targetObject", DEFAULT_OBJECTS[kind], problems),
        "mode": _choice(raw.get("mode", "merge"), MODES, "mode", problems),
        "enabled": _boolean(raw.get("enabled", True), "enabled", problems),
        "actions": _actions(raw.get("actions", list(ACTIONS)), problems),
        "mappings": _mappings(raw.get("mappings", []), kind, problems),
    }
    if "scopingFilter" in raw and raw["scopingFilter"] is not None:
        spec["scopingFilter"] = _scoping_filter(raw["scopingFilter"], problems)
    _check_matching(spec, kind, problems)
    return spec, problems


def to_wire(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec as the resource's properties (what the engine passes and state keeps)."""
    return {prop: spec[key] for key, prop in _WIRE.items() if key in spec}


def from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """The spec in the resource's properties, numbers typed as Graph types them: every number
    crosses the engine's protobuf Struct as a double, so a matchingPriority 1 comes back 1.0."""
    spec = {key: props[prop] for key, prop in _WIRE.items() if prop in props}
    if isinstance(spec.get("mappings"), list):
        spec["mappings"] = [
            {**m, "matchingPriority": _whole(m["matchingPriority"])}
            if isinstance(m, Mapping) and "matchingPriority" in m
            else m
            for m in spec["mappings"]
        ]
    return spec


def _whole(value: Any) -> Any:
    """A whole number that arrived as a float (from JSON or the engine) as an int."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def source_of(mapping: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, value) of a canonical mapping's source, expressions in canonical spelling."""
    for kind in SOURCE_KINDS:
        if kind in mapping:
            value = str(mapping[kind])
            return kind, expressions.canonical(value) if kind == "expression" else value
    return "none", ""


def _object_name(raw: Mapping[str, Any], key: str, default: str, problems: list[Problem]) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not _OBJECT_NAME.match(value):
        problems.append((key, "must be an object name such as User or Group"))
        return default
    return value


def _choice(value: Any, allowed: tuple[str, ...], path: str, problems: list[Problem]) -> str:
    if value not in allowed:
        problems.append((path, f"is {value!r}; allowed: {' or '.join(allowed)}"))
        return allowed[0]
    return str(value)


def _boolean(value: Any, path: str, problems: list[Problem]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    problems.append((path, f"is {value!r}; allowed: true or false"))
    return True


def _actions(value: Any, problems: list[Problem]) -> list[str]:
    allowed = ", ".join(ACTIONS)
    if not isinstance(value, list) or not value:
        problems.append(("actions", f"must be a non-empty list of: {allowed}"))
        return list(ACTIONS)
    unknown = [action for action in value if action not in ACTIONS]
    if unknown or len(set(value)) != len(value):
        problems.append(("actions", f"is {value!r}; allowed: each of {allowed} at most once"))
        return list(ACTIONS)
    return [action for action in ACTIONS if action in value]


def _mappings(value: Any, kind: ObjectKind, problems: list[Problem]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        problems.append(("mappings", "must be a list of attribute mappings"))
        return []
    if len(value) > MAX_MAPPINGS:
        problems.append(("mappings", f"has {len(value)} entries; at most {MAX_MAPPINGS}"))
        return []
    mappings: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(value):
        path = f"mappings[{index}]"
        mapping = _mapping(raw, kind, path, problems)
        if mapping is None:
            continue
        if mapping["target"].lower() in seen:
            problems.append((f"{path}.target", f"maps {mapping['target']!r} a second time"))
            continue
        seen.add(mapping["target"].lower())
        mappings.append(mapping)
    return mappings


def _mapping(raw: Any, kind: ObjectKind, path: str, problems: list[Problem]) -> dict | None:
    if not isinstance(raw, Mapping):
        problems.append((path, "must be an object with target and a source"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - _MAPPING_KEYS):
        problems.append(
            (f"{path}.{key}", f"is not known; known: {', '.join(sorted(_MAPPING_KEYS))}")
        )
    target = _target(raw.get("target"), kind, f"{path}.target", problems)
    sources = [key for key in SOURCE_KINDS if key in raw]
    if len(sources) != 1:
        problems.append((path, "needs exactly one source: attribute, constant or expression"))
        return None
    mapping: dict[str, Any] = {"target": target}
    mapping.update(_source(sources[0], raw[sources[0]], f"{path}.{sources[0]}", problems))
    mapping["flowType"] = _choice(
        raw.get("flowType", "Always"), FLOW_TYPES, f"{path}.flowType", problems
    )
    priority = _whole(raw.get("matchingPriority", 0))
    if isinstance(priority, str) and priority.isdigit():
        priority = int(priority)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 100:
        problems.append((f"{path}.matchingPriority", "must be a whole number from 0 to 100"))
        priority = 0
    mapping["matchingPriority"] = priority
    default = raw.get("defaultValue")
    if default is not None:
        if not isinstance(default, str) or len(default) > MAX_TEXT:
            problems.append(
                (f"{path}.defaultValue", f"must be text of at most {MAX_TEXT} characters")
            )
        else:
            mapping["defaultValue"] = default
    return mapping if len(problems) == before else None


def _target(value: Any, kind: ObjectKind, path: str, problems: list[Problem]) -> str:
    allowed = USER_TARGETS if kind == "user" else GROUP_TARGETS
    if not isinstance(value, str) or not value:
        problems.append((path, "must name an Asana attribute"))
        return ""
    if value in _REFUSED_USER_TARGETS and kind == "user":
        problems.append((path, f"is {value!r}: {_REFUSED_USER_TARGETS[value]}"))
    elif value not in allowed:
        listed = ", ".join(sorted(allowed))
        problems.append((path, f"is {value!r}, which Asana does not accept; allowed: {listed}"))
    return value


def _source(kind: str, value: Any, path: str, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, str) or len(value) > expressions.MAX_LENGTH:
        problems.append((path, "must be text"))
        return {kind: ""}
    if kind == "attribute":
        if not _ATTRIBUTE_NAME.match(value):
            problems.append((path, f"is {value!r}; allowed: an Entra attribute name"))
        return {"attribute": value}
    if kind == "constant":
        if '"' in value or "\\" in value or len(value) > MAX_TEXT:
            problems.append((path, "must be text without double quotes or backslashes"))
        return {"constant": value}
    try:
        expressions.validate(value)
    except expressions.ExpressionError as error:
        problems.append((path, f"is not a valid expression: {error}"))
        return {"expression": value}
    tokens = expressions.tokenize(value)
    if len(tokens) == 1 and tokens[0].kind == "attribute":  # `[jobTitle]` is just an attribute
        return {"attribute": tokens[0].text}
    if len(tokens) == 1 and tokens[0].kind == "string":
        text = tokens[0].text[1:-1]
        if "\\" not in text and len(text) <= MAX_TEXT:  # a constant as `constant` would take it
            return {"constant": text}
        # An escaped `\"` or `\\`, or text longer than a constant may be, stays the expression
        # it was written as: its escapes are Entra's to read, not ours to keep as written.
    return {"expression": value.strip()}


def _scoping_filter(value: Any, problems: list[Problem]) -> list[list[dict[str, Any]]]:
    if not isinstance(value, list) or len(value) > MAX_FILTER_GROUPS:
        problems.append(
            (
                "scopingFilter",
                f"must be a list (OR) of at most {MAX_FILTER_GROUPS} clause lists (AND)",
            )
        )
        return []
    groups: list[list[dict[str, Any]]] = []
    for g, group in enumerate(value):
        if not isinstance(group, list) or not group or len(group) > MAX_CLAUSES:
            problems.append(
                (f"scopingFilter[{g}]", f"must be a list of 1 to {MAX_CLAUSES} clauses")
            )
            continue
        groups.append(
            [
                clause
                for c, raw in enumerate(group)
                if (clause := _clause(raw, f"scopingFilter[{g}][{c}]", problems)) is not None
            ]
        )
    return groups


def _clause(raw: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or set(raw) - _CLAUSE_KEYS:
        problems.append((path, "must be an object with attribute, operator and values"))
        return None
    attribute, operator = raw.get("attribute"), raw.get("operator")
    values = raw.get("values", [])
    if not isinstance(attribute, str) or not _ATTRIBUTE_NAME.match(attribute):
        problems.append((f"{path}.attribute", "must be an Entra attribute name"))
    operators = sorted(UNARY_OPERATORS | BINARY_OPERATORS)
    if operator not in UNARY_OPERATORS | BINARY_OPERATORS:
        problems.append((f"{path}.operator", f"is {operator!r}; allowed: {', '.join(operators)}"))
        return None
    if not isinstance(values, list) or not all(
        isinstance(v, str) and len(v) <= MAX_TEXT for v in values
    ):
        problems.append((f"{path}.values", "must be a list of text values"))
        return None
    if operator in UNARY_OPERATORS and values:
        problems.append((f"{path}.values", f"must be empty: {operator} takes no value"))
    if operator in BINARY_OPERATORS and not 1 <= len(values) <= MAX_VALUES:
        problems.append((f"{path}.values", f"{operator} needs 1 to {MAX_VALUES} values"))
    if "REGEX" in str(operator):
        for value in values:
            try:
                re.compile(value)
            except re.error as error:
                problems.append(
                    (f"{path}.values", f"{value!r} is not a regular expression: {error}")
                )
    return {"attribute": attribute, "operator": operator, "values": list(values)}


def _check_matching(spec: dict[str, Any], kind: ObjectKind, problems: list[Problem]) -> None:
    """Asana finds existing objects only by userName (users) or displayName (teams)."""
    matching_target = MATCHING_TARGET[kind]
    for index, mapping in enumerate(spec["mappings"]):
        priority, target = mapping["matchingPriority"], mapping["target"]
        if priority and target != matching_target:
            problems.append(
                (
                    f"mappings[{index}].matchingPriority",
                    f"must be 0: Asana can only match {kind}s on {matching_target}",
                )
            )
        elif target == matching_target and priority != 1:
            problems.append(
                (f"mappings[{index}].matchingPriority", f"must be 1 for {matching_target}")
            )
    listed = {m["target"] for m in spec["mappings"]}
    if spec["mode"] == "exact" and matching_target not in listed:
        problems.append(
            ("mappings", f"an exact set must map {matching_target} with matchingPriority 1")
        )
