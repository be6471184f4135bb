"""Microsoft Graph's response conventions, shared by the synchronization and directory parts:
the request-id headers, the error envelope and the early-exit exception handlers raise.

They live apart from either part so that both answer exactly alike.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime

from .messages import JsonObject, Request, Response


class Reply(Exception):
    """Raised by a handler to answer early (mostly with an error) from deep in a lookup."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def ok(request: Request, body: JsonObject, *, status: int = 200) -> Response:
    """A JSON answer; the body is copied so later state changes never leak into it."""
    return Response(status, copy.deepcopy(body), _graph_headers(request))


def no_content(request: Request) -> Response:
    return Response(204, None, _graph_headers(request))


def error(status: int, code: str, message: str, request: Request) -> Response:
    """Graph's error envelope, with the same ids in the body as in the headers."""
    headers = _graph_headers(request)
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": headers["request-id"],
        "client-request-id": headers["client-request-id"],
    }
    return Response(
        status, {"error": {"code": code, "message": message, "innerError": inner}}, headers
    )


def bad_request(request: Request, message: str, code: str = "Request_BadRequest") -> Reply:
    """Graph's 400 with this error code and message."""
    return Reply(error(400, code, message, request))


def resource_not_found(request: Request, object_id: str) -> Reply:
    """What Graph answers for a directory object id it does not know."""
    return Reply(
        error(
            404,
            "Request_ResourceNotFound",
            f"Resource '{object_id}' does not exist or one of its queried reference-property "
            "objects are not present.",
            request,
        )
    )


def with_headers(response: Response, extra: dict[str, str]) -> Response:
    return Response(response.status, response.body, {**response.headers, **extra})


def _graph_headers(request: Request) -> dict[str, str]:
    return {
        "request-id": str(uuid.uuid4()),
        "client-request-id": request.header("client-request-id") or str(uuid.uuid4()),
    }
