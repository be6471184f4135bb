"""The requests that read and write one job's synchronization schema, with the checks around
them (api-facts graph-synchronization §1.1, §1.2, §2).

* `write_checked`: PUT the whole document, then read it back and fail when what was written
  is not live. Graph's PUT takes no precondition (no ETag, and `version` is only "updated
  automatically with every schema change"), so a writer our process lock cannot see (another
  stack, the portal) may save an older document between our PUT and the read; the read-back
  turns that silent loss into an error naming what was lost and both versions.
  The PUT is sent once (`Writer.once`: no transport retry). A PUT whose reply was lost (a
  timeout, a dropped connection, a 5xx, a reply we cannot use) may have landed, or may still be
  on its way: it is never sent again blind. The schema is read until it is the one written
  (landed), or stays the one read for `Writer.settle_seconds` (not landed: sent once more), or
  is something else (`UnconfirmedWrite`, naming the job). After a second send, the schema is
  watched as long again, so a first PUT that lands late while the job's lock is still held is
  seen (harmless: the same document) or, if it undid anything, reported (`LostWrite`). Both
  sends unanswered and unseen: `MayStillLand` (never "left as it was": either may land yet).
* Writes in flight: a PUT whose reply was lost and that was never seen landing may land at any
  later time (Graph documents no bound), replacing the whole document with the one it carried.
  This process remembers such a copy per job until a read shows it landed (the document it
  carried, under a version not seen before), and refuses to write anything else to that job
  meanwhile (`WriteInFlight`): the copy would undo it after its resource reported success. The
  same document may be written again (its landing would change nothing).
* `parse_expression`: Graph's own parser (`POST .../schema/parseExpression`), so an expression
  source is written in the parsed form Graph stores, and an expression Graph cannot parse is
  refused before anything is written.
* `template_schema`: the schema of the template the job was made from (the job's `templateId`,
  among `GET .../synchronization/templates`), which a destroy restores its part from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from clients.connection import GraphSettings
from clients.graph import API_VERSION, SERVICE, GraphClient, synchronization_path
from clients.http import ServiceError

Schema = dict[str, Any]
LostFrom = Callable[[Schema], list[str]]

FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0
"""Reads while a lost write settles back off from the first to the last (so the default 60 s
window costs about fifteen GETs)."""
_NOT_PROCESSED = frozenset({429, 503})
"""Graph said it did not act on the request (as `clients.http` treats them): one read confirms."""


@dataclass(frozen=True)
class Writer:
    """How a schema is written: `graph` (retried as every request), `once` (the same endpoint
    and credential, no transport retry, for the PUT) and how long a write whose reply was lost
    is given to land (the read timeout: it had that long to answer)."""

    graph: GraphClient
    once: GraphClient
    settle_seconds: float

    @classmethod
    def of(cls, settings: GraphSettings) -> Writer:
        single = replace(settings, policy=replace(settings.policy, max_retries=0))
        return cls(GraphClient(settings), GraphClient(single), settings.policy.read_timeout)


@dataclass(frozen=True)
class Job:
    """One provisioning job of one service principal."""

    service_principal_id: str
    job_id: str

    def path(self, *parts: str) -> str:
        return synchronization_path(self.service_principal_id, "jobs", self.job_id, *parts)

    @property
    def schema_path(self) -> str:
        return self.path("schema")

    @property
    def key(self) -> tuple[str, str]:
        """The job as `schema_lock` keys it (object ids compare case-insensitively)."""
        return (self.service_principal_id.lower(), self.job_id)


class LostWrite(Exception):
    """Read back after the PUT, the schema no longer held all of what was written."""

    def __init__(self, lost: list[str], read_version: Any, live_version: Any) -> None:
        self.lost = lost
        self.read_version = read_version
        self.live_version = live_version
        super().__init__(
            f"read back after the write, the job's schema no longer had {'; '.join(lost)} "
            f"(schema version {read_version} when read, {live_version} now)"
        )


class UnconfirmedWrite(Exception):
    """A PUT's reply was lost, and the schema read back is neither the one written nor the one
    read before it: another writer, or a write of ours that landed after all, changed it."""


class MayStillLand(Exception):
    """Neither send of a PUT was answered, and the schema stayed as read for the window after
    each: nothing has landed yet, but either copy may still."""


class WriteInFlight(Exception):
    """A write of this job's schema made earlier in this process got no reply and has not been
    seen landing; it may still land and would undo what is about to be written."""


class ExpressionRejected(Exception):
    """Graph's parser did not accept an expression; the message is Graph's own."""


class TemplateNotFound(Exception):
    """The job's template is not among the service principal's templates."""


def read_schema(graph: GraphClient, job: Job) -> Schema:
    """The job's schema; one without any object mapping is a reply we cannot use (every job
    schema Graph serves has its template's), named with the request that returned it."""
    schema = graph.get(job.schema_path)
    rules = schema.get("synchronizationRules") if isinstance(schema, dict) else None
    if not isinstance(rules, list) or not any(
        isinstance(rule, dict) and rule.get("objectMappings") for rule in rules
    ):
        detail = "answered with a schema that has no object mappings"
        raise ServiceError(SERVICE, "GET", f"/{API_VERSION}{job.schema_path}", detail, None)
    return schema


