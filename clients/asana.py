"""A small client for Asana's SCIM 2.0 API, authenticated with a service-account token.

The token is held only for the life of one provider call and is scrubbed from any error text.
A redirect is never followed (it would be reported as a rejected token otherwise: `requests`
drops the token on the way to another host, which then answers 401).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from clients.http import (
    HttpPolicy,
    ServiceError,
    SessionClient,
    error_text,
    is_redirect,
    json_reply,
    redirect_error,
    status_error,
    transport_error,
)
from rules.urls import url_problem

SERVICE = "Asana SCIM"
# A userName that cannot exist (RFC 2606 reserves .invalid): the filter query then proves the
# token may read users without returning anyone's data, as Entra's Test Connection does.
PROBE_USER_NAME = "asana-provisioning-connection-check@example.invalid"
_REJECTED = (401, 403)


@dataclass(frozen=True)
class TokenCheck:
    """What Asana said about a token: accepted, or rejected with its status and text."""

    accepted: bool
    status: int
    message: str = ""


class AsanaScimClient(SessionClient):
    def __init__(self, base_url: str, token: str, policy: HttpPolicy):
        super().__init__(policy)
        if (problem := url_problem(base_url)) is not None:
            # Checked at preview already; this guards a URL recorded in state before that check.
            raise ServiceError(SERVICE, "GET", "/Users", f"not sent: scim_base_url {problem}", None)
        self._base_url = base_url.rstrip("/")
        self._base_path = urlsplit(self._base_url).path
        self._token = token

    def check_token(self) -> TokenCheck:
        """One `GET /Users?filter=userName eq "..."`: 200 accepted, 401/403 rejected, else error."""
        response = self._get("/Users", {"filter": f'userName eq "{PROBE_USER_NAME}"'})
        if is_redirect(response):
            raise redirect_error(SERVICE, "GET", self._base_path + "/Users", response)
        if response.status_code in _REJECTED:
            message = error_text(response, [self._token])
            return TokenCheck(accepted=False, status=response.status_code, message=message)
        self._require_list_response("/Users", response)
        return TokenCheck(accepted=True, status=response.status_code)

    def _get(self, path: str, params: dict[str, str]) -> requests.Response:
        try:
            return self._session.get(
                self._base_url + path,
                params=params,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Accept": "application/scim+json, application/json",
                },
                timeout=self._policy.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise transport_error(
                SERVICE, "GET", self._base_path + path, error, self._policy
            ) from None

    def _require_list_response(self, path: str, response: requests.Response) -> None:
        """A 200 that is not a SCIM ListResponse means the base URL points somewhere else."""
        full_path = self._base_path + path
        if response.status_code >= 400:
            raise status_error(SERVICE, "GET", full_path, response, self._policy, [self._token])
        body = json_reply(SERVICE, "GET", full_path, response, required=True)
        # RFC 7644 §3.4.2: "Resources" may be left out of an empty result, "totalResults" not.
        is_list = isinstance(body, dict) and ("totalResults" in body or "Resources" in body)
        if response.status_code != 200 or not is_list:
            detail = (
                f"answered HTTP {response.status_code} without a SCIM ListResponse; "
                "check that scim_base_url is the SCIM base URL"
            )
            raise ServiceError(SERVICE, "GET", full_path, detail, response.status_code)
