"""`azuread:index/getUser:getUser` (upstream: `internal/services/users/user_data_source.go`).

Wire, in order: with `userPrincipalName` (or `mail`, `mailNickname`, `employeeId`),
`GET /v1.0/users?$filter=userPrincipalName eq '…'` (quotes doubled), which must find exactly
one user; with `objectId`, `GET /v1.0/users/{id}`. Then, as upstream, the user again with an
explicit `$select` of the attributes it sets (`GET /v1.0/users/{id}?$select=…`), and
`GET /v1.0/users/{id}/manager` (404: no manager)
(https://learn.microsoft.com/graph/api/user-get, https://learn.microsoft.com/graph/api/user-list-manager).
The `id` is `/users/{objectId}`.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.functions.base import Function, FunctionSchema, escape
from tests.azuread_standin.graph import segment
from tests.azuread_standin.schema import Prop
from tests.azuread_standin.validation import is_uuid, not_empty

SELECT = (
    "accountEnabled,ageGroup,businessPhones,city,companyName,consentProvidedForMinor,country,"
    "creationType,department,displayName,employeeHireDate,employeeId,employeeOrgData,"
    "employeeType,externalUserState,faxNumber,givenName,id,imAddresses,jobTitle,mail,"
    "mailNickname,mobilePhone,officeLocation,onPremisesDistinguishedName,onPremisesDomainName,"
    "onPremisesImmutableId,onPremisesSamAccountName,onPremisesSecurityIdentifier,"
    "onPremisesSyncEnabled,onPremisesUserPrincipalName,otherMails,postalCode,preferredLanguage,"
    "proxyAddresses,showInAddressList,state,streetAddress,surname,usageLocation,"
    "userPrincipalName,userType"
)
"""Upstream's `$select`, in its order."""

_LOOKUPS = (
    ("userPrincipalName", "userPrincipalName", "UPN"),
    ("mail", "mail", "mail"),
    ("mailNickname", "mailNickname", "email alias"),
    ("employeeId", "employeeId", "employee ID"),
)
_STRINGS = {
    "ageGroup": "ageGroup",
    "city": "city",
    "companyName": "companyName",
    "consentProvidedForMinor": "consentProvidedForMinor",
    "country": "country",
    "creationType": "creationType",
    "department": "department",
    "displayName": "displayName",
    "employeeHireDate": "employeeHireDate",
    "employeeId": "employeeId",
    "employeeType": "employeeType",
    "externalUserState": "externalUserState",
    "faxNumber": "faxNumber",
    "givenName": "givenName",
    "jobTitle": "jobTitle",
    "mail": "mail",
    "mailNickname": "mailNickname",
    "mobilePhone": "mobilePhone",
    "officeLocation": "officeLocation",
    "onpremisesDistinguishedName": "onPremisesDistinguishedName",
    "onpremisesDomainName": "onPremisesDomainName",
    "onpremisesImmutableId": "onPremisesImmutableId",
    "onpremisesSamAccountName": "onPremisesSamAccountName",
    "onpremisesSecurityIdentifier": "onPremisesSecurityIdentifier",
    "onpremisesUserPrincipalName": "onPremisesUserPrincipalName",
    "postalCode": "postalCode",
    "preferredLanguage": "preferredLanguage",
    "state": "state",
    "streetAddress": "streetAddress",
    "surname": "surname",
    "usageLocation": "usageLocation",
    "userPrincipalName": "userPrincipalName",
    "userType": "userType",
}
"""Output attribute -> v1.0 user property, for the plain strings."""
_LISTS = {
    "businessPhones": "businessPhones",
    "imAddresses": "imAddresses",
    "otherMails": "otherMails",
    "proxyAddresses": "proxyAddresses",
}
_BOOLS = {
    "accountEnabled": "accountEnabled",
    "onpremisesSyncEnabled": "onPremisesSyncEnabled",
    "showInAddressList": "showInAddressList",
}


class GetUser(Function):
    schema = FunctionSchema(
        "azuread:index/getUser:getUser",
        "Looks up a user.",
        args=(
            Prop("employeeId", "string", optional=True, validators=(not_empty,)),
            Prop("mail", "string", optional=True, validators=(not_empty,)),
            Prop("mailNickname", "string", optional=True, validators=(not_empty,)),
            Prop("objectId", "string", optional=True, validators=(is_uuid,)),
            Prop("userPrincipalName", "string", optional=True, validators=(not_empty,)),
        ),
        outputs=tuple(
            Prop(name, "string", computed=True)
            for name in [
                *_STRINGS,
                *_LISTS,
                *_BOOLS,
                "costCenter",
                "division",
                "id",
                "managerId",
                "objectId",
            ]
        ),
        exactly_one_of=("employeeId", "mail", "mailNickname", "objectId", "userPrincipalName"),
    )

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        object_id = self._find(ctx, args)
        path = f"/users/{segment(object_id)}"
        user = ctx.graph.get(path, {"$select": SELECT})
        manager = ctx.graph.get_if_exists(f"{path}/manager")
        org = user.get("employeeOrgData") if isinstance(user.get("employeeOrgData"), dict) else {}
        result: dict[str, Any] = {
            name: user.get(graph_name) or "" for name, graph_name in _STRINGS.items()
        }
        result.update({name: list(user.get(g) or []) for name, g in _LISTS.items()})
        result.update({name: bool(user.get(g)) for name, g in _BOOLS.items()})
        result.update(
            {
                "costCenter": org.get("costCenter") or "",
                "division": org.get("division") or "",
                "id": f"/users/{object_id}",
                "managerId": (manager or {}).get("id") or "",
                "objectId": object_id,
            }
        )
        return result

    @staticmethod
    def _find(ctx: Context, args: dict[str, Any]) -> str:
        if args.get("objectId"):
            object_id = str(args["objectId"])
            user = ctx.graph.get_if_exists(f"/users/{segment(object_id)}")
            if user is None:
                raise StandinError(f"User not found with object ID: {object_id!r}")
            return str(user.get("id") or object_id)
        for arg, graph_name, label in _LOOKUPS:
            if args.get(arg):
                value = str(args[arg])
                found = ctx.graph.list("/users", {"$filter": f"{graph_name} eq '{escape(value)}'"})
                if len(found) > 1:
                    raise StandinError(f"More than one user found with {label}: {value!r}")
                if not found:
                    raise StandinError(f"User with {label} {value!r} was not found")
                if not found[0].get("id"):
                    raise StandinError("Bad API Response: API returned user with nil object ID")
                return str(found[0]["id"])
        raise StandinError(
            "One of `object_id`, `user_principal_name`, `mail_nickname` or `employee_id` must "
            "be supplied"
        )
