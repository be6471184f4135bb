"""Guardrails for the Asana provisioning stacks, as CrossGuard policies.

Each policy reads what the program declares (the resources' planned properties) and names how
to fix a violation. Enforcement is per environment: `config/dev.json` and `config/prod.json`
set each policy's level, and the prod-only rules are disabled in dev.

Policies see secret values unwrapped and cannot tell whether a value was secret
(docs/api-facts.md, pulumi §4.3). So the token rule checks where the synchronization
secret's credentials come from (a dependency on the validated token resource), not the value,
and no message quotes a value a stack may have set as a secret (a certificate's subject or end
date): resources are named by their resource names, which the component keeps free of secrets.

A policy that reads a value unknown at preview is skipped by the engine with only an advisory
"can't run policy" line (docs/engine.md, item 7), so a policy that reads what Graph sets on
create (`principalType`, a certificate's `thumbprint` and `endDate`) catches the unknown and
decides without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
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
from rules.saml import days_until, same_thumbprint

APP = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
JOB = "azuread:index/synchronizationJob:SynchronizationJob"
TOKEN = "pulumi-python:dynamic/asana:ServiceAccountToken"
MAPPINGS = "pulumi-python:dynamic/asana:ProvisioningAttributeMappings"
SIGNING_CERTIFICATE = (
    "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate"
)
SAML_SIGNING = "pulumi-python:dynamic/asana:SamlSigningCertificates"
# components.asana_app.USER_ASSIGNMENTS, repeated: the pack imports the repository's rules/ (see
# __main__.py) but not the component, whose imports need the program's own environment.
USER_ASSIGNMENTS = "userAssignments"


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


class PolicyConfigError(ValueError):
    """A policy's settings in the policy pack config are not ones it has (a misspelt
    `maxThreshhold` would otherwise fall back to the default without a word)."""


def _config(args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema):
    """The policy's settings: the config's, else each one's default from the schema; a number
    the engine hands over as a float (JSON numbers are, 30 -> 30.0) read back as whole."""
    defaults = {key: spec.get("default") for key, spec in schema.properties.items()}
    settings = {**defaults, **(args.get_config() or {})}
    return {key: _whole(value) for key, value in settings.items()}


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _known_settings(
    name: str, schema: PolicyConfigSchema | None, validate: Callable[[Any, ReportViolation], None]
) -> Callable[[Any, ReportViolation], None]:
    """`validate`, first refusing a setting the policy does not have, naming it, the policy and
    the ones it has. The engine checks the config against each policy's schema but lets unknown
    keys through (pulumi-policy's configSchema carries no additionalProperties), so the pack
    does, on every resource or stack it sees: an error, whatever the policy's level."""
    known = ["enforcementLevel", *sorted(schema.properties if schema else ())]

    def checked(args: Any, report_violation: ReportViolation) -> None:
        unknown = sorted(set(args.get_config() or {}) - set(known))
        if unknown:
            listed = ", ".join(repr(key) for key in unknown)
            raise PolicyConfigError(
                f"policy {name}: unknown setting{'s' if len(unknown) > 1 else ''} {listed} in "
                f"the policy pack config; its settings are {', '.join(known)}"
            )
        validate(args, report_violation)

    return checked


def _for_type(
    resource_types: Sequence[str], check: Callable[[ResourceValidationArgs, ReportViolation], None]
):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in resource_types:
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


THRESHOLDS = PolicyConfigSchema(
    properties={
        "minThreshold": {"type": "integer", "minimum": 1, "default": 1},
        "maxThreshold": {"type": "integer", "minimum": 1, "default": 500},
    }
)


def _deletion_prevention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = _notification_settings(args.props) or {}
    limits = _config(args, THRESHOLDS)
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


TENANT_URLS = PolicyConfigSchema(
    properties={
        "allowedTenantUrls": {
            "type": "array",
            "items": {"type": "string"},
            "default": [ASANA_SCIM_URL],
        }
    }
)


def _tenant_url_allowed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = [url.rstrip("/") for url in _config(args, TENANT_URLS)["allowedTenantUrls"]]
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
        if _assigns_a_user(assignment):
            report(
                "A user is assigned directly; in this environment access is granted through "
                "groups. Move the user into a group in asana-provisioning:assignmentGroups.",
                assignment.urn,
            )


def _assigns_a_user(assignment: PolicyResource) -> bool:
    """Graph's `principalType` once the assignment exists; before that, whether the
    AsanaEnterpriseApp component listed it among its user assignments (never guessed from a
    name)."""
    try:
        live = assignment.props.get("principalType")
    except UnknownValueError:  # not created yet: Graph has not said, so use what was declared
        live = None
    if isinstance(live, str) and live:
        return live == "User"
    parent = assignment.parent
    users = parent.props.get(USER_ASSIGNMENTS) if parent is not None else None
    return isinstance(users, Sequence) and not isinstance(users, str) and assignment.name in users


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


VALIDITY = PolicyConfigSchema(
    properties={"minValidityDays": {"type": "integer", "minimum": 0, "default": 30}}
)


def now() -> datetime:
    """The time a certificate's remaining validity is measured from (tests replace it)."""
    return datetime.now(UTC)


def _certificate_min_validity(args: StackValidationArgs, report: ReportViolation) -> None:
    """The certificate Entra signs with must stay valid `minValidityDays` more days, unless the
    next one is already declared (a rotation under way, docs/sso.md: its first step adds the
    next certificate while the expiring one is still active, and must not be refused)."""
    minimum = _config(args, VALIDITY)["minValidityDays"]
    certificates = _of_type(args.resources, SIGNING_CERTIFICATE)
    signings = _of_type(args.resources, SAML_SIGNING)
    groups = [
        (signing, [c for c in certificates if _parent_urn(c) == _parent_urn(signing)])
        for signing in signings
    ]
    if not signings and certificates:  # declared without the component: judge each
        groups = [(None, [certificate]) for certificate in certificates]
    moment = now()
    for signing, declared in groups:
        active = _active_certificate(signing, declared) if signing else declared[0]
        if isinstance(active, str):
            report(active, signing.urn if signing else None)
            continue
        days = _days_left(active, moment)
        if isinstance(days, str):
            report(days, active.urn)
            continue
        if days is None or days >= minimum:
            continue
        others = [_days_left(c, moment) for c in declared if c is not active]
        if any(d is None or (isinstance(d, float) and d >= minimum) for d in others):
            continue  # the next certificate is declared: the rotation is under way
        report(
            f"{active.name}: the active SAML signing certificate {_expiry(days)}; this "
            f'environment requires at least {minimum} days. Rotate it (docs/sso.md, "Rotating '
            'the certificate without an outage"): declare the next certificate in '
            "asana-provisioning:ssoCertificates, then switch ssoActiveCertificate to it.",
            active.urn,
        )


def _parent_urn(resource: PolicyResource) -> str | None:
    return resource.parent.urn if resource.parent is not None else None


def _active_certificate(
    signing: PolicyResource, certificates: list[PolicyResource]
) -> PolicyResource | str:
    """The certificate `SamlSigningCertificates` makes active: the one its `active_thumbprint`
    comes from (a property dependency, known at preview even while the thumbprint is not), else
    the one whose thumbprint it names; or why it cannot be told."""
    sources = [
        dependency
        for dependency in signing.property_dependencies.get("active_thumbprint", [])
        if dependency.resource_type == SIGNING_CERTIFICATE
    ]
    if len(sources) == 1:
        return sources[0]
    try:
        wanted = signing.props.get("active_thumbprint")
    except UnknownValueError:
        return (
            f"{signing.name}: which SAML signing certificate is active is unknown at preview "
            "(its active_thumbprint is not known yet and comes from no declared certificate), "
            "so its validity cannot be checked. Fix: set active_thumbprint from the active "
            "certificate's `thumbprint` output (the AsanaEnterpriseApp component does)."
        )
    for certificate in certificates:
        try:
            thumbprint = certificate.props.get("thumbprint")
        except UnknownValueError:  # a certificate not created yet: not the one named
            continue
        if same_thumbprint(thumbprint, wanted):
            return certificate
    return (
        f"{signing.name}: its active_thumbprint is none of the stack's SAML signing "
        "certificates, so Entra would sign with a certificate the stack does not declare. Fix: "
        "set asana-provisioning:ssoActiveCertificate to a declared certificate."
    )


def _days_left(certificate: PolicyResource, moment: datetime) -> float | str | None:
    """Days until the certificate's endDate; None when Entra chooses it (unset, or not known
    until Entra creates the certificate: three years from then); a message when unreadable."""
    try:
        end_date = certificate.props.get("endDate")
    except UnknownValueError:
        return None
    if end_date in (None, ""):
        return None
    try:
        return days_until(str(end_date), moment)
    except ValueError:
        return (
            f"{certificate.name}: its endDate is not an RFC 3339 date-time with a time zone. "
            "Fix: write it as 2029-01-31T00:00:00Z."
        )


def _expiry(days: float) -> str:
    """ "expires in 12 days", "has expired" (whole days, not the date, which may be secret)."""
    if days <= 0:
        return "has expired"
    if days < 1:
        return "expires in less than a day"
    return f"expires in {int(days)} day{'s' if int(days) != 1 else ''}"


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
        validate=_known_settings(name, config_schema, _for_type(resource_types, check)),
        enforcement_level=level,
        config_schema=config_schema,
    )


