"""`azuread:index/getApplication:getApplication` (upstream:
`internal/services/applications/application_data_source.go`).

Wire: with `objectId`, `GET /v1.0/applications/{id}`; else `GET /v1.0/applications?$filter=`
`appId eq '…'` (clientId), `displayName eq '…'` or `identifierUris/any(uri:uri eq '…')`, which
must find exactly one (https://learn.microsoft.com/graph/api/application-list). The attributes
are flattened as upstream does; then `GET /beta/applications/{id}?$select=`
`oauth2RequirePostResponse` (v1.0 does not return it) and `GET /v1.0/applications/{id}/owners`.
The `id` is `/applications/{objectId}`.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.functions.base import Function, FunctionSchema
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.service_principal import flatten_app_roles, flatten_features
from tests.azuread_standin.schema import Prop
from tests.azuread_standin.validation import is_uuid, not_empty

_OUTPUTS = [
    "apis",
    "appRoleIds",
    "appRoles",
    "clientId",
    "description",
    "deviceOnlyAuthEnabled",
    "disabledByMicrosoft",
    "displayName",
    "fallbackPublicClientEnabled",
    "featureTags",
    "groupMembershipClaims",
    "id",
    "identifierUri",
    "identifierUris",
    "logoUrl",
    "marketingUrl",
    "notes",
    "oauth2PermissionScopeIds",
    "oauth2PostResponseRequired",
    "objectId",
    "optionalClaims",
    "owners",
    "privacyStatementUrl",
    "publicClients",
    "publisherDomain",
    "requiredResourceAccesses",
    "serviceManagementReference",
    "signInAudience",
    "singlePageApplications",
    "supportUrl",
    "tags",
    "termsOfServiceUrl",
    "webs",
]


class GetApplication(Function):
    schema = FunctionSchema(
        "azuread:index/getApplication:getApplication",
        "Looks up an application registration.",
        args=(
            Prop("clientId", "string", optional=True, validators=(is_uuid,)),
            Prop("displayName", "string", optional=True, validators=(not_empty,)),
            Prop("identifierUri", "string", optional=True, validators=(not_empty,)),
            Prop("objectId", "string", optional=True, validators=(is_uuid,)),
        ),
        outputs=tuple(Prop(name, "string", computed=True) for name in _OUTPUTS),
        exactly_one_of=("clientId", "displayName", "identifierUri", "objectId"),
    )

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        object_id = args.get("objectId")
        if object_id:
            app = ctx.graph.get_if_exists(f"/applications/{segment(object_id)}")
            if app is None:
                raise StandinError(f"Application with object ID {object_id!r} was not found")
        else:
            app = self._find(ctx, args)
        if not app.get("id"):
            raise StandinError("Bad API Response: nil object ID returned for application")
        path = f"/applications/{segment(str(app['id']))}"
        beta = ctx.graph.get(path, {"$select": "oauth2RequirePostResponse"}, version="beta")
        owners = ctx.graph.list(f"{path}/owners")
        return {
            **flatten_application(app),
            "identifierUri": args.get("identifierUri") or "",
            "oauth2PostResponseRequired": bool((beta or {}).get("oauth2RequirePostResponse")),
            "owners": [str(owner.get("id") or "") for owner in owners],
        }

    @staticmethod
    def _find(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        # Upstream puts these values into the filter without escaping quotes; so does the stand-in.
        if args.get("clientId"):
            field, value = "appId", str(args["clientId"])
            query = f"appId eq '{value}'"
        elif args.get("displayName"):
            field, value = "displayName", str(args["displayName"])
            query = f"displayName eq '{value}'"
        else:
            field, value = "identifierUri", str(args["identifierUri"])
            query = f"identifierUris/any(uri:uri eq '{value}')"
        found = ctx.graph.list("/applications", {"$filter": query})
        if not found:
            raise StandinError(
                f'Application not found: no applications found matching filter: "{query}"'
            )
        if len(found) > 1:
            raise StandinError(
                "Multiple applications found: found multiple applications matching filter: "
                f'"{query}"'
            )
        app = found[0]
        if field in ("appId", "displayName") and str(app.get(field) or "").lower() != value.lower():
            raise StandinError(
                f"Bad API Response: {field} does not match for applications matching filter: "
                f'"{query}"'
            )
        return app


def flatten_application(app: dict[str, Any]) -> dict[str, Any]:
    """A v1.0 application as upstream's data source sets the attributes."""
    api = app.get("api") if isinstance(app.get("api"), dict) else None
    info = app.get("info") if isinstance(app.get("info"), dict) else {}
    roles = app.get("appRoles") or []
    scopes = (api or {}).get("oauth2PermissionScopes") or []
    claims = app.get("groupMembershipClaims")
    return {
        "apis": [_api(api)] if api is not None else [],
        **flatten_app_roles(roles),
        "clientId": app.get("appId") or "",
        "description": app.get("description") or "",
        "deviceOnlyAuthEnabled": bool(app.get("isDeviceOnlyAuthSupported")),
        "disabledByMicrosoft": app.get("disabledByMicrosoftStatus") or "",
        "displayName": app.get("displayName") or "",
        "fallbackPublicClientEnabled": bool(app.get("isFallbackPublicClient")),
        "featureTags": flatten_features(list(app.get("tags") or [])),
        "groupMembershipClaims": (
            [part.strip() for part in str(claims).split(",")] if claims is not None else []
        ),
        "id": f"/applications/{app['id']}",
        "identifierUris": list(app.get("identifierUris") or []),
        "logoUrl": info.get("logoUrl") or "",
        "marketingUrl": info.get("marketingUrl") or "",
        "notes": app.get("notes") or "",
        "oauth2PermissionScopeIds": {
            s["value"]: s["id"] for s in scopes if s.get("value") and s.get("id")
        },
        "oauth2PostResponseRequired": False,
        "objectId": app["id"],
        "optionalClaims": _optional_claims(app.get("optionalClaims")),
        "owners": [],
        "privacyStatementUrl": info.get("privacyStatementUrl") or "",
        "publicClients": _redirects(app.get("publicClient")),
        "publisherDomain": app.get("publisherDomain") or "",
        "requiredResourceAccesses": [
            {
                "resourceAppId": access.get("resourceAppId") or "",
                "resourceAccesses": [
                    {"id": item.get("id") or "", "type": item.get("type") or ""}
                    for item in access.get("resourceAccess") or []
                ],
            }
            for access in app.get("requiredResourceAccess") or []
        ],
        "serviceManagementReference": app.get("serviceManagementReference") or "",
        "signInAudience": app.get("signInAudience") or "",
        "singlePageApplications": _redirects(app.get("spa")),
        "supportUrl": info.get("supportUrl") or "",
        "tags": list(app.get("tags") or []),
        "termsOfServiceUrl": info.get("termsOfServiceUrl") or "",
        "webs": _web(app.get("web")),
    }


