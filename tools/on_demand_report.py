"""Provision on demand, the pure half: which rule to run, the request, and the reply read back
as the portal shows it (import, scoping, matching, action), with a verdict. `provision_on_demand.py`
does the requests.

The action is `POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/provisionOnDemand`
(https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-provisionondemand): its
body names the subject and the `synchronizationRule` id from the job's schema; its reply is a
`stringKeyStringValuePair` whose `key` is a JSON string with the result ("Success", "Skipped",
"Failure" and error details) and whose `value` is a JSON string with `provisioningSteps`,
`statusInfo`, `action` and the identities.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from tools.health_render import markdown_cell
from tools.health_report import text_or_none

ObjectType = Literal["User", "Group"]
PROVISIONED, CALL_FAILED, NOT_PROVISIONED = 0, 1, 2
REDUNDANT_EXPORT = "RedundantExport"
"""The skip reason when source and target already match ("already in sync")."""
NOT_ENTITLED = "NotEffectivelyEntitled"
"""The skip reason of an object out of scope: unassigned, disabled or filtered out."""
MAX_DETAILS_SHOWN = 12
MAX_VALUE_CHARS = 160
# What the portal calls each provisioningStepType, for a user or a group.
STEP_TITLES = {
    "import": "Import {kind}",
    "scoping": "Determine if {kind} is in scope",
    "matching": "Match {kind} between source and target system",
    "processing": "Process {kind}",
    "referenceresolution": "Resolve references",
    "export": "Perform action",
}


class OnDemandError(ValueError):
    """The request cannot be made, or the reply cannot be read; the message says why."""


@dataclass(frozen=True)
class Subject:
    object_id: str
    object_type: ObjectType
    name: str
    """What the operator recognises: a user principal name or a group's display name."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    name: str


@dataclass(frozen=True)
class Step:
    title: str
    step_type: str
    status: str
    description: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OnDemandResult:
    subject: Subject
    rule: Rule
    result: str
    """"Success", "Skipped" or "Failure" as Graph sent it."""
    action: str | None
    steps: tuple[Step, ...]
    error_code: str | None
    error_message: str | None

    @property
    def outcome(self) -> str:
        """ "provisioned", "already in sync", "out of scope", "failed" or "skipped"."""
        result = self.result.casefold()
        if result == "success":
            return "provisioned"
        if result == "failure" or any(s.status.casefold() == "failure" for s in self.steps):
            return "failed"
        if result == "skipped":
            reason = self.error_code or _skip_reason(self)
            if reason == REDUNDANT_EXPORT:
                return "already in sync"
            scoping = [s for s in self.steps if s.step_type == "scoping"]
            if reason == NOT_ENTITLED or any(s.status.casefold() != "success" for s in scoping):
                return "out of scope"
            return "skipped"
        return f"unrecognised result {self.result!r}"

    @property
    def status(self) -> int:
        """0 provisioned or already in sync; 2 anything else (docs/health.md says why an
        out-of-scope subject counts as a failure)."""
        done = self.outcome in ("provisioned", "already in sync")
        return PROVISIONED if done else NOT_PROVISIONED

    @property
    def failed_step(self) -> Step | None:
        return next((s for s in self.steps if s.status.casefold() == "failure"), None)


@dataclass(frozen=True)
class OnDemandFailure:
    """A subject that could not be provisioned because a request failed or its reply could not
    be read: reported with the others instead of throwing their results away."""

    shown: str
    """The subject as the operator gave it (or its stand-in when it is a secret)."""
    message: str
    status: int = CALL_FAILED
    outcome: str = "call failed"


OnDemandOutcome = OnDemandResult | OnDemandFailure


def worst(statuses: list[int]) -> int:
    """The exit status of several subjects: a failed call (1) outranks a failed step or an
    out-of-scope subject (2), which outranks success (0)."""
    if CALL_FAILED in statuses:
        return CALL_FAILED
    return max(statuses, default=PROVISIONED)


def shown_name(result: OnDemandOutcome) -> str:
    return result.shown if isinstance(result, OnDemandFailure) else result.subject.name


def hidden(text: str, secret: str, shown: str) -> str:
    """`text` with every occurrence of `secret` (in any casing, as a user principal name is
    compared by Graph, and URL-quoted, as it goes into a request path) replaced by `shown`."""
    for form in {secret, quote(secret, safe="@"), quote(secret, safe="")}:
        if form:
            text = re.sub(re.escape(form), lambda _: shown, text, flags=re.IGNORECASE)
    return text


def _skip_reason(result: OnDemandResult) -> str | None:
    for step in result.steps:
        for key, value in step.details:
            if key == "SkipReason":
                return value
    return None


def choose_rule(schema: Mapping[str, Any], object_type: ObjectType) -> Rule:
    """The synchronization rule whose object mapping takes `object_type` from Entra ID (its
    `id` is provisionOnDemand's `ruleId`), or OnDemandError saying why there is none."""
    rules = schema.get("synchronizationRules")
    if not isinstance(rules, list):
        raise OnDemandError("the job's schema has no synchronizationRules")
    disabled = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        for mapping in rule.get("objectMappings") or []:
            if not isinstance(mapping, Mapping):
                continue
            if str(mapping.get("sourceObjectName", "")).casefold() != object_type.casefold():
                continue
            if mapping.get("enabled") is False:
                disabled.append(str(mapping.get("name") or mapping.get("sourceObjectName")))
                continue
            return Rule(str(rule.get("id")), str(rule.get("name") or rule.get("id")))
    if disabled:
        raise OnDemandError(
            f"the mapping {disabled[0]!r} is switched off, so no {object_type.lower()} can be "
            "provisioned (userMappings / groupMappings `enabled`)"
        )
    raise OnDemandError(f"the job's schema has no rule that provisions a {object_type.lower()}")


