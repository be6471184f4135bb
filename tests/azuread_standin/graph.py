"""The stand-in's Microsoft Graph client: every request with a timeout and go-azure-sdk's retries.

Retries follow the Go client terraform-provider-azuread v3.9.0 uses (vendored
`github.com/hashicorp/go-azure-sdk/sdk/client/client.go`, `Client.Execute` and
`retryableClient`, over `github.com/hashicorp/go-retryablehttp` v0.7.7):
- a reply is repeated, whatever the method (POST included), when it is 424 or 408, when the
  request's own `RetryFunc` says so (`retry_when` here: 409/403 on synchronization calls, 404 on
  a new assignment or owner), or when it is 429 or 5xx other than 501 (`DefaultRetryPolicy`);
- a request without a reply (connection lost) is repeated only for GET, HEAD and OPTIONS, and
  not when the connection could not be made ("dial tcp") or closed without a reply ("EOF")
  (`extendedRetryPolicy`); for other methods it fails at once ("HTTP response was nil");
- the wait before try n+1 is Retry-After (whole seconds) when given, else 2**n s from 1 s, at
  most 61 s; there are at most `safeRetryNumber(timeout)` retries, and a wait that would end
  past the operation's timeout ends the request instead (the context deadline);
- the reply must then be one the operation expects: 200 for a GET, 200, 201, 202 or 204 for
  every other method (each operation's `ExpectedStatusCodes` in go-azure-sdk/microsoft-graph).
The stand-in scales every wait by `StandinSettings.retry_wait_scale` and takes the operation
timeout from `operation_timeout_seconds` per request (upstream: one deadline per operation).
So a POST whose write landed but whose reply came back 5xx is sent again, as the real provider
sends it again. Failures become `GraphError`s naming the method, path, status and Graph's own
error text, scrubbed of every secret the provider holds.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import requests
from urllib3.exceptions import NewConnectionError

from clients.http import error_text, redact
from tests.azuread_standin.auth import ClientSecretCredential
from tests.azuread_standin.errors import Cancelled, GraphError
from tests.azuread_standin.settings import StandinSettings
from tests.azuread_standin.tls import ca_bundle

API_VERSION = "v1.0"
MAX_PAGES = 1000
READ_OK = (200,)
WRITE_OK = (200, 201, 202, 204)
"""go-azure-sdk's expected status codes: a GET wants 200, every write 200, 201, 202 or 204."""
RETRY_WAIT_MIN_SECONDS = 1.0
RETRY_WAIT_MAX_SECONDS = 61.0
"""`r.RetryWaitMin` / `r.RetryWaitMax` of go-azure-sdk's `retryableClient`."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""go-azure-sdk `Request.IsIdempotent`: the methods repeated after a lost connection."""

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
        ok: Iterable[int] | None = None,
        retry_when: RetryWhen | None = None,
        version: str = API_VERSION,
    ) -> Reply:
        """Send one request, retried as go-azure-sdk retries it; a final status outside `ok`
        (default: `READ_OK` for GET, `WRITE_OK` otherwise) raises `GraphError`."""
        full_path = f"/{version}{path}"
        expected = tuple(ok) if ok is not None else (READ_OK if method == "GET" else WRITE_OK)
        timeout = self._settings.operation_timeout_seconds
        retries = safe_retry_number(timeout)
        waited = 0.0
        for attempt in range(retries + 1):
            last = attempt == retries
            status: int | None = None
            try:
                reply, response = self._send(method, full_path, params, body)
            except _NoReply as failure:
                if not failure.retryable or method not in IDEMPOTENT_METHODS or last:
                    raise GraphError(method, full_path, None, failure.text) from None
                wait = backoff_seconds(attempt, None)
            else:
                if last or not should_retry(reply, retry_when):
                    if reply.status in expected:
                        return reply
                    raise self._error(method, full_path, response, attempt + 1)
                status = reply.status
                wait = backoff_seconds(attempt, response)
            if waited + wait > timeout:
                raise GraphError(
                    method,
                    full_path,
                    status,
                    f"context deadline exceeded: the next retry (after {wait:.0f} s) would end "
                    f"past the operation's {timeout:.0f} s timeout; given up after "
                    f"{attempt + 1} attempts",
                )
            waited += wait
            self._sleep(wait * self._settings.retry_wait_scale)
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
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise _NoReply(error, method, self._settings) from None

    def _error(
        self, method: str, full_path: str, response: requests.Response, attempts: int
    ) -> GraphError:
        text = error_text(response, self._secrets())
        if attempts > 1:
            text = f"given up after {attempts} attempts: {text}"
        return GraphError(method, full_path, response.status_code, redact(text, self._secrets()))


