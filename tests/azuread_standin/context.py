"""What a resource or function operation gets from the configured stand-in.

`Context` holds the Graph client, the caller's identity read from its token, the settings, and
two upstream mechanisms: `locked` (terraform-provider-azuread's `tf.LockByName`, which
serializes operations on one application or service principal, because several of its resources
read-modify-write the same object) and `wait_until` (its `StateChangeConf`: poll until the same
answer comes `confirmations` times in a row).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.graph import GraphClient
from tests.azuread_standin.settings import StandinSettings

PENDING_BACKOFF_CAP = 40
"""Upstream doubles its pause while pending from 5 s up to 10 s; the stand-in's interval is
shorter, so it may double further before it stops growing."""


@dataclass(frozen=True)
class Caller:
    """`getClientConfig`'s answer: the configured tenant and client, the token's `oid`."""

    tenant_id: str
    client_id: str
    object_id: str


class NamedLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)

    @contextlib.contextmanager
    def hold(self, kind: str, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks[f"{kind}/{name.lower()}"]
        with lock:
            yield


@dataclass
class Context:
    graph: GraphClient
    caller: Caller
    settings: StandinSettings
    locks: NamedLocks

    def locked(self, kind: str, name: str) -> contextlib.AbstractContextManager[None]:
        return self.locks.hold(kind, name)

    def wait_until(self, what: str, done: Callable[[], bool]) -> None:
        """Poll `done` until it holds `confirmations` times in a row, or fail after the wait
        timeout (upstream: `consistency.WaitForUpdate` / `WaitForDeletion`). As upstream's
        `StateChangeConf`, the pause doubles while the answer is still pending (up to
        `PENDING_BACKOFF_CAP` times the poll interval) and stays short between confirmations."""
        interval = self.settings.poll_interval_seconds
        deadline = time.monotonic() + self.settings.wait_timeout_seconds
        pause = interval
        in_a_row = 0
        while True:
            if done():
                in_a_row += 1
                if in_a_row >= self.settings.confirmations:
                    return
                pause = interval
            else:
                in_a_row = 0
                pause = min(pause * 2, interval * PENDING_BACKOFF_CAP)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StandinError(
                    f"timed out after {self.settings.wait_timeout_seconds:.0f} s waiting for {what}"
                )
            self.graph.sleep(min(pause, remaining))
