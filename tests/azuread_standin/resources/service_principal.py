"""`azuread:index/servicePrincipal:ServicePrincipal` (upstream:
`internal/services/serviceprincipals/service_principal_resource.go`).

Wire, in order:
- create: `GET /v1.0/servicePrincipals?$filter=appId eq '{clientId}'`; with exactly one match and
  `useExisting`, the update below on it (id `/servicePrincipals/{objectId}`), which upstream
  runs with the create's data, so owners are changed only when `owners` is set; one match without
  `useExisting` fails as "already exists";
- update: `PATCH /v1.0/servicePrincipals/{id}` with `@odata.type`, `accountEnabled`,
  `alternativeNames`, `appRoleAssignmentRequired`, `description`, `loginUrl`, `notes`,
  `notificationEmailAddresses`, `preferredSingleSignOnMode`, `samlSingleSignOnSettings` and
  `tags` (unset strings as null; see `patch_body` for `tags`)
  (https://learn.microsoft.com/graph/api/serviceprincipal-update); then, when `owners` differs
  from the state (on a create: when it is set), `GET .../owners` (all pages), `POST
  .../owners/$ref` `{"@odata.id": "{graph}/v1.0/directoryObjects/{id}"}` for each declared owner
  not listed, and `DELETE .../owners/{id}/$ref` for each listed owner not declared (an owner
  added in the portal and brought into the state by a refresh is removed when the program
  declares none); then read;
- read: `GET /v1.0/servicePrincipals/{id}` (404: gone), then
  `GET /beta/servicePrincipals/{id}?$select=samlMetadataUrl` and
  `GET /v1.0/servicePrincipals/{id}/owners` (all pages; `owners` is what Graph lists);
- delete: `DELETE /v1.0/servicePrincipals/{id}`, sent even with `useExisting` (whose failures are
  then ignored); without `useExisting`, `GET` until it answers 404.
`clientId` forces replacement. Nothing is secret. `owners` is optional and not computed, so an
owner that is listed but not declared is a diff. `tags`, `featureTags` and the deprecated
`features` are optional and computed, and conflict with each other; a read sets all three from
Graph's `tags` (`helpers/applications.FlattenFeatures`).

Differs from the real provider (stand-in limits, for things our program does not use): no match
for `clientId` would make upstream create a service principal (`POST /servicePrincipals` with
the caller and up to 19 owners bound, a description patch, more owners, removal of the caller as
owner); the stand-in fails instead.
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

DEPRECATED_FEATURES = (
    ("customSingleSignOnApp", "WindowsAzureActiveDirectoryCustomSingleSignOnApplication", True),
    ("enterpriseApplication", "WindowsAzureActiveDirectoryIntegratedApp", True),
    ("galleryApplication", "WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1", True),
    ("visibleToUsers", "HideApp", False),
)
"""The deprecated `features` block (still in v3.9.0): flag, tag, and whether the flag being
true (rather than false: `visibleToUsers`, default true) means the tag is there."""


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
                conflicts_with=("features", "tags"),
                fields=tuple(Prop(flag, "bool", optional=True) for flag, _ in FEATURE_TAGS),
            ),
            Prop(
                "features",
                "objects",
                optional=True,
                computed=True,
                conflicts_with=("featureTags", "tags"),
                fields=tuple(
                    Prop(flag, "bool", optional=True, default=None if present else True)
                    for flag, _, present in DEPRECATED_FEATURES
                ),
                description="Deprecated: renamed to featureTags.",
            ),
            Prop("loginUrl", "string", optional=True, validators=(http_url,)),
            Prop("notes", "string", optional=True, validators=(length_between(0, 1024),)),
            Prop("notificationEmailAddresses", "set", optional=True, validators=(each(not_empty),)),
            Prop("owners", "set", optional=True, validators=(each(is_uuid),)),
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
            Prop(
                "tags",
                "set",
                optional=True,
                computed=True,
                conflicts_with=("features", "featureTags"),
            ),
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
            state = self._update(ctx, resource_id, {}, inputs)
        except GraphError as error:
            raise PartialFailure(
                resource_id, {**inputs, "objectId": object_id}, str(error)
            ) from None
        return resource_id, state

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        return self._update(ctx, resource_id, olds, news)

    def _update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        """Upstream `servicePrincipalResourceUpdate` (olds empty when a create adopts)."""
        object_id = self.parse_id(resource_id)
        path = f"/servicePrincipals/{segment(object_id)}"
        ctx.graph.request("PATCH", path, body=patch_body(olds, news))
        declared = list(news.get("owners") or [])
        if set(declared) != set(olds.get("owners") or []):  # d.HasChange("owners")
            self._set_owners(ctx, path, declared)
        state = self.read(ctx, resource_id, {**olds, "useExisting": news.get("useExisting")})
        if state is None:
            raise StandinError(f"Retrieving {resource_id}: the service principal was not found")
        return state

    def _set_owners(self, ctx: Context, path: str, declared: list[str]) -> None:
        """Owners listed by Graph, not the state, are compared with the declared ones
        (`tf.Difference`, exact strings); additions first, then removals, as upstream."""
        listed = [str(owner.get("id") or "") for owner in ctx.graph.list(f"{path}/owners")]
        for owner_id in [o for o in declared if o not in listed]:
            ctx.graph.request(
                "POST", f"{path}/owners/$ref", body={"@odata.id": owner_reference(ctx, owner_id)}
            )
        for owner_id in [o for o in listed if o not in declared]:
            ctx.graph.request("DELETE", f"{path}/owners/{segment(owner_id)}/$ref", ok=(200, 204))

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


def owner_reference(ctx: Context, object_id: str) -> str:
    """`client.Client.BaseUri + stable.NewDirectoryObjectID(id).ID()`: the v1.0 base URL of the
    configured Graph endpoint (go-azure-sdk `msgraph.NewClient`) and `/directoryObjects/{id}`."""
    return f"{ctx.graph.endpoint}/v1.0/directoryObjects/{object_id}"


def patch_body(olds: State, news: State) -> dict[str, Any]:
    """The PATCH upstream's `servicePrincipalResourceUpdate` sends (olds empty on a create)."""
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
        "tags": patch_tags(olds, news),
    }


