"""The stand-in's Microsoft Graph client: every request with a timeout and bounded retries.

Throttling (429) and unavailability (503) are retried for every method, other 5xx for idempotent
methods, honouring Retry-After within a total budget (`clients.http.BoundedRetry`,
https://learn.microsoft.com/graph/throttling). On top of that, the upstream provider repeats
some requests that fail only because Entra ID is eventually consistent (its `RetryFunc`s, e.g.
409 and 403 on synchronization calls); callers pass `retry_when` for those, and the stand-in
repeats them a bounded number of times. Failures become `GraphError`s naming the method, path,
status and Graph's own error text, scrubbed of every secret the provider holds.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import requests

from clients.http import attempts_made, error_text, redact
from tests.azuread_standin.auth import ClientSecretCredential
from tests.azuread_standin.errors import Cancelled, GraphError
from tests.azuread_standin.settings import StandinSettings
from tests.azuread_standin.tls import ca_bundle

API_VERSION = "v1.0"
MAX_PAGES = 1000
_GIVEN_UP_STATUSES = frozenset({429, 500, 502, 503, 504})

_log = logging.getLogger("azuread-standin.graph")

RetryWhen = Callable[[int, dict[str, Any] | None], bool]
"""Whether a reply (status, decoded body) is a consistency failure worth repeating."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


def segment(value: str) -> str:
    """One path segment, escaped (ids are GUIDs or base64url; this only guards odd input)."""
    return quote(value, safe="")


def graph_error_code(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""


def graph_error_message(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message", "")) if isinstance(error, dict) else ""


class GraphClient:
    def __init__(
        self,
        endpoint: str,
        session: requests.Session,
        credential: ClientSecretCredential,
        settings: StandinSettings,
        secrets: Callable[[], Iterable[str]],
        cancelled: threading.Event,
    ) -> None:
        self._endpoint = endpoint
        self._session = session
        self._credential = credential
        self._settings = settings
        self._secrets = secrets
        self._cancelled = cancelled

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any | None = None,
        ok: Iterable[int] = (200, 201, 204),
        retry_when: RetryWhen | None = None,
        version: str = API_VERSION,
    ) -> Reply:
        """Send one request; a status outside `ok` raises `GraphError`."""
        full_path = f"/{version}{path}"
        attempts = 1 + (self._settings.consistency_retries if retry_when else 0)
        for attempt in range(attempts):
            reply, response = self._send(method, full_path, params, body)
            if reply.status in ok:
                return reply
            last = attempt == attempts - 1
            if retry_when is None or last or not retry_when(reply.status, _object(reply.body)):
                raise self._error(method, full_path, response)
            self._sleep(self._settings.poll_interval_seconds * (2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, params: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.request("GET", path, params=params, ok=(200,), **kwargs).body

    def get_if_exists(self, path: str, params: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """The object, or None when Graph answers 404 (the upstream `WasNotFound` checks)."""
        reply = self.request("GET", path, params=params, ok=(200, 404), **kwargs)
        return None if reply.status == 404 else reply.body

    def list(self, path: str, params: dict[str, str] | None = None, **kwargs: Any) -> list[Any]:
        """Every item of a collection, following `@odata.nextLink` on the same endpoint only
        (a link elsewhere would carry the token off)."""
        page = self.get(path, params, **kwargs) or {}
        items = list(page.get("value") or [])
        base = f"{self._endpoint}/{kwargs.get('version', API_VERSION)}"
        for _ in range(MAX_PAGES):
            link = str(page.get("@odata.nextLink") or "")
            if not link:
                return items
            if not link.startswith(base + "/"):
                raise GraphError("GET", path, 200, "returned a next page on another host")
            relative, _, query = link[len(base) :].partition("?")
            page = self.get(relative, _query(query), **kwargs) or {}
            items.extend(page.get("value") or [])
        raise GraphError("GET", path, 200, f"has more than {MAX_PAGES} pages")

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        if self._cancelled.wait(seconds):
            raise Cancelled("the engine cancelled the operation")

    def _send(
        self, method: str, full_path: str, params: dict[str, str] | None, body: Any | None
    ) -> tuple[Reply, requests.Response]:
        response = self._once(method, full_path, params, body, self._credential.token())
        if response.status_code == 401:
            # A cached token Graph no longer accepts: sign in afresh once.
            self._credential.forget(_bearer(response.request.headers))
            response = self._once(method, full_path, params, body, self._credential.token())
        decoded: Any = None
        if response.content:
            try:
                decoded = response.json()
            except ValueError:
                decoded = None
        _log.info("%s %s -> %s", method, full_path, response.status_code)
        return Reply(response.status_code, decoded), response

    def _once(
        self,
        method: str,
        full_path: str,
        params: dict[str, str] | None,
        body: Any | None,
        token: str,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        try:
            return self._session.request(
                method,
                self._endpoint + full_path,
                params=params,
                data=data,
                headers=headers,
                timeout=self._settings.http.timeout,
                verify=ca_bundle(),
            )
        except requests.RequestException as error:
            raise GraphError(
                method, full_path, None, _transport_text(error, self._settings)
            ) from None

    def _error(self, method: str, full_path: str, response: requests.Response) -> GraphError:
        status = response.status_code
        text = error_text(response, self._secrets())
        attempts = attempts_made(response)
        if status in _GIVEN_UP_STATUSES and attempts > 1:
            text = f"given up after {attempts} attempts: {text}"
        return GraphError(method, full_path, status, redact(text, self._secrets()))


def _object(body: Any) -> dict[str, Any] | None:
    return body if isinstance(body, dict) else None


def _bearer(headers: Any) -> str:
    return str(headers.get("Authorization", "")).removeprefix("Bearer ")


def _query(query: str) -> dict[str, str] | None:
    return dict(parse_qsl(query, keep_blank_values=True)) or None


def _transport_text(error: requests.RequestException, settings: StandinSettings) -> str:
    if isinstance(error, requests.exceptions.SSLError):
        cause = "the TLS certificate was not trusted (set SSL_CERT_FILE for a private CA)"
    elif isinstance(error, requests.exceptions.Timeout):
        cause = f"timed out (read timeout {settings.http.read_timeout:.0f} s)"
    elif isinstance(error, requests.exceptions.ConnectionError):
        cause = "lost the connection (reset or refused)"
    else:
        cause = type(error).__name__
    return f"{cause}; gave up after at most {settings.http.max_retries + 1} attempts"


def configure_logging() -> None:
    """Request lines (never bodies or headers) go to stderr, which the engine keeps as debug."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("azuread-standin: %(message)s"))
    root = logging.getLogger("azuread-standin")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
