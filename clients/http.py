"""HTTP plumbing shared by the Microsoft Graph and Asana clients.

Both services throttle (429 with Retry-After) and have transient outages. urllib3's `Retry`
does the retrying; `BoundedRetry` adds the one thing it lacks, a bound on the total time spent
retrying, so that a long Retry-After turns into a clear error instead of a stalled deployment.
Errors carry the HTTP status, the service's own error text and the request path, never a header
or a secret. Redirects are never followed (a request carries a credential, and a service we call
has no reason to send us elsewhere), and a reply that is not what the service answers (not
JSON, cut short, empty) is named as such instead of failing somewhere downstream.

Every attempt is bounded as a whole, not per read: connecting, sending, the headers and the
whole body must be done within `HttpPolicy.read_timeout` (the stack's httpTimeoutSeconds),
else the reply is cut off (`DeadlineExceeded`). A socket timeout alone bounds each read, so a
reply trickling a byte at a time would never end; `DeadlineSession` reads the body itself,
setting the socket timeout to what is left of the deadline before each read.
"""

from __future__ import annotations

import functools
import json
import socket
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import (
    DecodeError,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from rules.redaction import redact

# The service has said it did not process the request: safe to repeat for any method.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Transient server errors: safe to repeat only for idempotent methods.
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_MAX_ERROR_TEXT = 500
_REDIRECT_STATUSES = range(300, 400)
_CHUNK_BYTES = 64 * 1024


DEFAULT_READ_TIMEOUT_SECONDS = 60
DEFAULT_MAX_RETRIES = 6
DEFAULT_RETRY_BUDGET_SECONDS = 120
"""The defaults of the stack settings httpTimeoutSeconds, maxRetries and retryBudgetSeconds."""


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retry limits; settable per stack for slow or heavily throttled tenants."""

    connect_timeout: float = 10.0
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    retry_budget_seconds: float = DEFAULT_RETRY_BUDGET_SECONDS

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, whole request): what a caller of a `DeadlineSession` may pass."""
        return (self.connect_timeout, self.read_timeout)


class DeadlineExceeded(requests.exceptions.ReadTimeout):
    """A reply did not finish within the request's deadline (a `ReadTimeout`, so that callers
    such as azure-core's transport treat it as the response timing out)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"did not finish within {seconds:g} s")


class RetryBudgetExceeded(ResponseError):
    """The next wait would take the retries past the policy's time budget."""


class RetriesGivenUp(requests.exceptions.RetryError):
    """A request still throttled or failing when its retries or their budget ran out; the
    message names the method, the path and why (never the query, a header or a body)."""


class BoundedRetry(Retry):
    """urllib3 `Retry` with a bound on the time spent retrying after the first failure.

    It also retries 429 and 503 for every method (the service did not act on the request),
    while other 5xx and broken connections are retried only for idempotent methods.
    """

    def __init__(
        self,
        *args: Any,
        budget_seconds: float = DEFAULT_RETRY_BUDGET_SECONDS,
        started_at: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.budget_seconds = budget_seconds
        self.started_at = started_at

    def new(self, **kw: Any) -> Self:
        kw.setdefault("budget_seconds", self.budget_seconds)
        kw.setdefault("started_at", self.started_at)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in _NOT_PROCESSED_STATUSES and self.total:
            return True
        return super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: Any = None,
    ) -> Self:
        started_at = self.started_at if self.started_at is not None else time.monotonic()
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry.started_at = started_at
        wait = retry.planned_wait(response)
        elapsed = time.monotonic() - started_at
        if elapsed + wait > self.budget_seconds:
            # With a response, urllib3 hands it back (raise_on_status=False) and the caller
            # reports its status; without one, the original connection error surfaces.
            reason = error or RetryBudgetExceeded(
                f"waiting {wait:.0f} s more would exceed the "
                f"{self.budget_seconds:.0f} s retry budget"
            )
            raise MaxRetryError(_pool, url, reason)  # type: ignore[arg-type]
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Sleeps before the next attempt, then notes when that attempt starts: its deadline
        runs from there (urllib3 hands this object to the attempt and to its response)."""
        super().sleep(response)
        self.attempt_started_at = time.monotonic()

    def planned_wait(self, response: BaseHTTPResponse | None) -> float:
        """The sleep `Retry.sleep` is about to do: Retry-After when given, else the backoff."""
        if self.respect_retry_after_header and response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after:
                return retry_after
        return self.get_backoff_time()


@functools.lru_cache(maxsize=8)
def shared_session(policy: HttpPolicy) -> requests.Session:
    """One connection pool per policy in this process, so calls reuse TLS connections."""
    return build_session(policy)


def build_session(policy: HttpPolicy, *, raise_given_up: bool = False) -> requests.Session:
    """A session whose every request is retried under `policy`, each attempt bounded as a
    whole by its deadline (`DeadlineSession`). With `raise_given_up`, a reply whose retries
    were given up is raised as `RetriesGivenUp` (for callers, such as azure-identity, that
    would otherwise report it without saying why)."""
    retry = BoundedRetry(
        total=policy.max_retries,
        connect=policy.max_retries,
        read=policy.max_retries,
        status=policy.max_retries,
        other=0,
        redirect=0,
        allowed_methods=_IDEMPOTENT_METHODS,
        status_forcelist=_TRANSIENT_STATUSES,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        budget_seconds=policy.retry_budget_seconds,
    )
    session = DeadlineSession(policy, raise_given_up=raise_given_up)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class DeadlineSession(requests.Session):
    """A session that bounds each attempt as a whole: connect (at most `connect_timeout`),
    send and the headers through urllib3's total timeout, then the body read here against the
    same deadline. A caller's `timeout` may only shorten the policy's (azure-core passes what
    is left of its own budget). A request made with `stream=True` reads its body itself and is
    bounded per read only."""

    def __init__(self, policy: HttpPolicy, *, raise_given_up: bool = False) -> None:
        super().__init__()
        self.policy = policy
        self.raise_given_up = raise_given_up

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        streamed = kwargs.get("stream", False)
        connect, seconds = self._limits(kwargs.get("timeout"))
        kwargs["timeout"] = Timeout(connect=connect, read=seconds, total=seconds)
        kwargs["stream"] = True
        started = time.monotonic()
        response = super().send(request, **kwargs)
        if not streamed:
            retries = getattr(response.raw, "retries", None)
            attempt_started = getattr(retries, "attempt_started_at", None) or started
            read_within(response, attempt_started + seconds, seconds)
        if self.raise_given_up and (detail := given_up_detail(response, self.policy)):
            response.close()
            raise RetriesGivenUp(f"{request.method} {urlsplit(request.url or '').path} {detail}")
        return response

    def _limits(self, timeout: Any) -> tuple[float, float]:
        connect, whole = self.policy.connect_timeout, self.policy.read_timeout
        given = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        if isinstance(given[1], int | float):
            whole = min(whole, float(given[1]))
        if isinstance(given[0], int | float):
            connect = min(connect, float(given[0]))
        return min(connect, whole), whole


def read_within(response: requests.Response, deadline: float, seconds: float) -> None:
    """Reads the whole body of a streamed response before `deadline` (monotonic), or closes
    the connection and raises `DeadlineExceeded`; other failures become the exceptions
    `requests` raises for them. The body is then the response's content, as without streaming.
    """
    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded(seconds)
            if isinstance(sock, socket.socket):
                sock.settimeout(remaining)
            # read1: at most one read from the socket, so the deadline is checked between them.
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
    except DeadlineExceeded:
        response.close()
        raise
    except (ReadTimeoutError, TimeoutError):
        response.close()
        raise DeadlineExceeded(seconds) from None
    except ProtocolError as error:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(error) from None
    except DecodeError as error:
        response.close()
        raise requests.exceptions.ContentDecodingError(error) from None
    except Urllib3SSLError as error:
        response.close()
        raise requests.exceptions.SSLError(error) from None
    # What requests itself does when it reads a body that is not streamed.
    response._content = b"".join(chunks)
    response._content_consumed = True


class SessionClient:
    """A client over this process's shared session for its policy: nothing to open or close
    per call (the session's pool is reused by every call in the process, so it stays open)."""

    def __init__(self, policy: HttpPolicy) -> None:
        self._policy = policy
        self._session = shared_session(policy)


class ServiceError(Exception):
    """A request to a service failed; the message is safe to show and to log."""

    def __init__(self, service: str, method: str, path: str, detail: str, status: int | None):
        self.service = service
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        super().__init__(f"{service} {method} {path} {detail}")


def attempts_made(response: requests.Response) -> int:
    """How many times the request was sent, read from urllib3's retry history."""
    retries = getattr(response.raw, "retries", None)
    history: Collection[Any] = getattr(retries, "history", ()) or ()
    return len(history) + 1


def error_text(response: requests.Response, secrets: Iterable[str] = ()) -> str:
    """The service's own error message, in whichever of the known shapes it came, with every
    secret (and any bearer credential) taken out before it is shortened."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    text = _message_from_body(body) if body is not None else response.text
    text = " ".join(redact(text, secrets).split())[:_MAX_ERROR_TEXT]
    return text or redact(response.reason or "", secrets)


def _message_from_body(body: Any) -> str:
    if not isinstance(body, Mapping):
        return json.dumps(body)
    error = body.get("error")
    if isinstance(error, Mapping):  # Microsoft Graph
        code, message = error.get("code", ""), error.get("message", "")
        return f"{code}: {message}" if code else str(message)
    if isinstance(error, str):  # OAuth2 token endpoint
        return f"{error}: {body.get('error_description', '')}".strip(": ")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:  # Asana REST
        return "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, Mapping))
    if "detail" in body:  # SCIM 2.0 error message
        return str(body["detail"])
    return json.dumps(body)


def status_error(
    service: str,
    method: str,
    path: str,
    response: requests.Response,
    policy: HttpPolicy,
    secrets: Iterable[str] = (),
) -> ServiceError:
    """The error for a response that did not succeed, saying when retries were given up."""
    status = response.status_code
    text = error_text(response, secrets)
    given_up = given_up_detail(response, policy)
    detail = f"{given_up}: {text}" if given_up else f"failed with HTTP {status}: {text}"
    return ServiceError(service, method, path, detail, status)


def given_up_detail(response: requests.Response, policy: HttpPolicy) -> str | None:
    """What to say of a throttled or failing reply whose retries were given up; None for a
    reply that was not retried (the service refused the request as such)."""
    status = response.status_code
    attempts = attempts_made(response)
    if status in _NOT_PROCESSED_STATUSES or (status in _TRANSIENT_STATUSES and attempts > 1):
        retry_after = response.headers.get("Retry-After")
        waited = f"; the last reply asked to wait {retry_after} s" if retry_after else ""
        verb = "was throttled" if status == 429 else "kept failing"
        return (
            f"{verb} (HTTP {status}) and was given up after {attempts} attempt(s) within the "
            f"{policy.retry_budget_seconds:.0f} s retry budget{waited}"
        )
    return None


def redirect_error(
    service: str, method: str, path: str, response: requests.Response
) -> ServiceError:
    """A 3xx: not followed, and said to be a redirect (never mistaken for a rejected token).

    Only the target's scheme and host are named: its path or query may carry anything.
    """
    location = response.headers.get("Location", "")
    try:
        target = urlsplit(urljoin(response.url or "", location))
        where = f"{target.scheme}://{target.hostname}" if target.hostname else "nowhere"
        same_host = target.hostname == urlsplit(response.url or "").hostname
    except ValueError:
        where, same_host = "a malformed Location", False
    elsewhere = "within the same host" if same_host else f"to another host ({where})"
    detail = (
        f"answered HTTP {response.status_code}, a redirect {elsewhere}, which is not followed: "
        "the request carries a credential; check the URL configured for this service"
    )
    return ServiceError(service, method, path, detail, response.status_code)


def is_redirect(response: requests.Response) -> bool:
    return response.status_code in _REDIRECT_STATUSES


def json_reply(
    service: str, method: str, path: str, response: requests.Response, *, required: bool
) -> Any:
    """The JSON body of a successful reply; None when it is empty and `required` is false.

    Anything else is a `ServiceError` saying what was wrong with the reply: empty where a
    document was expected, cut short, or not JSON at all (with its content type and size,
    never its text, which may echo the request).
    """
    content = response.content or b""
    status = response.status_code
    if not content.strip():
        if not required:
            return None
        detail = f"answered HTTP {status} with an empty body where a JSON document was expected"
        raise ServiceError(service, method, path, detail, status)
    kind = response.headers.get("Content-Type") or "no content type"
    try:
        text = content.decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError:
        what = "a body that is not UTF-8 text"
    except json.JSONDecodeError as error:
        # A prefix of a JSON document fails at its very end, or inside a string left open.
        cut_short = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated")
        what = "JSON that stops short (cut off?)" if cut_short else "a body that is not JSON"
    except RecursionError:
        what = "JSON nested too deep to read"
    detail = f"answered HTTP {status} with {what} ({kind}, {len(content)} bytes)"
    raise ServiceError(service, method, path, detail, status)


def json_object(service: str, method: str, path: str, response: requests.Response) -> dict:
    """A reply that must be a JSON object (every Graph and SCIM resource or list is one)."""
    body = json_reply(service, method, path, response, required=True)
    if not isinstance(body, dict):
        detail = (
            f"answered HTTP {response.status_code} with JSON that is not an object "
            f"(a {type(body).__name__})"
        )
        raise ServiceError(service, method, path, detail, response.status_code)
    return body


def _certificate_refused(error: requests.exceptions.SSLError) -> bool:
    """Whether a TLS failure was our check of the server's certificate, rather than a handshake
    that failed otherwise (a server that does not speak TLS, no common protocol): only the
    first is mended by trusting a CA. OpenSSL names it CERTIFICATE_VERIFY_FAILED (Python raises
    ssl.SSLCertVerificationError, https://docs.python.org/3/library/ssl.html); requests and
    urllib3 wrap that error and keep its text in theirs."""
    return "CERTIFICATE_VERIFY_FAILED" in str(error)


def transport_error(
    service: str, method: str, path: str, error: requests.RequestException, policy: HttpPolicy
) -> ServiceError:
    """The error for a request that got no usable response (timeouts, resets, TLS)."""
    if isinstance(error, requests.exceptions.SSLError) and _certificate_refused(error):
        cause = "the TLS certificate was not trusted (set REQUESTS_CA_BUNDLE for a private CA)"
    elif isinstance(error, requests.exceptions.SSLError):
        cause = "the TLS handshake failed (is the URL that of an HTTPS service?)"
    elif isinstance(error, DeadlineExceeded):
        detail = (
            f"did not finish within {error.seconds:g} s and was cut off (httpTimeoutSeconds "
            "bounds each request as a whole: connect, send and the entire reply)"
        )
        return ServiceError(service, method, path, detail, None)
    elif isinstance(error, requests.exceptions.Timeout) or "timed out" in str(error).lower():
        cause = f"timed out (read timeout {policy.read_timeout:.0f} s)"
    elif isinstance(
        error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        cause = "the reply was cut off before its end"
    elif isinstance(error, requests.exceptions.ConnectionError):
        cause = "lost the connection (reset or refused)"
    else:
        cause = type(error).__name__
    detail = f"got no response: {cause}; gave up after at most {policy.max_retries + 1} attempts"
    return ServiceError(service, method, path, detail, None)
