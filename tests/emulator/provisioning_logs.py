"""The provisioning logs: `GET /v1.0/auditLogs/provisioning` (provisioningObjectSummary) and the
builder tests and the emulated provisioning service use to write entries.

Documented at https://learn.microsoft.com/graph/api/provisioningobjectsummary-list (shapes and
the two examples) and https://learn.microsoft.com/graph/api/resources/provisioningobjectsummary .
What the emulator serves of it:
* `$filter`: clauses joined by `and`, each `<property> eq '<value>'` on servicePrincipal/id,
  servicePrincipal/displayName, jobId, cycleId, changeId, provisioningAction,
  provisioningStatusInfo/status, sourceIdentity/id or targetIdentity/id, or
  `activityDateTime gt|lt <DateTimeOffset>` (the documented operators are eq, contains, gt
  and lt: no ge or le); comparisons are case sensitive ("The filters are all case
  sensitive"). Anything else is Graph's 400 "Invalid filter clause" (the reply Graph gives
  for a filter its audit logs do not take, e.g. microsoftgraph/microsoft-graph-docs-contrib#6620).
* `$top` and `@odata.nextLink` paging (odata.py), newest first; `$orderby=activityDateTime
  desc|asc`; `$select`.
* The application permission AuditLog.Read.All: without it the reply is the 403 observed on
  this very route ("Calling principal does not have required MSGraph permissions
  AuditLog.Read.All", microsoftgraph/microsoft-graph-explorer-v4#3165).
Entries are audit records: they outlive the service principal they describe.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .graphreply import Reply, bad_request, error, ok
from .identity import Identity
from .messages import JsonObject, Request, Response
from .odata import page, project, refuse_unsupported_options, selected_properties, split_and
from .routing import Handler
from .sync_status import timestamp

ROUTE = "/v1.0/auditLogs/provisioning"
PERMISSION = "AuditLog.Read.All"
PROVISIONING_SERVICE = "Azure AD Provisioning Service"
"""The initiator of every scheduled cycle's entries, as Graph's examples name it."""
ENTRA_SYSTEM = "Azure Active Directory"

PROPERTIES = (
    "id",
    "activityDateTime",
    "tenantId",
    "jobId",
    "cycleId",
    "changeId",
    "provisioningAction",
    "durationInMilliseconds",
    "provisioningStatusInfo",
    "provisioningSteps",
    "modifiedProperties",
    "servicePrincipal",
    "sourceSystem",
    "targetSystem",
    "initiatedBy",
    "sourceIdentity",
    "targetIdentity",
)
"""The provisioningObjectSummary properties, in the order entries carry them."""

ACTIONS = frozenset(["create", "update", "delete", "disable", "other", "stagedDelete"])
STATUSES = frozenset(["success", "failure", "skipped", "warning"])
STEP_TYPES = frozenset(
    ["import", "scoping", "matching", "processing", "referenceResolution", "export"]
)
ERROR_CATEGORIES = frozenset(["failure", "nonServiceFailure", "success"])

_STRING_PROPERTIES = {
    "servicePrincipal/id": ("servicePrincipal", "id"),
    "servicePrincipal/displayName": ("servicePrincipal", "displayName"),
    "jobId": ("jobId",),
    "cycleId": ("cycleId",),
    "changeId": ("changeId",),
    "provisioningAction": ("provisioningAction",),
    "provisioningStatusInfo/status": ("provisioningStatusInfo", "status"),
    "sourceIdentity/id": ("sourceIdentity", "id"),
    "targetIdentity/id": ("targetIdentity", "id"),
}
_EQUALS = re.compile(r"(?P<property>[A-Za-z/]+)\s+eq\s+'(?P<literal>(?:[^']|'')*)'")
_DATE = re.compile(
    r"activityDateTime\s+(?P<operator>gt|lt)\s+"
    r"(?P<literal>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))?)"
)
_ORDER = re.compile(r"\s*activityDateTime(?:\s+(?P<direction>asc|desc))?\s*")


def step(
    name: str,
    step_type: str,
    status: str,
    description: str,
    details: dict[str, str] | None = None,
) -> JsonObject:
    """One provisioningStep; `step_type` and `status` use the log's lower-case enum members."""
    if step_type not in STEP_TYPES:
        raise ValueError(f"provisioningStepType must be one of {sorted(STEP_TYPES)}")
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}")
    return {
        "name": name,
        "provisioningStepType": step_type,
        "status": status,
        "description": description,
        "details": dict(details or {}),
    }


