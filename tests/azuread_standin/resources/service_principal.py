"""`azuread:index/servicePrincipal:ServicePrincipal` (upstream:
`internal/services/serviceprincipals/service_principal_resource.go`).

Wire, in order:
- create: `GET /v1.0/servicePrincipals?$filter=appId eq '{clientId}'`; with exactly one match and
  `useExisting`, the update below on it (id `/servicePrincipals/{objectId}`); one match without
  `useExisting` fails as "already exists";
- update: `PATCH /v1.0/servicePrincipals/{id}` with `@odata.type`, `accountEnabled`,
  `alternativeNames`, `appRoleAssignmentRequired`, `description`, `loginUrl`, `notes`,
  `notificationEmailAddresses`, `preferredSingleSignOnMode`, `samlSingleSignOnSettings` and
  `tags` (unset strings as null; `tags` is the configured list, else the state's, and `[]` on a
  create: a gallery app's `WindowsAzureActiveDirectoryIntegratedApp` tag is removed unless the
  program sets tags or featureTags), then read
  (https://learn.microsoft.com/graph/api/serviceprincipal-update);
- read: `GET /v1.0/servicePrincipals/{id}` (404: gone), then
  `GET /beta/servicePrincipals/{id}?$select=samlMetadataUrl` and
  `GET /v1.0/servicePrincipals/{id}/owners` (all pages);
- delete: `DELETE /v1.0/servicePrincipals/{id}`, sent even with `useExisting` (whose failures are
  then ignored); without `useExisting`, `GET` until it answers 404.
`clientId` forces replacement. Nothing is secret.

Differs from the real provider (stand-in limits, all for things our program does not use):
- no match for `clientId` would make upstream create a service principal
  (`POST /servicePrincipals` with owners, a description patch, removal of the caller as owner);
  the stand-in fails instead;
- `owners` cannot be set (a CheckFailure), and an update that would add or remove owners
  (`.../owners/$ref`) fails with a clear error instead of changing them.
"""

from __future__ import annotations

import contextlib
from typing import Any

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.graph import GraphError, segment
from tests.azuread_standin.resources.base import Resource, State, already_exists
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import (
    each,
    http_url,
    is_uuid,
    length_between,
    not_empty,
    one_of,
)

SERVICE_PRINCIPAL_ODATA_TYPE = "#microsoft.graph.servicePrincipal"

FEATURE_TAGS = (
    ("customSingleSignOn", "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"),
    ("enterprise", "WindowsAzureActiveDirectoryIntegratedApp"),
    ("gallery", "WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1"),
    ("hide", "HideApp"),
)
"""`helpers/applications.ExpandFeatures` / `FlattenFeatures`: feature flag -> tag."""


def _no_owners(name: str, value: Any) -> str | None:
    if value:
        return f'"{name}": managing owners is not implemented by this azuread stand-in'
    return None


def _app_role_fields() -> tuple[Prop, ...]:
    return tuple(
        Prop(name, kind, computed=True)
        for name, kind in (
            ("allowedMemberTypes", "list"),
            ("description", "string"),
            ("displayName", "string"),
            ("enabled", "bool"),
            ("id", "string"),
            ("value", "string"),
        )
    )


def _scope_fields() -> tuple[Prop, ...]:
    return tuple(
        Prop(name, kind, computed=True)
        for name, kind in (
            ("adminConsentDescription", "string"),
            ("adminConsentDisplayName", "string"),
            ("enabled", "bool"),
            ("id", "string"),
            ("type", "string"),
            ("userConsentDescription", "string"),
            ("userConsentDisplayName", "string"),
            ("value", "string"),
        )
    )


