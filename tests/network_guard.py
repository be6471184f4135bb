"""Proof that code opened no network connection, for tests that claim "no HTTP request".

Counting requests at the local tenant proves nothing about a request to another host (a default
endpoint such as graph.microsoft.com), so the guard sits lower: every socket `connect` and
every name lookup is recorded and refused, whatever the destination.

* In this process: `refused_connections()` patches `socket` for the duration of a block.
* In a child Python process (the dynamic-provider process of `tests.engine.ProviderServer`):
  `guarded_env(log)` puts `tests/network_guard_site` first on PYTHONPATH, whose
  `sitecustomize` patches the child's `socket` the same way and appends each attempt to `log`.
  It also writes `armed <pid>` first, so a test can tell the guard was loaded at all.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

SITE = Path(__file__).resolve().parent / "network_guard_site"
LOG_VARIABLE = "NETWORK_GUARD_LOG"


class NetworkRefused(OSError):
    """What a guarded connect or lookup raises."""


@contextlib.contextmanager
def refused_connections() -> Iterator[list[str]]:
    """Within the block, connects and lookups fail; the list yielded names each attempt."""
    attempts: list[str] = []
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family == socket.AF_UNIX:
            return saved[0](sock, address)
        attempts.append(f"connect {address!r}")
        raise NetworkRefused(f"network guard: connect to {address!r} refused")

    def connect_ex(sock: socket.socket, address: Any) -> int:
        connect(sock, address)
        return 0

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(f"lookup {host!r}:{port!r}")
        raise NetworkRefused(f"network guard: lookup of {host!r} refused")

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = saved  # type: ignore[method-assign]


def guarded_env(log: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the guard loaded by child Pythons."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE), env.get("PYTHONPATH", "")]))
    env[LOG_VARIABLE] = str(log)
    return env


def attempts_in(log: Path) -> list[str]:
    """The attempts a guarded child recorded (its `armed` lines left out)."""
    if not log.exists():
        return []
    return [line for line in log.read_text().splitlines() if not line.startswith("armed ")]


def armed_in(log: Path) -> bool:
    return log.exists() and any(line.startswith("armed ") for line in log.read_text().splitlines())
