"""Finds where a secret shows up in what a provider run left behind.

A secret may cross the wire only where the engine puts it: the stack config sent to Configure
and the resource property that carries it. Anywhere else (another property, an id, an error, a
log line, the serialized provider, the state file) is a leak. A fragment counts too: an error
text cut in the middle of a token leaks its first half (`fragment` characters are enough).

For the program (under mocks), a secret setting may reach a resource or a stack output only
wrapped as a secret; `plain_paths` finds it anywhere else, and a resource name or URN holding
it is a leak whatever the wrapping.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tests.engine import EngineResource, ProviderServer

# Top-level gRPC message fields that hold resource properties (MessageToDict's spelling).
PROPERTY_SECTIONS = frozenset({"olds", "news", "properties", "inputs", "oldInputs"})
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def fragments(secret: str, length: int) -> list[str]:
    """Every `length`-character piece of `secret` (the whole of it when shorter)."""
    if len(secret) <= length:
        return [secret]
    return [secret[i : i + length] for i in range(len(secret) - length + 1)]


def text_leaks(secret: str, texts: Mapping[str, str], fragment: int | None = None) -> list[str]:
    """The names of the texts holding `secret`, or any `fragment`-long piece of it."""
    pieces = fragments(secret, fragment) if fragment else [secret]
    return [where for where, text in texts.items() if any(piece in text for piece in pieces)]


def plain_paths(secret: str, value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Where `secret` appears in `value` outside a secret wrapper (the engine's marker)."""
    if isinstance(value, Mapping) and value.get(SECRET_SIG_KEY) == SECRET_SIG:
        return []
    if isinstance(value, str):
        return [path] if secret in value else []
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in plain_paths(secret, item, (*path, key))]
    if isinstance(value, list | tuple):
        return [
            p for i, item in enumerate(value) for p in plain_paths(secret, item, (*path, str(i)))
        ]
    return []


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
    fragment: int | None = None,
) -> list[str]:
    """Every place `secret` (or, with `fragment`, any piece of it that long) appears outside
    the allowed properties and config keys."""
    leaks: list[str] = []
    pieces = fragments(secret, fragment) if fragment else [secret]
    for number, exchange in enumerate(server.exchanges):
        for direction, text in (("request", exchange.request), ("response", exchange.response)):
            try:
                message = json.loads(text)
            except ValueError:
                message = text  # an error's details
            found = {path for piece in pieces for path in paths_containing(piece, message)}
            for path in sorted(found):
                if _allowed(exchange.method, path, allowed_properties, allowed_config_keys):
                    continue
                leaks.append(f"gRPC #{number} {exchange.method} {direction} at {'.'.join(path)}")
    for resource in resources:
        blob = base64.b64decode(_provider_blob(resource))
        if any(piece.encode() in blob for piece in pieces):
            leaks.append(f"serialized provider of {resource.name}")
        if resource.id and any(piece in resource.id for piece in pieces):
            leaks.append(f"id of {resource.name}")
        state = resource.state()
        found = {path for piece in pieces for path in paths_containing(piece, state)}
        leaks.extend(f"state of {resource.name} at {'.'.join(path)}" for path in sorted(found))
    logs = {"provider process output (logs)": server.stderr_text(), **(texts or {})}
    leaks.extend(text_leaks(secret, logs, fragment))
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
