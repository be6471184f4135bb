"""Stack configuration read into frozen, validated settings before anything is declared.

Every problem is collected and reported together, each naming the full config key, the value
received and what is allowed, so `pulumi preview` fails cleanly on bad input and nothing is
half-applied. A value is never shown when its key was set with `--secret` (any key, not only the
token) or when it is a URL carrying a user name or password. Structured values are bounded in
depth and size (`rules.bounds`) before anything walks them. Pure: the raw configuration
comes in as a mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import pulumi

from clients import http
from clients.connection import PROJECT, ConfigError, ConnectionSettings, resolve
from rules import asana, bounds, mapping_spec
from rules.identifiers import GUID, GUID_EXAMPLE, INVISIBLE, display_name_problem, is_guid
from rules.mapping_spec import ObjectKind
from rules.redaction import REDACTED, redact, string_leaves
from rules.saml import utc_rfc3339
from rules.tokens import MAX_TOKEN_LENGTH, token_problem
from rules.urls import ALLOWED as URL_ALLOWED
from rules.urls import may_hold_credential, url_problem

_EMAIL = re.compile(
    r"^[^@\s\"<>(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
_DOMAIN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
MAX_ASSIGNMENTS = 10_000
MAX_DELETION_THRESHOLD = 1_000_000
MAX_HEALTH_FAILURES = 1_000_000
MAX_HEALTH_WINDOW_HOURS = 720
"""30 days: Entra keeps provisioning logs that long (Microsoft Entra data retention)."""
MAX_CERTIFICATE_WARNING_DAYS = 3 * 366
"""A signing certificate lives at most three years (addTokenSigningCertificate's endDateTime)."""
MAX_SIGNING_CERTIFICATES = 10
MAX_ACCESS_LOSS = 10_000_000


class SettingsError(pulumi.RunError):
    """The stack configuration is not usable; the message lists every problem found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"the stack configuration has {len(self.problems)} problem(s):\n{lines}")


SettingType = Literal["string", "boolean", "integer", "array", "object"]


@dataclass(frozen=True)
class Setting:
    """One project setting: the single source for parsing, Pulumi.yaml and the README table."""

    name: str
    type: SettingType
    description: str
    default: Any = None
    secret: bool = False

    @property
    def key(self) -> str:
        return f"{PROJECT}:{self.name}"

    def project_schema(self) -> dict[str, Any]:
        """This setting's entry in Pulumi.yaml's `config:` block.

        Every key gets a default, because Pulumi requires a declared key without one in every
        stack. The token is not declared `secret: true` for the same reason (Pulumi refuses a
        default on a secret key); the program itself refuses a token that is not secret.
        """
        if self.type == "object":  # Pulumi's config types cannot describe an object
            return {"description": self.description, "default": self.default or {}}
        schema: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.type == "array":
            schema["items"] = {"type": "string"}
        schema["default"] = "" if self.default is None else self.default
        return schema


SETTINGS: tuple[Setting, ...] = (
    Setting("appDisplayName", "string", "Display name of the enterprise application.", "Asana"),
    Setting(
        "galleryTemplateId",
        "string",
        'Pin the gallery template by id; unset, the template named "Asana" is looked up.',
    ),
    Setting("ssoEnabled", "boolean", "Configure SAML single sign-on.", False),
    Setting("ssoSignOnUrl", "string", "Sign-on URL, https://app.asana.com/a/<email domain>."),
    Setting("ssoIdentifier", "string", "SAML identifier (Entity ID).", asana.SSO_IDENTIFIER),
    Setting("ssoReplyUrl", "string", "SAML reply URL (ACS).", asana.SSO_REPLY_URL),
    Setting(
        "ssoNotificationEmails",
        "array",
        "Who is told before the SAML signing certificate expires.",
        [],
    ),
    Setting(
        "ssoCertificateEndDate",
        "string",
        "Expiry of the SAML signing certificate (RFC 3339); unset, Entra's default (3 years).",
    ),
    Setting(
        "ssoCertificateName",
        "string",
        "Subject of the SAML signing certificate; a change makes a new certificate.",
        asana.SSO_CERTIFICATE_NAME,
    ),
    Setting(
        "ssoCertificates",
        "object",
        "Several SAML signing certificates, for a rotation: {subject: {endDate}} (docs/sso.md); "
        "{} means the one of ssoCertificateName.",
        {},
    ),
    Setting(
        "ssoActiveCertificate",
        "string",
        "Subject of the certificate Entra signs with; unset, the only one declared.",
    ),
    Setting(
        "ssoCertificateWarningDays",
        "integer",
        "The health check warns when the active SAML certificate expires within this many days.",
        60,
    ),
    Setting(
        "appOwners",
        "array",
        "Owners of the application and its service principal: user principal names or object "
        "ids; empty, owners are left as the portal has them, a change reported as drift.",
        [],
    ),
    Setting(
        "assignmentGroups", "array", "Groups assigned to the app: object ids or display names.", []
    ),
    Setting(
        "assignmentUsers",
        "array",
        "Users assigned to the app: object ids or user principal names.",
        [],
    ),
    Setting(
        "assignmentAppRole",
        "string",
        "App role given to every assignment: a role's display name, value or id.",
        asana.DEFAULT_APP_ROLE,
    ),
    Setting("provisioningEnabled", "boolean", "Configure SCIM provisioning to Asana.", True),
    Setting(
        "provisioningStatus",
        "string",
        'Provisioning Status in the portal: "on" (job running) or "off" (paused).',
        "on",
    ),
    Setting(
        "scimTenantUrl", "string", "Asana's SCIM base URL (Tenant URL).", asana.SCIM_TENANT_URL
    ),
    Setting(
        "asanaToken",
        "string",
        "Asana service-account token (SCIM scope); set with `pulumi config set --secret`.",
        secret=True,
    ),
    Setting("notificationEmail", "string", "Where provisioning failure notifications go."),
    Setting(
        "notifyOnFailure",
        "boolean",
        "Send an email notification when a failure occurs (needs notificationEmail).",
        False,
    ),
    Setting(
        "provisioningScope",
        "string",
        '"assigned" (only assigned users and groups) or "all" (all users and groups).',
        "assigned",
    ),
    Setting(
        "preventAccidentalDeletions", "boolean", "Stop a cycle that would delete too many.", True
    ),
    Setting(
        "deletionThreshold",
        "integer",
        "Deletions in one cycle that trigger accidental-deletion prevention.",
        asana.DEFAULT_DELETION_THRESHOLD,
    ),
    Setting(
        "maxAccessLoss",
        "integer",
        "Most people a change may take Asana from: the preview's access impact check fails "
        "above it (docs/impact.md); -1, no limit, the check only warns.",
        -1,
    ),
    Setting(
        "userMappings",
        "object",
        "Users' attribute mappings and scoping filter (see the README); {} keeps the template's.",
        {},
    ),
    Setting(
        "groupMappings",
        "object",
        "Groups' attribute mappings and scoping filter (see the README); {} keeps the template's.",
        {},
    ),
    Setting(
        "restartOnMappingChange",
        "boolean",
        'After a mapping change, restart the job as the portal\'s "Restart provisioning" does.',
        False,
    ),
    Setting(
        "canaryUser",
        "string",
        "A user (object id or user principal name) provisioned on demand after `pulumi up`.",
    ),
    Setting(
        "healthMaxFailures",
        "integer",
        "Failed provisioning log entries in the health check's window tolerated as healthy.",
        0,
    ),
    Setting(
        "healthWindowHours",
        "integer",
        "How far back the health check reads the provisioning logs, in hours (1 to 720).",
        24,
    ),
    Setting("graphEndpoint", "string", "Microsoft Graph root for a custom cloud."),
    Setting("authorityHost", "string", "Entra ID authority host for a custom cloud."),
    Setting(
        "httpTimeoutSeconds",
        "integer",
        "Time limit of each provider request as a whole (connect, send, the entire reply), "
        "token requests included.",
        http.DEFAULT_READ_TIMEOUT_SECONDS,
    ),
    Setting(
        "maxRetries",
        "integer",
        "Retries of a throttled or failing request.",
        http.DEFAULT_MAX_RETRIES,
    ),
    Setting(
        "retryBudgetSeconds",
        "integer",
        "Longest total wait on retries.",
        http.DEFAULT_RETRY_BUDGET_SECONDS,
    ),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Principal:
    """An assignment: by object id, or by a name that is looked up at deployment."""

    kind: Literal["group", "user"]
    reference: str
    secret: bool = False
    """Listed in a setting set with `--secret`: kept out of names and outputs."""

    @property
    def is_object_id(self) -> bool:
        return is_guid(self.reference)


@dataclass(frozen=True)
class SigningCertificate:
    """A SAML signing certificate the stack declares: its subject and, if given, its end date
    (in UTC, as Graph gives it back)."""

    name: str
    end_date: str | None


@dataclass(frozen=True)
class SsoSettings:
    sign_on_url: str
    identifier: str
    reply_url: str
    notification_emails: tuple[str, ...]
    certificates: tuple[SigningCertificate, ...]
    """Every signing certificate the service principal keeps (two during a rotation)."""
    active_certificate: str
    """The subject of the one Entra signs with (`preferredTokenSigningKeyThumbprint`)."""

    @property
    def active(self) -> SigningCertificate:
        return next(c for c in self.certificates if c.name == self.active_certificate)


@dataclass(frozen=True)
class ProvisioningSettings:
    running: bool
    user_mappings: dict[str, Any] | None
    group_mappings: dict[str, Any] | None
    restart_on_mapping_change: bool
    tenant_url: str
    token: str = field(repr=False)
    notification_email: str | None
    notify_on_failure: bool
    sync_all: bool
    prevent_accidental_deletions: bool
    deletion_threshold: int


@dataclass(frozen=True)
class HealthSettings:
    """What `python -m tools.health` checks against (docs/health.md)."""

    canary_user: str | None
    max_failures: int
    window_hours: int
    certificate_warning_days: int = 60


@dataclass(frozen=True)
class HealthCheckSettings:
    """The settings the health check reads from a stack: its own, and whether the stack
    declares provisioning and wants the job running."""

    health: HealthSettings
    provisioning_enabled: bool
    job_running: bool


@dataclass(frozen=True)
class StackSettings:
    secret_settings: frozenset[str]
    """Names of the settings set with `--secret`; their values reach resources only as secrets."""
    authority_host: str
    portal: str
    saml_issuer: str
    """Entra's SAML issuer prefix for the stack's cloud (`clients.connection.Cloud`)."""
    app_display_name: str
    gallery_template_id: str | None
    sso: SsoSettings | None
    owners: tuple[str, ...] | None
    """Owners of the app and its service principal; None leaves them to the portal."""
    principals: tuple[Principal, ...]
    app_role: str
    provisioning: ProvisioningSettings | None
    health: HealthSettings
    max_access_loss: int | None = None
    """How many people one change may take Asana from (tools/impact.py); None: no limit."""


def load_settings(
    config: Mapping[str, Any],
    secret_keys: frozenset[str] | set[str],
    env: Mapping[str, str] | None = None,
) -> StackSettings:
    """Reads the project's settings from the engine's flat config map, or raises SettingsError.

    `env` is the process environment, read for the same `ARM_*` fallbacks the providers use.
    """
    reader = _Reader(config, frozenset(secret_keys))
    reader.reject_unknown_keys()
    reader.reject_oversized()
    connection = reader.connection_settings(env or {})
    settings = StackSettings(
        secret_settings=frozenset(
            setting.name for setting in SETTINGS if setting.key in reader.secret_keys
        ),
        authority_host=connection.graph.authority_host if connection else "",
        portal=connection.cloud.portal if connection else "",
        saml_issuer=connection.cloud.saml_issuer if connection else "",
        app_display_name=reader.text("appDisplayName", display_name_problem),
        gallery_template_id=reader.optional_text("galleryTemplateId", _guid),
        sso=_sso(reader),
        owners=_owners(reader),
        principals=_principals(reader),
        app_role=reader.text("assignmentAppRole", _app_role),
        provisioning=_provisioning(reader),
        health=_health(reader),
        max_access_loss=_max_access_loss(reader),
    )
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


def _max_access_loss(reader: _Reader) -> int | None:
    limit = reader.integer("maxAccessLoss", -1, MAX_ACCESS_LOSS)
    return None if limit < 0 else limit


def load_health_check_settings(
    config: Mapping[str, Any], secret_keys: frozenset[str] | set[str]
) -> HealthCheckSettings:
    """Only what the health check needs from a stack's configuration (as `pulumi config
    --json` gives it), judged exactly as `load_settings` judges it, or a SettingsError."""
    reader = _Reader(config, frozenset(secret_keys))
    reader.reject_oversized()
    enabled = reader.boolean("provisioningEnabled")
    running = reader.choice("provisioningStatus", ("on", "off")) == "on"
    settings = HealthCheckSettings(_health(reader), enabled, running)
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


def _sso(reader: _Reader) -> SsoSettings | None:
    if not reader.boolean("ssoEnabled"):
        return None
    sign_on_url = reader.optional_text("ssoSignOnUrl", _sign_on_url)
    if sign_on_url is None and "ssoSignOnUrl" not in reader.failed:
        reader.problem(
            "ssoSignOnUrl",
            NOT_SET,
            f"a sign-on URL {asana.SSO_SIGN_ON_URL_PREFIX}<your email domain>, required when "
            "ssoEnabled is true",
        )
    return SsoSettings(
        sign_on_url=sign_on_url or "",
        identifier=reader.text("ssoIdentifier", _https_url),
        reply_url=reader.text("ssoReplyUrl", _https_url),
        notification_emails=reader.unique_list("ssoNotificationEmails", _email, "email address"),
        **_signing_certificates(reader),
    )


def _signing_certificates(reader: _Reader) -> dict[str, Any]:
    """`ssoCertificates` (several, for a rotation) or the one of `ssoCertificateName` and
    `ssoCertificateEndDate`, and which of them is active."""
    certificates = reader.certificate_map("ssoCertificates")
    if certificates:
        for legacy in ("ssoCertificateName", "ssoCertificateEndDate"):
            if reader.raw(legacy) not in (_BY_NAME[legacy].default, None, ""):
                reader.problem(legacy, reader.raw(legacy), "unset when ssoCertificates is set")
    else:
        end = reader.optional_text("ssoCertificateEndDate", _future_rfc3339)
        name = reader.text("ssoCertificateName", _certificate_name)
        certificates = (SigningCertificate(name, None if end is None else utc_rfc3339(end)),)
    names = [c.name for c in certificates]
    active = reader.optional_text("ssoActiveCertificate", _certificate_name)
    if active is None and "ssoActiveCertificate" not in reader.failed:
        if len(names) > 1:
            reader.problem(
                "ssoActiveCertificate",
                NOT_SET,
                f"one of the subjects in ssoCertificates ({', '.join(names)}), required when "
                "several are declared",
            )
        active = names[0]
    elif active is not None and active not in names:
        reader.problem(
            "ssoActiveCertificate", active, f"one of the declared subjects: {', '.join(names)}"
        )
        active = None
    return {"certificates": certificates, "active_certificate": active or names[0]}


def _owners(reader: _Reader) -> tuple[str, ...] | None:
    """None (the portal's owners are left alone) when the list is empty: a stack cannot ask
    for an app without owners, which Microsoft advises against anyway."""
    return reader.unique_list("appOwners", _owner_reference, "owner") or None


def _principals(reader: _Reader) -> tuple[Principal, ...]:
    groups = reader.unique_list("assignmentGroups", _group_reference, "group")
    users = reader.unique_list("assignmentUsers", _user_reference, "user")
    if len(groups) + len(users) > MAX_ASSIGNMENTS:
        reader.problem_about(
            "assignmentGroups",
            f"and assignmentUsers list {len(groups) + len(users)} assignments",
            f"at most {MAX_ASSIGNMENTS} assignments in all",
        )
    secret_groups, secret_users = (
        reader.is_secret("assignmentGroups"),
        reader.is_secret("assignmentUsers"),
    )
    return tuple(Principal("group", g, secret_groups) for g in groups) + tuple(
        Principal("user", u, secret_users) for u in users
    )


def _provisioning(reader: _Reader) -> ProvisioningSettings | None:
    if not reader.boolean("provisioningEnabled"):
        for name in ("userMappings", "groupMappings"):
            if reader.raw(name) not in ({}, "{}", "", None):
                reader.problem(name, reader.raw(name), "{} when provisioningEnabled is false")
        return None
    email = reader.optional_text("notificationEmail", _email)
    notify = reader.boolean("notifyOnFailure")
    if notify and email is None and "notificationEmail" not in reader.failed:
        reader.problem(
            "notificationEmail", NOT_SET, "an email address, required when notifyOnFailure is true"
        )
    return ProvisioningSettings(
        running=reader.choice("provisioningStatus", ("on", "off")) == "on",
        user_mappings=reader.mapping_spec("userMappings", "user"),
        group_mappings=reader.mapping_spec("groupMappings", "group"),
        restart_on_mapping_change=reader.boolean("restartOnMappingChange"),
        tenant_url=reader.text("scimTenantUrl", _https_url),
        token=reader.secret_token("asanaToken"),
        notification_email=email,
        notify_on_failure=notify,
        sync_all=reader.choice("provisioningScope", ("assigned", "all")) == "all",
        prevent_accidental_deletions=reader.boolean("preventAccidentalDeletions"),
        deletion_threshold=reader.integer("deletionThreshold", 1, MAX_DELETION_THRESHOLD),
    )


def _health(reader: _Reader) -> HealthSettings:
    return HealthSettings(
        canary_user=reader.optional_text("canaryUser", _user_reference),
        max_failures=reader.integer("healthMaxFailures", 0, MAX_HEALTH_FAILURES),
        window_hours=reader.integer("healthWindowHours", 1, MAX_HEALTH_WINDOW_HOURS),
        certificate_warning_days=reader.integer(
            "ssoCertificateWarningDays", 1, MAX_CERTIFICATE_WARNING_DAYS
        ),
    )


# Each validator returns an error text saying what is allowed, or None when the value is fine.
Validator = Callable[[str], str | None]


def _guid(value: str) -> str | None:
    return None if GUID.match(value) else f"a GUID such as {GUID_EXAMPLE}"


def _app_role(value: str) -> str | None:
    if not value.strip() or len(value) > 120 or INVISIBLE.search(value):
        return "an app role's display name, value or id (1 to 120 characters)"
    return None


def _https_url(value: str) -> str | None:
    """Judged by `rules.urls`, as the providers judge the URLs they are given."""
    problem = url_problem(value)
    return None if problem is None else f"{URL_ALLOWED}; this one {problem}"


def _sign_on_url(value: str) -> str | None:
    if (problem := _https_url(value)) is not None:
        return problem
    domain = value.removeprefix(asana.SSO_SIGN_ON_URL_PREFIX)
    if not value.startswith(asana.SSO_SIGN_ON_URL_PREFIX) or not _DOMAIN.match(domain):
        return f"{asana.SSO_SIGN_ON_URL_PREFIX}<your email domain>, e.g. ...a/contoso.com"
    return None


def _certificate_name(value: str) -> str | None:
    """Entra names SAML signing certificates by subject, "CN=<name>" (the portal's own are
    "CN=Microsoft Azure Federated SSO Certificate")."""
    name = value.removeprefix("CN=")
    if not value.startswith("CN=") or not name.strip() or len(value) > 256:
        return 'a certificate subject "CN=<name>" of up to 256 characters'
    if INVISIBLE.search(value) or any(c in name for c in ',=+<>#;\\"'):
        return 'a certificate subject "CN=<name>" without control characters or , = + < > # ;'
    return None


def _email(value: str) -> str | None:
    return None if _EMAIL.match(value) and len(value) <= 254 else "an email address"


def _future_rfc3339(value: str) -> str | None:
    """A future RFC 3339 date-time, to the second (Graph keeps a certificate's end date to the
    second; a fraction would read back different and replace the certificate on every `up`)."""
    example = "2029-01-31T00:00:00Z"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"an RFC 3339 date-time such as {example}"
    if moment.tzinfo is None:
        return f"an RFC 3339 date-time with a time zone, such as {example}"
    if moment.microsecond:
        return f"an RFC 3339 date-time to the second (no fraction), such as {example}"
    if moment <= datetime.now(UTC):
        return "a date-time in the future"
    return None


def _group_reference(value: str) -> str | None:
    if GUID.match(value):
        return None
    if not value.strip() or value != value.strip() or len(value) > 256 or INVISIBLE.search(value):
        return "a group object id or display name (1 to 256 characters, no edge spaces)"
    return None


def _user_reference(value: str) -> str | None:
    if GUID.match(value) or (_EMAIL.match(value) and len(value) <= 113):
        return None
    return "a user object id or user principal name such as ada@contoso.com"


def _owner_reference(value: str) -> str | None:
    if _user_reference(value) is None:
        return None
    return (
        "a user principal name (ada@contoso.com), or the object id of a user or service principal"
    )


NOT_SET: Any = object()
"""The value of a setting that is absent (as opposed to one given as null)."""


class _Reader:
    """Reads typed values, remembering every problem instead of stopping at the first."""

    def __init__(self, config: Mapping[str, Any], secret_keys: frozenset[str]):
        self._config = config
        self.secret_keys = secret_keys
        self.problems: list[str] = []
        self.failed: set[str] = set()
        self.oversized: set[str] = set()

    def is_secret(self, name: str) -> bool:
        """The setting is secret by nature (the token) or was set with `--secret`."""
        setting = _BY_NAME[name]
        return setting.secret or setting.key in self.secret_keys

    def problem(self, name: str, value: Any, allowed: str, *, received: str = "is") -> None:
        """Records a problem with `name`; `received` introduces the value ("is", "has an
        entry", ...). The value is left out when it is secret or may hold a credential."""
        if value is NOT_SET:
            shown = "not set"
        elif self.is_secret(name) or may_hold_credential(value):
            shown = "set (value hidden)" if received == "is" else f"{received} (value hidden)"
        else:
            shown = f"{received} {_shown(value)}"
        self.problem_about(name, shown, allowed)

    def problem_about(self, name: str, what: str, allowed: str) -> None:
        """Records a problem described without the value (`what`: "is nested 900 levels")."""
        self.failed.add(name)
        self.problems.append(f"{_BY_NAME[name].key} {what}; allowed: {allowed}")

    def raw(self, name: str) -> Any:
        if name in self.oversized:  # refused as too large: nothing else may walk it
            return _BY_NAME[name].default
        value = self._config.get(_BY_NAME[name].key)
        return _BY_NAME[name].default if value is None else value

    def reject_unknown_keys(self) -> None:
        known = {setting.key for setting in SETTINGS}
        for key in sorted(self._config):
            if key.startswith(f"{PROJECT}:") and key not in known:
                names = ", ".join(setting.name for setting in SETTINGS)
                self.problems.append(f"{key} is not a setting of this project; known: {names}")

    def reject_oversized(self) -> None:
        """Refuses, before any other reading, a value too large or nested too deep to handle
        (`rules.bounds`): it is then read as its default and reported once."""
        for setting in SETTINGS:
            value = self._config.get(setting.key)
            if isinstance(value, str):
                long = len(value) > bounds.MAX_TEXT_CHARS
                size = f"is {len(value):,} characters long" if long else None
            else:
                size = bounds.size_problem(value)
            if size is not None:
                self.oversized.add(setting.name)
                self.problem_about(setting.name, size, f"a value of {bounds.LIMITS}")

    def connection_settings(self, env: Mapping[str, str]) -> ConnectionSettings | None:
        """The providers read these in their own process; a bad one should stop the preview."""
        try:
            return resolve(self._config, env, self.secret_keys)
        except ConfigError as error:
            self.problems.append(str(error))
            return None

    def optional_text(self, name: str, validate: Validator) -> str | None:
        value = self.raw(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problem(name, value, "a string")
            return None
        if (allowed := validate(value)) is not None:
            self.problem(name, value, allowed)
            return None
        return value

    def text(self, name: str, validate: Validator) -> str:
        value = self.optional_text(name, validate)
        if value is None and name not in self.failed:
            given = self._config.get(_BY_NAME[name].key, NOT_SET)
            self.problem(name, given, validate("") or "a value")
        return value or ""

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or value.lower() not in allowed:
            self.problem(name, value, " or ".join(f'"{option}"' for option in allowed))
            return allowed[0]
        return value.lower()

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        self.problem(name, value, "true or false")
        return False

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.raw(name)
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,12}", value.strip()):
            number = int(value)
        if number is None or not low <= number <= high:
            self.problem(name, value, f"a whole number from {low} to {high}")
            return low
        return number

    def structured(self, name: str, value: Any) -> Any:
        """`value` parsed when it is JSON text, within `rules.bounds`; NOT_SET (with the
        problem recorded) when it cannot be read."""
        if not isinstance(value, str):
            return value
        try:
            return bounds.parse_json(value)
        except bounds.TooLarge as error:
            self.problem_about(name, str(error), f"a value of {bounds.LIMITS}")
        except ValueError:
            return value  # not JSON: the caller says what was expected
        return NOT_SET

    def unique_list(self, name: str, validate: Validator, what: str) -> tuple[str, ...]:
        value = self.raw(name)
        if isinstance(value, str) and value.strip().startswith("["):
            value = self.structured(name, value)
        if value is NOT_SET:
            return ()
        if not isinstance(value, list):
            self.problem(name, value, f"a list of {what} entries")
            return ()
        if len(value) > MAX_ASSIGNMENTS:
            self.problem_about(
                name, f"has {len(value)} entries", f"at most {MAX_ASSIGNMENTS} entries"
            )
            return ()
        seen: dict[str, str] = {}
        for entry in value:
            allowed = validate(entry) if isinstance(entry, str) else "a string"
            if allowed is not None:
                self.problem(name, entry, f"each entry {allowed}", received="has an entry")
                continue
            if entry.lower() in seen:
                self.problem(
                    name, entry, f"each {what} once (it is listed twice)", received="has an entry"
                )
                continue
            seen[entry.lower()] = entry
        return tuple(seen.values())

    def mapping_spec(self, name: str, kind: ObjectKind) -> dict[str, Any] | None:
        """A desired object mapping, or None when the stack leaves the template's in place."""
        value = self.raw(name)
        if isinstance(value, str) and not value.strip():
            return None
        value = self.structured(name, value)
        if value is NOT_SET:
            return None
        if isinstance(value, str):
            self.problem(name, value, "an object (see the README's attribute mappings)")
            return None
        if value == {}:
            return None
        spec, problems = mapping_spec.normalize(value, kind)
        key = _BY_NAME[name].key
        hidden = string_leaves(value) if self.is_secret(name) else []
        for path, message in problems:
            self.failed.add(name)
            line = f"{'.' + path if path else ''} {message}"
            self.problems.append(key + redact(line, hidden).replace(REDACTED, "[secret]"))
        return None if problems else spec

    def certificate_map(self, name: str) -> tuple[SigningCertificate, ...]:
        """`{"CN=<subject>": {"endDate": "<RFC 3339>"} or {}}`: the certificates a rotation
        keeps side by side, each judged as `ssoCertificateName` and `ssoCertificateEndDate` are;
        () when unset or invalid (the problem recorded)."""
        value = self.structured(name, self.raw(name))
        if value in (NOT_SET, {}, "", None):
            return ()
        allowed = (
            '{"CN=<subject>": {"endDate": "<RFC 3339, optional>"}, ...} with 1 to '
            f"{MAX_SIGNING_CERTIFICATES} certificates"
        )
        if not isinstance(value, dict) or len(value) > MAX_SIGNING_CERTIFICATES:
            self.problem(name, value, allowed)
            return ()
        found: list[SigningCertificate] = []
        for subject, spec in value.items():
            if (problem := _certificate_name(subject)) is not None:
                self.problem(name, subject, f"each key {problem}", received="has a key")
                continue
            spec = {} if spec is None else spec
            end = spec.get("endDate") if isinstance(spec, dict) else NOT_SET
            if not isinstance(spec, dict) or set(spec) - {"endDate"}:
                self.problem(
                    name,
                    spec,
                    'each value {"endDate": "<RFC 3339>"} or {}',
                    received="has a value",
                )
                continue
            if end not in (None, "") and (
                not isinstance(end, str) or (problem := _future_rfc3339(end)) is not None
            ):
                what = problem if isinstance(end, str) else "a string"
                self.problem(name, end, f"each endDate {what}", received="has an endDate")
                continue
            found.append(SigningCertificate(subject, utc_rfc3339(end) if end else None))
        return tuple(found) if len(found) == len(value) else ()

    def secret_token(self, name: str) -> str:
        key = _BY_NAME[name].key
        value = self._config.get(key)
        how = f"set it with `pulumi config set --secret {name} <token>`"
        if name in self.oversized:
            return ""
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problem(
                name, NOT_SET, f"an Asana service-account token, required when provisioning; {how}"
            )
            return ""
        if key not in self.secret_keys:
            self.problem(
                name,
                value,
                f"a secret value only: remove the plain text from the stack file and {how}",
            )
            return ""
        token = str(value)
        if (problem := token_problem(token)) is not None:
            self.problem(
                name,
                value,
                f"the token exactly as Asana shows it, of at most {MAX_TOKEN_LENGTH} visible "
                f"ASCII characters (this one {problem}); copy it again and {how}",
            )
            return ""
        return token


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 80 else text[:77] + '..."'