@dataclass
class _InFlight:
    """Copies of one document whose replies were lost and that were not seen landing."""

    document: Schema
    copies: int
    seen: set[str] = field(default_factory=set)
    """Versions already seen holding the document (ours, or a copy already counted)."""


_in_flight: dict[tuple[str, str], _InFlight] = {}
_in_flight_lock = threading.Lock()


def _content(schema: Schema) -> Schema:
    """The document without its `version`, which Graph sets itself on every write."""
    return {key: value for key, value in schema.items() if key != "version"}


def _observe(job: Job, live: Schema, *, ours: bool = False) -> None:
    """Note a read of the job's schema: the document of a copy in flight under a version not
    seen before is that copy landing (unless `ours`: the PUT just sent and answered)."""
    with _in_flight_lock:
        pending = _in_flight.get(job.key)
        version = str(live.get("version"))
        if pending is None or version in pending.seen or _content(live) != pending.document:
            return
        pending.seen.add(version)
        if not ours:
            pending.copies -= 1
            if pending.copies <= 0:
                del _in_flight[job.key]


def _may_land_later(job: Job, document: Schema) -> None:
    """A PUT of `document` got no reply and was not seen landing: it may still."""
    with _in_flight_lock:
        pending = _in_flight.get(job.key)
        if pending is not None and pending.document == _content(document):
            pending.copies += 1
        else:
            _in_flight[job.key] = _InFlight(_content(document), 1)


def _refuse_while_in_flight(job: Job, schema: Schema) -> None:
    """`WriteInFlight` unless every copy of ours that may still land carries `schema` too."""
    with _in_flight_lock:
        pending = _in_flight.get(job.key)
        if pending is None or pending.document == _content(schema):
            return
        one = pending.copies == 1
        copies = "a write" if one else f"{pending.copies} writes"
    raise WriteInFlight(
        f"{copies} of job {job.job_id}'s schema sent earlier by this deployment got no reply "
        f"and {'has' if one else 'have'} not been seen landing; {'it' if one else 'they'} may "
        "still land and would undo this change, so nothing was written"
    )


def write_checked(
    writer: Writer, job: Job, schema: Schema, before: Schema, lost_from: LostFrom
) -> Schema:
    """PUT `schema` (the job's schema was `before` when read), read it back, and return what
    is live; raise `LostWrite` when `lost_from(live)` names something of the write that is not
    there. A lost reply is confirmed by reading, never answered by a blind second PUT; while
    an earlier write of this job may still land, nothing else is written (`WriteInFlight`)."""
    _observe(job, before)
    _refuse_while_in_flight(job, schema)
    unsettled = False  # a send of ours may still land
    for attempt in (1, 2):
        try:
            writer.once.put(job.schema_path, schema)
        except ServiceError as error:
            if not _reply_lost(error):
                if unsettled:  # refused now, but the first send may still land
                    raise MayStillLand(_unanswered(job, writer, error)) from None
                raise  # Graph refused it: nothing was written
            try:
                live = _settled(writer, job, before, lost_from, error)
            except UnconfirmedWrite:
                _may_land_later(job, schema)
                raise
            if live is not None:
                _observe(job, live, ours=True)
                return live
            if error.status not in _NOT_PROCESSED:  # Graph did not say it did not act
                _may_land_later(job, schema)
                unsettled = True
            if attempt == 2:
                if unsettled:
                    raise MayStillLand(_unanswered(job, writer, error)) from None
                raise
            continue
        live = read_schema(writer.graph, job)
        lost = lost_from(live)
        if lost:
            raise LostWrite(lost, before.get("version"), live.get("version"))
        _observe(job, live, ours=True)
        if attempt == 2:  # the first PUT did not land in the window; it may still
            _watch(writer, job, before, lost_from)
        return live
    raise AssertionError("unreachable")