def _api(api: dict[str, Any]) -> dict[str, Any]:
    version = api.get("requestedAccessTokenVersion")
    return {
        "knownClientApplications": list(api.get("knownClientApplications") or []),
        "mappedClaimsEnabled": bool(api.get("acceptMappedClaims")),
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
            for scope in api.get("oauth2PermissionScopes") or []
        ],
        "requestedAccessTokenVersion": 1 if version is None else int(version),
    }


def _optional_claims(claims: Any) -> list[dict[str, Any]]:
    if not isinstance(claims, dict):
        return []

    def flatten(items: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": item.get("name") or "",
                "essential": bool(item.get("essential")),
                "source": item.get("source") or "",
                "additionalProperties": list(item.get("additionalProperties") or []),
            }
            for item in items or []
        ]

    return [
        {
            "accessTokens": flatten(claims.get("accessToken")),
            "idTokens": flatten(claims.get("idToken")),
            "saml2Tokens": flatten(claims.get("saml2Token")),
        }
    ]


def _redirects(platform: Any) -> list[dict[str, Any]]:
    if not isinstance(platform, dict):
        return []
    return [{"redirectUris": list(platform.get("redirectUris") or [])}]


def _web(web: Any) -> list[dict[str, Any]]:
    if not isinstance(web, dict):
        return []
    grant = web.get("implicitGrantSettings")
    return [
        {
            "homepageUrl": web.get("homePageUrl") or "",
            "logoutUrl": web.get("logoutUrl") or "",
            "redirectUris": list(web.get("redirectUris") or []),
            "implicitGrants": (
                [
                    {
                        "accessTokenIssuanceEnabled": bool(grant.get("enableAccessTokenIssuance")),
                        "idTokenIssuanceEnabled": bool(grant.get("enableIdTokenIssuance")),
                    }
                ]
                if isinstance(grant, dict)
                else []
            ),
        }
    ]
