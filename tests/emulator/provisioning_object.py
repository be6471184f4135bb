"""What the provisioning service does with one user or group: import it, decide whether it is
in scope, match it in the target, and export (create, update, disable) or skip it. Shared by
the scheduled cycle and provision on demand, so both log the same steps for the same object.

Step names, types and wording follow Microsoft's examples (provisionOnDemand and List
provisioningObjectSummary pages) and the portal's skip reasons: EntryImport / EntryImportAdd
(import), EntrySynchronizationScoping (scoping), EntrySynchronizationAdd or EntryImport
(matching), EntryExportAdd / EntryExportUpdate (export), EntrySynchronizationSkip with
`SkipReason` RedundantExport or NotEffectivelyEntitled.

As in Entra, an object that is unassigned, out of the scoping filter or disabled counts as
soft-deleted (`IsSoftDeleted` true): never created, and disabled in the target (SCIM
`active` false, through the mapping) if the job provisioned it before. Asana teams cannot be
deleted or disabled over SCIM, so a group going out of scope is only skipped.
"""

from __future__ import annotations

import copy
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .messages import JsonObject
from .provisioning_logs import step
from .scim import USER_SCHEMA, Scim
from .scoping import as_text, evaluate
from .source_objects import is_entitled, reportable_identifier, value_of
from .store import Tenant
from .sync_status import timestamp
from .target_values import (
    boolean_targets,
    desired_values,
    get_path,
    matching_target,
    set_path,
)

ENTRA = "Azure Active Directory"
NOT_ENTITLED = (
    "This object does not have required entitlement for provisioning. If you did not expect "
    "the object to be skipped, update provisioning scope to 'Sync all users and groups' or "
    "assign the object to the application with entitlement of provisioning category."
)
REDUNDANT = "The state of the {noun} in both the source and target systems already match."


@dataclass(frozen=True)
class JobContext:
    """What every object of one run is provisioned with."""

    sp_id: str
    sp_name: str
    job_id: str
    rule: JsonObject
    schema: JsonObject
    sync_all: bool
    credential_problem: str | None
    credential_error_code: str
    skip_out_of_scope_deletions: bool = False
    """The secret SkipOutOfScopeDeletions is "true": objects going out of scope are left as
    they are in the target (https://learn.microsoft.com/entra/identity/app-provisioning/skip-out-of-scope-deletions)."""


@dataclass
class Outcome:
    """One object's result, in the provisioning log's terms (lower-case enum members)."""

    kind: str
    object_id: str
    name: str
    display_name: str
    action: str
    status: str
    steps: list[JsonObject]
    step_times: list[str]
    target_id: str
    target_type: str
    target_system: str
    started: datetime
    ended: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: list[JsonObject] = field(default_factory=list)
    error_code: str | None = None
    reason: str | None = None
    soft_deleted: bool = False
    change_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def exported(self) -> bool:
        """Whether an export was attempted (a create, update or disable)."""
        return any(
            s["provisioningStepType"] == "export" and s["status"] != "skipped" for s in self.steps
        )


