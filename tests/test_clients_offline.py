"""clients/ logic without a tenant: replies as each service documents them, in, and what the
error says, out. Expected values are written from the documents, not computed by the code
under test."""

from __future__ import annotations

import json

import pytest
import requests

from clients.http import error_text


def reply(body: object, status: int = 400, reason: str = "Bad Request") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.reason = reason
    return response


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Microsoft Graph: {"error": {"code", "message"}}
        # https://learn.microsoft.com/graph/errors
        (
            {"error": {"code": "Request_BadRequest", "message": "Invalid filter clause"}},
            "Request_BadRequest: Invalid filter clause",
        ),
        ({"error": {"message": "no code given"}}, "no code given"),
        # OAuth 2.0 token endpoint: {"error", "error_description"} (RFC 6749 section 5.2)
        (
            {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid secret."},
            "invalid_client: AADSTS7000215: Invalid secret.",
        ),
        ({"error": "invalid_grant"}, "invalid_grant"),
        # Asana: {"errors": [{"message"}]} (https://developers.asana.com/docs/errors)
        (
            {"errors": [{"message": "Not Authorized"}, {"message": "Forbidden"}]},
            "Not Authorized; Forbidden",
        ),
        # SCIM 2.0: {"schemas", "status", "detail"} (RFC 7644 section 3.12)
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409",
                "detail": "userName is already taken",
            },
            "userName is already taken",
        ),
    ],
    ids=["graph", "graph without code", "oauth2", "oauth2 without description", "asana", "scim"],
)
def test_the_error_text_is_the_services_own_message_in_its_documented_shape(body, expected):
    assert error_text(reply(body)) == expected


def test_a_body_that_is_not_json_is_quoted_as_text_and_an_empty_one_gives_the_reason():
    assert error_text(reply(b"<h1>Bad gateway</h1>", 502)) == "<h1>Bad gateway</h1>"
    assert error_text(reply(b"", 503, "Service Unavailable")) == "Service Unavailable"
