"""PATCH (and the writable part of POST) for directory objects: validate a body against the
properties the emulator lets clients write, then merge it as OData says.

OData 4.0 (Part 1, 11.4.3 "Update an Entity"): properties absent from the body keep their value;
a complex property in the body is merged property by property; a collection is replaced whole.
https://docs.oasis-open.org/odata/odata/v4.0/errata03/os/complete/part1-protocol/odata-v4.0-errata03-os-part1-protocol-complete.html#_Toc453752300

The errors are Graph's directory errors (`Request_BadRequest` with "does not exist as a declared
property", "is read-only", "Invalid value specified for property ... of resource ..."), so a
client mistake gets the answer it would get from Graph rather than a silent success.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .graphreply import Reply, bad_request
from .messages import JsonObject, Request

Kind = Literal["string", "boolean", "guid", "datetime", "strings", "object", "objects"]


@dataclass(frozen=True)
class Prop:
    """A writable property: its JSON kind, whether null is allowed, the closed set of values
    (for enums), nested properties (for objects) and a further check returning a problem."""

    kind: Kind
    nullable: bool = True
    choices: frozenset[str] | None = None
    fields: Mapping[str, Prop] | None = None
    check: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Schema:
    """What a resource type accepts: writable properties, read-only ones, and the rest of its
    declared v1.0 properties (which Graph would accept but the emulator does not model)."""

    type_name: str
    resource: str
    writable: Mapping[str, Prop]
    read_only: Collection[str]
    declared: Collection[str]


def merged(schema: Schema, current: JsonObject, body: object, request: Request) -> JsonObject:
    """`current` with `body` applied, or a 400 Reply for anything Graph would refuse."""
    if not isinstance(body, dict):
        raise bad_request(request, "Empty Payload. JSON content expected.", "BadRequest")
    result = copy.deepcopy(current)
    for name, value in body.items():
        if name == "@odata.type":
            if value != f"#microsoft.graph.{schema.type_name}":
                raise bad_request(request, f"Invalid @odata.type '{value}'.", "BadRequest")
            continue
        prop = schema.writable.get(name)
        if prop is None:
            raise _not_writable(schema, name, request)
        _check(prop, value, name, schema, request)
        result[name] = _merge(prop, result.get(name), value)
    return result


def _not_writable(schema: Schema, name: str, request: Request) -> Reply:
    if name in schema.read_only:
        return bad_request(request, f"Property '{name}' is read-only and cannot be set.")
    if name in schema.declared:
        return bad_request(
            request,
            f"The emulator does not implement writing '{name}' of {schema.resource}; Graph "
            "would accept it.",
        )
    return bad_request(
        request, f"Property '{name}' does not exist as a declared property or extension property."
    )


def _check(prop: Prop, value: object, path: str, schema: Schema, request: Request) -> None:
    if value is None:
        if prop.nullable:
            return
        raise _invalid(schema, path, request)
    valid = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "guid": _is_guid,
        "datetime": _is_datetime,
        "strings": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "object": lambda v: isinstance(v, dict),
        "objects": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
    }[prop.kind](value)
    if valid and prop.choices is not None:
        valid = value in prop.choices
    if not valid or (prop.check is not None and not prop.check(value)):
        raise _invalid(schema, path, request)
    if prop.fields is not None:
        for item in value if isinstance(value, list) else [value]:
            for key, nested in item.items():
                if key == "@odata.type":
                    continue
                field = prop.fields.get(key)
                if field is None:
                    raise bad_request(
                        request,
                        f"The property '{key}' does not exist on the type of '{path}'. Make "
                        "sure to only use property names that are defined by the type.",
                        "BadRequest",
                    )
                _check(field, nested, f"{path}.{key}", schema, request)


def _merge(prop: Prop, current: object, value: object) -> object:
    """Complex values merge into the current one; everything else replaces it."""
    if prop.kind != "object" or not isinstance(value, dict) or not isinstance(current, dict):
        return _without_annotations(copy.deepcopy(value))
    result = dict(current)
    fields = prop.fields or {}
    for key, nested in value.items():
        if key == "@odata.type":
            continue
        result[key] = _merge(fields[key], result.get(key), nested)
    return result


def _without_annotations(value: object) -> object:
    """Stored JSON keeps no `@odata.type` a client sent along with a nested object."""
    if isinstance(value, dict):
        return {k: _without_annotations(v) for k, v in value.items() if k != "@odata.type"}
    if isinstance(value, list):
        return [_without_annotations(v) for v in value]
    return value


def _invalid(schema: Schema, path: str, request: Request) -> Reply:
    return bad_request(
        request, f"Invalid value specified for property '{path}' of resource '{schema.resource}'."
    )


def _is_guid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_absolute_uri(value: str) -> bool:
    """An absolute URI with a scheme and something after it (identifier or redirect URI)."""
    scheme, sep, rest = value.partition(":")
    return bool(sep and rest and scheme.isascii() and scheme[:1].isalpha() and " " not in value)
