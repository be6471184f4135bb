"""Provider configuration, read the way pulumi-azuread 6.11.1 reads it.

Keys are the `azuread:` stack settings the engine passes to Configure (`tenantId`, `clientId`,
`clientSecret`, `environment`, `metadataHost`, and the `...FilePath` variants), with the
upstream provider's environment fallbacks (`ARM_TENANT_ID`, `ARM_CLIENT_ID`,
`ARM_CLIENT_SECRET`, `ARM_ENVIRONMENT`, `ARM_METADATA_HOSTNAME`, ...; terraform-provider-azuread
`internal/provider/provider.go`). With `metadataHost` the cloud's endpoints come from
`https://<metadataHost>/metadata/endpoints?api-version=2022-09-01` (go-azure-sdk
`environments.FromEndpoint`: Graph from `microsoftGraphResourceId`, login from
`authentication.loginEndpoint`); without it from the named environment.

Stand-in limits: only client-secret authentication. The real provider falls back to the Azure
CLI, managed identity or OIDC; the stand-in refuses configurations that would need them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from clients.http import HttpPolicy
from tests.azuread_standin.errors import ConfigurationError
from tests.azuread_standin.tls import ca_bundle
from tests.azuread_standin.wire import UNKNOWN, reveal

METADATA_API_VERSION = "2022-09-01"

ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "global": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "public": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgovernment": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "usgovernmentl4": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "dod": ("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    "usgovernmentl5": ("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}
"""go-azure-sdk `environments.FromName`: (Microsoft Graph endpoint, login endpoint)."""

_UNSUPPORTED_AUTH = {
    "clientCertificate": "ARM_CLIENT_CERTIFICATE",
    "clientCertificatePath": "ARM_CLIENT_CERTIFICATE_PATH",
    "oidcToken": "ARM_OIDC_TOKEN",
    "oidcTokenFilePath": "ARM_OIDC_TOKEN_FILE_PATH",
}


@dataclass(frozen=True)
class ProviderConfig:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    environment: str
    metadata_host: str

    @classmethod
    def from_configure(
        cls, args: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> ProviderConfig:
        """The settings from Configure's `args` (already checked inputs), else the environment."""
        env = os.environ if env is None else env

        def setting(key: str, variable: str, default: str = "") -> str:
            value = reveal(args.get(key))
            if value is UNKNOWN:
                raise ConfigurationError(f"azuread:{key} is not known yet; it cannot be unknown")
            if value not in (None, ""):
                return str(value)
            return env.get(variable, default)

        for key, variable in _UNSUPPORTED_AUTH.items():
            if setting(key, variable):
                raise ConfigurationError(
                    f"azuread:{key} is set, but this stand-in for the azuread provider only "
                    "authenticates with a client secret (azuread:clientSecret / ARM_CLIENT_SECRET)"
                )
        client_id = setting("clientId", "ARM_CLIENT_ID") or _from_file(
            setting("clientIdFilePath", "ARM_CLIENT_ID_FILE_PATH"), "clientIdFilePath"
        )
        client_secret = setting("clientSecret", "ARM_CLIENT_SECRET") or _from_file(
            setting("clientSecretFilePath", "ARM_CLIENT_SECRET_FILE_PATH"), "clientSecretFilePath"
        )
        config = cls(
            tenant_id=setting("tenantId", "ARM_TENANT_ID"),
            client_id=client_id,
            client_secret=client_secret,
            environment=setting("environment", "ARM_ENVIRONMENT", "global").lower(),
            metadata_host=setting("metadataHost", "ARM_METADATA_HOSTNAME"),
        )
        config._require()
        return config

    def _require(self) -> None:
        missing = [
            name
            for name, value in (
                ("azuread:tenantId (or ARM_TENANT_ID)", self.tenant_id),
                ("azuread:clientId (or ARM_CLIENT_ID)", self.client_id),
                ("azuread:clientSecret (or ARM_CLIENT_SECRET)", self.client_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                "this stand-in for the azuread provider authenticates only with a client "
                "secret (the real provider would fall back to the Azure CLI); missing: "
                + ", ".join(missing)
            )
        if not self.metadata_host and self.environment not in ENVIRONMENTS:
            raise ConfigurationError(
                f'no environment was found with the name "{self.environment}" '
                f"(azuread:environment; known: {', '.join(sorted(ENVIRONMENTS))})"
            )


def _from_file(path: str, key: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise ConfigurationError(f"reading azuread:{key} {path!r}: {error.strerror}") from None


@dataclass(frozen=True)
class Endpoints:
    """Where Graph and the identity platform are, without trailing slashes."""

    graph: str
    login: str


def resolve_endpoints(
    config: ProviderConfig, session: requests.Session, policy: HttpPolicy
) -> Endpoints:
    """The named environment's endpoints, or those the metadata host publishes (always HTTPS)."""
    if not config.metadata_host:
        graph, login = ENVIRONMENTS[config.environment]
        return Endpoints(graph, login)
    url = f"https://{config.metadata_host}/metadata/endpoints"
    try:
        response = session.get(
            url,
            params={"api-version": METADATA_API_VERSION},
            timeout=policy.timeout,
            verify=ca_bundle(),
        )
    except requests.RequestException as error:
        raise ConfigurationError(
            f"retrieving metadata from endpoint {url!r}: {type(error).__name__}"
        ) from None
    if response.status_code != 200:
        raise ConfigurationError(
            f"retrieving metadata from endpoint {url!r}: expected 200 OK but got "
            f"{response.status_code} {response.reason}"
        )
    try:
        metadata = response.json()
    except ValueError:
        raise ConfigurationError(f"retrieving metadata from endpoint {url!r}: not JSON") from None
    return _endpoints_from_metadata(metadata, url)


def _endpoints_from_metadata(metadata: Any, url: str) -> Endpoints:
    """Mirrors go-azure-sdk `environments.FromEndpoint`'s checks and fields."""
    if not isinstance(metadata, dict):
        raise ConfigurationError(f"retrieving metadata from endpoint {url!r}: not an object")
    if not metadata.get("name"):
        raise ConfigurationError("retrieving metadata from endpoint: `name` was nil")
    if not metadata.get("resourceManager"):
        raise ConfigurationError(
            "retrieving metadata from endpoint: no `resourceManagerEndpoint` was returned"
        )
    graph = str(metadata.get("microsoftGraphResourceId") or "").rstrip("/")
    if not graph:
        raise ConfigurationError(
            "retrieving metdata from endpoint: no `microsoftGraphResourceId` was returned"
        )
    authentication = metadata.get("authentication")
    login = ""
    if isinstance(authentication, dict):
        login = str(authentication.get("loginEndpoint") or "").rstrip("/")
    if not login:
        raise ConfigurationError(
            f"the metadata at {url!r} has no authentication.loginEndpoint, so no token "
            "endpoint is known"
        )
    return Endpoints(graph, login)
