"""How a synchronization job's `status` (synchronizationStatus) moves: start, pause, restart, a
cycle that ran, a cycle that could not reach the target, and the escrow thresholds.

Pure functions over the status JSON, so the Graph routes, the facade and the cycle all move it
the same way. Shapes:
https://learn.microsoft.com/graph/api/resources/synchronization-synchronizationstatus
(and synchronization-synchronizationtaskexecution, synchronization-synchronizationquarantine).
Behaviour:
https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-quarantine-status
: start clears quarantine; restart with `QuarantineState` lifts it; invalid credentials quarantine
the job at once (`EncounteredQuarantineException`); a quarantined job is retried 6, 12 and 24
hours after the first failure, then daily, and "If any of the retries above gets a successful
response, the job is automatically put out of quarantine"; escrow thresholds are evaluated from
5,000 failures on, quarantining when more than 40% of the events failed or more than 40,000
did.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from .messages import JsonObject

NEVER = "0001-01-01T00:00:00Z"
"""How the service writes a steady-state time that was never reached."""

ESCROW_EVALUATION_FLOOR = 5000
ESCROW_PROPORTION_LIMIT = 0.4
ESCROW_TOTAL_LIMIT = 40000
RETRY_HOURS = (6, 12, 24)
"""Quarantine retries: 6, 12 and 24 hours after the first failure, then every 24 hours."""

RESET_SCOPES = frozenset(
    [
        "None",
        "ConnectorDataStore",
        "Escrows",
        "Watermark",
        "QuarantineState",
        "Full",
        "ForceDeletes",
    ]
)
"""synchronizationJobRestartScope members."""


@dataclass(frozen=True)
class Counts:
    """What one cycle did, in synchronizationTaskExecution's terms."""

    imported: int = 0
    entitled: int = 0
    entitled_for_provisioning: int = 0
    exports: int = 0
    exported: int = 0
    escrowed: int = 0


def timestamp(moment: datetime) -> str:
    """A DateTimeOffset as the service writes it (UTC, fractional seconds, Z)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_status() -> JsonObject:
    """A job that was created and never ran."""
    return {
        "code": "NotRun",
        "countSuccessiveCompleteFailures": 0,
        "escrowsPruned": False,
        "lastExecution": None,
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": None,
        "progress": [],
        "quarantine": None,
        "steadyStateFirstAchievedTime": NEVER,
        "steadyStateLastAchievedTime": NEVER,
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": None,
    }


def execution(
    activity_id: str,
    began: datetime,
    ended: datetime,
    counts: Counts,
    error: JsonObject | None = None,
) -> JsonObject:
    """A synchronizationTaskExecution: Failed with `error`, EntryLevelErrors when some objects
    were escrowed, else Succeeded."""
    if error is not None:
        state = "Failed"
    elif counts.escrowed:
        state = "EntryLevelErrors"
    else:
        state = "Succeeded"
    return {
        "activityIdentifier": activity_id,
        "countEntitled": counts.entitled,
        "countEntitledForProvisioning": counts.entitled_for_provisioning,
        "countEscrowed": counts.escrowed,
        "countEscrowedRaw": counts.escrowed,
        "countExported": counts.exported,
        "countExports": counts.exports,
        "countImported": counts.imported,
        "countImportedDeltas": counts.imported,
        "countImportedReferenceDeltas": 0,
        "error": None if error is None else copy.deepcopy(error),
        "state": state,
        "timeBegan": timestamp(began),
        "timeEnded": timestamp(ended),
    }


def sync_error(code: str, message: str, *, tenant_actionable: bool = True) -> JsonObject:
    """A synchronizationError."""
    return {"code": code, "message": message, "tenantActionable": tenant_actionable}


def started(status: JsonObject) -> JsonObject:
    """Start: the job runs again and "If the job is in quarantine, the quarantine status is
    cleared"."""
    result = copy.deepcopy(status)
    result["code"] = "Active"
    result["quarantine"] = None
    return result


