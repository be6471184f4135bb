"""Where our dynamic providers learn how to reach Graph and Asana: pure, no I/O.

The provider process gets the whole stack configuration through `configure()` (never stored in
state) and the process environment. We read the same places the azuread provider reads, so one
set of credentials serves both: `azuread:*` stack settings first, then the `ARM_*` variables,
then azure-identity's default chain. Sovereign and custom clouds set the Graph endpoint and the
authority host; the test emulator is reached the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from clients.http import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_READ_TIMEOUT_SECONDS,
    DEFAULT_RETRY_BUDGET_SECONDS,
    HttpPolicy,
)
from rules.header_values import header_value_problem
from rules.urls import ALLOWED as URL_ALLOWED
from rules.urls import (
    GRAPH_ROOT,
    ORIGIN,
    REQUEST_URL,
    UrlRule,
    may_hold_credential,
    url_problem,
)

PROJECT = "asana-provisioning"
# The characters azure-identity accepts in a tenant id (its `validate_tenant_id`).
_TENANT = re.compile(r"[A-Za-z0-9.-]+")

Lookup = Callable[[str], Any]


class ConfigError(ValueError):
    """A stack setting or environment variable has a value we cannot use."""


@dataclass(frozen=True)
class Cloud:
    graph_endpoint: str
    authority_host: str
    portal: str
    saml_issuer: str
    """Entra's SAML issuer prefix (`<prefix><tenant id>/`): the entityID of the tenant's
    federation metadata, https://learn.microsoft.com/entra/identity-platform/federation-metadata
    (global: sts.windows.net; national clouds: their own, from the same page of docs.azure.cn
    and the Azure Government SAML tutorials)."""


_GLOBAL = Cloud(
    "https://graph.microsoft.com",
    "https://login.microsoftonline.com",
    "https://entra.microsoft.com",
    "https://sts.windows.net/",
)
_US_GOVERNMENT = Cloud(
    "https://graph.microsoft.us",
    "https://login.microsoftonline.us",
    "https://portal.azure.us",
    "https://login.microsoftonline.us/",
)
_US_DOD = Cloud(
    "https://dod-graph.microsoft.us",
    "https://login.microsoftonline.us",
    "https://portal.azure.us",
    "https://login.microsoftonline.us/",
)
_CHINA = Cloud(
    "https://microsoftgraph.chinacloudapi.cn",
    "https://login.chinacloudapi.cn",
    "https://portal.azure.cn",
    "https://sts.chinacloudapi.cn/",
)
# The azuread provider's `environment` names (pulumi_azuread.config.environment) and the
# national cloud endpoints from https://learn.microsoft.com/graph/deployments.
CLOUDS: Mapping[str, Cloud] = {
    "global": _GLOBAL,
    "public": _GLOBAL,
    "usgovernmentl4": _US_GOVERNMENT,
    "usgovernment": _US_GOVERNMENT,
    "usgovernmentl5": _US_DOD,
    "dod": _US_DOD,
    "china": _CHINA,
}

CredentialKind = Literal[
    "client_certificate",
    "client_secret",
    "oidc_token",
    "github_oidc",
    "managed_identity",
    "azure_cli",
    "default_chain",
]


@dataclass(frozen=True)
class CredentialSpec:
    """Which azure-identity credential to build, with what; secrets are kept out of repr."""

    kind: CredentialKind
    tenant_id: str | None = None
    client_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    path: str | None = None
    request_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class GraphSettings:
    endpoint: str
    authority_host: str
    credential: CredentialSpec
    policy: HttpPolicy

    @property
    def scope(self) -> str:
        return f"{self.endpoint}/.default"


@dataclass(frozen=True)
class ConnectionSettings:
    cloud: Cloud
    graph: GraphSettings
    asana_policy: HttpPolicy


def snapshot_config(get: Lookup) -> dict[str, Any]:
    """Copies the settings we use out of the engine's config bag, so nothing else is kept."""
    keys = [f"azuread:{name}" for name in _AZUREAD_KEYS] + [
        f"{PROJECT}:{name}" for name in _PROJECT_KEYS
    ]
    return {key: value for key in keys if (value := get(key)) is not None}


