"""Read and change one object mapping of a Graph synchronization schema: plain dicts, no I/O.

Graph replaces the whole schema on PUT (api-facts graph-synchronization §1.2), so every edit is a
read-modify-write of the full document. These functions change only the object mapping they are
pointed at, and within it only what the spec manages; every other rule, mapping, directory,
metadata entry and unknown field comes back exactly as it went in.

Graph keeps a function source both as text and parsed (`parameters`), so a mapping written from
an expression carries the parsed form Graph's own parser returned for it (`expressions_to_parse`
lists what to send to `parseExpression`; `apply` takes the answers). Numbers are written with
Graph's declared type (Int32 `matchingPriority`), whatever the engine handed us (every number
crosses its protobuf Struct as a double).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from rules.mapping_spec import ACTIONS, source_of

Schema = dict[str, Any]
Source = Mapping[str, Any]
_GRAPH_ACTIONS = {graph: ours for ours, graph in ACTIONS.items()}
RESTORED_FIELDS = ("attributeMappings", "scope", "enabled", "flowTypes")
"""What a mappings resource manages in its object mapping, and so what its destroy restores."""


class SchemaEditError(ValueError):
    """The schema does not have what the spec refers to, or the change would break matching."""


def _short(object_name: str) -> str:
    """`urn:...:enterprise:2.0:User` and `User` both name the user object."""
    return object_name.rsplit(":", 1)[-1].lower()


def find_object_mapping(schema: Mapping[str, Any], source: str, target: str) -> tuple[int, int]:
    """(rule index, mapping index) of the one object mapping from `source` to `target`."""
    found = [
        (r, m)
        for r, rule in enumerate(schema.get("synchronizationRules") or [])
        for m, mapping in enumerate(rule.get("objectMappings") or [])
        if _short(str(mapping.get("sourceObjectName", ""))) == _short(source)
        and _short(str(mapping.get("targetObjectName", ""))) == _short(target)
    ]
    if len(found) != 1:
        available = sorted(
            f"{m.get('sourceObjectName')} -> {m.get('targetObjectName')}"
            for rule in schema.get("synchronizationRules") or []
            for m in rule.get("objectMappings") or []
        )
        how_many = "no" if not found else f"{len(found)}"
        raise SchemaEditError(
            f"the schema has {how_many} object mapping from {source} to {target}; "
            f"it has: {', '.join(available) or 'none'}"
        )
    return found[0]


def object_mapping(schema: Mapping[str, Any], source: str, target: str) -> dict[str, Any]:
    r, m = find_object_mapping(schema, source, target)
    return schema["synchronizationRules"][r]["objectMappings"][m]


def canonical_mapping(live: Mapping[str, Any]) -> dict[str, Any]:
    """A Graph attributeMapping in the stack file's words."""
    source = live.get("source") or {}
    kind = str(source.get("type", "Attribute"))
    mapping: dict[str, Any] = {"target": live.get("targetAttributeName")}
    if kind == "Attribute":
        mapping["attribute"] = source.get("name")
    elif kind == "Constant":
        mapping["constant"] = source.get("name")
    else:
        mapping["expression"] = source.get("expression")
    mapping["flowType"] = live.get("flowType") or "Always"
    mapping["matchingPriority"] = int(live.get("matchingPriority") or 0)
    if live.get("defaultValue") is not None:
        mapping["defaultValue"] = live["defaultValue"]
    return mapping


