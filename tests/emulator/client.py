"""A small HTTPS client for tests that talk to the emulator's Graph as an app would: it gets a
token for a registered app once, then sends JSON requests trusting only the emulator's CA."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from .emulator import Emulator
from .identity import DEFAULT_ROLES

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphTestClient:
    """Requests to `emulator` with a bearer token for (`tenant_id`, `client_id`)."""

    def __init__(
        self,
        emulator: Emulator,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        roles: Iterable[str] = DEFAULT_ROLES,
    ) -> None:
        """`roles`: the app's Graph application permissions (its token's `roles` claim)."""
        self.emulator = emulator
        self.object_id = emulator.register_app(tenant_id, client_id, client_secret, roles=roles)
        form = {
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "client_credentials",
            "scope": GRAPH_SCOPE,
        }
        reply = requests.post(
            f"{emulator.base_url}/{tenant_id}/oauth2/v2.0/token",
            data=form,
            verify=emulator.ca_bundle_path,
            timeout=5,
        )
        reply.raise_for_status()
        self.token = str(reply.json()["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """`path` is relative to the emulator ("/v1.0/...") or an absolute URL (a nextLink)."""
        url = path if path.startswith("https://") else self.emulator.base_url + path
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, url, headers=headers, verify=self.emulator.ca_bundle_path, timeout=5, **kwargs
        )

    def get(self, path: str, **params: str) -> requests.Response:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: object | None = None) -> requests.Response:
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: object) -> requests.Response:
        return self.request("PATCH", path, json=body)

    def put(self, path: str, body: object) -> requests.Response:
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> requests.Response:
        return self.request("DELETE", path)
