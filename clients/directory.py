"""Frugal, streaming reads of the directory for the access impact preview (tools/impact.py).

Every collection is read a page at a time and handed on page by page, so memory holds one page
(at most 999 objects), never a whole group or tenant. Only the properties a decision needs are
asked for (`$select`); group members are read by type, users only
(`/members/microsoft.graph.user`: the OData cast, which also leaves nested groups out, as
provisioning does); pages are as large as Graph allows (`$top=999`); the first page of each
collection carries its size (`$count=true` with `ConsistencyLevel: eventual`, documented for
users and group members: https://learn.microsoft.com/graph/api/group-list-members ,
https://learn.microsoft.com/graph/aad-advanced-queries) for progress. Throttling (429 with
Retry-After) is honoured by clients.http's retry policy, within the stack's retry budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from clients.graph import (
    API_VERSION,
    GraphClient,
    collection_items,
    next_page_path,
    synchronization_path,
    too_many_pages,
)
from clients.http import ServiceError

PAGE_SIZE = 999
"""The largest `$top` directory collections accept (users, groups, members)."""
MAX_PAGES = 20_000
"""A bound on any one collection (about 20 million objects): a loop that cannot end is a bug."""
EVENTUAL = {"ConsistencyLevel": "eventual"}


class DirectoryReader:
    """Reads through one GraphClient and counts the requests it sends (retries not counted)."""

    def __init__(self, graph: GraphClient, progress: Callable[[str], None] | None = None) -> None:
        self._graph = graph
        self._progress = progress or (lambda _: None)
        self.requests = 0

    def get(
        self, path: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        self.requests += 1
        return self._graph.get(path, params, headers)

    def pages(
        self,
        path: str,
        params: dict[str, str],
        what: str,
        counted: bool = True,
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of a collection in turn, following `@odata.nextLink` on the same endpoint
        only (a link elsewhere would carry the token off). `what` names it in progress lines."""
        query = {**params, "$top": str(PAGE_SIZE)}
        headers = None
        if counted:
            query["$count"] = "true"
            headers = EVENTUAL
        page = self.get(path, query, headers)
        total = page.get("@odata.count")
        if isinstance(total, int):
            self._progress(f"reading {what}: {total:,}")
        for _ in range(MAX_PAGES):
            yield collection_items(page, "GET", f"/{API_VERSION}{path}")
            following = next_page_path(page, self._graph.endpoint, path)
            if following is None:
                return
            page = self.get(following, None, headers)
        raise too_many_pages(path, MAX_PAGES)

    # ----- the app and its job -----

    def assignments(self, sp_id: str) -> list[dict[str, Any]]:
        """Who is assigned to the app (Users and groups): principal id, type and name."""
        path = f"/servicePrincipals/{quote(sp_id, safe='')}/appRoleAssignedTo"
        select = {"$select": "principalId,principalType,principalDisplayName"}
        found: list[dict[str, Any]] = []
        for page in self.pages(path, select, "the app's assignments", counted=False):
            found.extend(page)
        return found

    def job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.get(synchronization_path(sp_id, "jobs", job_id))

    def schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.get(synchronization_path(sp_id, "jobs", job_id, "schema"))

    def filter_operators(self, sp_id: str, job_id: str) -> list[dict[str, Any]]:
        path = synchronization_path(sp_id, "jobs", job_id, "schema", "filterOperators")
        return collection_items(self.get(path), "GET", f"/{API_VERSION}{path}")

    def secrets(self, sp_id: str) -> dict[str, str]:
        """The synchronization secrets that are not masked (SyncAll, SkipOutOfScopeDeletions)."""
        path = synchronization_path(sp_id, "secrets")
        pairs = collection_items(self.get(path), "GET", f"/{API_VERSION}{path}")
        return {str(p.get("key")): str(p.get("value")) for p in pairs if p.get("key")}

    # ----- principals -----

    def group(self, reference: str, select: Sequence[str], by_id: bool) -> list[dict[str, Any]]:
        """A group by object id (one, or none when Graph has no such group), or every group of
        that display name."""
        fields = ",".join(dict.fromkeys(["id", "displayName", *select]))
        if by_id:
            try:
                return [self.get(f"/groups/{quote(reference, safe='')}", {"$select": fields})]
            except ServiceError as error:
                if error.status == 404:
                    return []
                raise
        literal = reference.replace("'", "''")
        params = {"$filter": f"displayName eq '{literal}'", "$select": fields}
        return [g for page in self.pages("/groups", params, "groups", counted=False) for g in page]

    def user(self, reference: str, select: Sequence[str]) -> dict[str, Any] | None:
        """A user by object id or user principal name (None when there is none)."""
        try:
            return self.get(f"/users/{quote(reference, safe='@')}", {"$select": ",".join(select)})
        except ServiceError as error:
            if error.status == 404:
                return None
            raise

    def user_members(
        self, group_id: str, name: str, select: Sequence[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """The users among a group's immediate members, a page at a time."""
        path = f"/groups/{quote(group_id, safe='')}/members/microsoft.graph.user"
        return self.pages(path, {"$select": ",".join(select)}, f"the users in group {name}")

    def all_users(self, select: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
        return self.pages("/users", {"$select": ",".join(select)}, "every user")

    def all_groups(self, select: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
        fields = ",".join(dict.fromkeys(["id", "displayName", *select]))
        return self.pages("/groups", {"$select": fields}, "every group", counted=False)
