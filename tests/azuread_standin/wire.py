"""Property values as they cross the ResourceProvider protocol, in both directions.

The engine encodes secrets and unknown (preview-time) values inside `google.protobuf.Struct`
with reserved signatures. The stand-in answers Configure with `acceptSecrets: true`, so it sees
secrets as such and must hand them back marked; it decodes them into `Secret` and `UNKNOWN`
here instead of letting them pass as ordinary dicts and strings, so no code path can mistake a
secret for a plain value or send an unknown to Microsoft Graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine writes a value it does not know yet (pulumi/sdk/go/common/resource/plugin)."""
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


@dataclass(frozen=True)
class Secret:
    """A value the engine or the schema marks secret; `repr` never shows it."""

    value: Any

    def __repr__(self) -> str:
        return "Secret(...)"


class _Unknown:
    """The engine's "not known until the resource it comes from exists" value."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def from_struct(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """A request's properties as Python values with `Secret` and `UNKNOWN` decoded."""
    if struct is None:
        return {}
    plain = json_format.MessageToDict(struct)
    return {key: _decode(value) for key, value in plain.items()}


def _decode(value: Any) -> Any:
    if value == UNKNOWN_SENTINEL:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(_decode(value.get("value")))
        return {key: _decode(item) for key, item in value.items()}
    return value


def to_struct(values: Mapping[str, Any], *, keep_secrets: bool = True) -> struct_pb2.Struct:
    """Encodes Python values for a response; secrets stay marked unless `keep_secrets` is off
    (as for Invoke results, which the bridge returns without secret markers)."""
    struct = struct_pb2.Struct()
    struct.update({key: _encode(value, keep_secrets) for key, value in values.items()})
    return struct


def _encode(value: Any, keep_secrets: bool) -> Any:
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, Secret):
        inner = _encode(value.value, keep_secrets)
        return {SIG_KEY: SECRET_SIG, "value": inner} if keep_secrets else inner
    if isinstance(value, Mapping):
        return {key: _encode(item, keep_secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item, keep_secrets) for item in value]
    return value


def reveal(value: Any) -> Any:
    """The value with every secret marker removed (only for building a Graph request)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, Mapping):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(item) for item in value]
    return value


def has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(has_secret(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_secret(item) for item in value)
    return False


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Secret):
        return has_unknown(value.value)
    if isinstance(value, Mapping):
        return any(has_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(item) for item in value)
    return False


def secret_strings(value: Any) -> list[str]:
    """Every string held inside a secret, so error texts can be scrubbed of them."""
    found: list[str] = []

    def walk(item: Any, inside: bool) -> None:
        if isinstance(item, Secret):
            walk(item.value, True)
        elif isinstance(item, Mapping):
            for nested in item.values():
                walk(nested, inside)
        elif isinstance(item, list | tuple):
            for nested in item:
                walk(nested, inside)
        elif inside and isinstance(item, str) and item:
            found.append(item)

    walk(value, False)
    return found
