"""Provision one user or group on demand, as the portal's "Provision on demand" does: the
requests (tools/on_demand_report.py reads the reply).

Reads the subject (`GET /users/{upn-or-id}`, `GET /groups/{id}` or `GET /groups?$filter=
displayName eq '…'`) and the job's schema (for the rule id), then posts `provisionOnDemand`.
Microsoft limits that action to "5 requests per 10 seconds": `RateLimiter` keeps this process
under it, and a 429 that still comes back is waited out by `GraphClient`'s retry, which honours
Retry-After within the stack's retry budget (clients/http.py).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import quote

from clients.graph import GraphClient, synchronization_path
from clients.http import ServiceError
from rules.identifiers import is_guid, odata_string
from tools.on_demand_report import (
    OnDemandError,
    OnDemandFailure,
    OnDemandOutcome,
    Subject,
    choose_rule,
    hidden,
    parse_reply,
    request_body,
)

ON_DEMAND_CALLS = 5
ON_DEMAND_PERIOD_SECONDS = 10.0
"""provisionOnDemand's documented rate limit: 5 requests per 10 seconds."""
T = TypeVar("T")


class RateLimiter:
    """At most `calls` calls in any window of `period` seconds (a sliding window).

    Each call counts from when it finished: the service counts it from when it arrived, which
    is earlier, so the service never sees more than `calls` in its own window.
    """

    def __init__(
        self,
        calls: int = ON_DEMAND_CALLS,
        period: float = ON_DEMAND_PERIOD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._calls = calls
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._finished: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited: list[float] = []
        """Every wait, in seconds, for the curious (tests, progress)."""

    def run(self, call: Callable[[], T]) -> T:
        """`call()`, once there is room for it in the window."""
        with self._lock:
            self._make_room()
            try:
                return call()
            finally:
                self._finished.append(self._clock())

    def _make_room(self) -> None:
        now = self._clock()
        while self._finished and now - self._finished[0] >= self._period:
            self._finished.popleft()
        if len(self._finished) >= self._calls:
            wait = self._period - (now - self._finished[0])
            self.waited.append(wait)
            self._sleep(wait)
            self._finished.popleft()


ON_DEMAND_LIMITER = RateLimiter()
"""One limiter per process: the limit is Graph's, whatever calls it."""


def resolve_subject(graph: GraphClient, reference: str) -> Subject:
    """A user by user principal name or object id, or a group by object id or display name."""
    if "@" in reference:
        user = _get_or_none(graph, f"/users/{quote(reference, safe='@')}")
        if user is None:
            raise OnDemandError(f"no user has the user principal name {reference!r}")
        return _user(user)
    if is_guid(reference):
        user = _get_or_none(graph, f"/users/{reference}")
        if user is not None:
            return _user(user)
        group = _get_or_none(graph, f"/groups/{reference}")
        if group is not None:
            return Subject(str(group["id"]), "Group", str(group.get("displayName") or reference))
        raise OnDemandError(f"no user or group has the object id {reference}")
    groups = graph.get_all("/groups", {"$filter": f"displayName eq {odata_string(reference)}"})
    if len(groups) != 1:
        found = "no group" if not groups else f"{len(groups)} groups"
        raise OnDemandError(
            f"{found} named {reference!r}; give a user principal name, or a group's object id"
        )
    return Subject(str(groups[0]["id"]), "Group", str(groups[0].get("displayName") or reference))


def _user(user: dict[str, Any]) -> Subject:
    return Subject(str(user["id"]), "User", str(user.get("userPrincipalName") or user["id"]))


def _get_or_none(graph: GraphClient, path: str) -> dict[str, Any] | None:
    try:
        return graph.get(path)
    except ServiceError as error:
        if error.status == 404:
            return None
        raise


@dataclass(frozen=True)
class SubjectRequest:
    """A user or group to provision: how it was named, and, when that name is a secret (a
    canaryUser set with --secret), what to show instead of it and of Graph's name for it."""

    reference: str
    shown: str | None = None


def provision(
    graph: GraphClient,
    service_principal_id: str,
    job_id: str,
    requests: list[SubjectRequest],
    describe: Callable[[Exception], str] = str,
    limiter: RateLimiter = ON_DEMAND_LIMITER,
) -> list[OnDemandOutcome]:
    """Provision each subject in turn with the job's own rule for its kind; the schema is read
    once. A subject that cannot be found or provisioned (a request that failed, a reply that
    cannot be read) becomes an OnDemandFailure, `describe`d, and the next subject is tried: the
    results of the others are kept. Errors of the credentials themselves (ConfigError, OSError)
    are not the subject's and propagate."""
    path = synchronization_path(service_principal_id, "jobs", job_id, "provisionOnDemand")
    schema: dict[str, Any] | None = None
    schema_error: str | None = None
    results: list[OnDemandOutcome] = []
    for request in requests:
        shown = request.shown or request.reference
        try:
            subject = resolve_subject(graph, request.reference)
            if request.shown:
                subject = replace(subject, name=request.shown)
            if schema is None and schema_error is None:
                try:
                    schema = graph.get(
                        synchronization_path(service_principal_id, "jobs", job_id, "schema")
                    )
                except ServiceError as error:
                    schema_error = f"reading the job's schema failed: {describe(error)}"
            if schema is None:
                results.append(OnDemandFailure(shown, schema_error or "no schema"))
                continue
            rule = choose_rule(schema, subject.object_type)
            body = request_body(rule, subject)
            reply = limiter.run(lambda body=body: graph.post(path, body))
            results.append(parse_reply(reply, subject, rule))
        except (OnDemandError, ServiceError) as error:
            message = describe(error)
            if request.shown:
                message = hidden(message, request.reference, request.shown)
            results.append(OnDemandFailure(shown, message))
    return results
