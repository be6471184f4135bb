"""The requests that read and write one job's synchronization schema, with the checks around
them (api-facts graph-synchronization §1.1, §1.2, §2).

* `write_checked`: PUT the whole document, then read it back and fail when what was written
  is not live. Graph's PUT takes no precondition (no ETag, and `version` is only "updated
  automatically with every schema change"), so a writer our process lock cannot see (another
  stack, the portal) may save an older document between our PUT and the read; the read-back
  turns that silent loss into an error naming what was lost and both versions.
* `parse_expression`: Graph's own parser (`POST .../schema/parseExpression`), so an expression
  source is written in the parsed form Graph stores, and an expression Graph cannot parse is
  refused before anything is written.
* `template_schema`: the schema of the template the job was made from (the job's `templateId`,
  among `GET .../synchronization/templates`), which a destroy restores its part from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clients.graph import API_VERSION, SERVICE, GraphClient, synchronization_path
from clients.http import ServiceError

Schema = dict[str, Any]


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


def write_checked(
    graph: GraphClient,
    job: Job,
    schema: Schema,
    read_version: Any,
    lost_from: Callable[[Schema], list[str]],
) -> Schema:
    """PUT `schema`, read it back, and return what is live; raise `LostWrite` when
    `lost_from(live)` names something of the write that is not there."""
    graph.put(job.schema_path, schema)
    live = read_schema(graph, job)
    lost = lost_from(live)
    if lost:
        raise LostWrite(lost, read_version, live.get("version"))
    return live


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
