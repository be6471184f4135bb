"""Injected failures: what can go wrong on the wire, and the queue that hands them out.

Tests use these to prove that clients retry throttling, survive dropped connections and
respect timeouts, that a write whose reply was lost (landed at once, or landing late) is never
taken for done or not done without reading, and that they name a reply they cannot use (not
JSON, cut short, empty, a redirect, an error page echoing the request's headers) without
depending on the real services misbehaving on cue.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "status",
    "reset",
    "slow",
    "trickle",
    "cut",
    "garble",
    "reply",
    "reflect",
    "after",
    "hold",
    "late",
]
ReflectShape = Literal["html", "json"]
LATE_MAX_SECONDS = 30.0
"""The longest a late write may be held: every wait in a test is bounded."""
RequestFilter = Callable[[Mapping[str, str], object], bool]
"""A test's extra condition on a request, given its query parameters and decoded body."""


@dataclass(frozen=True)
class Fault:
    """One kind of failure; build it with `Fault.status`, `Fault.reset`, `Fault.slow`,
    `Fault.trickle`, `Fault.cut`, `Fault.garble`, `Fault.reply`, `Fault.redirect`,
    `Fault.reflect`, `Fault.after` or `Fault.hold`."""

    kind: FaultKind
    code: int | None = None
    retry_after: int | None = None
    body: dict[str, object] | None = None
    seconds: float = 0.0
    raw: bytes | None = None
    content_type: str | None = None
    location: str | None = None
    content_encoding: str | None = None
    shape: ReflectShape = "html"
    padding: int = 0

    @classmethod
    def status(
        cls, code: int, *, retry_after: int | None = None, body: dict[str, object] | None = None
    ) -> Fault:
        """Answer with this status instead of the real reply: an error, or a 2xx with `body`
        (something that is not the service answering). An error body defaults to the service's
        own error shape; `retry_after` (seconds) adds a Retry-After header."""
        if not 200 <= code <= 599 or (code < 400 and body is None):
            raise ValueError(f"a fault status must be 400-599, or 2xx/3xx with a body; got {code}")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must not be negative")
        return cls("status", code=code, retry_after=retry_after, body=body)

    @classmethod
    def reply(
        cls,
        raw: bytes,
        *,
        code: int = 200,
        content_type: str = "application/json",
        content_encoding: str | None = None,
    ) -> Fault:
        """Answer with exactly these bytes (sent with their true Content-Length): a body that
        is not JSON, JSON cut short, or nothing at all; with `content_encoding` (`gzip`, say),
        a Content-Encoding the bytes may not be in. The service does not act."""
        if not 200 <= code <= 599:
            raise ValueError(f"a reply status must be 200-599; got {code}")
        return cls(
            "reply",
            code=code,
            raw=bytes(raw),
            content_type=content_type,
            content_encoding=content_encoding,
        )

    @classmethod
    def redirect(cls, location: str, *, code: int = 302) -> Fault:
        """Answer with a redirect to `location` (another host, say); the service does not act."""
        if not 300 <= code <= 399:
            raise ValueError(f"a redirect status must be 300-399; got {code}")
        return cls("reply", code=code, raw=b"", location=location)

    @classmethod
    def reflect(cls, code: int = 400, *, shape: ReflectShape = "html", padding: int = 0) -> Fault:
        """Answer with an error page that echoes the request's headers back (as some proxies
        and debug pages do): raw, HTML-escaped, percent-encoded and JSON-escaped in an HTML
        page, or in the message of a JSON error. `padding` characters of filler come first, so
        a test can move the echoed token across where an error text is cut."""
        if not 400 <= code <= 599:
            raise ValueError(f"a reflecting error must be 400-599; got {code}")
        if padding < 0:
            raise ValueError("padding must not be negative")
        return cls("reflect", code=code, shape=shape, padding=padding)

    @classmethod
    def after(cls, code: int | None = 500, *, retry_after: int | None = None) -> Fault:
        """The write lands, the reply is lost: the service handles the request (a POST creates
        its object), then the client gets this error status (in the service's own error shape,
        with Retry-After when `retry_after` is given) instead of the real reply, or, with
        `code=None`, a dropped connection. Every other kind answers without acting."""
        if code is not None and not 400 <= code <= 599:
            raise ValueError(f"an after-the-write status must be 400-599; got {code}")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must not be negative")
        return cls("after", code=code, retry_after=retry_after)

    @classmethod
    def hold(cls, seconds: float) -> Fault:
        """The write lands, the reply is held: the service handles the request and the request
        log shows it at once (with the status the service answered), then the reply waits
        `seconds`, or until the emulator stops, before it is sent. What a client killed while
        its request is in flight leaves behind: a test waits for the logged request, kills the
        client, and the object exists with nobody told."""
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        return cls("hold", seconds=seconds)

    @classmethod
    def late(cls, seconds: float) -> Fault:
        """The write lands late and its reply never comes: the service holds the connection
        without a word, acts on the request `seconds` after it arrived (a PUT replaces the
        document only then), and drops the connection. With `seconds` beyond the client's
        deadline, the client gives up first and whatever it reads meanwhile is the state from
        before; the write lands afterwards, as a request stuck inside a real service can.

        Unlike `slow`, which answers once it has acted (so a patient client learns the
        outcome), no reply is ever sent; unlike `after`, the write lands after the client gave
        up, not before; unlike `hold`, which lands at once and only holds the reply. Only a
        request the service accepts is held: one whose credential it refuses is answered at
        once (Graph checks the token as a request arrives), and the fault waits for the next.
        At most `LATE_MAX_SECONDS`; a late write still held when the emulator is reset or
        stopped (the test that sent it is over) never lands."""
        if not 0 < seconds <= LATE_MAX_SECONDS:
            raise ValueError(f"seconds must be more than 0 and at most {LATE_MAX_SECONDS:g}")
        return cls("late", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Drop the TCP connection without any response (the peer sees a reset)."""
        return cls("reset")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait `seconds`, then answer normally, to exercise client timeouts."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return cls("slow", seconds=seconds)

    @classmethod
    def cut(cls) -> Fault:
        """Answer normally (the service acts), with the whole body's Content-Length, but send
        only the first half of the body and close the connection: the reply ends before its
        end, as http.client's IncompleteRead reports."""
        return cls("cut")

    @classmethod
    def garble(cls) -> Fault:
        """Answer normally (the service acts), but after the headers send a TLS record that
        fails its integrity check, then close: a TLS error in the middle of the reply (the
        client's SSL layer refuses the record, as for a corrupted or tampered stream)."""
        return cls("garble")

    @classmethod
    def trickle(cls, seconds: float) -> Fault:
        """Answer normally (the service acts), but send the body one byte every `seconds`
        after the headers: each read gets a byte in time, only the whole reply is late."""
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        return cls("trickle", seconds=seconds)


@dataclass
class _Rule:
    """An injected fault with its filters and how many more requests it applies to."""

    fault: Fault
    service: str | None
    method: str | None
    path: re.Pattern[str] | None
    remaining: int
    where: RequestFilter | None = None

    def matches(
        self, service: str, method: str, path: str, query: Mapping[str, str], body: object
    ) -> bool:
        return (
            (self.service is None or self.service == service)
            and (self.method is None or self.method == method)
            and (self.path is None or self.path.search(path) is not None)
            and (self.where is None or self.where(query, body))
        )


class FaultQueue:
    """Faults in injection order; the first one matching a request is applied and used up."""

    def __init__(self, services: Collection[str]) -> None:
        self._services = frozenset(services)
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def inject(
        self,
        fault: Fault,
        *,
        service: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        where: RequestFilter | None = None,
    ) -> None:
        """Queue `fault` for the next `times` requests matching all given filters; `path` is a
        regex searched in the URL path, `where` a condition on the query and decoded body (one
        POST among several to the same path: the assignment of this principal)."""
        if service is not None and service not in self._services:
            raise ValueError(
                f"unknown service {service!r}; expected one of {sorted(self._services)}"
            )
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = _Rule(
            fault,
            service,
            None if method is None else method.upper(),
            None if path is None else re.compile(path),
            times,
            where,
        )
        with self._lock:
            self._rules.append(rule)

    def take(
        self,
        service: str,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: object = None,
        *,
        unless: Callable[[Fault], bool] | None = None,
    ) -> Fault | None:
        """The fault to apply to this request, if any, consuming one of its uses; when
        `unless` holds for it, none applies and it stays queued for the next request."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, method, path, query or {}, body):
                    if unless is not None and unless(rule.fault):
                        return None
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    return rule.fault
        return None

    def pending(self) -> int:
        """How many fault applications are still queued (the sum of the remaining `times`)."""
        with self._lock:
            return sum(rule.remaining for rule in self._rules)

    def clear(self) -> None:
        """Drop faults not yet consumed (state and log stay)."""
        with self._lock:
            self._rules.clear()
