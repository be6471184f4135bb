"""Microsoft Graph v1.0 directory reads for enterprise apps: servicePrincipals, applications and
the app role assignments granted for a service principal (appRoleAssignedTo).

Tests seed what an admin configured by hand in the portal; the routes serve it back with the
property names of the v1.0 servicePrincipal, application, keyCredential, webApplication and
appRoleAssignment resources. Only reads exist: the tools that use them never write here.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .graphreply import ok, resource_not_found
from .messages import JsonObject, Request, Response
from .odata import (
    COLLECTION_OPTIONS,
    ENTITY_OPTIONS,
    context_url,
    equality_filter,
    page,
    project,
    refuse_unsupported_options,
    selected_properties,
)
from .routing import Handler

APP_ROLE_KEYS = frozenset(
    ["id", "displayName", "value", "description", "allowedMemberTypes", "isEnabled", "origin"]
)
"""The appRole properties; each seeded role needs all of them."""

SIGNING_KEY_KEYS = frozenset(["keyId", "thumbprint", "endDateTime", "displayName"])
PRINCIPAL_TYPES = frozenset(["User", "Group", "ServicePrincipal"])
DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
"""The appRoleId that assigns a principal to an app which declares no app roles."""

INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
"""The tag that lists a service principal among the portal's enterprise applications."""

SIGNING_CERTIFICATE_YEARS = 3
"""The portal's SAML signing certificates are valid for three years; used for the
keyCredential's startDateTime when the seed gives only the end."""

_SERVICE_PRINCIPAL_PROPERTIES = (
    "id",
    "deletedDateTime",
    "accountEnabled",
    "appDisplayName",
    "appId",
    "applicationTemplateId",
    "appRoleAssignmentRequired",
    "appRoles",
    "displayName",
    "keyCredentials",
    "loginUrl",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint",
    "replyUrls",
    "servicePrincipalType",
    "tags",
)
_APPLICATION_PROPERTIES = (
    "id",
    "deletedDateTime",
    "appId",
    "applicationTemplateId",
    "appRoles",
    "displayName",
    "identifierUris",
    "web",
)
_ASSIGNMENT_PROPERTIES = (
    "id",
    "deletedDateTime",
    "appRoleId",
    "createdDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
)
_FILTERABLE = ("displayName", "appId")

_SPS = "/v1.0/servicePrincipals"
_APPS = "/v1.0/applications"


@dataclass(frozen=True)
class EnterpriseApp:
    """An enterprise app as configured in the portal: its service principal's directory
    properties and the application object linked to it by `app_id`."""

    app_object_id: str
    app_id: str
    display_name: str
    application_template_id: str | None
    app_roles: list[JsonObject]
    preferred_single_sign_on_mode: str | None = None
    login_url: str | None = None
    notification_email_addresses: list[str] = field(default_factory=list)
    identifier_uris: list[str] = field(default_factory=list)
    redirect_uris: list[str] = field(default_factory=list)
    token_signing_key: JsonObject | None = None

    def validate(self) -> None:
        """Reject seeds that the portal could not have produced, so test mistakes surface at
        the seeding call instead of as an odd Graph answer later."""
        for role in self.app_roles:
            missing = APP_ROLE_KEYS - role.keys()
            if missing:
                raise ValueError(f"app role {role.get('id')!r} lacks {sorted(missing)}")
        role_ids = [role["id"] for role in self.app_roles]
        if len(set(role_ids)) != len(role_ids):
            raise ValueError("app role ids must be unique")
        key = self.token_signing_key
        if key is not None:
            missing = SIGNING_KEY_KEYS - key.keys()
            if missing:
                raise ValueError(f"token_signing_key lacks {sorted(missing)}")
            _parse_time(key["endDateTime"])
            if "startDateTime" in key:
                _parse_time(key["startDateTime"])


@dataclass
class _Entry:
    """One seeded enterprise app and the assignments granted for it, oldest first."""

    app: EnterpriseApp
    assignments: list[JsonObject] = field(default_factory=list)


