"""Finds where a secret shows up in what a provider run left behind.

A secret may cross the wire only where the engine puts it: the stack config sent to Configure
and the resource property that carries it. Anywhere else (another property, an id, an error, a
log line, the serialized provider, the state file) is a leak.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tests.engine import EngineResource, ProviderServer

# Top-level gRPC message fields that hold resource properties (MessageToDict's spelling).
PROPERTY_SECTIONS = frozenset({"olds", "news", "properties", "inputs", "oldInputs"})


def paths_containing(secret: str, value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(value, str):
        return [path] if secret in value else []
    if isinstance(value, Mapping):
        return [
            p for key, item in value.items() for p in paths_containing(secret, item, (*path, key))
        ]
    if isinstance(value, list | tuple):
        return [
            p
            for i, item in enumerate(value)
            for p in paths_containing(secret, item, (*path, str(i)))
        ]
    return []


def find_leaks(
    secret: str,
    *,
    server: ProviderServer,
    resources: Iterable[EngineResource] = (),
    allowed_properties: frozenset[str] = frozenset(),
    allowed_config_keys: frozenset[str] = frozenset(),
    texts: Mapping[str, str] | None = None,
) -> list[str]:
    """Every place `secret` appears outside the allowed properties and config keys."""
    leaks: list[str] = []
    for number, exchange in enumerate(server.exchanges):
        for direction, text in (("request", exchange.request), ("response", exchange.response)):
            try:
                message = json.loads(text)
            except ValueError:
                message = text  # an error's details
            for path in paths_containing(secret, message):
                if _allowed(exchange.method, path, allowed_properties, allowed_config_keys):
                    continue
                leaks.append(f"gRPC #{number} {exchange.method} {direction} at {'.'.join(path)}")
    for resource in resources:
        blob = base64.b64decode(_provider_blob(resource))
        if secret.encode() in blob:
            leaks.append(f"serialized provider of {resource.name}")
        if resource.id and secret in resource.id:
            leaks.append(f"id of {resource.name}")
        for path in paths_containing(secret, resource.state()):
            leaks.append(f"state of {resource.name} at {'.'.join(path)}")
    if secret in server.stderr_text():
        leaks.append("provider process output (logs)")
    for where, text in (texts or {}).items():
        if secret in text:
            leaks.append(where)
    return leaks


def _allowed(
    method: str, path: tuple[str, ...], properties: frozenset[str], config_keys: frozenset[str]
) -> bool:
    if method == "Configure" and len(path) >= 2 and path[0] == "args":
        return path[1] in config_keys  # the engine sends secret config wrapped: args.key.value
    return len(path) == 2 and path[0] in PROPERTY_SECTIONS and path[1] in properties


def _provider_blob(resource: EngineResource) -> str:
    from tests.engine import provider_blob

    return provider_blob(resource.provider)
