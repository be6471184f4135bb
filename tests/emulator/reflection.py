"""Replies an injected fault sends instead of the service's own: exact bytes, a redirect, or an
error page that echoes the request's headers back, as some proxies and debug pages do.

Pure: a request and a fault in, a `Response` out.
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from .faults import Fault
from .messages import Request, Response

_FILLER = "The gateway could not process this request. "


def exact_reply(fault: Fault) -> Response:
    """The fault's bytes as the whole body (or an empty redirect with its Location)."""
    assert fault.code is not None and fault.raw is not None  # guaranteed by Fault.reply
    headers = {"Location": fault.location} if fault.location is not None else {}
    if fault.content_encoding is not None:
        headers["Content-Encoding"] = fault.content_encoding
    return Response(
        fault.code,
        headers=headers,
        raw=fault.raw,
        content_type=fault.content_type or "application/json",
    )


def reflecting_reply(fault: Fault, request: Request) -> Response:
    """An error page listing every request header, the credential included, several ways."""
    assert fault.code is not None  # guaranteed by Fault.reflect
    lines = [f"{name}: {value}" for name, value in request.headers.items()]
    dump = "\n".join(lines)
    filler = (_FILLER * (fault.padding // len(_FILLER) + 1))[: fault.padding]
    if fault.shape == "json":
        message = f"{filler}Request rejected. Headers received: {'; '.join(lines)}"
        body = {"error": {"code": "RequestRejected", "message": message}}
        return Response(fault.code, body)
    # Some serializers escape "/" in JSON as "\/".
    escaped = json.dumps(lines).replace("/", "\\/")
    page = (
        f"<html><head><title>{fault.code} Request rejected</title></head><body>"
        f"<p>{html.escape(filler)}</p><pre>{html.escape(dump)}</pre>"
        f'<a href="/support?headers={quote(dump, safe="")}">report</a>'
        f"<script>var received = {escaped};</script>"
        "</body></html>"
    )
    return Response(fault.code, raw=page.encode(), content_type="text/html; charset=utf-8")
