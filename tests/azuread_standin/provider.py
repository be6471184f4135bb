"""The configured provider: what Configure sets up once and every later call uses.

Configure does what the upstream provider's configure function does, in the same order: find
the cloud's endpoints (the metadata host when set), sign in with the client secret at once, and
read the caller's object id from the token's `oid` claim, or, when the token has none, look the
caller's service principal up by its client id (terraform-provider-azuread
`internal/clients/client.go`). A failure there fails Configure, as it fails the real plugin.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests

from clients.http import build_session
from tests.azuread_standin.auth import ClientSecretCredential, token_claims
from tests.azuread_standin.config import ProviderConfig, resolve_endpoints
from tests.azuread_standin.context import Caller, Context, NamedLocks
from tests.azuread_standin.errors import ConfigurationError
from tests.azuread_standin.graph import GraphClient
from tests.azuread_standin.settings import StandinSettings


class Provider:
    def __init__(self, settings: StandinSettings | None = None) -> None:
        self.settings = settings or StandinSettings.from_environment()
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._context: Context | None = None
        self._secrets: tuple[str, ...] = ()

    def configure(self, args: Mapping[str, Any], env: Mapping[str, str] | None = None) -> None:
        config = ProviderConfig.from_configure(args, env)
        session = build_session(self.settings.http)
        endpoints = resolve_endpoints(config, session, self.settings.http)
        credential = ClientSecretCredential(
            session,
            self.settings.http,
            endpoints.login,
            config.tenant_id,
            config.client_id,
            config.client_secret,
            f"{endpoints.graph}/.default",
        )
        secrets = (config.client_secret,)
        # Graph requests get a session without urllib3 retries: GraphClient retries them the
        # way go-azure-sdk does (graph.py). Sign-in and the metadata host keep `session`.
        graph = GraphClient(
            endpoints.graph,
            requests.Session(),
            credential,
            self.settings,
            lambda: secrets,
            self.cancelled,
        )
        try:
            claims = token_claims(credential.token())
        except ValueError as error:
            raise ConfigurationError(f"unable to parse claims in access token: {error}") from None
        object_id = str(claims.get("oid") or "")
        if not object_id:
            object_id = _own_service_principal(graph, config.client_id)
        context = Context(
            graph,
            Caller(config.tenant_id, config.client_id, object_id),
            self.settings,
            NamedLocks(),
        )
        with self._lock:
            self._context = context
            self._secrets = secrets

    def context(self) -> Context:
        with self._lock:
            if self._context is None:
                raise ConfigurationError("the azuread stand-in was used before Configure")
            return self._context

    def secrets(self) -> tuple[str, ...]:
        with self._lock:
            return self._secrets


def _own_service_principal(graph: GraphClient, client_id: str) -> str:
    """Upstream's fallback when the token has no `oid`: the caller's own service principal."""
    found = graph.list("/servicePrincipals", {"$filter": f"appId eq '{client_id}'"})
    if len(found) != 1 or not found[0].get("id"):
        raise ConfigurationError(
            "attempting to discover object ID for authenticated service principal: unexpected "
            f"number of results, expected 1, received {len(found)}"
        )
    return str(found[0]["id"])