class ObjectProvisioner:
    """Provisions single objects into the emulated Asana SCIM; `failures` (object id ->
    (code, message)) makes exports of an object fail (Emulator.fail_export)."""

    def __init__(self, tenant: Tenant, scim: Scim, failures: dict[str, tuple[str, str]]) -> None:
        self._tenant = tenant
        self._scim = scim
        self._failures = failures

    def provision(
        self, ctx: JobContext, kind: str, obj: JsonObject, *, on_demand: bool, known: bool
    ) -> Outcome:
        """Provision `obj` (a user or group of the tenant). `known`: the job processed it
        before, so a soft-deleted object is disabled in the target rather than skipped."""
        mapping = object_mapping(ctx.rule, kind)
        name = reportable_identifier(kind, obj)
        target_system = str(ctx.rule.get("targetDirectoryName") or ctx.sp_name)
        outcome = Outcome(
            kind=kind,
            object_id=obj["id"],
            name=name,
            display_name=str(obj.get("displayName") or ""),
            action="other",
            status="success",
            steps=[],
            step_times=[],
            target_id="",
            target_type=str(mapping.get("targetObjectName", kind)),
            target_system=target_system,
            started=datetime.now(UTC),
        )
        self._import(outcome, obj, on_demand=on_demand, known=known)
        base: Callable[[str], Any] = functools.partial(value_of, self._tenant, kind, obj)
        entitled = is_entitled(self._tenant, ctx.sp_id, kind, obj["id"], ctx.sync_all)
        active = kind != "User" or obj.get("accountEnabled") is not False
        scope = evaluate(mapping.get("scope"), base)
        outcome.soft_deleted = not (entitled and active and scope.passed)
        self._add(
            outcome,
            step(
                "EntrySynchronizationScoping",
                "scoping",
                "success",
                f"Determine if {kind} in scope by evaluating against each scoping filter",
                {
                    "Active in the source system": _flag(active),
                    "Assigned to the application": _flag(entitled),
                    "Scoping filter evaluation passed": _flag(scope.passed),
                },
            ),
        )
        if ctx.credential_problem is not None:
            self._add(
                outcome,
                step(
                    "EntryImport",
                    "matching",
                    "failure",
                    f"Failed to retrieve {kind} '{name}' from {target_system}",
                ),
            )
            return self._fail(outcome, ctx.credential_error_code, ctx.credential_problem)

        def effective(attribute: str) -> Any:
            if attribute.lower() == "issoftdeleted":
                return outcome.soft_deleted
            return base(attribute)

        booleans = boolean_targets(
            ctx.schema, str(ctx.rule.get("targetDirectoryName", "")), outcome.target_type
        )
        desired = desired_values(mapping, effective, booleans)
        if kind == "Group":
            desired["members"] = self._member_references(ctx, obj)
        existing = self._match(kind, mapping, desired)
        if outcome.soft_deleted and (existing is None or not known or kind == "Group"):
            return self._skip_out_of_scope(outcome, entitled, active, scope.failed_clauses)
        if outcome.soft_deleted and ctx.skip_out_of_scope_deletions:
            outcome.action = "disable"
            why = (
                f"The {kind} '{name}' is out of scope; SkipOutOfScopeDeletions is set, so it "
                f"is left as it is in {target_system}."
            )
            return self._skip(outcome, "SkipOutOfScopeDeletions", why, why)
        if existing is None:
            return self._create(outcome, desired)
        return self._update(outcome, existing, desired)

    # ----- steps -----

    def _import(self, outcome: Outcome, obj: JsonObject, *, on_demand: bool, known: bool) -> None:
        kind, name = outcome.kind, outcome.name
        details = {"objectId": obj["id"], "displayName": str(obj.get("displayName") or "")}
        if kind == "User":
            details["userPrincipalName"] = name
            details["accountEnabled"] = _flag(obj.get("accountEnabled") is not False)
        if on_demand:
            self._add(
                outcome,
                step(
                    "EntryImport",
                    "import",
                    "success",
                    f"Retrieved {kind} '{name}' from {ENTRA}",
                    details,
                ),
            )
            return
        change = "Update" if known else "Add"
        self._add(
            outcome,
            step(
                f"EntryImport{change}",
                "import",
                "success",
                f"Received {kind} '{name}' change of type ({change}) from {ENTRA}",
                details,
            ),
        )

    def _skip_out_of_scope(
        self, outcome: Outcome, entitled: bool, active: bool, failed: list[str]
    ) -> Outcome:
        reasons = []
        if not entitled:
            reasons.append(NOT_ENTITLED)
        if not active:
            reasons.append("This object is disabled in the source system.")
        if failed:
            reasons.append(
                "This object is not in scope based on the scoping filter (failed: "
                + "; ".join(failed)
                + ")."
            )
        numbered = " ".join(f"{index}) {text}" for index, text in enumerate(reasons, 1))
        description = (
            f"The {outcome.kind} '{outcome.name}' will be skipped due to the following "
            f"reasons: {numbered}"
        )
        outcome.action = "create"
        return self._skip(outcome, "NotEffectivelyEntitled", description, description)

    def _create(self, outcome: Outcome, desired: dict[str, Any]) -> Outcome:
        kind, name, target = outcome.kind, outcome.name, outcome.target_system
        self._add(
            outcome,
            step(
                "EntrySynchronizationAdd",
                "matching",
                "success",
                f"{kind} '{name}' will be created in {target} ({kind} is active and assigned "
                f"in {ENTRA}, but no matching {kind} was found in {target})",
            ),
        )
        outcome.action = "create"
        outcome.modified = [_modified(path, None, value) for path, value in desired.items()]
        failure = self._failure(outcome.object_id)
        if failure is not None:
            self._add(
                outcome,
                _export_step(
                    "EntryExportAdd",
                    "failure",
                    f"Failed to create {kind} '{name}' in {target}",
                    name,
                ),
            )
            return self._fail(outcome, *failure)
        resource: JsonObject = {}
        for path, value in desired.items():
            set_path(resource, path, value)
        if kind == "User":
            user_name = str(resource.pop("userName", name))
            extensions = [key for key in resource if key.startswith("urn:")]
            resource["schemas"] = [USER_SCHEMA, *extensions]
            created = self._scim.add_user(user_name, resource)
        else:
            members = [m["value"] for m in resource.pop("members", [])]
            created = self._scim.add_group(str(resource.get("displayName", name)), members)
        outcome.target_id = created["id"]
        self._add(
            outcome,
            _export_step(
                "EntryExportAdd", "success", f"{kind} '{name}' was created in {target}", name
            ),
        )
        return outcome

    def _update(self, outcome: Outcome, existing: JsonObject, desired: dict[str, Any]) -> Outcome:
        kind, name, target = outcome.kind, outcome.name, outcome.target_system
        outcome.target_id = existing["id"]
        self._add(
            outcome,
            step(
                "EntryImport",
                "matching",
                "success",
                f"Retrieved '{name}' from {target}",
                {"id": existing["id"]},
            ),
        )
        changes = {
            path: value for path, value in desired.items() if get_path(existing, path) != value
        }
        if not changes:
            description = (
                f"{REDUNDANT.format(noun=kind.lower())} No change to the {kind} '{name}' "
                "currently needs to be made."
            )
            reason = REDUNDANT.format(noun=kind.lower())
            return self._skip(outcome, "RedundantExport", description, reason)
        disabling = changes.get("active") is False
        outcome.action = "disable" if disabling else "update"
        outcome.modified = [
            _modified(path, get_path(existing, path), value) for path, value in changes.items()
        ]
        verb = "disabled" if disabling else "updated"
        failure = self._failure(outcome.object_id)
        if failure is not None:
            self._add(
                outcome,
                _export_step(
                    "EntryExportUpdate",
                    "failure",
                    f"Failed to update {kind} '{name}' in {target}",
                    name,
                ),
            )
            return self._fail(outcome, *failure)
        resource = {k: v for k, v in copy.deepcopy(existing).items() if k != "meta"}
        for path, value in changes.items():
            set_path(resource, path, value)
        if kind == "User":
            self._scim.replace_user(existing["id"], resource)
        else:
            self._scim.replace_group(existing["id"], resource)
        self._add(
            outcome,
            _export_step(
                "EntryExportUpdate", "success", f"{kind} '{name}' was {verb} in {target}", name
            ),
        )
        return outcome

    # ----- helpers -----

    def _match(self, kind: str, mapping: JsonObject, desired: dict[str, Any]) -> JsonObject | None:
        """The target object whose matching attribute equals the source's (ignoring case)."""
        attribute = matching_target(mapping)
        wanted = None if attribute is None else desired.get(attribute)
        if attribute is None or wanted is None:
            return None
        candidates = self._scim.users() if kind == "User" else self._scim.groups()
        return next(
            (
                c
                for c in candidates
                if str(get_path(c, attribute) or "").casefold() == str(wanted).casefold()
            ),
            None,
        )

    def _member_references(self, ctx: JobContext, group: JsonObject) -> list[JsonObject]:
        """The group's members that exist in the target, as SCIM member references."""
        user_mapping = object_mapping(ctx.rule, "User")
        references = []
        for member_id in self._tenant.group_members.get(group["id"], []):
            user = self._tenant.users.get(member_id)
            if user is None:
                continue
            desired = desired_values(
                user_mapping, lambda a, u=user: value_of(self._tenant, "User", u, a), set()
            )
            found = self._match("User", user_mapping, desired)
            if found is not None:
                references.append({"value": found["id"]})
        return sorted(references, key=lambda r: r["value"])

    def _failure(self, object_id: str) -> tuple[str, str] | None:
        return self._failures.get(object_id) or self._failures.get(object_id.lower())

    def _skip(self, outcome: Outcome, code: str, description: str, reason: str) -> Outcome:
        """The object is left as it is: an EntrySynchronizationSkip step saying why
        (`description`, SkipReason `code`), and a skipped outcome with that code and `reason`."""
        why = {"SkipReason": code}
        self._add(outcome, step("EntrySynchronizationSkip", "export", "skipped", description, why))
        outcome.status = "skipped"
        outcome.error_code = code
        outcome.reason = reason
        return outcome

    def _fail(self, outcome: Outcome, code: str, message: str) -> Outcome:
        outcome.status = "failure"
        outcome.error_code = code
        outcome.reason = message
        return outcome

    @staticmethod
    def _add(outcome: Outcome, entry: JsonObject) -> None:
        outcome.steps.append(entry)
        outcome.step_times.append(timestamp(datetime.now(UTC)))
        outcome.ended = datetime.now(UTC)


def object_mapping(rule: JsonObject, kind: str) -> JsonObject:
    """The rule's enabled object mapping for `kind` ("User"/"Group"); KeyError if none."""
    for mapping in rule.get("objectMappings") or []:
        if (
            isinstance(mapping, dict)
            and str(mapping.get("sourceObjectName", "")).lower() == kind.lower()
            and mapping.get("enabled", True)
        ):
            return mapping
    raise KeyError(f"rule {rule.get('id')!r} has no enabled object mapping for {kind}")


def _export_step(name: str, status: str, description: str, identifier: str) -> JsonObject:
    return step(name, "export", status, description, {"ReportableIdentifier": identifier})


def _modified(path: str, old: Any, new: Any) -> JsonObject:
    return {"displayName": path, "oldValue": _text(old), "newValue": _text(new)}


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(str(v.get("value", v)) if isinstance(v, dict) else str(v) for v in value)
    return as_text(value)


def _flag(value: bool) -> str:
    return "True" if value else "False"
