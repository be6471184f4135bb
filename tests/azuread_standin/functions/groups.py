"""`azuread:index/getGroups:getGroups` (upstream: `internal/services/groups/groups_data_source.go`).

Served for `objectIds` only (with `ignoreMissing`); `displayNames`, `displayNamePrefix` and
`returnAll` answer that the stand-in does not implement them. Wire, as upstream: one
`GET /beta/groups/{id}` per id, in the given order, with no `$select`
(`groupBeta.DefaultGetGroupOperationOptions()`); members and owners are not read (getGroup reads
both). A 404 is skipped with `ignoreMissing`, otherwise the read stops there: "No group found
with object ID: %q". Unless `ignoreMissing`, the number of groups found must be the number
asked for. Every group needs an `id` and a `displayName`. The `id` is `groups#` and the
base64url SHA-1 of the display names joined by `-`.
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

BETA = "beta"
UNSERVED = ("displayNames", "displayNamePrefix", "returnAll")
"""Upstream's other ways to choose groups: not needed by our program, refused by name."""


class GetGroups(Function):
    schema = FunctionSchema(
        "azuread:index/getGroups:getGroups",
        "Looks up groups by object id.",
        args=(
            Prop("displayNamePrefix", "string", optional=True, validators=(not_empty,)),
            Prop("displayNames", "list", optional=True, validators=(each(not_empty),)),
            Prop("ignoreMissing", "bool", optional=True, default=False),
            Prop("mailEnabled", "bool", optional=True),
            Prop("objectIds", "list", optional=True, validators=(each(is_uuid),)),
            Prop("returnAll", "bool", optional=True),
            Prop("securityEnabled", "bool", optional=True),
        ),
        outputs=tuple(
            Prop(name, "string", computed=True)
            for name in (
                "displayNamePrefix",
                "displayNames",
                "id",
                "ignoreMissing",
                "mailEnabled",
                "objectIds",
                "returnAll",
                "securityEnabled",
            )
        ),
        exactly_one_of=("displayNames", "displayNamePrefix", "objectIds", "returnAll"),
    )

    def check(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures = super().check(args)
        # Upstream's ConflictsWith: mail_enabled and security_enabled with object_ids,
        # ignore_missing with return_all.
        for name, other in (
            ("mailEnabled", "objectIds"),
            ("securityEnabled", "objectIds"),
            ("ignoreMissing", "returnAll"),
        ):
            if args.get(name) is not None and args.get(other) is not None:
                failures.append((name, f'"{name}": conflicts with {other}'))
        return failures

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        for name in UNSERVED:
            if args.get(name) not in (None, "", False):
                raise StandinError(
                    f"getGroups with `{name}` is not implemented by the stand-in (it serves "
                    "`objectIds` only)"
                )
        ignore_missing = bool(args.get("ignoreMissing"))
        object_ids = [str(value) for value in args.get("objectIds") or []]
        groups: list[dict[str, Any]] = []
        for object_id in object_ids:
            group = ctx.graph.get_if_exists(f"/groups/{segment(object_id)}", version=BETA)
            if group is None:
                if ignore_missing:
                    continue
                raise StandinError(f"No group found with object ID: {go_quote(object_id)}")
            groups.append(group)
        if not ignore_missing and len(groups) != len(object_ids):
            raise StandinError(
                "Unexpected number of groups returned: expected: "
                f"{len(object_ids)}, actual: {len(groups)}"
            )
        found_ids: list[str] = []
        names: list[str] = []
        for group in groups:
            if not group.get("id"):
                raise StandinError("Bad API response: group ID was nil")
            if group.get("displayName") is None:
                raise StandinError("Bad API response: displayName was nil")
            found_ids.append(str(group["id"]))
            names.append(str(group["displayName"]))
        # Upstream: the SHA-1 of the display names, base64url.
        digest = hashlib.sha1("-".join(names).encode()).digest()
        return {
            "displayNamePrefix": "",
            "displayNames": names,
            "id": "groups#" + base64.urlsafe_b64encode(digest).decode(),
            "ignoreMissing": ignore_missing,
            "mailEnabled": args.get("mailEnabled"),
            "objectIds": found_ids,
            "returnAll": args.get("returnAll"),
            "securityEnabled": args.get("securityEnabled"),
        }
