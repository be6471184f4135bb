"""A small Microsoft Graph client for the synchronization API.

Only what our providers call; every request has a timeout, retries go through `BoundedRetry`,
and failures become `ServiceError`s that name the status, Graph's error text and the path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from azure.core.exceptions import ClientAuthenticationError

from providers.connection import GraphSettings
from providers.credentials import shared_credential
from providers.http import ServiceError, SessionClient, status_error, transport_error

SERVICE = "Microsoft Graph"
API_VERSION = "v1.0"
MAX_PAGES = 1000


class GraphClient(SessionClient):
    def __init__(self, settings: GraphSettings):
        super().__init__(settings.policy)
        self._settings = settings
        self._credential = shared_credential(settings)

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._send("GET", path, params=params)

    def get_all(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        """Every item of a collection, following `@odata.nextLink` (only to the same endpoint:
        a link elsewhere would carry our token off)."""
        page = self._send("GET", path, params=params) or {}
        items = list(page.get("value", []))
        base = f"{self._settings.endpoint}/{API_VERSION}"
        for _ in range(MAX_PAGES):
            link = page.get("@odata.nextLink")
            if not link:
                return items
            if not str(link).startswith(base + "/"):
                raise ServiceError(
                    SERVICE, "GET", path, "returned a next page on another host", None
                )
            page = self._send("GET", str(link)[len(base) :]) or {}
            items.extend(page.get("value", []))
        raise ServiceError(SERVICE, "GET", path, f"has more than {MAX_PAGES} pages", None)

    def put(self, path: str, body: Any) -> Any:
        return self._send("PUT", path, body)

    def post(self, path: str, body: Any | None = None) -> Any:
        return self._send("POST", path, body)

    def delete(self, path: str) -> Any:
        return self._send("DELETE", path)

    def _send(
        self, method: str, path: str, body: Any | None = None, params: dict[str, str] | None = None
    ) -> Any:
        full_path = f"/{API_VERSION}{path}"
        response = self._request(method, full_path, body, params)
        if response.status_code == 401:
            # A cached token Graph no longer accepts (revoked, or issued for a since-reset
            # tenant): authenticate afresh once, then report whatever Graph says.
            shared_credential.cache_clear()
            self._credential = shared_credential(self._settings)
            response = self._request(method, full_path, body, params)
        if response.status_code >= 400:
            raise status_error(SERVICE, method, full_path, response, self._policy)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _request(
        self, method: str, full_path: str, body: Any | None, params: dict[str, str] | None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._access_token(method, full_path)}"}
        try:
            return self._session.request(
                method,
                self._settings.endpoint + full_path,
                json=body,
                params=params,
                headers=headers,
                timeout=self._policy.timeout,
            )
        except requests.RequestException as error:
            raise transport_error(SERVICE, method, full_path, error, self._policy) from None

    def _access_token(self, method: str, path: str) -> str:
        try:
            return self._credential.get_token(self._settings.scope).token
        except ClientAuthenticationError as error:
            # azure-identity's message names the authority and the AADSTS code, not the secret.
            detail = f"could not get a token for {self._settings.scope}: {error.message}"
            raise ServiceError(SERVICE, method, path, detail, None) from None


def synchronization_path(service_principal_id: str, *parts: str) -> str:
    """`/servicePrincipals/{id}/synchronization/...` with every segment escaped."""
    segments = ["servicePrincipals", service_principal_id, "synchronization", *parts]
    return "/" + "/".join(quote(segment, safe="") for segment in segments)