class ServicePrincipal(Resource):
    schema = ResourceSchema(
        "azuread:index/servicePrincipal:ServicePrincipal",
        "Manages a service principal associated with an application.",
        (
            Prop("clientId", "string", required=True, force_new=True, validators=(is_uuid,)),
            Prop("accountEnabled", "bool", optional=True, default=True),
            Prop("alternativeNames", "set", optional=True, validators=(each(not_empty),)),
            Prop("appRoleAssignmentRequired", "bool", optional=True),
            Prop("description", "string", optional=True, validators=(length_between(0, 1024),)),
            Prop(
                "featureTags",
                "objects",
                optional=True,
                computed=True,
                conflicts_with=("tags",),
                fields=tuple(Prop(flag, "bool", optional=True) for flag, _ in FEATURE_TAGS),
            ),
            Prop("loginUrl", "string", optional=True, validators=(http_url,)),
            Prop("notes", "string", optional=True, validators=(length_between(0, 1024),)),
            Prop("notificationEmailAddresses", "set", optional=True, validators=(each(not_empty),)),
            Prop("owners", "set", optional=True, validators=(each(is_uuid), _no_owners)),
            Prop(
                "preferredSingleSignOnMode",
                "string",
                optional=True,
                validators=(one_of("", "notSupported", "oidc", "password", "saml"),),
            ),
            Prop(
                "samlSingleSignOn",
                "object",
                optional=True,
                fields=(Prop("relayState", "string", optional=True, validators=(not_empty,)),),
            ),
            Prop("tags", "set", optional=True, computed=True, conflicts_with=("featureTags",)),
            Prop("useExisting", "bool", optional=True),
            Prop("appRoleIds", "map", computed=True),
            Prop("appRoles", "objects", computed=True, fields=_app_role_fields()),
            Prop("applicationTenantId", "string", computed=True),
            Prop("displayName", "string", computed=True),
            Prop("homepageUrl", "string", computed=True),
            Prop("logoutUrl", "string", computed=True),
            Prop("oauth2PermissionScopeIds", "map", computed=True),
            Prop("oauth2PermissionScopes", "objects", computed=True, fields=_scope_fields()),
            Prop("objectId", "string", computed=True),
            Prop("redirectUris", "list", computed=True),
            Prop("samlMetadataUrl", "string", computed=True),
            Prop("servicePrincipalNames", "list", computed=True),
            Prop("signInAudience", "string", computed=True),
            Prop("type", "string", computed=True),
        ),
    )

    def parse_id(self, resource_id: str) -> str:
        return ids.service_principal(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        client_id = inputs["clientId"]
        escaped = client_id.replace("'", "''")
        found = ctx.graph.list("/servicePrincipals", {"$filter": f"appId eq '{escaped}'"})
        if len(found) > 1:
            raise StandinError(
                "Could not list existing service principals: unexpected number of service "
                f"principals returned (expected: 1, received: {len(found)}"
            )
        if not found:
            raise StandinError(
                f"no service principal exists for client id {client_id}; creating one "
                "(POST /servicePrincipals) is not implemented by this azuread stand-in, which "
                "only adopts an existing one (useExisting)"
            )
        object_id = str(found[0].get("id") or "")
        if not object_id:
            raise StandinError("API error: service principal returned with nil or empty object ID")
        resource_id = f"/servicePrincipals/{object_id}"
        if not inputs.get("useExisting"):
            raise already_exists("azuread_service_principal", object_id)
        try:
            state = self._patch_and_read(ctx, resource_id, {}, inputs)
        except GraphError as error:
            raise PartialFailure(
                resource_id, {**inputs, "objectId": object_id}, str(error)
            ) from None
        return resource_id, state

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        if sorted(olds.get("owners") or []) != sorted(news.get("owners") or []):
            raise StandinError(
                f"the owners of {resource_id} would change ({sorted(olds.get('owners') or [])} "
                f"-> {sorted(news.get('owners') or [])}); adding or removing owners "
                "(.../owners/$ref) is not implemented by this azuread stand-in"
            )
        return self._patch_and_read(ctx, resource_id, olds, news)

    def _patch_and_read(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        object_id = self.parse_id(resource_id)
        ctx.graph.request(
            "PATCH", f"/servicePrincipals/{segment(object_id)}", body=patch_body(olds, news)
        )
        state = self.read(ctx, resource_id, {**olds, "useExisting": news.get("useExisting")})
        if state is None:
            raise StandinError(f"Retrieving {resource_id}: the service principal was not found")
        return state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        object_id = self.parse_id(resource_id)
        path = f"/servicePrincipals/{segment(object_id)}"
        sp = ctx.graph.get_if_exists(path)
        if sp is None:
            return None
        beta = ctx.graph.get(path, {"$select": "samlMetadataUrl"}, version="beta")
        owners = ctx.graph.list(f"{path}/owners")
        return {
            **flatten(sp),
            "owners": [str(owner.get("id") or "") for owner in owners],
            "samlMetadataUrl": (beta or {}).get("samlMetadataUrl") or "",
            "useExisting": state.get("useExisting"),
        }

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        object_id = self.parse_id(resource_id)
        path = f"/servicePrincipals/{segment(object_id)}"
        if state.get("useExisting"):
            # Upstream sends the DELETE and ignores its outcome for adopted service principals.
            with contextlib.suppress(GraphError):
                ctx.graph.request("DELETE", path)
            return
        ctx.graph.request("DELETE", path)
        ctx.wait_until(f"deletion of {resource_id}", lambda: ctx.graph.get_if_exists(path) is None)


def patch_body(olds: State, news: State) -> dict[str, Any]:
    """The PATCH upstream's `servicePrincipalResourceUpdate` sends (olds empty on a create)."""
    feature_tags = news.get("featureTags")
    if feature_tags and feature_tags != olds.get("featureTags"):
        tags = expand_features(feature_tags)
    elif news.get("tags") is not None:
        tags = list(news["tags"])
    else:
        tags = list(olds.get("tags") or [])
    saml = news.get("samlSingleSignOn")
    return {
        "@odata.type": SERVICE_PRINCIPAL_ODATA_TYPE,
        "accountEnabled": bool(news.get("accountEnabled", True)),
        "alternativeNames": list(news.get("alternativeNames") or []),
        "appRoleAssignmentRequired": bool(news.get("appRoleAssignmentRequired")),
        "description": news.get("description") or None,
        "loginUrl": news.get("loginUrl") or None,
        "notes": news.get("notes") or None,
        "notificationEmailAddresses": list(news.get("notificationEmailAddresses") or []),
        "preferredSingleSignOnMode": news.get("preferredSingleSignOnMode") or None,
        "samlSingleSignOnSettings": {"relayState": saml.get("relayState") or ""} if saml else {},
        "tags": tags,
    }


def expand_features(feature_tags: list[dict[str, Any]]) -> list[str]:
    flags = feature_tags[0] if feature_tags and isinstance(feature_tags[0], dict) else {}
    return [tag for flag, tag in FEATURE_TAGS if flags.get(flag)]


def flatten_features(tags: list[str]) -> list[dict[str, bool]]:
    lowered = {tag.lower() for tag in tags}
    return [{flag: tag.lower() in lowered for flag, tag in FEATURE_TAGS}]


def flatten_app_roles(roles: list[dict[str, Any]]) -> dict[str, Any]:
    """`appRoleIds` and `appRoles` as upstream sets them from an application's or a service
    principal's appRoles."""
    return {
        "appRoleIds": {r["value"]: r["id"] for r in roles if r.get("value") and r.get("id")},
        "appRoles": [
            {
                "allowedMemberTypes": list(role.get("allowedMemberTypes") or []),
                "description": role.get("description") or "",
                "displayName": role.get("displayName") or "",
                "enabled": bool(role.get("isEnabled")),
                "id": role.get("id") or "",
                "value": role.get("value") or "",
            }
            for role in roles
        ],
    }


def flatten(sp: dict[str, Any]) -> State:
    """A v1.0 servicePrincipal as upstream's read sets the attributes."""
    roles = sp.get("appRoles") or []
    scopes = sp.get("oauth2PermissionScopes") or []
    app_id = str(sp.get("appId") or "")
    saml = sp.get("samlSingleSignOnSettings")
    return {
        "accountEnabled": bool(sp.get("accountEnabled")),
        "alternativeNames": list(sp.get("alternativeNames") or []),
        "appRoleAssignmentRequired": bool(sp.get("appRoleAssignmentRequired")),
        **flatten_app_roles(roles),
        "applicationTenantId": sp.get("appOwnerOrganizationId") or "",
        "clientId": app_id,
        "description": sp.get("description") or "",
        "displayName": sp.get("displayName") or "",
        "featureTags": flatten_features(list(sp.get("tags") or [])),
        "homepageUrl": sp.get("homepage") or "",
        "loginUrl": sp.get("loginUrl") or "",
        "logoutUrl": sp.get("logoutUrl") or "",
        "notes": sp.get("notes") or "",
        "notificationEmailAddresses": list(sp.get("notificationEmailAddresses") or []),
        "oauth2PermissionScopeIds": {
            s["value"]: s["id"] for s in scopes if s.get("value") and s.get("id")
        },
        "oauth2PermissionScopes": [
            {
                "adminConsentDescription": scope.get("adminConsentDescription") or "",
                "adminConsentDisplayName": scope.get("adminConsentDisplayName") or "",
                "enabled": bool(scope.get("isEnabled")),
                "id": scope.get("id") or "",
                "type": scope.get("type") or "",
                "userConsentDescription": scope.get("userConsentDescription") or "",
                "userConsentDisplayName": scope.get("userConsentDisplayName") or "",
                "value": scope.get("value") or "",
            }
            for scope in scopes
        ],
        "objectId": sp.get("id") or "",
        "owners": [],
        "preferredSingleSignOnMode": sp.get("preferredSingleSignOnMode") or "",
        "redirectUris": list(sp.get("replyUrls") or []),
        "samlMetadataUrl": "",
        "samlSingleSignOn": (
            {"relayState": saml.get("relayState") or ""} if isinstance(saml, dict) else None
        ),
        "servicePrincipalNames": [
            name for name in sp.get("servicePrincipalNames") or [] if name.lower() != app_id.lower()
        ],
        "signInAudience": sp.get("signInAudience") or "",
        "tags": list(sp.get("tags") or []),
        "type": sp.get("servicePrincipalType") or "",
    }
