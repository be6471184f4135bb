"""Loaded by a child Python whose PYTHONPATH starts with this folder (tests/network_guard.py):
refuses and records every socket connect (but to a Unix socket) and every name lookup, in the
file NETWORK_GUARD_LOG names. Does nothing when that variable is not set."""

from __future__ import annotations

import os
import socket

_log = os.environ.get("NETWORK_GUARD_LOG")


def _record(line: str) -> None:
    with open(_log, "a", encoding="utf-8") as handle:  # type: ignore[arg-type]
        handle.write(line + "\n")


if _log:
    _connect = socket.socket.connect

    def _guarded_connect(sock, address):  # type: ignore[no-untyped-def]
        if sock.family == socket.AF_UNIX:
            return _connect(sock, address)
        _record(f"connect {address!r} (pid {os.getpid()})")
        raise OSError(f"network guard: connect to {address!r} refused")

    def _guarded_connect_ex(sock, address):  # type: ignore[no-untyped-def]
        _guarded_connect(sock, address)
        return 0

    def _guarded_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        _record(f"lookup {host!r}:{port!r} (pid {os.getpid()})")
        raise OSError(f"network guard: lookup of {host!r} refused")

    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    _record(f"armed {os.getpid()}")