_AZUREAD_KEYS = (
    "tenantId",
    "clientId",
    "clientIdFilePath",
    "clientSecret",
    "clientSecretFilePath",
    "clientCertificatePath",
    "clientCertificatePassword",
    "useOidc",
    "oidcToken",
    "oidcTokenFilePath",
    "oidcRequestToken",
    "oidcRequestUrl",
    "useMsi",
    "useCli",
    "environment",
)
_PROJECT_KEYS = (
    "graphEndpoint",
    "authorityHost",
    "httpTimeoutSeconds",
    "maxRetries",
    "retryBudgetSeconds",
)


def resolve(
    config: Mapping[str, Any], env: Mapping[str, str], secret_keys: frozenset[str] = frozenset()
) -> ConnectionSettings:
    """Turns configuration and environment into connection settings, or a `ConfigError`.

    An error quotes a value only when it is not a credential, not a file path that should have
    named one, not set as secret (`secret_keys`) and not a URL with a user name or password.
    """
    settings = _Settings(config, env, secret_keys)
    cloud_name = (settings.text("azuread:environment", "ARM_ENVIRONMENT") or "global").lower()
    cloud = CLOUDS.get(cloud_name)
    if cloud is None:
        shown = settings.shown("azuread:environment", cloud_name)
        raise ConfigError(f"azuread:environment {shown}; allowed: {', '.join(sorted(CLOUDS))}")
    endpoint = settings.https_url(f"{PROJECT}:graphEndpoint", GRAPH_ROOT) or cloud.graph_endpoint
    authority = settings.https_url(f"{PROJECT}:authorityHost", ORIGIN) or cloud.authority_host
    policy = HttpPolicy(
        read_timeout=settings.number(
            f"{PROJECT}:httpTimeoutSeconds", DEFAULT_READ_TIMEOUT_SECONDS, 1, 600
        ),
        max_retries=int(settings.number(f"{PROJECT}:maxRetries", DEFAULT_MAX_RETRIES, 0, 20)),
        retry_budget_seconds=settings.number(
            f"{PROJECT}:retryBudgetSeconds", DEFAULT_RETRY_BUDGET_SECONDS, 0, 3600
        ),
    )
    graph = GraphSettings(endpoint, authority, _credential(settings), policy)
    return ConnectionSettings(cloud=cloud, graph=graph, asana_policy=policy)


def _credential(settings: _Settings) -> CredentialSpec:
    """Picks the credential in the azuread provider's order of precedence."""
    tenant = settings.text("azuread:tenantId", "ARM_TENANT_ID")
    if tenant is not None and not _TENANT.fullmatch(tenant):
        # azure-identity would raise a bare ValueError at the first request, mid-deployment.
        raise ConfigError(
            f"azuread:tenantId (or ARM_TENANT_ID) {settings.shown('azuread:tenantId', tenant)}; "
            "allowed: a tenant id (a GUID) or domain: letters, digits, '.' and '-'"
        )
    client = settings.text("azuread:clientId", "ARM_CLIENT_ID") or settings.file_text(
        "azuread:clientIdFilePath", "ARM_CLIENT_ID_FILE_PATH"
    )
    certificate = settings.text("azuread:clientCertificatePath", "ARM_CLIENT_CERTIFICATE_PATH")
    if certificate and tenant and client:
        password = settings.text(
            "azuread:clientCertificatePassword", "ARM_CLIENT_CERTIFICATE_PASSWORD"
        )
        return CredentialSpec("client_certificate", tenant, client, password, certificate)
    secret = settings.text("azuread:clientSecret", "ARM_CLIENT_SECRET") or settings.file_text(
        "azuread:clientSecretFilePath", "ARM_CLIENT_SECRET_FILE_PATH"
    )
    if secret and tenant and client:
        return CredentialSpec("client_secret", tenant, client, secret)
    if settings.flag("azuread:useOidc", "ARM_USE_OIDC") and tenant and client:
        token = settings.text("azuread:oidcToken", "ARM_OIDC_TOKEN")
        token_file = settings.text("azuread:oidcTokenFilePath", "ARM_OIDC_TOKEN_FILE_PATH")
        if token or token_file:
            return CredentialSpec("oidc_token", tenant, client, token, token_file)
        request_token = settings.text(
            "azuread:oidcRequestToken", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
        )
        request_url = settings.text(
            "azuread:oidcRequestUrl", "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"
        )
        if request_token and request_url:
            settings.require_header_value("azuread:oidcRequestToken", request_token)
            settings.require_url("azuread:oidcRequestUrl", request_url, REQUEST_URL)
            return CredentialSpec("github_oidc", tenant, client, request_token, None, request_url)
        raise ConfigError(
            "azuread:useOidc is true but no OIDC token was found: set azuread:oidcToken, "
            "azuread:oidcTokenFilePath, or run in GitHub Actions with `id-token: write`"
        )
    if settings.flag("azuread:useMsi", "ARM_USE_MSI"):
        return CredentialSpec("managed_identity", tenant, client)
    if settings.flag("azuread:useCli", "ARM_USE_CLI"):
        return CredentialSpec("azure_cli", tenant)
    return CredentialSpec("default_chain", tenant, client)