def paused(status: JsonObject) -> JsonObject:
    result = copy.deepcopy(status)
    result["code"] = "Paused"
    return result


def reset_scopes(criteria: JsonObject | None) -> frozenset[str]:
    """The restart's `resetScope` members; no criteria means a full restart. Raises ValueError
    for a member outside the enum."""
    raw = None if criteria is None else criteria.get("resetScope")
    if raw is None:
        return frozenset(["Full"])
    if not isinstance(raw, str):
        raise ValueError("resetScope must be a comma-separated string")
    members = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = members - RESET_SCOPES
    if unknown:
        raise ValueError(f"Unknown resetScope value(s): {', '.join(sorted(unknown))}")
    return members


def restarted(status: JsonObject, scopes: frozenset[str]) -> JsonObject:
    """Restart: `QuarantineState` (or Full) lifts quarantine; the watermark and escrows are the
    caller's to forget."""
    result = copy.deepcopy(status)
    if scopes & {"QuarantineState", "Full"} and result.get("code") == "Quarantine":
        result["code"] = "Active"
        result["quarantine"] = None
    return result


def after_cycle(status: JsonObject, run: JsonObject, entry_counts: list[JsonObject]) -> JsonObject:
    """A cycle that reached the target: the job is Active (a successful retry ends quarantine),
    its successive complete failures reset, and steady state is reached when nothing is left
    escrowed."""
    result = copy.deepcopy(status)
    result["code"] = "Active"
    result["quarantine"] = None
    result["countSuccessiveCompleteFailures"] = 0
    result["lastExecution"] = copy.deepcopy(run)
    result["lastSuccessfulExecution"] = copy.deepcopy(run)
    if run["countExported"]:
        result["lastSuccessfulExecutionWithExports"] = copy.deepcopy(run)
    if run["state"] == "Succeeded":
        if result.get("steadyStateFirstAchievedTime") in (None, NEVER):
            result["steadyStateFirstAchievedTime"] = run["timeEnded"]
        result["steadyStateLastAchievedTime"] = run["timeEnded"]
    result["synchronizedEntryCountByType"] = copy.deepcopy(entry_counts)
    return result


def quarantined(
    status: JsonObject, run: JsonObject | None, reason: str, error: JsonObject, now: datetime
) -> JsonObject:
    """The job goes to (or stays in) quarantine; `run` (a failed execution) counts as one more
    complete failure. A series keeps its start and counts each quarantined cycle."""
    result = copy.deepcopy(status)
    previous = result.get("quarantine") or {}
    series_count = int(previous.get("seriesCount") or 0) + 1
    result["code"] = "Quarantine"
    if run is not None:
        result["lastExecution"] = copy.deepcopy(run)
        if run["state"] == "Failed":
            failures = int(result.get("countSuccessiveCompleteFailures") or 0)
            result["countSuccessiveCompleteFailures"] = failures + 1
    hours = RETRY_HOURS[min(series_count, len(RETRY_HOURS)) - 1]
    result["quarantine"] = {
        "currentBegan": timestamp(now),
        "error": copy.deepcopy(error),
        "nextAttempt": timestamp(now + timedelta(hours=hours)),
        "reason": reason,
        "seriesBegan": previous.get("seriesBegan") or timestamp(now),
        "seriesCount": series_count,
    }
    return result


def escrow_quarantine_reason(escrowed: int, events: int) -> str | None:
    """The quarantine reason the documented escrow thresholds give, or None below them."""
    if escrowed < ESCROW_EVALUATION_FLOOR:
        return None
    if escrowed > ESCROW_TOTAL_LIMIT:
        return "EncounteredTotalEscrowThreshold"
    if events and escrowed / events > ESCROW_PROPORTION_LIMIT:
        return "EncounteredEscrowProportionThreshold"
    return None