def patch_tags(olds: State, news: State) -> list[str]:
    """Upstream's update: the tags `featureTags` expands to when it is set and changed (on a
    create: set), else those of the deprecated `features` likewise, else `tags`: the
    configured set, or, when unset (it is computed), the state's, which on a create is empty.
    So adopting a gallery app drops its `WindowsAzureActiveDirectoryIntegratedApp` tag unless
    the program declares tags or featureTags."""
    for name, flags in (("featureTags", FEATURE_TAGS), ("features", DEPRECATED_FEATURES)):
        block = news.get(name)
        if block and _feature_flags(block, flags) != _feature_flags(olds.get(name), flags):
            return expand_features(block)
    if news.get("tags") is not None:
        return list(news["tags"])
    return list(olds.get("tags") or [])


def _feature_flags(block: Any, flags: tuple[tuple[Any, ...], ...]) -> dict[str, bool] | None:
    """A feature block as Terraform compares it: unset flags read as their default."""
    if not block or not isinstance(block[0], dict):
        return None
    first = block[0]
    defaults = {flag[0]: (len(flag) == 3 and not flag[2]) for flag in flags}
    return {name: bool(first.get(name, default)) for name, default in defaults.items()}


def expand_features(feature_tags: list[dict[str, Any]]) -> list[str]:
    """`applications.ExpandFeatures`, which reads either block's flag names."""
    flags = feature_tags[0] if feature_tags and isinstance(feature_tags[0], dict) else {}
    tags = []
    for (flag, tag), (old_flag, _, present) in zip(FEATURE_TAGS, DEPRECATED_FEATURES, strict=True):
        old = flags.get(old_flag)
        if flags.get(flag) or (old is not None and bool(old) == present):
            tags.append(tag)
    return tags


def flatten_features(tags: list[str]) -> list[dict[str, bool]]:
    lowered = {tag.lower() for tag in tags}
    return [{flag: tag.lower() in lowered for flag, tag in FEATURE_TAGS}]


def flatten_deprecated_features(tags: list[str]) -> list[dict[str, bool]]:
    """`FlattenFeatures(tags, deprecated=true)`: `visibleToUsers` true unless `HideApp`."""
    lowered = {tag.lower() for tag in tags}
    return [
        {flag: (tag.lower() in lowered) == present for flag, tag, present in DEPRECATED_FEATURES}
    ]


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
        "features": flatten_deprecated_features(list(sp.get("tags") or [])),
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