def _unanswered(job: Job, writer: Writer, error: ServiceError) -> str:
    return (
        f"the write of job {job.job_id}'s schema was sent twice without a usable reply (the "
        f"last: {error}), and the schema stayed as it was read for {writer.settle_seconds:g} s "
        "after a send that got none: nothing has landed yet, but it may still"
    )


def _reply_lost(error: ServiceError) -> bool:
    """Whether the PUT may have landed: no reply, a 5xx, a timeout or throttling status, or a
    reply we could not use; a 4xx otherwise is Graph refusing it."""
    status = error.status
    return status is None or not 400 <= status < 500 or status in {408, 429}


def _settled(
    writer: Writer, job: Job, before: Schema, lost_from: LostFrom, error: ServiceError
) -> Schema | None:
    """After a lost reply: the live schema once the write has landed, or None when the schema
    stayed as read for the whole window (not landed); anything else is `UnconfirmedWrite`."""
    window = 0.0 if error.status in _NOT_PROCESSED else writer.settle_seconds
    deadline = time.monotonic() + window
    pause = FIRST_POLL_SECONDS
    while True:
        live = read_schema(writer.graph, job)
        if live != before:
            if not lost_from(live):
                return live
            raise UnconfirmedWrite(
                f"the reply to the write of job {job.job_id}'s schema was lost ({error}), and "
                f"the schema read back is neither the one written nor the one before it "
                f"(version {before.get('version')} then, {live.get('version')} now; it no "
                f"longer has {'; '.join(lost_from(live))})"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_POLL_SECONDS)


def _watch(writer: Writer, job: Job, before: Schema, lost_from: LostFrom) -> None:
    """Keep reading for one more window while the job's lock is held, or until the first PUT
    is seen landing (the same document, harmless); anything that undoes the write is
    `LostWrite`."""
    deadline = time.monotonic() + writer.settle_seconds
    pause = FIRST_POLL_SECONDS
    while (remaining := deadline - time.monotonic()) > 0 and in_flight(job):
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_POLL_SECONDS)
        live = read_schema(writer.graph, job)
        lost = lost_from(live)
        if lost:
            raise LostWrite(lost, before.get("version"), live.get("version"))
        _observe(job, live)


def in_flight(job: Job) -> int:
    """How many copies of a write of the job's schema, sent by this process, may still land."""
    with _in_flight_lock:
        pending = _in_flight.get(job.key)
        return 0 if pending is None else pending.copies


def parse_expression(graph: GraphClient, job: Job, expression: str) -> dict[str, Any]:
    """Graph's attributeMappingSource for `expression` (its `parsedExpression`)."""
    answer = graph.post(job.path("schema", "parseExpression"), {"expression": expression})
    answer = answer if isinstance(answer, Mapping) else {}
    parsed = answer.get("parsedExpression")
    if answer.get("parsingSucceeded") is True and isinstance(parsed, Mapping):
        return dict(parsed)
    raise ExpressionRejected(_parse_error(answer.get("error")))


def template_schema(graph: GraphClient, job: Job) -> Schema:
    """The schema of the template the job was created from."""
    resource = graph.get(job.path())
    template_id = resource.get("templateId") if isinstance(resource, Mapping) else None
    templates = graph.get_all(synchronization_path(job.service_principal_id, "templates"))
    for template in templates:
        if isinstance(template, Mapping) and template.get("id") == template_id:
            schema = template.get("schema")
            return dict(schema) if isinstance(schema, Mapping) else {}
    offered = ", ".join(sorted(str(t.get("id")) for t in templates if isinstance(t, Mapping)))
    raise TemplateNotFound(
        f"job {job.job_id} was made from template {template_id!r}, which the service "
        f"principal no longer offers (it offers: {offered or 'none'})"
    )


def _parse_error(error: Any) -> str:
    if not isinstance(error, Mapping):
        return "Graph did not parse it and gave no reason"
    code, message = error.get("code"), error.get("message")
    if code and message:
        return f"{code}: {message}"
    return str(message or code or "Graph did not parse it and gave no reason")
