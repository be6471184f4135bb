"""The source side of provisioning: a user's or group's attributes under the names the
synchronization schema uses (`objectId`, `IsSoftDeleted`, `telephoneNumber`, ...), and who is
entitled to the app.

Entitlement follows the portal's Scope setting: with "Sync only assigned users and groups"
(the default, secret `SyncAll` absent or "false") a user is entitled when it is assigned to the
app directly or through a group it is a direct member of, and a group when it is assigned;
with `SyncAll` "true" every user and group is.
"""

from __future__ import annotations

from typing import Any

from .messages import JsonObject
from .store import Tenant

_USER_ALIASES = {
    "objectId": "id",
    "mobile": "mobilePhone",
}
"""Schema attribute names that differ from the Graph property they come from."""


def user_value(tenant: Tenant, user: JsonObject, name: str) -> Any:
    """A user's attribute by its schema name (case-insensitive); None when unset or unknown."""
    lowered = name.lower()
    if lowered == "issoftdeleted":
        return False  # soft-deleted users are not in the emulated directory
    if lowered == "telephonenumber":
        phones = user.get("businessPhones") or []
        return phones[0] if phones else None
    if lowered == "manager":
        return tenant.managers.get(user["id"])
    if lowered.startswith("extensionattribute"):
        extensions = user.get("onPremisesExtensionAttributes") or {}
        return _get(extensions, name)
    return _get(user, _USER_ALIASES.get(name, name))


def group_value(tenant: Tenant, group: JsonObject, name: str) -> Any:
    """A group's attribute by its schema name; `members` lists member object ids."""
    lowered = name.lower()
    if lowered == "issoftdeleted":
        return False
    if lowered == "objectid":
        return group["id"]
    if lowered == "members":
        return list(tenant.group_members.get(group["id"], []))
    return _get(group, name)


def value_of(tenant: Tenant, kind: str, obj: JsonObject, name: str) -> Any:
    return (user_value if kind == "User" else group_value)(tenant, obj, name)


def reportable_identifier(kind: str, obj: JsonObject) -> str:
    """What the logs name an object by: a user's UPN, a group's display name."""
    return str(obj.get("userPrincipalName") if kind == "User" else obj.get("displayName"))


def assigned_principals(tenant: Tenant, sp_id: str) -> set[str]:
    """Object ids assigned to the app (users, groups), lower-cased."""
    return {
        str(a["principalId"]).lower()
        for a in tenant.assignments.get(sp_id, [])
        if a.get("principalType") in ("User", "Group")
    }


def is_entitled(tenant: Tenant, sp_id: str, kind: str, object_id: str, sync_all: bool) -> bool:
    """Whether the app's Users and groups (or Sync all) puts the object in provisioning
    scope."""
    if sync_all:
        return True
    assigned = assigned_principals(tenant, sp_id)
    if object_id.lower() in assigned:
        return True
    if kind != "User":
        return False
    return any(
        group_id.lower() in assigned and object_id in members
        for group_id, members in tenant.group_members.items()
    )


def entitled_objects(tenant: Tenant, sp_id: str, sync_all: bool) -> list[tuple[str, str]]:
    """(kind, object id) of every entitled user, then every entitled group, in directory
    order; users first so that a group's members exist in the target before the group."""
    users = [
        ("User", user_id)
        for user_id in tenant.users
        if is_entitled(tenant, sp_id, "User", user_id, sync_all)
    ]
    groups = [
        ("Group", group_id)
        for group_id in tenant.groups
        if is_entitled(tenant, sp_id, "Group", group_id, sync_all)
    ]
    return users + groups


def find_source(tenant: Tenant, kind: str, object_id: str) -> JsonObject | None:
    objects = tenant.users if kind == "User" else tenant.groups
    return objects.get(object_id) or objects.get(object_id.lower())


def _get(obj: JsonObject, name: str) -> Any:
    if name in obj:
        return obj[name]
    lowered = name.lower()
    return next((value for key, value in obj.items() if key.lower() == lowered), None)
