"""`POST /v1.0/servicePrincipals/{id}/synchronization/jobs/{jobId}/provisionOnDemand`.

Documented at
https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-provisionondemand
: the body is `{"parameters": [{"subjects": [{"objectId", "objectTypeName"}], "ruleId"}]}`, the
answer a `stringKeyStringValuePair` whose `key` is a JSON string `{"result", "details"}` and
whose `value` is a JSON string with action, changeId, endTime, modifiedProperties,
provisioningSteps (name, type, status, description, timestamp, details), reportableIdentifier,
startTime, statusInfo, sourceIdentity, sourceSystem, targetIdentity and targetSystem, enum
members capitalised ("Success", "Import", "Create") as in the example. "The rate limit for this
API is 5 requests per 10 seconds": the sixth request within 10 s on a job gets 429 with
Retry-After. The emulator takes one parameter with one subject (a user or a group); a group's
`links.members` (Microsoft's third example) is refused rather than ignored. The wording of the
400s for an unknown rule or object is not published and is chosen here.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable

from .graphreply import Reply, bad_request, error, ok, with_headers
from .identity import Identity
from .messages import JsonObject, Request, Response
from .provisioning_cycle import Provisioner
from .provisioning_object import ENTRA, Outcome, object_mapping
from .routing import Handler
from .sync_status import timestamp
from .synchronization import Synchronization

RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 10.0
OBJECT_TYPES = ("User", "Group")

_RESULT = {"success": "Success", "skipped": "Skipped", "failure": "Failure", "warning": "Warning"}
_STEP_TYPE = {
    "import": "Import",
    "scoping": "Scoping",
    "matching": "Matching",
    "processing": "Processing",
    "referenceResolution": "ReferenceResolution",
    "export": "Export",
}


class ProvisionOnDemand:
    """The provisionOnDemand action, with its per-job rate limit."""

    def __init__(
        self,
        base_url: str,
        synchronization: Synchronization,
        provisioner: Provisioner,
        identity: Identity,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url
        self._synchronization = synchronization
        self._provisioner = provisioner
        self._identity = identity
        self._clock = clock
        self._calls: dict[tuple[str, str], deque[float]] = {}

    def routes(self) -> list[tuple[str, str, Handler]]:
        path = "/v1.0/servicePrincipals/{sp}/synchronization/jobs/{job}/provisionOnDemand"
        return [("POST", path, self._provision)]

    def clear(self) -> None:
        self._calls.clear()

    def _provision(self, request: Request, sp: str, job: str) -> Response:
        state = self._synchronization.job_for(request, sp, job)
        self._throttle(request, sp, job)
        rule_id, kind, object_id = _subject(request)
        rules = {
            str(r.get("id")): r
            for r in state.schema.get("synchronizationRules") or []
            if isinstance(r, dict)
        }
        rule = rules.get(rule_id)
        if rule is None:
            raise bad_request(
                request,
                f"The ruleId '{rule_id}' does not match any synchronization rule of "
                "the job's schema.",
                "BadRequest",
            )
        try:
            object_mapping(rule, kind)
        except KeyError:
            raise bad_request(
                request,
                f"The rule '{rule_id}' has no enabled object mapping for {kind}.",
                "BadRequest",
            ) from None
        caller = self._identity.caller(request.bearer_token() or "")
        initiator = {
            "id": "" if caller is None else caller.object_id,
            "displayName": "" if caller is None else caller.display_name,
            "initiatorType": "application",
        }
        try:
            outcome = self._provisioner.provision_on_demand(
                sp, job, rule, kind, object_id, initiator
            )
        except KeyError:
            raise bad_request(
                request, f"The {kind} '{object_id}' was not found in {ENTRA}.", "BadRequest"
            ) from None
        context = f"{self._base_url}/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair"
        return ok(
            request,
            {
                "@odata.context": context,
                "key": json.dumps(result_key(outcome), separators=(",", ":")),
                "value": json.dumps(result_value(outcome), separators=(",", ":")),
            },
        )

    def _throttle(self, request: Request, sp: str, job: str) -> None:
        now = self._clock()
        calls = self._calls.setdefault((sp, job), deque())
        while calls and now - calls[0] >= RATE_WINDOW_SECONDS:
            calls.popleft()
        if len(calls) >= RATE_LIMIT:
            wait = max(1, math.ceil(RATE_WINDOW_SECONDS - (now - calls[0])))
            response = error(
                429,
                "TooManyRequests",
                f"The rate limit for provisionOnDemand is {RATE_LIMIT} requests per "
                f"{RATE_WINDOW_SECONDS:g} seconds. Please retry after {wait} seconds.",
                request,
            )
            raise Reply(with_headers(response, {"Retry-After": str(wait)}))
        calls.append(now)


def _subject(request: Request) -> tuple[str, str, str]:
    """(ruleId, "User"/"Group", objectId) of the one subject the body names."""
    body = request.body if isinstance(request.body, dict) else None
    parameters = None if body is None else body.get("parameters")
    if not isinstance(parameters, list) or not parameters:
        raise bad_request(
            request, "The request body must have a non-empty 'parameters' array.", "BadRequest"
        )
    if len(parameters) != 1 or not isinstance(parameters[0], dict):
        raise bad_request(
            request, "The emulator provisions one parameter per request.", "BadRequest"
        )
    parameter = parameters[0]
    rule_id, subjects = parameter.get("ruleId"), parameter.get("subjects")
    if not isinstance(rule_id, str) or not rule_id:
        raise bad_request(request, "Each parameter needs a 'ruleId'.", "BadRequest")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise bad_request(
            request, "The emulator provisions exactly one subject per request.", "BadRequest"
        )
    subject = subjects[0]
    if subject.get("links"):
        raise bad_request(
            request, "The emulator does not provision a group's 'links'.", "BadRequest"
        )
    object_id, type_name = subject.get("objectId"), subject.get("objectTypeName")
    kind = next(
        (k for k in OBJECT_TYPES if isinstance(type_name, str) and type_name.lower() == k.lower()),
        None,
    )
    if not isinstance(object_id, str) or not object_id or kind is None:
        raise bad_request(
            request,
            "Each subject needs an 'objectId' and an 'objectTypeName' of 'User' or 'Group'.",
            "BadRequest",
        )
    return rule_id, kind, object_id


def result_key(outcome: Outcome) -> JsonObject:
    """The `key` document: the result, with the error or skip reason for anything else."""
    details: JsonObject = {}
    if outcome.status != "success":
        details = {"errorCode": outcome.error_code, "errorMessage": outcome.reason}
    return {"result": _RESULT[outcome.status], "details": details}


def result_value(outcome: Outcome) -> JsonObject:
    """The `value` document, in the order and casing of Microsoft's first example."""
    failed = outcome.status == "failure"
    return {
        "action": outcome.action[0].upper() + outcome.action[1:],
        "changeId": outcome.change_id,
        "endTime": timestamp(outcome.ended),
        "modifiedProperties": outcome.modified,
        "provisioningSteps": [
            {
                "name": step["name"],
                "type": _STEP_TYPE[step["provisioningStepType"]],
                "status": _RESULT[step["status"]],
                "description": step["description"],
                "timestamp": when,
                "details": step["details"],
            }
            for step, when in zip(outcome.steps, outcome.step_times, strict=True)
        ],
        "reportableIdentifier": outcome.name,
        "startTime": timestamp(outcome.started),
        "statusInfo": {
            "status": _RESULT[outcome.status],
            "errorCode": outcome.error_code,
            "reason": outcome.reason,
            "additionalDetails": None,
            "errorCategory": "NonServiceFailure" if failed else None,
            "recommendedAction": None,
        },
        "sourceIdentity": {
            "id": outcome.object_id,
            "type": outcome.kind,
            "displayName": outcome.display_name or None,
            "details": None,
        },
        "sourceSystem": {"id": None, "name": ENTRA, "details": None},
        "targetIdentity": {
            "id": outcome.target_id or None,
            "type": outcome.target_type,
            "displayName": None,
            "details": None,
        },
        "targetSystem": {"id": None, "name": outcome.target_system, "details": None},
    }
