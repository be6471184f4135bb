"""The target side of provisioning: what an object mapping makes of a source object, and where
each target attribute lives in a SCIM resource.

Mapping sources evaluated: `Attribute` (the source value), `Constant`, and the functions
`Join(separator, source*)` and `Switch(source, defaultValue, switchValue*)` (pairs of
match/result, as the Asana template's `active` mapping uses). Other functions and reference
attributes (manager, members) are not evaluated; their targets are left alone. Values are
written as the service writes them: text, or a Boolean for a Boolean target attribute.

SCIM attribute paths: `title`, `name.formatted` (sub-attribute), `addresses[type eq "work"].country`
(the multi-valued item of that type) and `urn:...:enterprise:2.0:User:department` (extension
schema), as Entra's customappsso target attributes name them (RFC 7644 §3.10).
"""

from __future__ import annotations

import re
from typing import Any

from .messages import JsonObject
from .scoping import ValueOf, as_text

_FILTERED = re.compile(r'(?P<attribute>\w+)\[type eq "(?P<type>[^"]*)"\]\.(?P<sub>\w+)')


def matching_target(mapping: JsonObject) -> str | None:
    """The target attribute objects are matched on (matchingPriority 1)."""
    ranked = [
        m
        for m in mapping.get("attributeMappings") or []
        if isinstance(m, dict) and int(m.get("matchingPriority") or 0) > 0
    ]
    ranked.sort(key=lambda m: int(m["matchingPriority"]))
    return str(ranked[0]["targetAttributeName"]) if ranked else None


def desired_values(
    mapping: JsonObject, value_of: ValueOf, boolean_targets: set[str]
) -> dict[str, Any]:
    """Target attribute -> value for every mapping the emulator can evaluate and that yields a
    value (the service does not flow nulls unless asked to)."""
    result: dict[str, Any] = {}
    for attribute_mapping in mapping.get("attributeMappings") or []:
        if not isinstance(attribute_mapping, dict):
            continue
        target = str(attribute_mapping.get("targetAttributeName", ""))
        value = _evaluate(attribute_mapping.get("source") or {}, value_of)
        if value is None:
            continue
        result[target] = value.lower() == "true" if target.lower() in boolean_targets else value
    return result


def boolean_targets(schema: JsonObject, directory_name: str, object_name: str) -> set[str]:
    """The Boolean attributes (lower-cased) of a target object in the schema's directories."""
    for directory in schema.get("directories") or []:
        if str(directory.get("name", "")).lower() != directory_name.lower():
            continue
        for obj in directory.get("objects") or []:
            if str(obj.get("name", "")).lower() == object_name.lower():
                return {
                    str(a.get("name", "")).lower()
                    for a in obj.get("attributes") or []
                    if a.get("type") == "Boolean"
                }
    return set()


def _evaluate(source: JsonObject, value_of: ValueOf) -> str | None:
    kind = source.get("type")
    if kind == "Constant":
        return str(source.get("name", ""))
    if kind == "Attribute":
        value = value_of(str(source.get("name", "")))
        return None if isinstance(value, list) else as_text(value)
    if kind == "Function":
        return _function(source, value_of)
    return None


def _function(source: JsonObject, value_of: ValueOf) -> str | None:
    name = str(source.get("name", ""))
    parameters = [p for p in source.get("parameters") or [] if isinstance(p, dict)]
    if name == "Join":
        separator = next((p["value"] for p in parameters if p.get("key") == "separator"), None)
        glue = "" if separator is None else _evaluate(separator, value_of) or ""
        parts = [_evaluate(p["value"], value_of) for p in parameters if p.get("key") == "source"]
        joined = glue.join(part for part in parts if part)
        return joined or None
    if name == "Switch":
        given = next((p["value"] for p in parameters if p.get("key") == "source"), None)
        actual = None if given is None else _evaluate(given, value_of)
        default = next((p["value"] for p in parameters if p.get("key") == "defaultValue"), None)
        pairs = [
            _evaluate(p["value"], value_of) for p in parameters if p.get("key") == "switchValue"
        ]
        for key, result in zip(pairs[::2], pairs[1::2], strict=False):
            if key == actual:
                return result
        return None if default is None else _evaluate(default, value_of)
    return None


# ----- SCIM resource paths -----


def get_path(resource: JsonObject, path: str) -> Any:
    """The value at a target attribute path, None when absent."""
    container, key = _locate(resource, path, create=False)
    return None if container is None else container.get(key)


def set_path(resource: JsonObject, path: str, value: Any) -> None:
    """Write a value at a target attribute path, creating the containers it needs."""
    container, key = _locate(resource, path, create=True)
    assert container is not None
    container[key] = value


def _locate(resource: JsonObject, path: str, *, create: bool) -> tuple[JsonObject | None, str]:
    if path.startswith("urn:"):
        urn, _, attribute = path.rpartition(":")
        return _child(resource, urn, create), attribute
    filtered = _FILTERED.fullmatch(path)
    if filtered is not None:
        items = resource.get(filtered["attribute"])
        if not isinstance(items, list):
            if not create:
                return None, filtered["sub"]
            items = resource[filtered["attribute"]] = []
        item = next((i for i in items if i.get("type") == filtered["type"]), None)
        if item is None and create:
            item = {"type": filtered["type"]}
            items.append(item)
        return item, filtered["sub"]
    parent, _, attribute = path.rpartition(".")
    return (_child(resource, parent, create) if parent else resource), attribute


def _child(resource: JsonObject, key: str, create: bool) -> JsonObject | None:
    found = resource.get(key)
    if isinstance(found, dict):
        return found
    if not create:
        return None
    resource[key] = {}
    return resource[key]