def _stack_policy(
    name: str,
    description: str,
    check: Callable[[StackValidationArgs, ReportViolation], None],
    level: EnforcementLevel,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=_known_settings(name, config_schema, check),
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
        THRESHOLDS,
    ),
    _resource_policy(
        "scim-tenant-url-allowed",
        "The SCIM tenant URL is on the allow-list, so the token is never sent to another host. "
        "Fix: set scimTenantUrl to Asana's SCIM URL, or extend allowedTenantUrls in the config.",
        [SECRET, TOKEN],
        _tenant_url_allowed,
        EnforcementLevel.MANDATORY,
        TENANT_URLS,
    ),
    _stack_policy(
        "secret-token-from-validated-token",
        "The synchronization secret's token comes from AsanaServiceAccountToken (so "
        "Asana checked it), not a literal. Policies cannot see secretness, so this checks the "
        "secret's dependency on that resource. Fix: use the AsanaEnterpriseApp component.",
        _token_from_validated_resource,
        EnforcementLevel.MANDATORY,
    ),
    _resource_policy(
        "user-mapping-matches-on-username",
        "Users match on userName only; an exact user mapping maps userName and active. Fix: "
        "remove other matchingPriority values in userMappings, list userName and active.",
        [MAPPINGS],
        _user_mapping_matches_on_user_name,
        EnforcementLevel.MANDATORY,
    ),
    _stack_policy(
        "assignments-groups-only",
        "Access is granted through groups, not direct user assignments (prod). Fix: "
        "move users from assignmentUsers into a group listed in assignmentGroups.",
        _groups_only,
        EnforcementLevel.ADVISORY,
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
    _stack_policy(
        "sso-certificate-min-validity",
        "The SAML signing certificate Entra signs with stays valid at least "
        "minValidityDays more days (unset endDate: Entra's three years), unless the next one is "
        "already declared. Fix: rotate it (docs/sso.md): ssoCertificates, ssoActiveCertificate.",
        _certificate_min_validity,
        EnforcementLevel.ADVISORY,
        VALIDITY,
    ),
    _stack_policy(
        "one-asana-app-per-stack",
        "A stack declares exactly one Asana application, one provisioning job and "
        "one synchronization secret. Fix: one stack per environment.",
        _one_of_each,
        EnforcementLevel.MANDATORY,
    ),
]