def request_body(rule: Rule, subject: Subject) -> dict[str, Any]:
    """The documented body: one synchronizationJobApplicationParameters with one subject."""
    return {
        "parameters": [
            {
                "subjects": [
                    {"objectId": subject.object_id, "objectTypeName": subject.object_type}
                ],
                "ruleId": rule.rule_id,
            }
        ]
    }


def parse_reply(reply: Any, subject: Subject, rule: Rule) -> OnDemandResult:
    """The stringKeyStringValuePair read back, or OnDemandError if it is not one."""
    if not isinstance(reply, Mapping):
        raise OnDemandError("provisionOnDemand answered without a JSON object")
    summary = _json_object(reply.get("key"), "key")
    value = _json_object(reply.get("value"), "value")
    details = summary.get("details") if isinstance(summary.get("details"), Mapping) else {}
    status_info = value.get("statusInfo") if isinstance(value.get("statusInfo"), Mapping) else {}
    result = (
        text_or_none(summary.get("result")) or text_or_none(status_info.get("status")) or "unknown"
    )
    steps = value.get("provisioningSteps")
    return OnDemandResult(
        subject=subject,
        rule=rule,
        result=result,
        action=text_or_none(value.get("action")),
        steps=tuple(
            _step(step, subject.object_type)
            for step in (steps if isinstance(steps, list) else [])
            if isinstance(step, Mapping)
        ),
        error_code=text_or_none(details.get("errorCode"))
        or text_or_none(status_info.get("errorCode")),
        error_message=text_or_none(details.get("errorMessage"))
        or text_or_none(status_info.get("reason")),
    )


def _json_object(text: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(text, str):
        raise OnDemandError(f"provisionOnDemand answered without a `{name}` string")
    try:
        parsed = json.loads(text)
    except ValueError:
        raise OnDemandError(f"provisionOnDemand's `{name}` is not JSON") from None
    if not isinstance(parsed, Mapping):
        raise OnDemandError(f"provisionOnDemand's `{name}` is not a JSON object")
    return parsed


def _step(step: Mapping[str, Any], object_type: ObjectType) -> Step:
    kind = text_or_none(step.get("type")) or text_or_none(step.get("provisioningStepType"))
    step_type = (kind or "").casefold()
    template = STEP_TITLES.get(step_type)
    title = template.format(kind=object_type.lower()) if template else str(step.get("name"))
    details = step.get("details") if isinstance(step.get("details"), Mapping) else {}
    return Step(
        title=title,
        step_type=step_type,
        status=text_or_none(step.get("status")) or "unknown",
        description=" ".join(str(step.get("description") or "").split()),
        details=tuple((str(key), _value(value)) for key, value in details.items()),
    )


# ----- rendering -----


def render_text(result: OnDemandOutcome) -> str:
    """The steps the way the portal's "Provision on demand" shows them."""
    if isinstance(result, OnDemandFailure):
        return f"Provision on demand: {result.shown}\nResult: call failed: {result.message}\n"
    subject = result.subject
    lines = [
        f"Provision on demand: {subject.object_type.lower()} {subject.name} "
        f"({subject.object_id}), rule {result.rule.name}"
    ]
    for number, step in enumerate(result.steps, start=1):
        lines.append(f"  {number}. {step.title}: {step.status}")
        if step.description:
            lines.append(f"     {step.description}")
        lines += [f"       {key}: {value}" for key, value in step.details[:MAX_DETAILS_SHOWN]]
        if len(step.details) > MAX_DETAILS_SHOWN:
            lines.append(f"       … {len(step.details) - MAX_DETAILS_SHOWN} more details")
    lines.append(f"Result: {summary(result)}")
    return "\n".join(lines) + "\n"


def summary(result: OnDemandResult) -> str:
    """ "provisioned (action Create)", "failed at Perform action: code: message", …"""
    text = result.outcome
    if result.action and result.outcome == "provisioned":
        text += f" (action {result.action})"
    failed = result.failed_step
    if failed is not None:
        text += f" at {failed.title}"
    error = ": ".join(part for part in (result.error_code, result.error_message) if part)
    if error and result.outcome != "provisioned":
        text += f": {error}"
    return text


def render_markdown(result: OnDemandOutcome) -> str:
    if isinstance(result, OnDemandFailure):
        return (
            f"### Provision on demand: {markdown_cell(result.shown)}\n\n"
            f"**Result: call failed: {markdown_cell(result.message)}**\n"
        )
    subject = result.subject
    lines = [
        f"### Provision on demand: {subject.object_type.lower()} `{subject.name}`",
        "",
        f"Rule `{result.rule.name}`. **Result: {markdown_cell(summary(result))}**",
        "",
        "| | Step | Status | What happened |",
        "|---:|---|---|---|",
    ]
    for number, step in enumerate(result.steps, start=1):
        lines.append(
            f"| {number} | {step.title} | {step.status} | {markdown_cell(step.description)} |"
        )
    return "\n".join(lines) + "\n"


def render_title(stack: str, results: list[OnDemandOutcome]) -> str:
    parts = [f"{shown_name(r)}: {r.outcome}" for r in results]
    return f"Provision on demand in {stack}: " + "; ".join(parts)


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_VALUE_CHARS else flat[: MAX_VALUE_CHARS - 1] + "…"
