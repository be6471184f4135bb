"""`azuread:index/getUsers:getUsers` (upstream: `internal/services/users/users_data_source.go`).

Served for `objectIds` only (with `ignoreMissing`); `userPrincipalNames`, `mailNicknames`,
`mails`, `employeeIds` and `returnAll` answer that the stand-in does not implement them. Wire,
as upstream: one `GET /v1.0/users/{id}?$select=…` per id (upstream's `fieldsToSelect`), in the
given order; no manager read (getUser reads it). A 404 is skipped with `ignoreMissing`,
otherwise the read stops there: "User not found with object ID: %q". Unless `ignoreMissing`,
at least as many users as ids must be found. Every user needs an `id` and a
`userPrincipalName`. The `id` is `users#` and the base64url SHA-1 of the UPNs joined by `/`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.functions.base import Function, FunctionSchema, go_quote
from tests.azuread_standin.graph import segment
from tests.azuread_standin.schema import Prop
from tests.azuread_standin.validation import each, is_uuid, not_empty

SELECT = (
    "accountEnabled,displayName,employeeId,id,mail,mailNickname,onPremisesImmutableId,"
    "onPremisesSamAccountName,onPremisesUserPrincipalName,usageLocation,userPrincipalName,"
    "userType"
)
"""Upstream's `fieldsToSelect`, in its order."""
UNSERVED = ("userPrincipalNames", "mailNicknames", "mails", "employeeIds", "returnAll")
"""Upstream's other ways to choose users: not needed by our program, refused by name."""
_USER_STRINGS = {
    "displayName": "displayName",
    "employeeId": "employeeId",
    "mail": "mail",
    "mailNickname": "mailNickname",
    "onpremisesImmutableId": "onPremisesImmutableId",
    "onpremisesSamAccountName": "onPremisesSamAccountName",
    "onpremisesUserPrincipalName": "onPremisesUserPrincipalName",
    "usageLocation": "usageLocation",
    "userPrincipalName": "userPrincipalName",
}
"""A `users` block's string attribute -> v1.0 user property."""
_LISTED = (("employeeIds", "employeeId"), ("mailNicknames", "mailNickname"), ("mails", "mail"))
"""Output list -> user property: upstream appends a user's value when the reply has the key
(a nullable field is nil only when absent), its zero value "" when null."""


class GetUsers(Function):
    schema = FunctionSchema(
        "azuread:index/getUsers:getUsers",
        "Looks up users by object id.",
        args=(
            Prop("employeeIds", "list", optional=True, validators=(each(not_empty),)),
            Prop("ignoreMissing", "bool", optional=True, default=False),
            Prop("mailNicknames", "list", optional=True, validators=(each(not_empty),)),
            Prop("mails", "list", optional=True, validators=(each(not_empty),)),
            Prop("objectIds", "list", optional=True, validators=(each(is_uuid),)),
            Prop("returnAll", "bool", optional=True, default=False),
            Prop("userPrincipalNames", "list", optional=True, validators=(each(not_empty),)),
        ),
        outputs=tuple(
            Prop(name, "string", computed=True)
            for name in (
                "employeeIds",
                "id",
                "ignoreMissing",
                "mailNicknames",
                "mails",
                "objectIds",
                "returnAll",
                "userPrincipalNames",
                "users",
            )
        ),
        exactly_one_of=(
            "objectIds",
            "userPrincipalNames",
            "mailNicknames",
            "mails",
            "employeeIds",
            "returnAll",
        ),
    )

    def check(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures = super().check(args)
        if args.get("ignoreMissing") and args.get("returnAll"):  # upstream's ConflictsWith
            failures.append(("ignoreMissing", '"ignoreMissing": conflicts with returnAll'))
        return failures

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        for name in UNSERVED:
            if args.get(name) not in (None, False):
                raise StandinError(
                    f"getUsers with `{name}` is not implemented by the stand-in (it serves "
                    "`objectIds` only)"
                )
        ignore_missing = bool(args.get("ignoreMissing"))
        object_ids = [str(value) for value in args.get("objectIds") or []]
        users: list[dict[str, Any]] = []
        for object_id in object_ids:
            user = ctx.graph.get_if_exists(f"/users/{segment(object_id)}", {"$select": SELECT})
            if user is None:
                if ignore_missing:
                    continue
                raise StandinError(f"User not found with object ID: {go_quote(object_id)}")
            users.append(user)
        if not ignore_missing and len(users) < len(object_ids):
            raise StandinError(
                "Unexpected number of users returned: expected at least: "
                f"{len(object_ids)}, actual: {len(users)}"
            )
        result: dict[str, Any] = {
            "employeeIds": [],
            "ignoreMissing": ignore_missing,
            "mailNicknames": [],
            "mails": [],
            "objectIds": [],
            "returnAll": bool(args.get("returnAll")),
            "userPrincipalNames": [],
            "users": [],
        }
        for user in users:
            if not user.get("id") or user.get("userPrincipalName") is None:
                raise StandinError(
                    "Bad API Response: API returned user with nil object ID or userPrincipalName"
                )
            result["objectIds"].append(str(user["id"]))
            result["userPrincipalNames"].append(str(user["userPrincipalName"]))
            for output, graph_name in _LISTED:
                if graph_name in user:
                    result[output].append(user.get(graph_name) or "")
            result["users"].append(
                {
                    "accountEnabled": bool(user.get("accountEnabled")),
                    **{name: user.get(g) or "" for name, g in _USER_STRINGS.items()},
                    "objectId": str(user["id"]),
                }
            )
        # Upstream: the SHA-1 of the UPNs, base64url.
        digest = hashlib.sha1("/".join(result["userPrincipalNames"]).encode()).digest()
        result["id"] = "users#" + base64.urlsafe_b64encode(digest).decode()
        return result
