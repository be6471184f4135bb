"""The per-job schema lock: one job's edits queue up, other jobs' do not wait, and a wait has
an end."""

from __future__ import annotations

import threading

import pytest

from providers.schema_lock import SchemaBusy, job_schema_lock


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
