"""The per-job schema lock: one job's edits queue up, other jobs' do not wait, and a wait has
an end."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from clients import schema_io
from clients.http import ServiceError
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.schema_lock import SchemaBusy, job_schema_lock


def configured_provider() -> ProvisioningAttributeMappingsProvider:
    """The provider as the engine configures it; no request leaves (its schema reads are
    replaced in each test)."""
    provider = ProvisioningAttributeMappingsProvider()
    provider.configure(
        SimpleNamespace(
            config={
                "azuread:tenantId": "0d5c6c3a-7f4b-4e2a-9b1c-2d3e4f5a6b7c",
                "azuread:clientId": "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
                "azuread:clientSecret": "not-used",
            }
        )
    )
    return provider


def test_one_jobs_edits_wait_for_each_other_and_other_jobs_do_not():
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with job_schema_lock("SP-1", "job-a"):
            entered.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(timeout=10)
        with job_schema_lock("sp-1", "job-b", wait_seconds=1):
            pass  # another job of the same service principal: no wait
        # The same job, the principal's id in another letter case: it waits, then gives up.
        with (
            pytest.raises(SchemaBusy, match="job-a did not finish within 0 s"),
            job_schema_lock("sp-1", "job-a", wait_seconds=0.2),
        ):
            pass
    finally:
        release.set()
        holder.join(timeout=10)
    with job_schema_lock("sp-1", "job-a", wait_seconds=1):
        pass


def test_destroying_attribute_mappings_waits_for_the_lock_of_the_jobs_schema(monkeypatch):
    """Destroy is a read-modify-write of the job's schema like create and update, so it takes
    the same job's lock: while another edit of that job holds it, destroy reads nothing."""
    principal, job = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "asana.0a1b2c3d.6f5e4d3c"
    reads: list[str] = []

    def template_schema(_graph, read_job):
        reads.append(read_job.job_id)  # then answer as Graph does for a job already gone
        raise ServiceError("Microsoft Graph", "GET", f"/v1.0/.../jobs/{job}", "HTTP 404", 404)

    monkeypatch.setattr(schema_io, "template_schema", template_schema)
    provider = configured_provider()
    props = {"service_principal_id": principal, "job_id": job, "kind": "user",
             "source_object": "User", "target_object": "User", "mappings": []}  # fmt: skip
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with job_schema_lock(principal.upper(), job):
            entered.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    destroyer = threading.Thread(target=provider.delete, args=("id", props))
    try:
        assert entered.wait(timeout=10)
        destroyer.start()
        destroyer.join(timeout=0.5)
        assert reads == []  # waiting for the lock
    finally:
        release.set()
        holder.join(timeout=10)
    destroyer.join(timeout=10)
    assert reads == [job]


def test_creating_attribute_mappings_waits_for_the_lock_of_its_jobs_schema(monkeypatch):
    """Create is a read-modify-write of the job's schema: while another edit of that job
    holds the job's lock, create reads nothing; it reads once the lock is free."""
    principal, job = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "asana.0a1b2c3d.6f5e4d3c"
    reads: list[str] = []

    def read_schema(_graph, read_job):
        reads.append(read_job.job_id)  # then answer as Graph does for a job already gone
        raise ServiceError("Microsoft Graph", "GET", f"/v1.0/.../jobs/{job}/schema", "404", 404)

    monkeypatch.setattr(schema_io, "read_schema", read_schema)
    provider = configured_provider()
    props = {"service_principal_id": principal, "job_id": job, "kind": "user",
             "source_object": "User", "target_object": "User", "mode": "merge",
             "enabled": True, "actions": ["create", "update", "delete"], "mappings": [],
             "restart_on_change": False}  # fmt: skip
    outcome: list[BaseException] = []

    def create() -> None:
        try:
            provider.create(props)
        except ServiceError as error:
            outcome.append(error)

    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with job_schema_lock(principal, job):
            entered.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    creator = threading.Thread(target=create)
    try:
        assert entered.wait(timeout=10)
        creator.start()
        creator.join(timeout=0.5)
        assert reads == []  # waiting for the lock
    finally:
        release.set()
        holder.join(timeout=10)
    creator.join(timeout=10)
    assert reads == [job]
    assert [error.status for error in outcome] == [404]
