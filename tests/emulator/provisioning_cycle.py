"""The provisioning service's runs for one job: a scheduled (incremental) cycle and a single
object provisioned on demand, each writing provisioning log entries and the cycle moving the
job's status (sync_status.py).

A cycle, as the service runs it:
1. A job that is not started (schedule Disabled or Paused) does not run.
2. The saved `BaseAddress`/`SecretToken` must reach the emulated Asana SCIM; if not, the cycle
   fails as a whole and the job is quarantined with `EncounteredQuarantineException` (no log
   entries: nothing was processed).
3. Otherwise the entitled users, then groups (source_objects.py), plus every object the job
   processed before, are processed when they changed since the last cycle (the watermark) or
   failed last time (escrows): on the first cycle or after a restart, that is all of them.
4. Failed objects stay escrowed and are retried next cycle; past the documented escrow
   thresholds the job is quarantined too. Otherwise it is Active, with lastExecution counts.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from .messages import JsonObject
from .provisioning_logs import ProvisioningLogs, provisioning_entry, system_initiator
from .provisioning_object import JobContext, ObjectProvisioner, Outcome, object_mapping
from .scim import Scim
from .source_objects import entitled_objects, find_source, is_entitled
from .store import SyncJob, Tenant
from .sync_status import (
    Counts,
    after_cycle,
    escrow_quarantine_reason,
    execution,
    quarantined,
    sync_error,
)
from .synchronization import CREDENTIAL_ERROR_CODE, credential_problem

ESCROW_ERROR_CODE = "EscrowThresholdExceeded"
"""The quarantine error code for too many failed objects (the service's own is unpublished)."""


class Provisioner:
    """Runs cycles and on-demand provisioning over the tenant store and the SCIM store."""

    def __init__(
        self, tenant: Tenant, scim: Scim, logs: ProvisioningLogs, tenant_id: Callable[[], str]
    ) -> None:
        self._tenant = tenant
        self._scim = scim
        self._logs = logs
        self._tenant_id = tenant_id
        self._failures: dict[str, tuple[str, str]] = {}
        self._objects = ObjectProvisioner(tenant, scim, self._failures)

    def fail_export(self, object_id: str, code: str, message: str) -> None:
        """Every later export of that user or group (cycle or provision on demand) fails with
        this error, until `heal_export`."""
        if not code or not message:
            raise ValueError("fail_export needs an error code and a message")
        self._failures[object_id.lower()] = (code, message)

    def heal_export(self, object_id: str) -> None:
        """Exports of the object work again."""
        self._failures.pop(object_id.lower(), None)

    def clear(self) -> None:
        self._failures.clear()

    # ----- one object, on demand -----

    def provision_on_demand(
        self,
        sp_id: str,
        job_id: str,
        rule: JsonObject,
        kind: str,
        object_id: str,
        initiator: JsonObject,
    ) -> Outcome:
        """Provision one object with `rule` as on demand does, log it, and remember it (the
        job status does not move). Raises KeyError for an unknown job or object."""
        job = self._job(sp_id, job_id)
        source = find_source(self._tenant, kind, object_id)
        if source is None:
            raise KeyError(f"no {kind} {object_id!r}")
        ctx = self._context(sp_id, job_id, job, rule)
        outcome = self._objects.provision(
            ctx, kind, source, on_demand=True, known=source["id"] in job.provisioned
        )
        self._remember(job, ctx, kind, source, outcome)
        self._logs.add([self._entry(ctx, outcome, str(uuid.uuid4()), initiator)])
        return outcome

    # ----- a scheduled cycle -----

    def run_cycle(self, sp_id: str, job_id: str) -> JsonObject:
        """One provisioning cycle as the service runs it: a bad SecretToken/BaseAddress
        quarantines the job (EncounteredQuarantineException); else changed entitled users and
        groups in scope are exported to SCIM and logged. Returns the job's new status; a job
        that is not started does not run (status unchanged)."""
        job = self._job(sp_id, job_id)
        resource = job.resource
        if resource["schedule"]["state"] != "Active":
            return copy.deepcopy(resource["status"])
        began = datetime.now(UTC)
        cycle_id = str(uuid.uuid4())
        rules = [r for r in job.schema.get("synchronizationRules") or [] if isinstance(r, dict)]
        secrets = self._tenant.synchronization[sp_id].secrets
        problem = credential_problem(self._scim, secrets)
        if problem is not None:
            failure = sync_error(CREDENTIAL_ERROR_CODE, problem)
            run = execution(cycle_id, began, datetime.now(UTC), Counts(), failure)
            resource["status"] = quarantined(
                resource["status"], run, "EncounteredQuarantineException", failure, began
            )
            return copy.deepcopy(resource["status"])
        entries: list[JsonObject] = []
        outcomes: list[tuple[bool, Outcome]] = []
        for rule in rules[:1]:  # gallery apps have one outbound rule
            ctx = self._context(sp_id, job_id, job, rule)
            for kind, source in self._changed(job, ctx):
                outcome = self._objects.provision(
                    ctx, kind, source, on_demand=False, known=source["id"] in job.provisioned
                )
                self._remember(job, ctx, kind, source, outcome)
                entitled = is_entitled(self._tenant, sp_id, kind, source["id"], ctx.sync_all)
                outcomes.append((entitled, outcome))
                entries.append(self._entry(ctx, outcome, cycle_id, system_initiator()))
        self._logs.add(entries)
        counts = Counts(
            imported=len(outcomes),
            entitled=sum(1 for entitled, _ in outcomes if entitled),
            entitled_for_provisioning=sum(1 for _, o in outcomes if not o.soft_deleted),
            exports=sum(1 for _, o in outcomes if o.exported),
            exported=sum(1 for _, o in outcomes if o.exported and o.status == "success"),
            escrowed=sum(1 for _, o in outcomes if o.status == "failure"),
        )
        run = execution(cycle_id, began, datetime.now(UTC), counts)
        reason = escrow_quarantine_reason(len(job.escrows), len(outcomes))
        if reason is not None:
            failure = sync_error(
                ESCROW_ERROR_CODE,
                f"{len(job.escrows)} of {len(outcomes)} objects failed to provision.",
            )
            resource["status"] = quarantined(resource["status"], run, reason, failure, began)
        else:
            resource["status"] = after_cycle(resource["status"], run, self._entry_counts(job))
        return copy.deepcopy(resource["status"])

    # ----- helpers -----

    def _job(self, sp_id: str, job_id: str) -> SyncJob:
        try:
            return self._tenant.synchronization[sp_id].jobs[job_id]
        except KeyError:
            raise KeyError(f"unknown job {job_id!r} on {sp_id!r}") from None

    def _context(self, sp_id: str, job_id: str, job: SyncJob, rule: JsonObject) -> JobContext:
        secrets = self._tenant.synchronization[sp_id].secrets
        sp = self._tenant.service_principals.get(sp_id) or {}
        return JobContext(
            sp_id=sp_id,
            sp_name=str(sp.get("displayName") or rule.get("targetDirectoryName") or sp_id),
            job_id=job_id,
            rule=rule,
            schema=job.schema,
            sync_all=secrets.get("SyncAll", "").lower() == "true",
            credential_problem=credential_problem(self._scim, secrets),
            credential_error_code=CREDENTIAL_ERROR_CODE,
            skip_out_of_scope_deletions=(
                secrets.get("SkipOutOfScopeDeletions", "").lower() == "true"
            ),
        )

    def _changed(self, job: SyncJob, ctx: JobContext) -> list[tuple[str, JsonObject]]:
        """Entitled objects and objects processed before, that changed or are escrowed."""
        candidates = entitled_objects(self._tenant, ctx.sp_id, ctx.sync_all)
        for object_id in list(job.watermark):
            kind = "User" if object_id in self._tenant.users else "Group"
            if (kind, object_id) not in candidates:
                candidates.append((kind, object_id))
        changed = []
        for kind, object_id in candidates:
            source = find_source(self._tenant, kind, object_id)
            if source is None:
                job.watermark.pop(object_id, None)  # deleted from the directory
                continue
            if object_id in job.escrows or job.watermark.get(object_id) != self._fingerprint(
                ctx, kind, source
            ):
                changed.append((kind, source))
        return changed

    def _fingerprint(self, ctx: JobContext, kind: str, source: JsonObject) -> str:
        """What must change for the object to be processed again."""
        state = [
            source,
            is_entitled(self._tenant, ctx.sp_id, kind, source["id"], ctx.sync_all),
            self._tenant.group_members.get(source["id"], []),
            self._tenant.managers.get(source["id"]),
            ctx.schema.get("version"),
        ]
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()

    def _remember(
        self, job: SyncJob, ctx: JobContext, kind: str, source: JsonObject, outcome: Outcome
    ) -> None:
        object_id = source["id"]
        if outcome.status == "failure":
            job.escrows.add(object_id)
            return
        job.escrows.discard(object_id)
        job.watermark[object_id] = self._fingerprint(ctx, kind, source)
        if outcome.target_id:
            job.provisioned.add(object_id)

    def _entry_counts(self, job: SyncJob) -> list[JsonObject]:
        """synchronizedEntryCountByType: objects the job keeps in sync, per object mapping
        ("user to User" in Microsoft's example)."""
        rule = next(iter(job.schema.get("synchronizationRules") or []), {})
        counts = []
        for kind, objects in (("User", self._tenant.users), ("Group", self._tenant.groups)):
            try:
                target = object_mapping(rule, kind).get("targetObjectName", kind)
            except KeyError:
                continue
            count = sum(1 for object_id in job.provisioned if object_id in objects)
            if count:
                counts.append({"key": f"{kind.lower()} to {target}", "value": count})
        return counts

    def _entry(
        self, ctx: JobContext, outcome: Outcome, cycle_id: str, initiator: JsonObject
    ) -> JsonObject:
        elapsed = outcome.ended - outcome.started
        return provisioning_entry(
            service_principal_id=ctx.sp_id,
            service_principal_name=ctx.sp_name,
            job_id=ctx.job_id,
            status=outcome.status,
            action=outcome.action,
            source_id=outcome.object_id,
            source_name=outcome.display_name,
            identity_type=outcome.kind,
            target_id=outcome.target_id,
            target_name=outcome.name if outcome.target_id else "",
            target_identity_type=outcome.target_type,
            target_system_name=outcome.target_system,
            error_code=outcome.error_code,
            reason=outcome.reason,
            steps=outcome.steps,
            modified_properties=outcome.modified,
            activity=outcome.ended,
            duration_ms=max(1, int(elapsed.total_seconds() * 1000)),
            cycle_id=cycle_id,
            change_id=outcome.change_id,
            tenant_id=self._tenant_id(),
            initiated_by=initiator,
        )
