"""A small Microsoft Graph client for the synchronization API.

Only what our providers call; every request has a timeout, retries go through `BoundedRetry`,
and failures become `ServiceError`s that name the status, Graph's error text and the path. A
redirect is not followed, a `GET` must answer with a JSON object, and any other reply with a
body must be JSON, so a proxy's page or a cut-off reply is reported as what it is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from azure.core.exceptions import ClientAuthenticationError

from clients.connection import GraphSettings
from clients.credentials import shared_credential
from clients.http import (
    ServiceError,
    SessionClient,
    is_redirect,
    json_object,
    json_reply,
    redact,
    redirect_error,
    status_error,
    transport_error,
)

SERVICE = "Microsoft Graph"
API_VERSION = "v1.0"
MAX_PAGES = 1000


class GraphClient(SessionClient):
    def __init__(self, settings: GraphSettings):
        super().__init__(settings.policy)
        self._settings = settings
        self._credential = shared_credential(settings)

    @property
    def endpoint(self) -> str:
        """The Graph root requests go to (a next page must stay on it)."""
        return self._settings.endpoint

    def get(
        self,
        path: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """`headers`: request headers Graph documents for a query, such as
        `ConsistencyLevel: eventual` for `$count` on directory objects."""
        return self._send("GET", path, params=params, headers=headers)

    def get_all(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        """Every item of a collection, following `@odata.nextLink` (only to the same endpoint:
        a link elsewhere would carry our token off)."""
        items, more = self.get_pages(path, params, MAX_PAGES)
        if more:
            raise too_many_pages(path, MAX_PAGES)
        return items

    def get_pages(
        self, path: str, params: dict[str, str] | None, max_pages: int
    ) -> tuple[list[Any], bool]:
        """The items of at most `max_pages` pages of a collection, and whether more pages were
        left unread (for reads that must stay bounded, such as a log)."""
        page = self._send("GET", path, params=params)
        items = collection_items(page, "GET", f"/{API_VERSION}{path}")
        for _ in range(max_pages - 1):
            following = next_page_path(page, self.endpoint, path)
            if following is None:
                return items, False
            page = self._send("GET", following)
            items.extend(collection_items(page, "GET", f"/{API_VERSION}{path}"))
        return items, bool(page.get("@odata.nextLink"))

    def put(self, path: str, body: Any) -> Any:
        return self._send("PUT", path, body)

    def patch(self, path: str, body: Any) -> Any:
        """A PATCH is not repeated on a 5xx or a broken connection (it may have landed): the
        caller reads back to learn whether it did (`clients.http`'s retry rules)."""
        return self._send("PATCH", path, body)

    def post(self, path: str, body: Any | None = None) -> Any:
        return self._send("POST", path, body)

    def delete(self, path: str) -> Any:
        return self._send("DELETE", path)

    def _send(
        self,
        method: str,
        path: str,
        body: Any | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        full_path = f"/{API_VERSION}{path}"
        response, token = self._request(method, full_path, body, params, headers)
        if response.status_code == 401:
            # A cached token Graph no longer accepts (revoked, or issued for a since-reset
            # tenant): authenticate afresh once, then report whatever Graph says.
            shared_credential.cache_clear()
            self._credential = shared_credential(self._settings)
            response, token = self._request(method, full_path, body, params, headers)
        if is_redirect(response):
            raise redirect_error(SERVICE, method, full_path, response)
        if response.status_code >= 400:
            raise status_error(SERVICE, method, full_path, response, self._policy, [token])
        if method == "GET":
            return json_object(SERVICE, method, full_path, response)
        return json_reply(SERVICE, method, full_path, response, required=False)

    def _request(
        self,
        method: str,
        full_path: str,
        body: Any | None,
        params: dict[str, str] | None,
        headers: dict[str, str] | None = None,
    ) -> tuple[requests.Response, str]:
        """The response, and the access token it was sent with (to keep it out of errors)."""
        token = self._access_token(method, full_path)
        try:
            response = self._session.request(
                method,
                self._settings.endpoint + full_path,
                json=body,
                params=params,
                headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                timeout=self._policy.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise transport_error(SERVICE, method, full_path, error, self._policy) from None
        return response, token

    def _access_token(self, method: str, path: str) -> str:
        try:
            return self._credential.get_token(self._settings.scope).token
        except ClientAuthenticationError as error:
            # azure-identity's message names the authority and the AADSTS code; a token
            # endpoint that echoed the request could have put the client secret in it.
            message = redact(str(error.message), [self._settings.credential.secret or ""])
            detail = f"could not get a token for {self._settings.scope}: {message}"
            raise ServiceError(SERVICE, method, path, detail, None) from None


def collection_items(page: dict[str, Any], method: str, full_path: str) -> list[dict[str, Any]]:
    """The `value` of a Graph collection reply: a list of objects, or a `ServiceError`."""
    items = page.get("value")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        detail = "answered with a collection whose value is missing or not a list of objects"
        raise ServiceError(SERVICE, method, full_path, detail, None)
    return list(items)


def next_page_path(page: dict[str, Any], endpoint: str, path: str) -> str | None:
    """The path of a collection's next page under `endpoint`'s API version, or None on its last
    page. `@odata.nextLink` is followed on the same endpoint only: the request carries our
    token, and a link elsewhere would hand it to that host, so such a link is an error naming
    the collection's GET as it was sent."""
    link = page.get("@odata.nextLink")
    if not link:
        return None
    base = f"{endpoint}/{API_VERSION}"
    if not str(link).startswith(base + "/"):
        detail = "returned a next page on another host"
        raise ServiceError(SERVICE, "GET", f"/{API_VERSION}{path}", detail, None)
    return str(link)[len(base) :]


def too_many_pages(path: str, max_pages: int) -> ServiceError:
    """The error for a collection still going on after `max_pages` pages: every read is
    bounded, so an endless chain of next links ends here instead of in a loop."""
    detail = f"has more than {max_pages} pages"
    return ServiceError(SERVICE, "GET", f"/{API_VERSION}{path}", detail, None)


def synchronization_path(service_principal_id: str, *parts: str) -> str:
    """`/servicePrincipals/{id}/synchronization/...` with every segment escaped."""
    segments = ["servicePrincipals", service_principal_id, "synchronization", *parts]
    return "/" + "/".join(quote(segment, safe="") for segment in segments)
