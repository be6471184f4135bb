"""The Emulator's provisioning hooks for tests (issue 14): set a job's status, run a
provisioning cycle as the service would, write or read provisioning log entries, make exports
of an object fail, and read what reached Asana SCIM. Mixed into `Emulator`, which provides the
state lock, the Graph service and the SCIM service."""

from __future__ import annotations

import threading
from typing import Any

from .graph import Graph
from .scim import Scim


class ProvisioningFacade:
    """Provisioning hooks; every one holds the emulator's state lock."""

    _lock: threading.RLock
    _graph: Graph
    _scim: Scim

    def set_job_status(self, sp_id: str, job_id: str, status: dict[str, Any]) -> None:
        """Replace the job's `status` (a synchronizationStatus JSON object)."""
        with self._lock:
            self._graph.synchronization.set_status(sp_id, job_id, status)

    def run_provisioning_cycle(self, sp_id: str, job_id: str) -> dict[str, Any]:
        """One provisioning cycle as the service runs it (provisioning_cycle.py): a bad
        SecretToken/BaseAddress quarantines the job (EncounteredQuarantineException); else
        changed entitled users and groups in scope are exported to SCIM and logged. Returns the
        job's new status; a job that is not started does not run (status unchanged)."""
        with self._lock:
            return self._graph.provisioner.run_cycle(sp_id, job_id)

    def add_provisioning_log_entries(self, entries: list[dict[str, Any]]) -> None:
        """Record provisioningObjectSummary entries (see provisioning_logs.provisioning_entry)."""
        with self._lock:
            self._graph.provisioning_logs.add(entries)

    def provisioning_log_entries(self) -> list[dict[str, Any]]:
        """Every provisioning log entry, newest first."""
        with self._lock:
            return self._graph.provisioning_logs.entries()

    def fail_export(self, object_id: str, code: str, message: str) -> None:
        """Later exports of that user or group (cycle or provision on demand) fail with this
        error, until `heal_export`."""
        with self._lock:
            self._graph.provisioner.fail_export(object_id, code, message)

    def heal_export(self, object_id: str) -> None:
        """Exports of the object work again."""
        with self._lock:
            self._graph.provisioner.heal_export(object_id)

    def scim_users(self) -> list[dict[str, Any]]:
        """The Asana SCIM users, oldest first."""
        with self._lock:
            return self._scim.users()

    def scim_groups(self) -> list[dict[str, Any]]:
        """The Asana SCIM groups (teams), oldest first."""
        with self._lock:
            return self._scim.groups()
