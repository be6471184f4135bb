"""Client-credentials sign-in and the access token's claims, as the upstream provider does them.

go-azure-sdk's `ClientSecretAuthorizer` posts `client_id`, `client_secret`,
`grant_type=client_credentials` and `scope=<graph>/.default` to
`<loginEndpoint>/<tenant>/oauth2/v2.0/token`
(https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), and the
provider decodes the token's payload without checking its signature to learn the caller's
object id (`oid`) and tenant (`tid`) (terraform-provider-azuread `internal/clients/client.go`).
Tokens are cached until shortly before they expire; one lock keeps parallel calls from signing in
at the same time.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from clients.http import HttpPolicy, error_text
from tests.azuread_standin.errors import GraphError
from tests.azuread_standin.tls import ca_bundle

SERVICE = "Microsoft identity platform"
_EXPIRY_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at})"


class ClientSecretCredential:
    def __init__(
        self,
        session: requests.Session,
        policy: HttpPolicy,
        login_endpoint: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        scope: str,
    ) -> None:
        self._session = session
        self._policy = policy
        self._path = f"/{tenant_id}/oauth2/v2.0/token"
        self._url = login_endpoint + self._path
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._token.expires_at - _EXPIRY_MARGIN_SECONDS < time.time():
                self._token = self._request()
            return self._token.value

    def forget(self, stale: str) -> None:
        """Drop the cached token if it is still `stale` (Graph refused it)."""
        with self._lock:
            if self._token is not None and self._token.value == stale:
                self._token = None

    def _request(self) -> AccessToken:
        form = {
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
            "scope": self._scope,
        }
        try:
            response = self._session.post(
                self._url, data=form, timeout=self._policy.timeout, verify=ca_bundle()
            )
        except requests.RequestException as error:
            raise GraphError(
                "POST", self._path, None, f"no response ({type(error).__name__})", SERVICE
            ) from None
        if response.status_code != 200:
            message = error_text(response, [self._client_secret])
            raise GraphError("POST", self._path, response.status_code, message, SERVICE)
        try:
            body = response.json()
            value = str(body["access_token"])
            expires_in = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise GraphError(
                "POST", self._path, response.status_code, "the reply has no access_token", SERVICE
            ) from None
        return AccessToken(value, time.time() + expires_in)


def token_claims(token: str) -> dict[str, Any]:
    """The JWT payload, decoded without verifying the signature (as the upstream provider)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("the access token is not a JWT (it has no three dot-separated parts)")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        raise ValueError("the access token's payload is not base64url-encoded JSON") from None
    if not isinstance(claims, dict):
        raise ValueError("the access token's payload is not a JSON object")
    return claims
