"""Users and groups, read-only over Graph (admins create them; the program only names them).

Routes, with the calls the azuread data sources make through them:
* azuread_group (beta client): `GET /beta/groups?$filter=displayName eq '...'` (optionally
  `and mailEnabled eq ...`, `and securityEnabled eq ...`; or `mailNickname eq '...'`), or
  `GET /beta/groups/{id}`, then `GET /beta/groups/{id}/members` and `.../owners`;
* azuread_user: `GET /users?$filter=userPrincipalName eq '...'` (or mail, mailNickname,
  employeeId), then `GET /users/{id}?$select=<about forty properties>` and
  `GET /users/{id}/manager` (404 when there is none).
The v1.0 routes exist too. The program checks object ids with
`GET /groups?$filter=id in ('…', …)&$select=id` (and the same on `/users`: at most 15 ids, see
odata.MAX_IN_VALUES). What the access impact preview (tools/impact.py) reads:
`GET /groups/{id}/members/microsoft.graph.user` (the OData cast: only the users among the
group's immediate members) and `GET /users`, both with `$select`, `$top` up to 999 and
`$count=true` with `ConsistencyLevel: eventual`
(https://learn.microsoft.com/graph/api/group-list-members , "Use OData cast to get only
members that are users"; https://learn.microsoft.com/graph/api/user-list).
Pages: https://learn.microsoft.com/graph/api/group-list ,
https://learn.microsoft.com/graph/api/user-get ,
https://learn.microsoft.com/graph/api/user-list-manager .
Group bodies on beta carry the v1.0 property set (beta has a few more, which the data source
reads as unset).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from .directory_objects import USER_DEFAULT_PROPERTIES, as_directory_object, new_group, new_user
from .graphreply import resource_not_found
from .messages import JsonObject, Request, Response
from .odata import (
    COLLECTION_OPTIONS,
    ENTITY_OPTIONS,
    advanced_count,
    conjunction_filter,
    refuse_unsupported_options,
    selected_properties,
)
from .routing import Handler
from .store import Tenant
from .views import collection, entity

_GROUP_FILTERS = {
    "id": "string",
    "displayName": "string",
    "mailNickname": "string",
    "mail": "string",
    "mailEnabled": "boolean",
    "securityEnabled": "boolean",
}
_USER_FILTERS = {
    "id": "string",
    "userPrincipalName": "string",
    "displayName": "string",
    "mail": "string",
    "mailNickname": "string",
    "employeeId": "string",
}

# The properties that take `in` without advanced query parameters ("Default" in the tables of
# https://learn.microsoft.com/graph/aad-advanced-queries , groups and users).
_GROUP_IN_FILTERS = ("id", "displayName", "mail", "mailNickname")
_USER_IN_FILTERS = ("id", "displayName", "mail", "mailNickname", "userPrincipalName")


class Principals:
    """Groups and users; routed and authenticated by `Graph`."""

    def __init__(self, base_url: str, tenant: Tenant) -> None:
        self._base_url = base_url
        self._tenant = tenant

    def routes(self) -> list[tuple[str, str, Handler]]:
        routes: list[tuple[str, str, Handler]] = []
        for version in ("v1.0", "beta"):
            routes += [
                ("GET", f"/{version}/groups", self._list_groups),
                ("GET", f"/{version}/groups/{{group}}", self._get_group),
                ("GET", f"/{version}/groups/{{group}}/members", self._members),
                ("GET", f"/{version}/groups/{{group}}/owners", self._owners),
            ]
        routes += [
            ("GET", "/v1.0/groups/{group}/members/microsoft.graph.user", self._user_members),
            ("GET", "/v1.0/users", self._list_users),
            ("GET", "/v1.0/users/{user}", self._get_user),
            ("GET", "/v1.0/users/{user}/manager", self._manager),
        ]
        return routes

    # ----- state access for the Emulator facade (out of band, no HTTP) -----

    def add_group(
        self,
        display_name: str,
        *,
        group_id: str | None = None,
        description: str | None = None,
        mail_nickname: str | None = None,
        mail_enabled: bool = False,
        security_enabled: bool = True,
        members: Iterable[str] = (),
    ) -> str:
        """Create a group (by default a security group) as an admin would; returns its id.
        `members` are object ids of users, groups or service principals already added."""
        object_id = self._new_id(group_id)
        nickname = mail_nickname or _nickname(display_name)
        self._tenant.groups[object_id] = new_group(
            object_id=object_id,
            display_name=display_name,
            description=description,
            mail_nickname=nickname,
            mail_enabled=mail_enabled,
            security_enabled=security_enabled,
            group_types=["Unified"] if mail_enabled and not security_enabled else [],
            mail=f"{nickname}@example.onmicrosoft.com" if mail_enabled else None,
        )
        member_ids = list(members)
        for member in member_ids:
            if self._tenant.principal(member) is None:
                raise ValueError(f"member {member!r} is not a user, group or service principal")
        self._tenant.group_members[object_id] = member_ids
        return object_id

    def add_user(
        self,
        user_principal_name: str,
        display_name: str,
        *,
        user_id: str | None = None,
        mail: str | None = None,
        given_name: str | None = None,
        surname: str | None = None,
        job_title: str | None = None,
        department: str | None = None,
        employee_id: str | None = None,
        account_enabled: bool = True,
        manager_id: str | None = None,
        user_type: str = "Member",
        extension_attributes: dict[str, str | None] | None = None,
    ) -> str:
        """Create a user (a member, or a B2B guest with `user_type` "Guest"); returns its object
        id. `manager_id` names a user added before; `extension_attributes` sets some of
        `extensionAttribute1`-`15`."""
        if user_type not in ("Member", "Guest"):
            raise ValueError("userType is Member or Guest")
        if "@" not in user_principal_name:
            raise ValueError("a user principal name has the form alias@domain")
        if any(
            u["userPrincipalName"].lower() == user_principal_name.lower()
            for u in self._tenant.users.values()
        ):
            raise ValueError(f"user {user_principal_name!r} already exists")
        if manager_id is not None and manager_id not in self._tenant.users:
            raise ValueError(f"manager {manager_id!r} is not a user")
        object_id = self._new_id(user_id)
        self._tenant.users[object_id] = new_user(
            object_id=object_id,
            user_principal_name=user_principal_name,
            display_name=display_name,
            mail=mail,
            mail_nickname=user_principal_name.split("@", 1)[0],
            given_name=given_name,
            surname=surname,
            job_title=job_title,
            department=department,
            employee_id=employee_id,
            account_enabled=account_enabled,
            user_type=user_type,
            extension_attributes=extension_attributes,
        )
        if manager_id is not None:
            self._tenant.managers[object_id] = manager_id
        return object_id

    def add_group_members(self, group_id: str, members: Iterable[str]) -> None:
        """Out of band: an admin added members (users, groups or service principals) to a
        group; one already a member stays once."""
        if group_id not in self._tenant.groups:
            raise KeyError(f"no group {group_id!r}")
        current = self._tenant.group_members.setdefault(group_id, [])
        for member in members:
            if self._tenant.principal(member) is None:
                raise ValueError(f"member {member!r} is not a user, group or service principal")
            if member not in current:
                current.append(member)

    def remove_group_member(self, group_id: str, member_id: str) -> None:
        """Out of band: an admin removed one member from a group."""
        current = self._tenant.group_members.get(group_id, [])
        if member_id not in current:
            raise KeyError(f"{member_id!r} is not a member of {group_id!r}")
        current.remove(member_id)

    def set_user(self, user_id: str, **changes: Any) -> None:
        """Out of band: an admin edited a user's properties (Graph names: department,
        accountEnabled, ...); an unknown property is refused."""
        user = self._tenant.users[user_id]
        for key, value in changes.items():
            if key not in user:
                raise ValueError(f"{key!r} is not a user property")
            user[key] = value

    def _new_id(self, wanted: str | None) -> str:
        object_id = str(uuid.UUID(wanted)) if wanted is not None else str(uuid.uuid4())
        if object_id in self._tenant.ids_in_use():
            raise ValueError(f"object id {object_id!r} is already in use")
        return object_id

    # ----- route handlers -----

    def _list_groups(self, request: Request) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS)
        clauses = conjunction_filter(request, _GROUP_FILTERS, "Group", _GROUP_IN_FILTERS)
        selected = selected_properties(request, _GROUP_PROPERTIES, "group")
        found = [g for g in self._tenant.groups.values() if all(c.matches(g) for c in clauses)]
        return collection(
            request, self._base_url, "groups", found, selected, version=_version(request)
        )

    def _get_group(self, request: Request, group: str) -> Response:
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        selected = selected_properties(request, _GROUP_PROPERTIES, "group")
        item = self._group(request, group)
        return entity(request, self._base_url, "groups", item, selected, version=_version(request))

    def _members(self, request: Request, group: str) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS - {"$filter"})
        self._group(request, group)
        members = []
        for member in self._tenant.group_members.get(group, []):
            found = self._tenant.principal(member)
            if found is not None:
                kind, item = found
                members.append(as_directory_object(kind[0].lower() + kind[1:], item))
        return collection(
            request, self._base_url, "directoryObjects", members, None, version=_version(request)
        )

    def _user_members(self, request: Request, group: str) -> Response:
        """The users among the group's immediate members (nested groups are not expanded, as
        in Graph's /members), with $select, $top, $count and paging; rendered one page at a
        time, so a 50,000-member group costs what one page costs."""
        refuse_unsupported_options(request, COLLECTION_OPTIONS - {"$filter"} | {"$count"})
        self._group(request, group)
        selected = selected_properties(request, _USER_PROPERTIES, "user")
        count = advanced_count(request)
        users = self._tenant.users
        ids = [m for m in self._tenant.group_members.get(group, []) if m in users]
        return collection(
            request,
            self._base_url,
            "users",
            _Rendered(ids, users.__getitem__),
            selected,
            version=_version(request),
            default=_DEFAULT,
            count=count,
        )

    def _owners(self, request: Request, group: str) -> Response:
        """Group owners are not modelled: the groups an admin names here have none."""
        refuse_unsupported_options(request, COLLECTION_OPTIONS - {"$filter"})
        self._group(request, group)
        return collection(
            request, self._base_url, "directoryObjects", [], None, version=_version(request)
        )

    def _list_users(self, request: Request) -> Response:
        """$filter, $select, $top, paging, and $count=true with ConsistencyLevel: eventual."""
        refuse_unsupported_options(request, COLLECTION_OPTIONS | {"$count"})
        clauses = conjunction_filter(request, _USER_FILTERS, "User", _USER_IN_FILTERS)
        selected = selected_properties(request, _USER_PROPERTIES, "user")
        count = advanced_count(request)
        found = [u for u in self._tenant.users.values() if all(c.matches(u) for c in clauses)]
        return collection(
            request, self._base_url, "users", found, selected, default=_DEFAULT, count=count
        )

    def _get_user(self, request: Request, user: str) -> Response:
        """By object id or by user principal name, as Graph allows."""
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        selected = selected_properties(request, _USER_PROPERTIES, "user")
        item = self._user(request, user)
        return entity(request, self._base_url, "users", item, selected, default=_DEFAULT)

    def _manager(self, request: Request, user: str) -> Response:
        found = self._user(request, user)
        manager_id = self._tenant.managers.get(found["id"])
        if manager_id is None or manager_id not in self._tenant.users:
            raise resource_not_found(request, "manager")
        manager = as_directory_object("user", self._tenant.users[manager_id])
        return entity(request, self._base_url, "directoryObjects", manager, None)

    # ----- helpers -----

    def _group(self, request: Request, group: str) -> JsonObject:
        found = self._tenant.groups.get(group) or self._tenant.groups.get(group.lower())
        if found is None:
            raise resource_not_found(request, group)
        return found

    def _user(self, request: Request, user: str) -> JsonObject:
        found = self._tenant.users.get(user) or self._tenant.users.get(user.lower())
        if found is None:
            wanted = user.lower()
            found = next(
                (
                    u
                    for u in self._tenant.users.values()
                    if u["userPrincipalName"].lower() == wanted
                ),
                None,
            )
        if found is None:
            raise resource_not_found(request, user)
        return found


class _Rendered(Sequence[JsonObject]):
    """Object ids rendered to JSON only when a page slices them."""

    def __init__(self, ids: list[str], render: Callable[[str], JsonObject]) -> None:
        self._ids = ids
        self._render = render

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> JsonObject: ...
    @overload
    def __getitem__(self, index: slice) -> list[JsonObject]: ...
    def __getitem__(self, index: int | slice) -> JsonObject | list[JsonObject]:
        if isinstance(index, slice):
            return [self._render(i) for i in self._ids[index]]
        return self._render(self._ids[index])


def _version(request: Request) -> str:
    return request.path.split("/", 2)[1]


def _nickname(display_name: str) -> str:
    """mailNickname defaults to the display name without characters Exchange refuses."""
    kept = "".join(c for c in display_name if c.isascii() and (c.isalnum() or c in "-_."))
    return kept or "group"


_DEFAULT = list(USER_DEFAULT_PROPERTIES)
_GROUP_PROPERTIES = tuple(
    new_group(
        object_id=str(uuid.UUID(int=0)),
        display_name="",
        description=None,
        mail_nickname="",
        mail_enabled=False,
        security_enabled=True,
        group_types=[],
        mail=None,
    )
)
_USER_PROPERTIES = tuple(
    new_user(
        object_id="",
        user_principal_name="",
        display_name="",
        mail=None,
        mail_nickname="",
        given_name=None,
        surname=None,
        job_title=None,
        department=None,
        employee_id=None,
        account_enabled=True,
    )
)