def _object(body: Any) -> dict[str, Any] | None:
    return body if isinstance(body, dict) else None


def _bearer(headers: Any) -> str:
    return str(headers.get("Authorization", "")).removeprefix("Bearer ")


def _query(query: str) -> dict[str, str] | None:
    return dict(parse_qsl(query, keep_blank_values=True)) or None


def safe_retry_number(timeout_seconds: float) -> int:
    """go-azure-sdk `safeRetryNumber`: the most retries whose default waits (1, 2, 4, ..., 32,
    then 61 s each) fit in the time left before the deadline."""
    if timeout_seconds <= 63:
        return max(0, math.floor(math.log2(timeout_seconds + 1)) - 1)
    return (int(timeout_seconds) - 63) // 61 + 6


def backoff_seconds(attempt: int, response: requests.Response | None) -> float:
    """go-azure-sdk's `Backoff`: Retry-After in whole seconds when the reply has one, else
    `RetryWaitMin * 2**attempt` capped at `RetryWaitMax` (attempt counts from 0)."""
    if response is not None:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.strip().lstrip("-").isdigit():
            return float(int(retry_after))
    return min(RETRY_WAIT_MIN_SECONDS * 2**attempt, RETRY_WAIT_MAX_SECONDS)


def should_retry(reply: Reply, retry_when: RetryWhen | None) -> bool:
    """go-azure-sdk `Client.Execute`'s CheckRetry for a request that got a reply."""
    if reply.status in (424, 408):  # eventual consistency; "some APIs don't return in time"
        return True
    if retry_when is not None and retry_when(reply.status, _object(reply.body)):
        return True
    return reply.status == 429 or (reply.status >= 500 and reply.status != 501)


class _NoReply(Exception):
    """A request that got no HTTP reply, and whether go-azure-sdk would send it again."""

    def __init__(self, error: requests.RequestException, method: str, settings: StandinSettings):
        super().__init__(type(error).__name__)
        causes = _causes(error)
        if isinstance(error, requests.exceptions.SSLError):
            cause, self.retryable = (
                "the TLS certificate was not trusted (set SSL_CERT_FILE for a private CA)",
                False,
            )
        elif isinstance(error, requests.exceptions.ConnectTimeout) or _connect_failure(causes):
            cause, self.retryable = "could not connect (dial tcp)", False
        elif isinstance(error, requests.exceptions.Timeout):
            # Upstream has no read timeout of its own: its operation deadline ends the wait.
            cause, self.retryable = (
                f"timed out (read timeout {settings.http.read_timeout:.0f} s)",
                False,
            )
        elif any(isinstance(item, http.client.RemoteDisconnected) for item in causes):
            cause, self.retryable = "the connection closed without a reply (EOF)", False
        else:
            cause, self.retryable = "lost the connection (reset)", True
        if method not in IDEMPOTENT_METHODS:
            self.text = f"HTTP response was nil; connection may have been reset: {cause}"
        elif self.retryable:
            self.text = f"{cause}; retried while the operation's timeout allowed"
        else:
            self.text = cause


def _causes(error: BaseException) -> list[BaseException]:
    """The exception and everything nested in it (requests wraps urllib3 wraps the socket)."""
    found: list[BaseException] = []
    pending: list[Any] = [error]
    while pending and len(found) < 20:
        item = pending.pop()
        if not isinstance(item, BaseException) or item in found:
            continue
        found.append(item)
        pending.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        pending.extend(item.args)
    return found


def _connect_failure(causes: list[BaseException]) -> bool:
    return any(isinstance(item, NewConnectionError | ConnectionRefusedError) for item in causes)


def configure_logging() -> None:
    """Request lines (never bodies or headers) go to stderr, which the engine keeps as debug."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("azuread-standin: %(message)s"))
    root = logging.getLogger("azuread-standin")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
