"""Builds the azure-identity credential a `CredentialSpec` names.

Credentials are kept per provider process (never on the provider object, which goes into state)
so that azure-identity's token cache spares each provider call a round trip to Entra ID.

A token request is bounded like every other call (`clients.http`): it goes through this
process's session for the stack's `HttpPolicy`, so each attempt must finish within
httpTimeoutSeconds and `BoundedRetry` retries it within retryBudgetSeconds. azure-core's own
retries are turned off: they would wait out any Retry-After, however long, and then try again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from azure.core.credentials import TokenCredential
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (
    AzureAuthorityHosts,
    AzureCliCredential,
    CertificateCredential,
    ClientAssertionCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
)

from clients.connection import ConfigError, CredentialSpec, GraphSettings, unreadable
from clients.http import HttpPolicy, build_session

# Audience Entra expects in a federated (workload identity) assertion.
_FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
_KNOWN_AUTHORITIES = {
    AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
    AzureAuthorityHosts.AZURE_GOVERNMENT,
    AzureAuthorityHosts.AZURE_CHINA,
}


@functools.lru_cache(maxsize=8)
def shared_credential(settings: GraphSettings) -> TokenCredential:
    """One credential per distinct setting in this process; azure-identity caches its tokens."""
    spec = settings.credential
    authority = settings.authority_host
    # Instance discovery asks the public cloud about the authority; a custom authority (Azure
    # Stack, a private endpoint) is unknown there, so discovery must be off for it.
    custom = urlsplit(authority).hostname not in _KNOWN_AUTHORITIES
    common = {
        "authority": authority,
        "disable_instance_discovery": custom,
        **bounded_transport(settings.policy),
    }
    tenant, client = spec.tenant_id or "", spec.client_id or ""
    match spec.kind:
        case "client_secret":
            return ClientSecretCredential(tenant, client, spec.secret or "", **common)
        case "client_certificate":
            try:
                return CertificateCredential(
                    tenant, client, certificate_path=spec.path, password=spec.secret, **common
                )
            except OSError as error:  # its message quotes the path, which may be a secret
                raise unreadable(
                    "azuread:clientCertificatePath", "ARM_CLIENT_CERTIFICATE_PATH", error
                ) from None
        case "oidc_token":
            return ClientAssertionCredential(tenant, client, _static_assertion(spec), **common)
        case "github_oidc":
            return ClientAssertionCredential(
                tenant, client, _github_assertion(spec, settings.policy.timeout), **common
            )
        case "managed_identity":
            return ManagedIdentityCredential(client_id=spec.client_id)
        case "azure_cli":
            return AzureCliCredential(
                tenant_id=spec.tenant_id, process_timeout=int(settings.policy.read_timeout)
            )
        case "default_chain":
            return DefaultAzureCredential(
                authority=authority,
                managed_identity_client_id=spec.client_id,
                exclude_interactive_browser_credential=True,
            )


@functools.lru_cache(maxsize=8)
def _token_session(policy: HttpPolicy) -> requests.Session:
    """A throttled token request given up is raised with why (MSAL would report a 429 on
    discovery as an authority it cannot read)."""
    return build_session(policy, raise_given_up=True)


def bounded_transport(policy: HttpPolicy) -> dict[str, Any]:
    """The keyword arguments that send an azure-identity credential's requests (discovery and
    token) through `policy`'s shared session, with azure-core's retries off (see above)."""
    transport = RequestsTransport(
        session=_token_session(policy),
        session_owner=False,  # shared by this process's credentials: never closed by one
        connection_timeout=policy.connect_timeout,
        read_timeout=policy.read_timeout,
    )
    return {"transport": transport, "retry_total": 0}


def _static_assertion(spec: CredentialSpec) -> Callable[[], str]:
    def assertion() -> str:
        if spec.secret:
            return spec.secret
        try:
            with open(spec.path or "", encoding="utf-8") as handle:
                return handle.read().strip()
        except (OSError, UnicodeError) as error:
            raise unreadable(
                "azuread:oidcTokenFilePath", "ARM_OIDC_TOKEN_FILE_PATH", error
            ) from None

    return assertion


def _github_assertion(spec: CredentialSpec, timeout: tuple[float, float]) -> Callable[[], str]:
    """GitHub Actions' OIDC token, asked for with the audience Entra federation expects.

    Not through a shared session: this request carries GitHub's request token, not Graph's.
    A redirect is not followed (the request token would go with it), and a reply without the
    token is named as such rather than failing with a `KeyError`.
    """

    def assertion() -> str:
        try:
            response = requests.get(
                spec.request_url or "",
                params={"audience": _FEDERATION_AUDIENCE},
                headers={"Authorization": f"bearer {spec.secret}"},
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise ConfigError(
                f"the GitHub OIDC token request got no response ({type(error).__name__})"
            ) from None
        if response.status_code != 200:
            raise ConfigError(
                f"the GitHub OIDC token request failed with HTTP {response.status_code}; "
                "the workflow needs `permissions: id-token: write`"
            )
        try:
            value = response.json().get("value")
        except (ValueError, AttributeError, RecursionError):
            value = None
        if not isinstance(value, str) or not value:
            raise ConfigError(
                "the GitHub OIDC token request answered HTTP 200 without a token (a JSON "
                'object with "value" was expected)'
            )
        return value

    return assertion