def live_spec(schema: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """What the live schema holds for the part `desired` manages, in the same shape."""
    mapping = object_mapping(schema, desired["sourceObject"], desired["targetObject"])
    live_mappings = [canonical_mapping(m) for m in mapping.get("attributeMappings") or []]
    if desired["mode"] == "merge":
        by_target = {m["target"].lower(): m for m in live_mappings}
        wanted = [m["target"].lower() for m in desired["mappings"]]
        live_mappings = [by_target[t] for t in wanted if t in by_target]
    spec: dict[str, Any] = {
        "sourceObject": desired["sourceObject"],
        "targetObject": desired["targetObject"],
        "mode": desired["mode"],
        "enabled": bool(mapping.get("enabled", True)),
        "actions": _actions(mapping.get("flowTypes")),
        "mappings": live_mappings,
    }
    if "scopingFilter" in desired:
        spec["scopingFilter"] = _filter_groups(mapping.get("scope"))
    return spec


def changes(desired: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """Each difference between a desired and a live spec, named for a person reading a diff."""
    found: list[str] = []
    for key in ("enabled", "actions"):
        if desired.get(key) != live.get(key):
            found.append(f"{key}: {_shown(live.get(key))} -> {_shown(desired.get(key))}")
    live_by_target = {m["target"].lower(): m for m in live.get("mappings", [])}
    wanted = {m["target"].lower() for m in desired.get("mappings", [])}
    for mapping in desired.get("mappings", []):
        current = live_by_target.get(mapping["target"].lower())
        if current is None:
            found.append(f"{mapping['target']}: not mapped -> {_describe(mapping)}")
        elif _comparable(current) != _comparable(mapping):
            found.append(f"{mapping['target']}: {_describe(current)} -> {_describe(mapping)}")
    if desired.get("mode") == "exact":
        for target, current in live_by_target.items():
            if target not in wanted:
                found.append(f"{current['target']}: {_describe(current)} -> removed")
    if "scopingFilter" in desired and desired["scopingFilter"] != live.get("scopingFilter"):
        found.append(
            f"scoping filter: {_describe_filter(live.get('scopingFilter'))} -> "
            f"{_describe_filter(desired['scopingFilter'])}"
        )
    return found


def expressions_to_parse(
    schema: Mapping[str, Any], desired: Mapping[str, Any]
) -> list[tuple[int, str]]:
    """(index in desired mappings, expression) of each expression source `apply` will write:
    the new mappings and those whose source changes, not the ones left as they are."""
    mapping = object_mapping(schema, desired["sourceObject"], desired["targetObject"])
    live = {
        str(m.get("targetAttributeName", "")).lower(): canonical_mapping(m)
        for m in mapping.get("attributeMappings") or []
    }
    found: list[tuple[int, str]] = []
    for index, spec in enumerate(desired["mappings"]):
        current = live.get(spec["target"].lower())
        if "expression" in spec and (current is None or source_of(current) != source_of(spec)):
            found.append((index, spec["expression"]))
    return found


def apply(
    schema: Mapping[str, Any],
    desired: Mapping[str, Any],
    matching_target: str,
    parsed: Mapping[str, Source] | None = None,
) -> Schema:
    """A copy of `schema` with `desired` applied to its object mapping, and nothing else changed.
    `parsed` holds Graph's parsed source for each expression `expressions_to_parse` listed."""
    result = copy.deepcopy(dict(schema))
    mapping = object_mapping(result, desired["sourceObject"], desired["targetObject"])
    if bool(mapping.get("enabled", True)) != desired["enabled"]:
        mapping["enabled"] = desired["enabled"]
    if _actions(mapping.get("flowTypes")) != desired["actions"]:
        mapping["flowTypes"] = ", ".join(ACTIONS[action] for action in desired["actions"])
    mapping["attributeMappings"] = _apply_mappings(
        mapping.get("attributeMappings") or [], desired, parsed or {}
    )
    if (
        "scopingFilter" in desired
        and _filter_groups(mapping.get("scope")) != desired["scopingFilter"]
    ):
        mapping["scope"] = _scope(mapping.get("scope"), desired["scopingFilter"])
    _check_matching(mapping, matching_target, desired)
    return result


def _apply_mappings(
    live: list[dict[str, Any]], desired: Mapping[str, Any], parsed: Mapping[str, Source]
) -> list[dict[str, Any]]:
    wanted = {m["target"].lower(): m for m in desired["mappings"]}
    result: list[dict[str, Any]] = []
    for mapping in live:
        target = str(mapping.get("targetAttributeName", "")).lower()
        if target not in wanted:
            if desired["mode"] == "merge":
                result.append(mapping)
            continue
        result.append(_updated(mapping, wanted.pop(target), parsed))
    result.extend(
        _new_mapping(spec, parsed)
        for spec in desired["mappings"]
        if spec["target"].lower() in wanted
    )
    return result


def _updated(
    live: dict[str, Any], spec: Mapping[str, Any], parsed: Mapping[str, Source]
) -> dict[str, Any]:
    """The live mapping with only the fields that differ from `spec` rewritten."""
    current = canonical_mapping(live)
    if _comparable(current) == _comparable(spec):
        return live
    updated = dict(live)
    if source_of(current) != source_of(spec):
        updated["source"] = _source(spec, parsed)
    updated["flowType"] = spec["flowType"]
    updated["matchingPriority"] = _int32(spec["matchingPriority"])
    updated["defaultValue"] = spec.get("defaultValue")
    return updated


def _new_mapping(spec: Mapping[str, Any], parsed: Mapping[str, Source]) -> dict[str, Any]:
    return {
        "defaultValue": spec.get("defaultValue"),
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": spec["flowType"],
        "matchingPriority": _int32(spec["matchingPriority"]),
        "source": _source(spec, parsed),
        "targetAttributeName": spec["target"],
    }


def _int32(value: Any) -> int:
    """attributeMapping.matchingPriority is an Int32: 1.0 from the engine is written as 1."""
    number = int(value)
    if number != value or not -(2**31) <= number < 2**31:
        raise SchemaEditError(f"matchingPriority {value!r} is not a 32-bit whole number")
    return number


def _source(spec: Mapping[str, Any], parsed: Mapping[str, Source]) -> dict[str, Any]:
    """attributeMappingSource for a spec (api-facts graph-synchronization §2 shows each form); an
    expression's is the one Graph's parser returned for it."""
    if "attribute" in spec:
        name = spec["attribute"]
        return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}
    if "constant" in spec:
        value = spec["constant"]
        return {"expression": f'"{value}"', "name": value, "parameters": [], "type": "Constant"}
    expression = spec["expression"]
    if expression not in parsed:
        raise SchemaEditError(f"the expression {expression!r} was not parsed by Graph first")
    return copy.deepcopy(dict(parsed[expression]))


def restore_object_mapping(
    schema: Mapping[str, Any], template: Mapping[str, Any], source: str, target: str
) -> Schema:
    """A copy of `schema` whose `source` -> `target` object mapping has the template's attribute
    mappings, scoping filter, enabled switch and actions; nothing else changed."""
    result = copy.deepcopy(dict(schema))
    live = object_mapping(result, source, target)
    default = object_mapping(template, source, target)
    for key in RESTORED_FIELDS:
        if key in default or key in live:
            live[key] = copy.deepcopy(default.get(key))
    return result


def restore_differences(
    schema: Mapping[str, Any], template: Mapping[str, Any], source: str, target: str
) -> list[str]:
    """The restored fields in which `schema`'s object mapping still differs from the template's."""
    live = object_mapping(schema, source, target)
    default = object_mapping(template, source, target)
    return [key for key in RESTORED_FIELDS if live.get(key) != default.get(key)]


def _comparable(mapping: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        source_of(mapping),
        mapping.get("flowType", "Always"),
        mapping.get("matchingPriority", 0),
        mapping.get("defaultValue"),
    )


def _actions(flow_types: Any) -> list[str]:
    if not flow_types:
        return list(ACTIONS)
    named = {_GRAPH_ACTIONS.get(part.strip(), part.strip()) for part in str(flow_types).split(",")}
    return [action for action in ACTIONS if action in named]


def _filter_groups(scope: Any) -> list[list[dict[str, Any]]]:
    groups = (scope or {}).get("groups") or [] if isinstance(scope, Mapping) else []
    return [
        [
            {
                "attribute": clause.get("sourceOperandName"),
                "operator": clause.get("operatorName"),
                "values": list((clause.get("targetOperand") or {}).get("values") or []),
            }
            for clause in group.get("clauses") or []
        ]
        for group in groups
    ]


def _scope(live: Any, groups: list[list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The scope with its `groups` replaced; the experimental filter sets are left as they were."""
    if not groups and not (isinstance(live, Mapping) and _other_filter_sets(live)):
        return None
    scope = dict(live) if isinstance(live, Mapping) else {}
    live_groups = scope.get("groups") or []
    scope["groups"] = [
        {
            "clauses": [
                {
                    "operatorName": clause["operator"],
                    "sourceOperandName": clause["attribute"],
                    "targetOperand": {"values": list(clause["values"])},
                }
                for clause in group
            ],
            "name": (live_groups[i].get("name") if i < len(live_groups) else None)
            or f"Scoping group {i + 1}",
        }
        for i, group in enumerate(groups)
    ]
    return scope


def _other_filter_sets(scope: Mapping[str, Any]) -> bool:
    return bool(scope.get("categoryFilterGroups") or scope.get("inputFilterGroups"))


def _check_matching(mapping: Mapping[str, Any], target: str, desired: Mapping[str, Any]) -> None:
    matching = [
        str(m.get("targetAttributeName"))
        for m in mapping.get("attributeMappings") or []
        if int(m.get("matchingPriority") or 0) > 0
    ]
    if matching != [target]:
        raise SchemaEditError(
            f"the {desired['sourceObject']} -> {desired['targetObject']} mapping would match on "
            f"{', '.join(matching) or 'nothing'}; Asana can only match on {target}"
        )


def _describe(mapping: Mapping[str, Any]) -> str:
    kind, value = source_of(mapping)
    text = {"attribute": f"[{value}]", "constant": f'"{value}"'}.get(kind, value)
    extras = [
        f"{key} {mapping[key]}"
        for key in ("flowType", "matchingPriority", "defaultValue")
        if key in mapping and mapping[key] not in ("Always", 0, None)
    ]
    return " ".join([text, *extras]) if extras else text


def _describe_filter(groups: Any) -> str:
    if not groups:
        return "none"
    return " OR ".join(
        "(" + " AND ".join(f"{c['attribute']} {c['operator']} {c['values']}" for c in group) + ")"
        for group in groups
    )


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)
