"""Microsoft Graph v1.0 service principals.

Routes, with the calls the azuread provider makes through them:
* `GET /servicePrincipals?$filter=appId eq '...'` then `PATCH /servicePrincipals/{id}`
  (azuread_service_principal with use_existing: the PATCH sends accountEnabled,
  alternativeNames, appRoleAssignmentRequired, notificationEmailAddresses,
  samlSingleSignOnSettings, tags and whichever of loginUrl, preferredSingleSignOnMode,
  description and notes are set), then `GET /servicePrincipals/{id}`,
  `GET /beta/servicePrincipals/{id}?$select=samlMetadataUrl`, `GET .../owners`; `DELETE` on
  destroy, even for use_existing;
* `POST /servicePrincipals` ({appId, ...}; without use_existing);
* `POST /servicePrincipals/{id}/addTokenSigningCertificate`, then `GET` until the key shows,
  `GET ?$select=keyCredentials` (the certificate itself), and a PATCH of keyCredentials and
  passwordCredentials on destroy (azuread_service_principal_token_signing_certificate).
Pages: https://learn.microsoft.com/graph/api/serviceprincipal-update ,
https://learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals ,
https://learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate .
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, ClassVar

from . import certificates, patching
from .applications import id_factory
from .directory_collection import DirectoryCollection, rendered
from .directory_objects import new_service_principal
from .graphreply import Reply, bad_request, error, ok
from .messages import JsonObject, Request, Response
from .patching import Prop, Schema
from .routing import Handler
from .store import SyncState
from .synchronization import template_map
from .views import entity

_SPS = "/v1.0/servicePrincipals"

_KEY_CREDENTIAL = {
    "customKeyIdentifier": Prop("string"),
    "displayName": Prop("string"),
    "endDateTime": Prop("datetime"),
    "key": Prop("string"),
    "keyId": Prop("guid", nullable=False),
    "startDateTime": Prop("datetime"),
    "type": Prop(
        "string", choices=frozenset(["AsymmetricX509Cert", "X509CertAndPassword", "Symmetric"])
    ),
    "usage": Prop("string", choices=frozenset(["Sign", "Verify"])),
}
_PASSWORD_CREDENTIAL = {
    "customKeyIdentifier": Prop("string"),
    "displayName": Prop("string"),
    "endDateTime": Prop("datetime"),
    "hint": Prop("string"),
    "keyId": Prop("guid", nullable=False),
    "secretText": Prop("string"),
    "startDateTime": Prop("datetime"),
}
SERVICE_PRINCIPAL = Schema(
    type_name="servicePrincipal",
    resource="ServicePrincipal",
    writable={
        "accountEnabled": Prop("boolean", nullable=False),
        "alternativeNames": Prop("strings", nullable=False),
        "appRoleAssignmentRequired": Prop("boolean", nullable=False),
        "description": Prop("string"),
        "displayName": Prop("string", nullable=False, check=lambda v: bool(v.strip())),
        "homepage": Prop("string"),
        "keyCredentials": Prop("objects", nullable=False, fields=_KEY_CREDENTIAL),
        "loginUrl": Prop("string", check=patching.is_absolute_uri),
        "logoutUrl": Prop("string", check=patching.is_absolute_uri),
        "notes": Prop("string"),
        "notificationEmailAddresses": Prop(
            "strings", nullable=False, check=lambda v: all("@" in a for a in v)
        ),
        "passwordCredentials": Prop("objects", nullable=False, fields=_PASSWORD_CREDENTIAL),
        "preferredSingleSignOnMode": Prop(
            "string", choices=frozenset(["password", "saml", "notSupported", "oidc"])
        ),
        # Any string or null, as Graph stores it: Microsoft's MSIdentityTools
        # (Update-MsIdAADSigningKey.ps1) even sets "unused" to fall back to the default, and
        # https://learn.microsoft.com/graph/application-saml-sso-configure-api ("Set the custom
        # signing key") documents no check against keyCredentials. A thumbprint naming no key
        # of the principal is stored; SAML sign-in then fails with AADSTS50003 (saml_idp.py).
        "preferredTokenSigningKeyThumbprint": Prop("string"),
        "replyUrls": Prop("strings", nullable=False),
        "samlSingleSignOnSettings": Prop("object", fields={"relayState": Prop("string")}),
        "servicePrincipalNames": Prop("strings", nullable=False),
        "tags": Prop("strings", nullable=False),
        "tokenEncryptionKeyId": Prop("guid"),
    },
    read_only=(
        "id",
        "appId",
        "appDisplayName",
        "appOwnerOrganizationId",
        "applicationTemplateId",
        "createdByAppId",
        "deletedDateTime",
        "disabledByMicrosoftStatus",
        "servicePrincipalType",
        "signInAudience",
    ),
    declared=(
        "addIns",
        "appDescription",
        "appRoles",
        "customSecurityAttributes",
        "info",
        "oauth2PermissionScopes",
        "resourceSpecificApplicationPermissions",
        "verifiedPublisher",
    ),
)


_PROPERTIES = tuple(
    new_service_principal(
        object_id="",
        application={
            "displayName": "",
            "appId": "",
            "applicationTemplateId": None,
            "signInAudience": "",
            "identifierUris": [],
            "web": {"redirectUris": []},
            "api": {"oauth2PermissionScopes": []},
        },
        app_roles=[],
        owner_tenant_id=None,
        tags=[],
        app_role_assignment_required=False,
    )
)


class ServicePrincipals(DirectoryCollection):
    """Service principal objects; routed and authenticated by `Graph`. A principal seeded for
    synchronization only has no directory object to read, so it answers like an unknown id."""

    COLLECTION = "servicePrincipals"
    SCHEMA = SERVICE_PRINCIPAL
    PROPERTIES = _PROPERTIES
    # tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp') is how the admin center lists
    # enterprise applications. It is a default query, no ConsistencyLevel needed: per
    # https://learn.microsoft.com/graph/aad-advanced-queries `eq` on a string collection
    # (inside `any`, as proxyAddresses/any(p:p eq ...)) works by default and only `ne`, `not`
    # and `endsWith` there need the advanced parameters; scripts that list enterprise apps
    # this way (Get-MgServicePrincipal -Filter "tags/any(...)" -All) send none.
    FILTERABLE: ClassVar[dict[str, str]] = {
        "displayName": "string",
        "appId": "string",
        "tags": "strings",
    }
    # only beta serves samlMetadataUrl
    BETA_ONLY: ClassVar[dict[str, Any]] = {"samlMetadataUrl": None}

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            *self._collection_routes(),
            ("POST", _SPS, self._create),
            (
                "POST",
                f"{_SPS}/{{object_id}}/addTokenSigningCertificate",
                self._add_signing_certificate,
            ),
        ]

    def _objects(self) -> dict[str, JsonObject]:
        return self._tenant.service_principals

    def _delete_object(self, object_id: str) -> None:
        self._tenant.delete_service_principal(object_id)

    # ----- state access for the Emulator facade and the routes -----

    def patch(self, sp_id: str, changes: object, request: Request) -> None:
        """Apply `changes` as PATCH /servicePrincipals/{id} does (a 400 Reply if Graph
        refuses). Credentials sent back without their key (as GET shows them) keep it."""
        current = self._object(request, sp_id)
        updated = patching.merged(SERVICE_PRINCIPAL, current, changes, request)
        for name, secret in (("keyCredentials", "key"), ("passwordCredentials", "secretText")):
            if isinstance(changes, dict) and name in changes:
                updated[name] = _keep_secrets(current[name], updated[name], secret, request)
        self._tenant.service_principals[sp_id] = updated

    # ----- route handlers -----

    def _create(self, request: Request) -> Response:
        body = request.body
        if not isinstance(body, dict):
            raise bad_request(request, "Empty Payload. JSON content expected.", "BadRequest")
        app_id = body.get("appId")
        if not isinstance(app_id, str):
            raise bad_request(
                request,
                "Invalid value specified for property 'appId' of resource 'ServicePrincipal'.",
            )
        application = self._tenant.application_by_app_id(app_id)
        if application is None:
            raise bad_request(
                request,
                f"The appId '{app_id}' of the service principal does not reference a valid "
                "application object.",
            )
        if self._tenant.service_principal_by_app_id(app_id) is not None:
            raise Reply(
                error(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "The service principal cannot be created, updated, or restored because the "
                    f"service principal name {app_id} is already in use.",
                    request,
                )
            )
        owners = body.get("owners@odata.bind", [])
        if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
            raise bad_request(request, "Invalid value specified for property 'owners'.")
        owner_ids = self._owner_references(owners, request)
        caller = self._identity.caller(request.bearer_token() or "")
        template = self._gallery.get(application["applicationTemplateId"] or "")
        sp = new_service_principal(
            object_id=id_factory(self._tenant)(),
            application=application,
            app_roles=application["appRoles"],
            owner_tenant_id=None if caller is None else caller.tenant_id,
            tags=[],
            app_role_assignment_required=False,
            homepage=application["web"]["homePageUrl"],
        )
        writable = {k: v for k, v in body.items() if k not in ("appId", "owners@odata.bind")}
        sp = patching.merged(SERVICE_PRINCIPAL, sp, writable, request)
        self._tenant.service_principals[sp["id"]] = sp
        if owner_ids:
            self._tenant.owners[sp["id"]] = owner_ids
        templates = [] if template is None else list(template.synchronization_templates)
        self._tenant.synchronization[sp["id"]] = SyncState(template_map(templates))
        return entity(request, self._base_url, "servicePrincipals", rendered(sp), None, status=201)

    def _add_signing_certificate(self, request: Request, object_id: str) -> Response:
        principal = self._object(request, object_id)
        body = {} if request.body is None else request.body
        if not isinstance(body, dict):
            raise bad_request(request, "Empty Payload. JSON content expected.", "BadRequest")
        for name in body:
            if name not in ("displayName", "endDateTime"):
                raise bad_request(
                    request,
                    f"The parameter '{name}' in the request payload is not a valid parameter "
                    "for the operation 'addTokenSigningCertificate'.",
                    "BadRequest",
                )
        display_name = body.get("displayName") or "CN=Microsoft Azure Federated SSO Certificate"
        if not isinstance(display_name, str) or not display_name.startswith("CN="):
            raise bad_request(request, "The display name must start with 'CN='.")
        start = certificates.utc_now()
        end = _end_date(body.get("endDateTime"), start, request)
        created = certificates.create(display_name, start, end)
        self._tenant.signing_keys[created.signing_key.thumbprint] = created.signing_key
        principal["keyCredentials"] = [*principal["keyCredentials"], *created.key_credentials]
        principal["passwordCredentials"] = [
            *principal["passwordCredentials"],
            created.password_credential,
        ]
        context = f"{self._base_url}/v1.0/$metadata#microsoft.graph.selfSignedCertificate"
        return ok(request, {"@odata.context": context, **created.response})


def _end_date(value: object, start: datetime, request: Request) -> datetime:
    if value is None:
        return certificates.default_end(start)
    problem = bad_request(
        request,
        "Invalid value specified for property 'endDateTime': it must be a future date at most "
        "three years after the certificate is created.",
    )
    if not isinstance(value, str):
        raise problem
    try:
        end = datetime.fromisoformat(value)
    except ValueError:
        raise problem from None
    if end.tzinfo is None:
        end = end.replace(tzinfo=start.tzinfo)
    if not start < end <= start + certificates.MAX_VALIDITY:
        raise problem
    return end


def _keep_secrets(
    current: list[JsonObject], sent: list[JsonObject], secret: str, request: Request
) -> list[JsonObject]:
    """Credentials already on the object may come back without their secret part (GET never
    shows it); new ones must carry it."""
    stored = {item["keyId"].lower(): item for item in current}
    result = []
    for item in sent:
        known = stored.get(item["keyId"].lower())
        item = {**(known or {}), **copy.deepcopy(item)}
        if item.get(secret) is None:
            if known is None and secret == "key":
                raise bad_request(
                    request,
                    "Invalid value specified for property 'keyCredentials' of resource "
                    "'ServicePrincipal': a new key credential needs its key.",
                )
            item[secret] = None if known is None else known.get(secret)
        result.append(item)
    return result