class Directory:
    """Enterprise apps by service principal id; routed and authenticated by `Graph`."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._entries: dict[str, _Entry] = {}

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", _SPS, self._list_service_principals),
            ("GET", f"{_SPS}/{{sp}}", self._get_service_principal),
            ("GET", f"{_SPS}/{{sp}}/appRoleAssignedTo", self._list_assigned_to),
            ("GET", _APPS, self._list_applications),
            ("GET", f"{_APPS}/{{app}}", self._get_application),
        ]

    # ----- state access for the Emulator facade (out of band, no HTTP) -----

    def add(self, sp_id: str, app: EnterpriseApp) -> None:
        self._check_new(sp_id, app)
        self._entries[sp_id] = _Entry(copy.deepcopy(app))

    def add_assignment(
        self,
        sp_id: str,
        principal_id: str,
        principal_type: str,
        principal_display_name: str,
        app_role_id: str,
    ) -> str:
        """Record an assignment as the portal's Users and groups blade would; returns its id."""
        entry = self._entry(sp_id)
        if principal_type not in PRINCIPAL_TYPES:
            raise ValueError(f"principal_type must be one of {sorted(PRINCIPAL_TYPES)}")
        principal = _guid(principal_id, "principal_id")
        _check_assignable(entry.app, app_role_id, principal_type)
        assignment_id = _assignment_id(principal)
        entry.assignments.append(
            {
                "id": assignment_id,
                "deletedDateTime": None,
                "appRoleId": app_role_id,
                "createdDateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "principalDisplayName": principal_display_name,
                "principalId": principal_id,
                "principalType": principal_type,
            }
        )
        return assignment_id

    def remove(self, sp_id: str) -> None:
        """Forget `sp_id`'s directory data; a synchronization-only principal has none."""
        self._entries.pop(sp_id, None)

    def clear(self) -> None:
        self._entries.clear()

    def _check_new(self, sp_id: str, app: EnterpriseApp) -> None:
        """Raise ValueError if `app` cannot join the directory under `sp_id`."""
        app.validate()
        if sp_id in self._entries:
            raise ValueError(f"service principal {sp_id!r} already has directory properties")
        for entry in self._entries.values():
            if entry.app.app_id == app.app_id:
                raise ValueError(f"app id {app.app_id!r} is already in use")
            if entry.app.app_object_id == app.app_object_id:
                raise ValueError(f"application object id {app.app_object_id!r} is in use")

    def _entry(self, sp_id: str) -> _Entry:
        try:
            return self._entries[sp_id]
        except KeyError:
            raise KeyError(f"service principal {sp_id!r} has no directory properties") from None

    # ----- route handlers -----

    def _list_service_principals(self, request: Request) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS)
        condition = equality_filter(request, _FILTERABLE, "ServicePrincipal")
        selected = selected_properties(request, _SERVICE_PRINCIPAL_PROPERTIES, "servicePrincipal")
        found = [_service_principal(sp_id, entry.app) for sp_id, entry in self._entries.items()]
        if condition is not None:
            found = [item for item in found if item[condition.property] == condition.value]
        context = context_url(self._base_url, "servicePrincipals", selected)
        return self._page(request, context, found, selected)

    def _get_service_principal(self, request: Request, sp: str) -> Response:
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        entry = self._known(request, sp)
        selected = selected_properties(request, _SERVICE_PRINCIPAL_PROPERTIES, "servicePrincipal")
        body = {
            "@odata.context": context_url(self._base_url, "servicePrincipals", selected)
            + "/$entity",
            **project(_service_principal(sp, entry.app), selected),
        }
        return ok(request, body)

    def _list_assigned_to(self, request: Request, sp: str) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS - {"$filter"})
        entry = self._known(request, sp)
        selected = selected_properties(request, _ASSIGNMENT_PROPERTIES, "appRoleAssignment")
        resource = {"resourceDisplayName": entry.app.display_name, "resourceId": sp}
        found = [{**assignment, **resource} for assignment in entry.assignments]
        path = f"servicePrincipals('{sp}')/appRoleAssignedTo"
        return self._page(request, context_url(self._base_url, path, selected), found, selected)

    def _list_applications(self, request: Request) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS)
        condition = equality_filter(request, _FILTERABLE, "Application")
        selected = selected_properties(request, _APPLICATION_PROPERTIES, "application")
        found = [_application(entry.app) for entry in self._entries.values()]
        if condition is not None:
            found = [item for item in found if item[condition.property] == condition.value]
        context = context_url(self._base_url, "applications", selected)
        return self._page(request, context, found, selected)

    def _get_application(self, request: Request, app: str) -> Response:
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        selected = selected_properties(request, _APPLICATION_PROPERTIES, "application")
        entry = next((e for e in self._entries.values() if e.app.app_object_id == app), None)
        if entry is None:
            raise resource_not_found(request, app)
        body = {
            "@odata.context": context_url(self._base_url, "applications", selected) + "/$entity",
            **project(_application(entry.app), selected),
        }
        return ok(request, body)

    # ----- helpers -----

    def _known(self, request: Request, sp: str) -> _Entry:
        """A service principal seeded only for synchronization has no directory object to
        read, so it answers like an unknown id."""
        entry = self._entries.get(sp)
        if entry is None:
            raise resource_not_found(request, sp)
        return entry

    def _page(
        self,
        request: Request,
        context: str,
        items: Sequence[JsonObject],
        selected: Sequence[str] | None,
    ) -> Response:
        body = page(request, self._base_url, context, items)
        body["value"] = [project(item, selected) for item in body["value"]]
        return ok(request, body)