def provisioning_entry(
    *,
    service_principal_id: str,
    job_id: str,
    service_principal_name: str = "Asana",
    status: str = "success",
    action: str = "create",
    source_id: str | None = None,
    source_name: str = "",
    identity_type: str = "User",
    target_id: str = "",
    target_name: str = "",
    target_identity_type: str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    target_system_name: str | None = None,
    error_code: str | None = None,
    reason: str | None = None,
    error_category: str | None = None,
    recommended_action: str | None = None,
    additional_details: str | None = None,
    steps: list[JsonObject] | None = None,
    modified_properties: list[JsonObject] | None = None,
    activity: datetime | str | None = None,
    duration_ms: int = 1200,
    cycle_id: str | None = None,
    change_id: str | None = None,
    tenant_id: str | None = None,
    initiated_by: JsonObject | None = None,
    entry_id: str | None = None,
) -> JsonObject:
    """A provisioningObjectSummary as Graph returns it. A failure or skip carries
    `errorInformation` (a failure defaults to category "nonServiceFailure", as in Graph's
    example); a success has none. Raises ValueError for values outside the enums."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}")
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {sorted(ACTIONS)}")
    if error_category is not None and error_category not in ERROR_CATEGORIES:
        raise ValueError(f"error_category must be one of {sorted(ERROR_CATEGORIES)}")
    when = activity if activity is not None else datetime.now(UTC)
    information: JsonObject | None = None
    if status != "success" or error_code is not None:
        information = {
            "errorCode": error_code,
            "reason": reason,
            "additionalDetails": additional_details,
            "errorCategory": error_category
            or ("nonServiceFailure" if status == "failure" else None),
            "recommendedAction": recommended_action,
        }
    target_system = target_system_name or service_principal_name
    return {
        "id": entry_id or str(uuid.uuid4()),
        "activityDateTime": when if isinstance(when, str) else timestamp(when.astimezone(UTC)),
        "tenantId": tenant_id or str(uuid.UUID(int=0)),
        "jobId": job_id,
        "cycleId": cycle_id or str(uuid.uuid4()),
        "changeId": change_id or str(uuid.uuid4()),
        "provisioningAction": action,
        "durationInMilliseconds": duration_ms,
        "provisioningStatusInfo": {"status": status, "errorInformation": information},
        "provisioningSteps": copy.deepcopy(steps or []),
        "modifiedProperties": copy.deepcopy(modified_properties or []),
        "servicePrincipal": {"id": service_principal_id, "displayName": service_principal_name},
        "sourceSystem": {"id": None, "displayName": ENTRA_SYSTEM, "details": {}},
        "targetSystem": {
            "id": None,
            "displayName": target_system,
            "details": {
                "ServicePrincipalId": service_principal_id,
                "ServicePrincipalDisplayName": service_principal_name,
            },
        },
        "initiatedBy": copy.deepcopy(initiated_by) or system_initiator(),
        "sourceIdentity": {
            "id": source_id or str(uuid.uuid4()),
            "displayName": source_name,
            "identityType": identity_type,
            "details": {},
        },
        "targetIdentity": {
            "id": target_id,
            "displayName": target_name,
            "identityType": target_identity_type,
            "details": {},
        },
    }


def system_initiator() -> JsonObject:
    """The initiator of a scheduled cycle's entries."""
    return {"id": "", "displayName": PROVISIONING_SERVICE, "initiatorType": "system"}


@dataclass(frozen=True)
class _Clause:
    path: tuple[str, ...]
    operator: str
    value: Any

    def matches(self, entry: JsonObject) -> bool:
        actual: Any = entry
        for key in self.path:
            actual = actual.get(key) if isinstance(actual, dict) else None
        if self.operator == "eq":
            return bool(actual == self.value)
        if not isinstance(actual, str):
            return False
        moment = _parse_time(actual)
        return {
            "gt": moment > self.value,
            "lt": moment < self.value,
        }[self.operator]


