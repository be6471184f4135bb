"""The record of every request the emulator received, for tests to assert on.

Entries are reserved when a request arrives and filled in just before the reply is written,
so the log is in arrival order and a client that has its answer always finds it logged.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from dataclasses import dataclass

REDACTED = "[redacted]"


def without_client_secret(body: object | None) -> object | None:
    """An OAuth form with `client_secret` blanked, so no app secret ever enters the log."""
    if isinstance(body, dict) and "client_secret" in body:
        return {**body, "client_secret": REDACTED}
    return body


@dataclass(frozen=True)
class RecordedRequest:
    """One received request. `status` is 0 when the connection was dropped without a reply;
    `fault` names the injected fault kind ("status", "reset", "slow", "after", ...) that
    applied, if any.
    Request headers (and so the Authorization value) are never recorded."""

    service: str
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: object | None
    fault: str | None


class RequestLog:
    """Thread-safe, ordered request log that survives concurrent requests and `clear()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets = itertools.count()
        self._entries: dict[int, RecordedRequest | None] = {}

    def open(self) -> int:
        """Reserve the slot for a request that has just arrived."""
        with self._lock:
            ticket = next(self._tickets)
            self._entries[ticket] = None
            return ticket

    def close(self, ticket: int, record: RecordedRequest) -> None:
        """Fill a reserved slot; a slot removed by `clear()` meanwhile stays gone."""
        with self._lock:
            if ticket in self._entries:
                self._entries[ticket] = record

    def snapshot(self) -> list[RecordedRequest]:
        """Completed requests in arrival order, deep-copied so callers cannot alter the log."""
        with self._lock:
            records = [record for record in self._entries.values() if record is not None]
        return copy.deepcopy(records)

    def count(
        self, service: str | None = None, method: str | None = None, path: str | None = None
    ) -> int:
        """How many completed requests match all given filters; `path` is a regex searched."""
        pattern = None if path is None else re.compile(path)
        wanted_method = None if method is None else method.upper()
        return sum(
            1
            for record in self.snapshot()
            if (service is None or record.service == service)
            and (wanted_method is None or record.method == wanted_method)
            and (pattern is None or pattern.search(record.path) is not None)
        )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
