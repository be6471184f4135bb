"""Asana's SCIM 2.0 user endpoints under /api/1.0/scim (reference: asana.md §2, §3).

Only service-account tokens added by the test may call it, mirroring "Only Service Accounts in
Enterprise Domains can access SCIM endpoints"; errors use Asana's `{"errors": [...]}` body.
"""

from __future__ import annotations

import copy
import re
import secrets
from datetime import UTC, datetime
from http.client import responses

from .messages import JsonObject, Request, Response
from .routing import Router

PATH = "/api/1.0/scim"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

_USERNAME_FILTER = re.compile(r'\s*userName\s+eq\s+"((?:[^"\\]|\\.)*)"\s*', re.IGNORECASE)

_FAULT_MESSAGES: dict[int, str] = {
    401: "Not Authorized",
    429: (
        "You've made too many requests and hit a rate limit. "
        "Please retry after the given amount of time."
    ),
}


class Scim:
    """Service-account tokens and the domain's users."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url + PATH
        self._tokens: set[str] = set()
        self._users: dict[str, JsonObject] = {}
        self._groups: dict[str, JsonObject] = {}
        self._router = Router(
            [
                ("GET", f"{PATH}/Users", self._list_users),
                ("GET", f"{PATH}/Users/{{user}}", self._get_user),
                ("GET", f"{PATH}/Groups", self._list_groups),
                ("GET", f"{PATH}/Groups/{{group}}", self._get_group),
            ]
        )

    def add_token(self, token: str) -> None:
        if not token:
            raise ValueError("a SCIM token must be a non-empty string")
        self._tokens.add(token)

    def revoke_token(self, token: str) -> None:
        """Forget `token`, as when the service account is deauthorized; idempotent."""
        self._tokens.discard(token)

    def accepts(self, token: str) -> bool:
        """Whether `token` is a live service-account token (also used by validateCredentials)."""
        return token in self._tokens

    def add_user(self, user_name: str, attrs: JsonObject) -> JsonObject:
        """Create a SCIM user; `attrs` override or extend the generated attributes."""
        if any(user["userName"].lower() == user_name.lower() for user in self._users.values()):
            raise ValueError(f"user {user_name!r} already exists")
        user_id = str(secrets.randbelow(9 * 10**15) + 10**15)  # Asana gids are long digit strings
        now = _now()
        user: JsonObject = {
            "schemas": [USER_SCHEMA],
            "id": user_id,
            "userName": user_name,
            "active": True,
            "name": {"formatted": user_name.split("@", 1)[0]},
            "emails": [{"value": user_name, "primary": True}],
            "meta": {
                "resourceType": "User",
                "created": now,
                "lastModified": now,
                "location": f"{self.base_url}/Users/{user_id}",
            },
        }
        user.update(copy.deepcopy(attrs))
        self._users[user_id] = user
        return copy.deepcopy(user)

    def users(self) -> list[JsonObject]:
        """The Asana SCIM users, copied, oldest first."""
        return copy.deepcopy(list(self._users.values()))

    def groups(self) -> list[JsonObject]:
        """The Asana SCIM groups (teams), copied, oldest first."""
        return copy.deepcopy(list(self._groups.values()))

    def replace_user(self, user_id: str, resource: JsonObject) -> JsonObject:
        """PUT-style replace of a user's attributes (its id and meta.created stay)."""
        return _replace(self._users[user_id], resource)

    def add_group(self, display_name: str, members: list[str]) -> JsonObject:
        """Create a team: `members` are SCIM user ids (POST /Groups)."""
        if any(g["displayName"] == display_name for g in self._groups.values()):
            raise ValueError(f"group {display_name!r} already exists")
        group_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        now = _now()
        group: JsonObject = {
            "schemas": [GROUP_SCHEMA],
            "id": group_id,
            "displayName": display_name,
            "members": [{"value": member} for member in members],
            "meta": {
                "resourceType": "Group",
                "created": now,
                "lastModified": now,
                "location": f"{self.base_url}/Groups/{group_id}",
            },
        }
        self._groups[group_id] = group
        return copy.deepcopy(group)

    def replace_group(self, group_id: str, resource: JsonObject) -> JsonObject:
        return _replace(self._groups[group_id], resource)

    def clear(self) -> None:
        self._tokens.clear()
        self._users.clear()
        self._groups.clear()

    # ----- Backend protocol -----

    def serves(self, path: str) -> bool:
        return path == PATH or path.startswith(PATH + "/")

    def handle(self, request: Request) -> Response:
        if not self.accepts(request.bearer_token() or ""):
            return _error(401, "Not Authorized")
        match = self._router.resolve(request.method, request.path)
        if match is None:
            return _error(404, "Not Found")
        if match.handler is None:
            response = _error(405, f"{request.method} is not supported on this resource.")
            return Response(response.status, response.body, {"Allow": ", ".join(match.allowed)})
        return match.handler(request, **match.params)

    def fault_response(self, status: int, request: Request) -> Response:
        if status == 500:
            return Response(
                500,
                {"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle softly"}]},
            )
        return _error(status, _FAULT_MESSAGES.get(status, responses.get(status, "Error")))

    def loggable_body(self, body: object | None) -> object | None:
        """SCIM bodies carry no secrets (the token travels only in the header)."""
        return body

    # ----- route handlers -----

    def _list_users(self, request: Request) -> Response:
        users = list(self._users.values())
        query = request.query.get("filter")
        if query is not None:
            wanted = _USERNAME_FILTER.fullmatch(query)
            if wanted is None:
                return _error(
                    400, f"Invalid filter '{query}': only 'userName eq \"<value>\"' is supported."
                )
            user_name = re.sub(r"\\(.)", r"\1", wanted.group(1)).lower()
            users = [user for user in users if user["userName"].lower() == user_name]
        return _list_response(users)

    def _get_user(self, request: Request, user: str) -> Response:
        return _get_response(self._users.get(user))

    def _list_groups(self, request: Request) -> Response:
        return _list_response(list(self._groups.values()))

    def _get_group(self, request: Request, group: str) -> Response:
        return _get_response(self._groups.get(group))


def _list_response(resources: list[JsonObject]) -> Response:
    """A SCIM ListResponse holding all of `resources` on one page (copied)."""
    return Response(
        200,
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(resources),
            "startIndex": 1,
            "itemsPerPage": len(resources),
            "Resources": copy.deepcopy(resources),
        },
    )


def _get_response(found: JsonObject | None) -> Response:
    """The resource (copied), or SCIM's 404 when there is none."""
    if found is None:
        return _error(404, "Not Found")
    return Response(200, copy.deepcopy(found))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _replace(stored: JsonObject, resource: JsonObject) -> JsonObject:
    """Replace every attribute but id, schemas and meta (whose lastModified moves)."""
    kept = {key: stored[key] for key in ("id", "schemas", "meta")}
    stored.clear()
    stored.update(copy.deepcopy(resource))
    stored.update(kept)
    stored["meta"]["lastModified"] = _now()
    return copy.deepcopy(stored)


def _error(status: int, message: str) -> Response:
    """Asana's error body: a top-level `errors` array of objects with a `message`."""
    return Response(status, {"errors": [{"message": message}]})
