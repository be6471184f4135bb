"""`azuread:index/getGroup:getGroup` (upstream: `internal/services/groups/group_data_source.go`).

Upstream reads groups on the beta endpoint (https://learn.microsoft.com/graph/api/group-list).
Wire, in order: with `displayName`, `GET /beta/groups?$filter=displayName eq '…'` (plus
` and mailEnabled eq …` / ` and securityEnabled eq …` when given); with `mailNickname` the same
on `mailNickname`; with `objectId`, `GET /beta/groups/{id}` (then `mailEnabled` /
`securityEnabled` must match). Exactly one group must match. For a Microsoft 365 group
(`groupTypes` has `Unified`), `GET /beta/groups/{id}?$select=allowExternalSenders,`
`autoSubscribeNewMembers,hideFromAddressLists,hideFromOutlookClients` (404 tolerated). Then
`GET /beta/groups/{id}/members` (or `/transitiveMembers` with `includeTransitiveMembers`) and
`GET /beta/groups/{id}/owners`, all pages. The `id` is `/groups/{objectId}`.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.functions.base import Function, FunctionSchema
from tests.azuread_standin.graph import segment
from tests.azuread_standin.schema import Prop
from tests.azuread_standin.validation import is_uuid, not_empty

BETA = "beta"
UNIFIED_SELECT = (
    "allowExternalSenders,autoSubscribeNewMembers,hideFromAddressLists,hideFromOutlookClients"
)

_OUTPUTS = [
    "assignableToRole",
    "autoSubscribeNewMembers",
    "behaviors",
    "description",
    "displayName",
    "dynamicMemberships",
    "externalSendersAllowed",
    "hideFromAddressLists",
    "hideFromOutlookClients",
    "id",
    "includeTransitiveMembers",
    "mail",
    "mailEnabled",
    "mailNickname",
    "members",
    "objectId",
    "onpremisesDomainName",
    "onpremisesGroupType",
    "onpremisesNetbiosName",
    "onpremisesSamAccountName",
    "onpremisesSecurityIdentifier",
    "onpremisesSyncEnabled",
    "owners",
    "preferredLanguage",
    "provisioningOptions",
    "proxyAddresses",
    "securityEnabled",
    "theme",
    "types",
    "visibility",
    "writebackEnabled",
]


class GetGroup(Function):
    schema = FunctionSchema(
        "azuread:index/getGroup:getGroup",
        "Looks up a group.",
        args=(
            Prop("displayName", "string", optional=True, validators=(not_empty,)),
            Prop("includeTransitiveMembers", "bool", optional=True),
            Prop("mailEnabled", "bool", optional=True),
            Prop("mailNickname", "string", optional=True, validators=(not_empty,)),
            Prop("objectId", "string", optional=True, validators=(is_uuid,)),
            Prop("securityEnabled", "bool", optional=True),
        ),
        outputs=tuple(Prop(name, "string", computed=True) for name in _OUTPUTS),
        exactly_one_of=("displayName", "mailNickname", "objectId"),
    )

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        mail_enabled = args.get("mailEnabled")
        security_enabled = args.get("securityEnabled")
        if args.get("displayName") or args.get("mailNickname"):
            field = "displayName" if args.get("displayName") else "mailNickname"
            query = f"{field} eq '{args[field]}'"
            if mail_enabled is not None:
                query += f" and mailEnabled eq {str(bool(mail_enabled)).lower()}"
            if security_enabled is not None:
                query += f" and securityEnabled eq {str(bool(security_enabled)).lower()}"
            found = ctx.graph.list("/groups", {"$filter": query}, version=BETA)
            if len(found) > 1:
                raise StandinError(f"More than one group found matching specified filter ({query})")
            if not found:
                raise StandinError(f"No group found matching specified filter ({query})")
            group = found[0]
        else:
            object_id = str(args["objectId"])
            group = ctx.graph.get_if_exists(f"/groups/{segment(object_id)}", version=BETA)
            if group is None:
                raise StandinError(f"No group found with object ID: {object_id!r}")
            for name, wanted in (
                ("mailEnabled", mail_enabled),
                ("securityEnabled", security_enabled),
            ):
                if wanted is not None and bool(group.get(name)) != bool(wanted):
                    raise StandinError(
                        f"Group with object ID {object_id!r} does not have the specified "
                        f"{name} setting (expected: {str(bool(wanted)).lower()}, actual: "
                        f"{str(group.get(name)).lower()})"
                    )
        if not group.get("id"):
            raise StandinError("Bad API Response: API returned group with nil object ID")
        path = f"/groups/{segment(str(group['id']))}"
        extra: dict[str, Any] = {}
        if "Unified" in (group.get("groupTypes") or []):
            extra = ctx.graph.get_if_exists(path, {"$select": UNIFIED_SELECT}, version=BETA) or {}
        transitive = bool(args.get("includeTransitiveMembers"))
        members = ctx.graph.list(
            f"{path}/{'transitiveMembers' if transitive else 'members'}", version=BETA
        )
        owners = ctx.graph.list(f"{path}/owners", version=BETA)
        return {
            **flatten_group(group, transitive),
            "autoSubscribeNewMembers": bool(extra.get("autoSubscribeNewMembers")),
            "externalSendersAllowed": bool(extra.get("allowExternalSenders")),
            "hideFromAddressLists": bool(extra.get("hideFromAddressLists")),
            "hideFromOutlookClients": bool(extra.get("hideFromOutlookClients")),
            "members": [str(item.get("id") or "") for item in members],
            "owners": [str(item.get("id") or "") for item in owners],
        }


def flatten_group(group: dict[str, Any], include_transitive_members: bool) -> dict[str, Any]:
    """A beta group as upstream's data source sets the attributes it reads from the group."""
    writeback = group.get("writebackConfiguration")
    writeback = writeback if isinstance(writeback, dict) else {}
    return {
        "assignableToRole": bool(group.get("isAssignableToRole")),
        "autoSubscribeNewMembers": False,
        "behaviors": list(group.get("resourceBehaviorOptions") or []),
        "description": group.get("description") or "",
        "displayName": group.get("displayName") or "",
        "dynamicMemberships": dynamic_memberships(group),
        "externalSendersAllowed": False,
        "hideFromAddressLists": False,
        "hideFromOutlookClients": False,
        "id": f"/groups/{group['id']}",
        "includeTransitiveMembers": include_transitive_members,
        "mail": group.get("mail") or "",
        "mailEnabled": bool(group.get("mailEnabled")),
        "mailNickname": group.get("mailNickname") or "",
        "members": [],
        "objectId": group["id"],
        "onpremisesDomainName": group.get("onPremisesDomainName") or "",
        "onpremisesGroupType": writeback.get("onPremisesGroupType") or "",
        "onpremisesNetbiosName": group.get("onPremisesNetBiosName") or "",
        "onpremisesSamAccountName": group.get("onPremisesSamAccountName") or "",
        "onpremisesSecurityIdentifier": group.get("onPremisesSecurityIdentifier") or "",
        "onpremisesSyncEnabled": bool(group.get("onPremisesSyncEnabled")),
        "owners": [],
        "preferredLanguage": group.get("preferredLanguage") or "",
        "provisioningOptions": list(group.get("resourceProvisioningOptions") or []),
        "proxyAddresses": list(group.get("proxyAddresses") or []),
        "securityEnabled": bool(group.get("securityEnabled")),
        "theme": group.get("theme") or "",
        "types": list(group.get("groupTypes") or []),
        "visibility": group.get("visibility") or "",
        "writebackEnabled": bool(writeback.get("isEnabled")),
    }


def dynamic_memberships(group: dict[str, Any]) -> list[dict[str, Any]]:
    """Upstream sets one block whenever the reply has a `membershipRule` key, even `null`: the
    model's `nullable.Type[string]` is a map that is nil only when the key is absent
    (go-azure-sdk `sdk/nullable/nullable.go` `UnmarshalJSON` -> `SetNull`), and
    `group_data_source.go` tests `foundGroup.MembershipRule != nil`. Graph's beta group lists
    `membershipRule: null` for a static group, so a static group reads as
    `[{enabled: true, rule: ""}]`; `enabled` is false only when the processing state is
    `Paused`."""
    if "membershipRule" not in group:
        return []
    return [
        {
            "enabled": group.get("membershipRuleProcessingState") != "Paused",
            "rule": group.get("membershipRule") or "",
        }
    ]