def unreadable(key: str, env_name: str, error: Exception) -> ConfigError:
    """A file setting that names no readable file; the path is not quoted (see `file_text`)."""
    reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
    return ConfigError(
        f"{key} (or {env_name}) names no file that can be read ({reason}); it must be the "
        "path of a file holding the value, not the value itself"
    )


# Keys whose values are credentials, or paths to them: never quoted in an error.
_CREDENTIAL_KEYS = frozenset(
    {
        "azuread:clientSecret",
        "azuread:clientSecretFilePath",
        "azuread:clientCertificatePath",
        "azuread:clientCertificatePassword",
        "azuread:clientIdFilePath",
        "azuread:oidcToken",
        "azuread:oidcTokenFilePath",
        "azuread:oidcRequestToken",
        "azuread:oidcRequestUrl",
    }
)


@dataclass(frozen=True)
class _Settings:
    config: Mapping[str, Any]
    env: Mapping[str, str]
    secret_keys: frozenset[str] = frozenset()

    def shown(self, key: str, value: str) -> str:
        """ "is 'value'" for an error, or "set (value hidden)" when it may be (or hold) a
        secret."""
        if key in self.secret_keys or key in _CREDENTIAL_KEYS or may_hold_credential(value):
            return "set (value hidden)"
        return f"is {value!r}"

    def text(self, key: str, *env_names: str) -> str | None:
        value = self.config.get(key)
        if value is None:
            value = next((self.env[name] for name in env_names if self.env.get(name)), None)
        if value is None:
            return None
        return str(value).strip() or None

    def file_text(self, key: str, env_name: str) -> str | None:
        """The file's contents. An error never quotes the path: a secret pasted where its
        file's path belongs would be shown otherwise."""
        path = self.text(key, env_name)
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip() or None
        except (OSError, UnicodeError) as error:
            raise unreadable(key, env_name, error) from None

    def flag(self, key: str, env_name: str) -> bool:
        value = self.text(key, env_name)
        if value is None:
            return False
        lowered = value.lower()
        if lowered not in {"true", "false", "1", "0"}:
            raise ConfigError(f"{key} {self.shown(key, value)}; allowed: true or false")
        return lowered in {"true", "1"}

    def https_url(self, key: str, rule: UrlRule) -> str | None:
        """Judged as given (not stripped): what is checked is exactly what is used."""
        value = self.config.get(key)
        if value is None or value == "":
            return None
        value = str(value)
        self.require_url(key, value, rule)
        return value.rstrip("/")

    def require_url(self, key: str, value: str, rule: UrlRule) -> None:
        if (problem := url_problem(value, rule)) is not None:
            raise ConfigError(
                f"{key} {self.shown(key, value)}; allowed: {URL_ALLOWED}; this one {problem}"
            )

    def require_header_value(self, key: str, value: str) -> None:
        if (problem := header_value_problem(value)) is not None:
            raise ConfigError(f"{key} (value hidden) {problem}")

    def number(self, key: str, default: float, low: float, high: float) -> float:
        raw = self.config.get(key)
        if raw is None:
            return default
        value = str(raw).strip()
        is_number = re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,6})?", value) is not None
        number = float(value) if is_number else float("nan")
        if not low <= number <= high:
            raise ConfigError(
                f"{key} {self.shown(key, value)}; allowed: a number from {low:g} to {high:g}"
            )
        return number