def _service_principal(sp_id: str, app: EnterpriseApp) -> JsonObject:
    """The servicePrincipal resource; gallery apps (those with a template) require
    assignment, as the portal sets them up."""
    key = app.token_signing_key
    return {
        "id": sp_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "appDisplayName": app.display_name,
        "appId": app.app_id,
        "applicationTemplateId": app.application_template_id,
        "appRoleAssignmentRequired": app.application_template_id is not None,
        "appRoles": copy.deepcopy(app.app_roles),
        "displayName": app.display_name,
        "keyCredentials": [] if key is None else [_key_credential(key)],
        "loginUrl": app.login_url,
        "notificationEmailAddresses": list(app.notification_email_addresses),
        "preferredSingleSignOnMode": app.preferred_single_sign_on_mode,
        "preferredTokenSigningKeyThumbprint": None if key is None else key["thumbprint"],
        "replyUrls": list(app.redirect_uris),
        "servicePrincipalType": "Application",
        "tags": [INTEGRATED_APP_TAG],
    }


def _key_credential(key: JsonObject) -> JsonObject:
    """The signing certificate's public half; `key` (the certificate bytes) is null because
    Graph returns it only on `$select` of one object and the emulator has no certificate."""
    end = _parse_time(key["endDateTime"])
    start = key.get("startDateTime") or _format_time(_years_before(end, SIGNING_CERTIFICATE_YEARS))
    return {
        "customKeyIdentifier": key["thumbprint"],
        "displayName": key["displayName"],
        "endDateTime": key["endDateTime"],
        "key": None,
        "keyId": key["keyId"],
        "startDateTime": start,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }


def _application(app: EnterpriseApp) -> JsonObject:
    """The application resource; it carries only the roles defined on it (origin
    "Application"), while the service principal lists all of them."""
    return {
        "id": app.app_object_id,
        "deletedDateTime": None,
        "appId": app.app_id,
        "applicationTemplateId": app.application_template_id,
        "appRoles": [copy.deepcopy(r) for r in app.app_roles if r["origin"] == "Application"],
        "displayName": app.display_name,
        "identifierUris": list(app.identifier_uris),
        "web": {
            "homePageUrl": None,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
            "logoutUrl": None,
            "redirectUris": list(app.redirect_uris),
        },
    }


def _check_assignable(app: EnterpriseApp, app_role_id: str, principal_type: str) -> None:
    """Users and groups take roles allowing "User"; service principals need "Application".
    The default-access id is valid only for an app that declares no roles."""
    if app_role_id == DEFAULT_ACCESS_ROLE_ID and not app.app_roles:
        return
    role = next((r for r in app.app_roles if r["id"] == app_role_id), None)
    if role is None:
        raise ValueError(f"app role {app_role_id!r} is not declared by {app.display_name!r}")
    member_type = "Application" if principal_type == "ServicePrincipal" else "User"
    if member_type not in role["allowedMemberTypes"] or not role["isEnabled"]:
        raise ValueError(f"app role {app_role_id!r} cannot be assigned to a {principal_type}")


def _assignment_id(principal: uuid.UUID) -> str:
    """Graph's assignment ids are unpadded base64url of 32 bytes that start with the
    principal's GUID; the rest is random here."""
    raw = principal.bytes_le + uuid.uuid4().bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _guid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{name} must be a GUID, got {value!r}") from None


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}") from None


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _format_time(moment: datetime) -> str:
    """UTC with a Z, as Graph writes DateTimeOffset; a seed without an offset means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
