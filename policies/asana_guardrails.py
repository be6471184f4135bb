"""Guardrails for the Asana provisioning stacks, as CrossGuard policies.

Each policy reads what the program declares (the resources' planned properties) and names how
to fix a violation. Enforcement is per environment: `config/dev.json` and `config/prod.json`
set each policy's level, and the prod-only rules are disabled in dev.

Policies see secret values unwrapped and cannot tell whether a value was secret
(docs/api-facts.md, pulumi §4.3). So the token rule checks where the synchronization
secret's credentials come from (a dependency on the validated token resource), not the value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from rules.asana import SCIM_TENANT_URL as ASANA_SCIM_URL

APP = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
JOB = "azuread:index/synchronizationJob:SynchronizationJob"
TOKEN = "pulumi-python:dynamic/asana:ServiceAccountToken"
MAPPINGS = "pulumi-python:dynamic/asana:ProvisioningAttributeMappings"
# components.asana_app.PRINCIPAL_KINDS, repeated: the pack imports the repository's rules/ (see
# __main__.py) but not the component, whose imports need the program's own environment.
PRINCIPAL_KINDS = "principalKinds"


def _credentials(props: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(credential.get("key")): str(credential.get("value"))
        for credential in props.get("credentials") or []
        if isinstance(credential, Mapping)
    }


def _notification_settings(props: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = _credentials(props).get("SyncNotificationSettings")
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _config(args: ResourceValidationArgs | StackValidationArgs, defaults: Mapping[str, Any]):
    return {**defaults, **(args.get_config() or {})}


def _for_type(resource_type: str, check: Callable[[ResourceValidationArgs, ReportViolation], None]):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == resource_type:
            check(args, report_violation)

    return validate


def _scope_assigned_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    sync_all = _credentials(args.props).get("SyncAll")
    if sync_all is None or sync_all.lower() != "false":
        report(
            f"SyncAll is {sync_all!r}: provisioning would cover all users and groups. Set "
            'asana-provisioning:provisioningScope to "assigned".',
            None,
        )


def _notifications_on(args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = _notification_settings(args.props)
    if settings is None:
        report("SyncNotificationSettings is missing or not JSON.", None)
        return
    if not str(settings.get("Recipients") or "").strip():
        report("No notification email: set asana-provisioning:notificationEmail.", None)
    if settings.get("Enabled") is not True:
        report(
            "Failure notifications are off: set asana-provisioning:notifyOnFailure to true.", None
        )


THRESHOLD_DEFAULTS = {"minThreshold": 1, "maxThreshold": 500}


def _deletion_prevention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = _notification_settings(args.props) or {}
    limits = _config(args, THRESHOLD_DEFAULTS)
    if settings.get("DeleteThresholdEnabled") is not True:
        report(
            "Accidental-deletion prevention is off: set "
            "asana-provisioning:preventAccidentalDeletions to true.",
            None,
        )
        return
    value = settings.get("DeleteThresholdValue")
    low, high = limits["minThreshold"], limits["maxThreshold"]
    if not isinstance(value, int) or not low <= value <= high:
        report(
            f"The deletion threshold is {value}; this environment allows {low} to {high}. Set "
            "asana-provisioning:deletionThreshold within that range.",
            None,
        )


URL_DEFAULTS = {"allowedTenantUrls": [ASANA_SCIM_URL]}


def _tenant_url_allowed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = [url.rstrip("/") for url in _config(args, URL_DEFAULTS)["allowedTenantUrls"]]
    if args.resource_type == SECRET:
        url = _credentials(args.props).get("BaseAddress")
    elif args.resource_type == TOKEN:
        url = args.props.get("scim_base_url") or ASANA_SCIM_URL
    else:
        return
    if url is None or url.rstrip("/") not in allowed:
        report(
            f"The SCIM tenant URL {url!r} is not allowed ({', '.join(allowed)}); the token would "
            "be sent there. Set asana-provisioning:scimTenantUrl to Asana's SCIM URL.",
            None,
        )


def _user_mapping_matches_on_user_name(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if args.props.get("kind") != "user":
        return
    mappings = [m for m in args.props.get("mappings") or [] if isinstance(m, Mapping)]
    matching = [m.get("target") for m in mappings if int(m.get("matchingPriority") or 0) > 0]
    if any(target != "userName" for target in matching):
        report(
            f"Users would match on {', '.join(map(str, matching))}: Asana can only look users up "
            "by userName. Give only userName a matchingPriority (1).",
            None,
        )
    if args.props.get("mode") == "exact":
        listed = {m.get("target") for m in mappings}
        missing = [target for target in ("userName", "active") if target not in listed]
        if missing:
            report(
                f"An exact user mapping must map {' and '.join(missing)}: without userName users "
                "cannot be matched, without active they are never deprovisioned.",
                None,
            )


def _groups_only(args: StackValidationArgs, report: ReportViolation) -> None:
    for assignment in _of_type(args.resources, ASSIGNMENT):
        if _principal_type(assignment) == "User":
            report(
                "A user is assigned directly; in this environment access is granted through "
                "groups. Move the user into a group in asana-provisioning:assignmentGroups.",
                assignment.urn,
            )


def _principal_type(assignment: PolicyResource) -> str | None:
    """What the assignment really is: Graph's `principalType` once it exists, before that the
    kind the AsanaEnterpriseApp component declared for it (never guessed from a name)."""
    try:
        live = assignment.props.get("principalType")
    except UnknownValueError:  # not created yet: Graph has not said, so use what was declared
        live = None
    if isinstance(live, str) and live:
        return live
    parent = assignment.parent
    kinds = parent.props.get(PRINCIPAL_KINDS) if parent is not None else None
    kind = kinds.get(assignment.name) if isinstance(kinds, Mapping) else None
    return {"group": "Group", "user": "User"}.get(str(kind)) if kind else None


def _sso_on(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("preferredSingleSignOnMode") != "saml":
        report("SAML single sign-on is off: set asana-provisioning:ssoEnabled to true.", None)


def _job_enabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("enabled") is not True:
        report(
            'The provisioning job is paused: set asana-provisioning:provisioningStatus to "on".',
            None,
        )


def _token_from_validated_resource(args: StackValidationArgs, report: ReportViolation) -> None:
    for secret in _of_type(args.resources, SECRET):
        sources = secret.property_dependencies.get("credentials", [])
        if not any(dependency.resource_type == TOKEN for dependency in sources):
            report(
                f"{secret.name}: its credentials do not come from an AsanaServiceAccountToken, so "
                "the token was never checked by Asana; feed SecretToken from that resource's "
                "`token` output (the AsanaEnterpriseApp component does).",
                secret.urn,
            )


def _one_of_each(args: StackValidationArgs, report: ReportViolation) -> None:
    for resource_type, what in (
        (APP, "Asana application"),
        (JOB, "provisioning job"),
        (SECRET, "synchronization secret"),
    ):
        count = len(_of_type(args.resources, resource_type))
        if count > 1 or (count == 0 and resource_type == APP):
            report(
                f"The stack declares {count} {what}(s); one stack manages exactly one Asana "
                "application, with at most one job and one secret. Split environments into stacks.",
                None,
            )


def _of_type(resources: Sequence[PolicyResource], resource_type: str) -> list[PolicyResource]:
    return [resource for resource in resources if resource.resource_type == resource_type]


def _resource_policy(
    name: str,
    description: str,
    resource_types: Sequence[str],
    check: Callable[[ResourceValidationArgs, ReportViolation], None],
    level: EnforcementLevel,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=[_for_type(resource_type, check) for resource_type in resource_types],
        enforcement_level=level,
        config_schema=config_schema,
    )


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _resource_policy(
        "provisioning-scope-assigned-only",
        'Provision only assigned users and groups (SyncAll "false"). Fix: set '
        'provisioningScope to "assigned".',
        [SECRET],
        _scope_assigned_only,
        EnforcementLevel.MANDATORY,
    ),
    _resource_policy(
        "failure-notifications-on",
        "A notification email is set and failure notifications are on. Fix: set "
        "notificationEmail and notifyOnFailure: true.",
        [SECRET],
        _notifications_on,
        EnforcementLevel.ADVISORY,
    ),
    _resource_policy(
        "accidental-deletion-prevention",
        "Accidental-deletion prevention is on with a threshold in the configured range. Fix: set "
        "preventAccidentalDeletions: true and deletionThreshold within minThreshold..maxThreshold.",
        [SECRET],
        _deletion_prevention,
        EnforcementLevel.MANDATORY,
        PolicyConfigSchema(
            properties={
                "minThreshold": {"type": "integer", "minimum": 1, "default": 1},
                "maxThreshold": {"type": "integer", "minimum": 1, "default": 500},
            }
        ),
    ),
    _resource_policy(
        "scim-tenant-url-allowed",
        "The SCIM tenant URL is on the allow-list, so the token is never sent to another host. "
        "Fix: set scimTenantUrl to Asana's SCIM URL, or extend allowedTenantUrls in the config.",
        [SECRET, TOKEN],
        _tenant_url_allowed,
        EnforcementLevel.MANDATORY,
        PolicyConfigSchema(
            properties={
                "allowedTenantUrls": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [ASANA_SCIM_URL],
                }
            }
        ),
    ),
    StackValidationPolicy(
        name="secret-token-from-validated-token",
        description="The synchronization secret's token comes from AsanaServiceAccountToken (so "
        "Asana checked it), not a literal. Policies cannot see secretness, so this checks the "
        "secret's dependency on that resource. Fix: use the AsanaEnterpriseApp component.",
        validate=_token_from_validated_resource,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    _resource_policy(
        "user-mapping-matches-on-username",
        "Users match on userName only; an exact user mapping maps userName and active. Fix: "
        "remove other matchingPriority values in userMappings, list userName and active.",
        [MAPPINGS],
        _user_mapping_matches_on_user_name,
        EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="assignments-groups-only",
        description="Access is granted through groups, not direct user assignments (prod). Fix: "
        "move users from assignmentUsers into a group listed in assignmentGroups.",
        validate=_groups_only,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    _resource_policy(
        "sso-enabled",
        "SAML single sign-on is configured (prod). Fix: ssoEnabled: true with ssoSignOnUrl.",
        [SERVICE_PRINCIPAL],
        _sso_on,
        EnforcementLevel.ADVISORY,
    ),
    _resource_policy(
        "provisioning-job-enabled",
        'The provisioning job runs (prod). Fix: provisioningStatus: "on".',
        [JOB],
        _job_enabled,
        EnforcementLevel.ADVISORY,
    ),
    StackValidationPolicy(
        name="one-asana-app-per-stack",
        description="A stack declares exactly one Asana application, one provisioning job and "
        "one synchronization secret. Fix: one stack per environment.",
        validate=_one_of_each,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
