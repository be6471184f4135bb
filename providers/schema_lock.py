"""One lock per provisioning job's schema, shared by every provider call in this process.

Why: the user and the group mappings are two resources editing one job's schema, and Graph
offers no way to edit part of it (PATCH is refused, and the PUT that replaces the whole
document takes no precondition). Each edit is therefore a read-modify-write; two of them on one
job that overlap in time lose whichever is written first. The engine creates independent
resources in parallel, and it serves every dynamic resource of a stack from one
`python -m pulumi.dynamic` process (gRPC calls on a thread pool), so holding this lock from the
read to the check after the write serializes all of our own edits of a job in one deployment.

What it cannot see: another process editing the same job (a second stack or a second
`pulumi up` managing it, a script) or someone saving the Mappings page in the portal at the same
moment. The check after each write (`schema_io.write_checked`) catches such a writer when it
overwrote our change before we read it back; one that writes later still wins silently.
Our own PUT whose reply was lost is settled while the lock is held (read back until it shows,
or watched for a window after it is sent again), so a late landing of it cannot undo the
other mapping's later edit within that window (`schema_io.write_checked`). One still unseen
after that may land at any time: the process remembers it, and refuses to write anything else
to that job until a read shows it landed (`schema_io.WriteInFlight`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

WAIT_SECONDS = 900.0
"""How long a call waits for another edit of the same job: each edit's requests are bounded by
the retry budget and timeouts, so only a stuck call holds the lock this long."""

_registry = threading.Lock()
_locks: dict[tuple[str, str], threading.Lock] = {}


class SchemaBusy(Exception):
    """Another edit of the same job's schema held the lock for longer than `WAIT_SECONDS`."""


@contextmanager
def job_schema_lock(
    service_principal_id: str, job_id: str, wait_seconds: float = WAIT_SECONDS
) -> Iterator[None]:
    """Hold the lock of one job's schema (service principal ids compare case-insensitively,
    as Graph's object ids do)."""
    key = (service_principal_id.lower(), job_id)
    with _registry:
        lock = _locks.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=wait_seconds):
        raise SchemaBusy(
            f"another change to the schema of job {job_id} did not finish within "
            f"{wait_seconds:.0f} s"
        )
    try:
        yield
    finally:
        lock.release()
