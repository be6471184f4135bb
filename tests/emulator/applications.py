"""Microsoft Graph v1.0 application templates (the gallery) and applications.

Routes, with the calls the azuread provider makes through them:
* `GET /applicationTemplates?$filter=displayName eq '...'`, `GET /applicationTemplates/{id}`
  (data source azuread_application_template);
* `POST /applicationTemplates/{id}/instantiate` -> 201 applicationServicePrincipal
  (azuread_application_from_template create), then `GET /applications/{id}` until found;
* `GET/PATCH/DELETE /applications/{id}` (from_template read/update/delete, identifier URI and
  redirect URI resources, which read-modify-write `identifierUris` and `web.redirectUris`);
* `GET /applications?$filter=appId eq '...'` (or displayName), `GET /applications/{id}/owners`
  and `GET /beta/applications/{id}?$select=oauth2RequirePostResponse` (data source
  azuread_application, which reads that one property from beta).
Pages: https://learn.microsoft.com/graph/api/applicationtemplate-instantiate ,
https://learn.microsoft.com/graph/api/application-update , .../application-delete .
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from . import patching
from .directory_collection import DirectoryCollection, rendered
from .directory_objects import (
    new_application,
    new_service_principal,
    user_impersonation_scope,
)
from .gallery import default_app_roles
from .graphreply import Reply, bad_request, ok, resource_not_found
from .messages import JsonObject, Request, Response
from .odata import (
    COLLECTION_OPTIONS,
    ENTITY_OPTIONS,
    conjunction_filter,
    refuse_unsupported_options,
    selected_properties,
)
from .patching import Prop, Schema, is_absolute_uri
from .routing import Handler
from .store import SyncState, Tenant
from .synchronization import template_map
from .views import collection, entity

_TEMPLATES = "/v1.0/applicationTemplates"

_URIS = Prop("strings", nullable=False, check=lambda v: all(is_absolute_uri(u) for u in v))
_REDIRECT_URIS = Prop(
    "strings",
    nullable=False,
    check=lambda uris: all(_is_web_redirect(uri) for uri in uris) and len(uris) <= 256,
)
_APP_ROLE = {
    "allowedMemberTypes": Prop("strings", nullable=False),
    "description": Prop("string"),
    "displayName": Prop("string"),
    "id": Prop("guid", nullable=False),
    "isEnabled": Prop("boolean", nullable=False),
    "origin": Prop("string"),
    "value": Prop("string"),
}
_INFO = {
    key: Prop("string")
    for key in ("logoUrl", "marketingUrl", "privacyStatementUrl", "supportUrl", "termsOfServiceUrl")
}
APPLICATION = Schema(
    type_name="application",
    resource="Application",
    writable={
        "displayName": Prop("string", nullable=False, check=lambda v: bool(v.strip())),
        "description": Prop("string"),
        "notes": Prop("string"),
        "identifierUris": _URIS,
        "tags": Prop("strings", nullable=False),
        "isFallbackPublicClient": Prop("boolean"),
        "isDeviceOnlyAuthSupported": Prop("boolean"),
        "serviceManagementReference": Prop("string"),
        "groupMembershipClaims": Prop("string"),
        "signInAudience": Prop(
            "string",
            nullable=False,
            choices=frozenset(
                [
                    "AzureADMyOrg",
                    "AzureADMultipleOrgs",
                    "AzureADandPersonalMicrosoftAccount",
                    "PersonalMicrosoftAccount",
                ]
            ),
        ),
        "appRoles": Prop("objects", nullable=False, fields=_APP_ROLE),
        "info": Prop("object", nullable=False, fields=_INFO),
        "web": Prop(
            "object",
            nullable=False,
            fields={
                "homePageUrl": Prop("string"),
                "logoutUrl": Prop("string"),
                "redirectUris": _REDIRECT_URIS,
                "implicitGrantSettings": Prop(
                    "object",
                    fields={
                        "enableAccessTokenIssuance": Prop("boolean"),
                        "enableIdTokenIssuance": Prop("boolean"),
                    },
                ),
            },
        ),
        "spa": Prop("object", nullable=False, fields={"redirectUris": _REDIRECT_URIS}),
        "publicClient": Prop("object", nullable=False, fields={"redirectUris": _URIS}),
    },
    read_only=(
        "id",
        "appId",
        "applicationTemplateId",
        "createdDateTime",
        "createdByAppId",
        "deletedDateTime",
        "disabledByMicrosoftStatus",
        "publisherDomain",
    ),
    declared=(
        "addIns",
        "api",
        "authenticationBehaviors",
        "certification",
        "defaultRedirectUri",
        "keyCredentials",
        "logo",
        "nativeAuthenticationApisEnabled",
        "oauth2RequirePostResponse",
        "optionalClaims",
        "parentalControlSettings",
        "passwordCredentials",
        "requestSignatureVerification",
        "requiredResourceAccess",
        "samlMetadataUrl",
        "servicePrincipalLockConfiguration",
        "tokenEncryptionKeyId",
        "uniqueName",
        "verifiedPublisher",
    ),
)


def _is_web_redirect(uri: str) -> bool:
    """Web and SPA redirect URIs must be https, or http on localhost."""
    scheme, _, rest = uri.partition("://")
    host = rest.split("/", 1)[0].split(":", 1)[0].lower()
    if scheme == "http":
        return host in ("localhost", "127.0.0.1")
    return scheme == "https" and bool(host)


def sync_service_principals(tenant: Tenant, application: JsonObject) -> None:
    """What a service principal mirrors of its application in the same tenant."""
    for sp in tenant.service_principals.values():
        if sp["appId"].lower() == application["appId"].lower():
            sp["appDisplayName"] = application["displayName"]
            sp["replyUrls"] = list(application["web"]["redirectUris"])
            sp["servicePrincipalNames"] = [application["appId"], *application["identifierUris"]]


_APPLICATION_PROPERTIES = tuple(
    new_application(
        object_id="",
        app_id="",
        display_name="",
        template_id=None,
        app_roles=[],
        publisher_domain=None,
    )
)


class Applications(DirectoryCollection):
    """The gallery and application objects; routed and authenticated by `Graph`."""

    COLLECTION = "applications"
    SCHEMA = APPLICATION
    PROPERTIES = _APPLICATION_PROPERTIES
    # applicationTemplateId supports $filter (eq, not, ne): the application resource's page,
    # https://learn.microsoft.com/graph/api/resources/application ; the azuread provider filters
    # on it with displayName (upstream internal/services/applications/application_resource.go).
    FILTERABLE: ClassVar[dict[str, str]] = {
        **DirectoryCollection.FILTERABLE,
        "applicationTemplateId": "string",
    }
    # absent from v1.0 responses, msgraph-metadata#273
    BETA_ONLY: ClassVar[dict[str, Any]] = {"oauth2RequirePostResponse": False}

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", _TEMPLATES, self._list_templates),
            ("GET", f"{_TEMPLATES}/{{template}}", self._get_template),
            ("POST", f"{_TEMPLATES}/{{template}}/instantiate", self._instantiate),
            *self._collection_routes(),
        ]

    def _objects(self) -> dict[str, JsonObject]:
        return self._tenant.applications

    def _delete_object(self, object_id: str) -> None:
        self._tenant.delete_application(object_id)

    # ----- state access for the Emulator facade (out of band, no HTTP) -----

    def instantiate(
        self, template_id: str, display_name: str, tenant_id: str | None = None
    ) -> JsonObject:
        """Out of band: create the application and service principal of a gallery app as the
        portal's "Create" button does; returns {"application": ..., "servicePrincipal": ...}
        unmasked (their ids are the objects' ids)."""
        app = self._gallery.get(template_id)
        if app is None:
            raise KeyError(f"no gallery template {template_id!r}")
        new_id = id_factory(self._tenant)
        roles = default_app_roles()
        application = new_application(
            object_id=new_id(),
            app_id=new_id(),
            display_name=display_name,
            template_id=app.id,
            app_roles=roles,
            publisher_domain=_publisher_domain(tenant_id),
            home_page_url=app.homepage,
            scopes=[user_impersonation_scope(display_name)],
        )
        sp = new_service_principal(
            object_id=new_id(),
            application=application,
            app_roles=roles,
            owner_tenant_id=tenant_id,
            tags=app.tags,
            app_role_assignment_required=True,
            homepage=app.homepage,
        )
        self._tenant.applications[application["id"]] = application
        self._tenant.service_principals[sp["id"]] = sp
        self._tenant.synchronization[sp["id"]] = SyncState(
            template_map(list(app.synchronization_templates))
        )
        return copy.deepcopy({"application": application, "servicePrincipal": sp})

    def patch(self, object_id: str, changes: object, request: Request) -> None:
        """Apply `changes` as PATCH /applications/{id} does (a 400 Reply if Graph refuses)."""
        current = self._object(request, object_id)
        updated = patching.merged(APPLICATION, current, changes, request)
        self._check_unique_identifier_uris(updated, request)
        self._tenant.applications[object_id] = updated
        sync_service_principals(self._tenant, updated)

    # ----- route handlers -----

    def _list_templates(self, request: Request) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS)
        clauses = conjunction_filter(request, {"displayName": "string"}, "ApplicationTemplate")
        selected = selected_properties(request, _TEMPLATE_PROPERTIES, "applicationTemplate")
        found = [app.template for app in self._gallery.values()]
        found = [item for item in found if all(c.matches(item) for c in clauses)]
        return collection(request, self._base_url, "applicationTemplates", found, selected)

    def _get_template(self, request: Request, template: str) -> Response:
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        app = self._gallery.get(template)
        if app is None:
            raise resource_not_found(request, template)
        selected = selected_properties(request, _TEMPLATE_PROPERTIES, "applicationTemplate")
        return entity(request, self._base_url, "applicationTemplates", app.template, selected)

    def _instantiate(self, request: Request, template: str) -> Response:
        if template not in self._gallery:
            raise resource_not_found(request, template)
        body = request.body
        if not isinstance(body, dict):
            raise bad_request(request, "Empty Payload. JSON content expected.", "BadRequest")
        for name in body:
            if name != "displayName":
                raise bad_request(
                    request,
                    f"The parameter '{name}' in the request payload is not a valid parameter "
                    "for the operation 'instantiate'.",
                    "BadRequest",
                )
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise bad_request(
                request,
                "Invalid value specified for property 'displayName' of resource 'Application'.",
            )
        caller = self._identity.caller(request.bearer_token() or "")
        created = self.instantiate(template, name, None if caller is None else caller.tenant_id)
        payload = {
            "@odata.context": (
                f"{self._base_url}/v1.0/$metadata#microsoft.graph.applicationServicePrincipal"
            ),
            "application": rendered(created["application"]),
            "servicePrincipal": rendered(created["servicePrincipal"]),
        }
        return ok(request, payload, status=201)

    # ----- helpers -----

    def _check_unique_identifier_uris(self, updated: JsonObject, request: Request) -> None:
        mine = {uri.lower() for uri in updated["identifierUris"]}
        if len(mine) != len(updated["identifierUris"]):
            raise Reply(_conflicting_uris(request))
        for other in self._tenant.applications.values():
            if other["id"] != updated["id"] and mine & {u.lower() for u in other["identifierUris"]}:
                raise Reply(_conflicting_uris(request))


def _conflicting_uris(request: Request) -> Response:
    return bad_request(
        request, "Another object with the same value for property identifierUris already exists."
    ).response


def _publisher_domain(tenant_id: str | None) -> str | None:
    """The tenant's initial domain; the emulator names it after the tenant id."""
    return None if tenant_id is None else f"tenant-{tenant_id.split('-')[0]}.onmicrosoft.com"


def id_factory(tenant: Tenant) -> Callable[[], str]:
    used = tenant.ids_in_use()

    def new_id() -> str:
        for _ in range(8):  # a collision of random GUIDs is astronomically rare
            candidate = str(uuid.uuid4())
            if candidate not in used:
                used.add(candidate)
                return candidate
        raise RuntimeError("could not find an unused object id")

    return new_id


_TEMPLATE_PROPERTIES = (
    "id",
    "displayName",
    "homePageUrl",
    "supportedSingleSignOnModes",
    "supportedProvisioningTypes",
    "logoUrl",
    "categories",
    "publisher",
    "description",
)