class ProvisioningLogs:
    """Every provisioning log entry of the tenant, in the order they were written."""

    def __init__(self, base_url: str, identity: Identity) -> None:
        self._base_url = base_url
        self._identity = identity
        self._entries: list[JsonObject] = []

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("GET", ROUTE, self._list)]

    # ----- state access -----

    def add(self, entries: Iterable[JsonObject]) -> None:
        """Record provisioningObjectSummary entries (copied; see `provisioning_entry`); each
        needs an `id` and an `activityDateTime`."""
        batch = [copy.deepcopy(entry) for entry in entries]
        for entry in batch:
            if not isinstance(entry.get("id"), str):
                raise ValueError("a provisioning log entry needs a string 'id'")
            _parse_time(str(entry.get("activityDateTime", "")))
        self._entries.extend(batch)

    def entries(self) -> list[JsonObject]:
        """Every provisioning log entry, newest first."""
        return copy.deepcopy(_newest_first(self._entries))

    def clear(self) -> None:
        self._entries.clear()

    # ----- route -----

    def _list(self, request: Request) -> Response:
        caller = self._identity.caller(request.bearer_token() or "")
        if caller is None or PERMISSION not in caller.roles:
            raise Reply(
                error(
                    403,
                    "Authentication_MSGraphPermissionMissing",
                    f"Calling principal does not have required MSGraph permissions {PERMISSION}",
                    request,
                )
            )
        refuse_unsupported_options(
            request, {"$filter", "$top", "$skiptoken", "$orderby", "$select"}
        )
        selected = selected_properties(request, PROPERTIES, "provisioningObjectSummary")
        clauses = _clauses(request)
        found = [entry for entry in _newest_first(self._entries) if _all(clauses, entry)]
        if _ascending(request):
            found.reverse()
        context = f"{self._base_url}/v1.0/$metadata#auditLogs/provisioning"
        body = page(request, self._base_url, context, found)
        body["value"] = [project(entry, selected) for entry in body["value"]]
        return ok(request, body)


def _all(clauses: list[_Clause], entry: JsonObject) -> bool:
    return all(clause.matches(entry) for clause in clauses)


def _newest_first(entries: list[JsonObject]) -> list[JsonObject]:
    """By activityDateTime, newest first; among equal times the later written first."""
    indexed = list(enumerate(entries))
    indexed.sort(key=lambda pair: (_parse_time(pair[1]["activityDateTime"]), pair[0]))
    return [entry for _, entry in reversed(indexed)]


def _clauses(request: Request) -> list[_Clause]:
    raw = request.query.get("$filter")
    if raw is None:
        return []
    result: list[_Clause] = []
    for part in split_and(raw):
        text = _unwrap(part.strip())
        equals = _EQUALS.fullmatch(text)
        date = _DATE.fullmatch(text)
        if equals is not None and equals["property"] in _STRING_PROPERTIES:
            value = equals["literal"].replace("''", "'")
            result.append(_Clause(_STRING_PROPERTIES[equals["property"]], "eq", value))
        elif date is not None:
            moment = _parse_time(date["literal"])
            result.append(_Clause(("activityDateTime",), date["operator"], moment))
        else:
            raise bad_request(request, "Invalid filter clause", "BadRequest")
    return result


def _unwrap(text: str) -> str:
    """`(clause)` -> `clause`, as clients often parenthesise each clause."""
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def _ascending(request: Request) -> bool:
    raw = request.query.get("$orderby")
    if raw is None:
        return False
    found = _ORDER.fullmatch(raw)
    if found is None:
        raise bad_request(request, f"Invalid $orderby clause: {raw}", "BadRequest")
    return found["direction"] == "asc"


def _parse_time(value: str) -> datetime:
    """A DateTimeOffset (7 fractional digits allowed, as Graph writes them); a bare date is
    midnight UTC. Raises ValueError for anything else."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00Z"
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no offset")
    return moment.astimezone(UTC)
