"""A schema PUT whose reply was lost, read back as neither the document written nor the one
before it: someone else wrote the job's schema meanwhile. docs/mappings.md ("Writes whose
reply is lost", the third case): the write fails naming the job and both versions, and is
never sent again blind.

The write path is driven with a stand-in Graph client so the other writer's document is there
at the first read, whatever the machine's speed; the fault matrices cover the other two cases
against the local tenant.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from clients.http import ServiceError
from clients.schema_io import Job, UnconfirmedWrite, Writer, in_flight, write_checked

SERVICE_PRINCIPAL = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def schema(version: str, source: str) -> dict[str, Any]:
    mapping = {"targetAttributeName": "title", "source": {"name": source, "type": "Attribute"}}
    return {
        "version": version,
        "synchronizationRules": [{"objectMappings": [{"attributeMappings": [mapping]}]}],
    }


class ReplyLostGraph:
    """Every PUT times out without a reply; every GET returns `live`."""

    def __init__(self, live: dict[str, Any]) -> None:
        self.live = live
        self.puts: list[dict[str, Any]] = []
        self.gets = 0

    def put(self, path: str, body: dict[str, Any]) -> None:
        self.puts.append(body)
        raise ServiceError("Microsoft Graph", "PUT", f"/v1.0{path}", "timed out", None)

    def get(self, path: str) -> dict[str, Any]:
        self.gets += 1
        return self.live


def source_of(live: dict[str, Any]) -> str:
    rule = live["synchronizationRules"][0]
    return rule["objectMappings"][0]["attributeMappings"][0]["source"]["name"]


def test_a_lost_reply_read_back_as_someone_elses_schema_fails_naming_both_versions():
    job = Job(SERVICE_PRINCIPAL, f"asana.{uuid.uuid4().hex}")
    before, ours, theirs = schema("v1", "mail"), schema("v1", "department"), schema("v7", "city")
    graph = ReplyLostGraph(theirs)
    writer = Writer(graph=graph, once=graph, settle_seconds=0.5)  # type: ignore[arg-type]

    def lost_from(live: dict[str, Any]) -> list[str]:
        return [] if source_of(live) == "department" else ["title <- department"]

    with pytest.raises(UnconfirmedWrite) as failed:
        write_checked(writer, job, ours, before, lost_from)

    message = str(failed.value)
    assert job.job_id in message and "neither the one written nor the one before it" in message
    assert "version v1 then, v7 now" in message and "title <- department" in message
    assert len(graph.puts) == 1, "a write whose reply was lost was sent again blind"
    assert graph.gets >= 1
    assert in_flight(job) == 1, "the unconfirmed write may still land: it is remembered"
