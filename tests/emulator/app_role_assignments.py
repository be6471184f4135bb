"""App role assignments granted on a service principal (its "Users and groups"):
`GET/POST /servicePrincipals/{id}/appRoleAssignedTo` and `GET/DELETE .../appRoleAssignedTo/{id}`.

The azuread provider's azuread_app_role_assignment reads the resource principal, POSTs
{appRoleId, principalId, resourceId} (retrying on 404 and on 400 "Not a valid reference update",
the eventual-consistency answers), then reads the assignment by id, and DELETEs it on destroy.
Page: https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto ; resource:
https://learn.microsoft.com/graph/api/resources/approleassignment . Graph's refusal wording for
an unknown principal ("Not a valid reference update.") is the one the provider matches; for a
role the resource lacks, or one not open to the principal's type, it is the widely reported
"Permission being assigned was not found on application ..."; a duplicate gets
Request_MultipleObjectsWithSameKeyValue.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from .graphreply import bad_request, no_content, resource_not_found
from .messages import JsonObject, Request, Response
from .odata import (
    COLLECTION_OPTIONS,
    ENTITY_OPTIONS,
    refuse_unsupported_options,
    selected_properties,
)
from .routing import Handler
from .store import Tenant
from .views import collection, entity

DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
"""The appRoleId that assigns a principal to an app which declares no app roles."""

PRINCIPAL_TYPES = frozenset(["User", "Group", "ServicePrincipal"])

_ASSIGNED_TO = "/v1.0/servicePrincipals/{sp}/appRoleAssignedTo"
_PROPERTIES = (
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
_BODY_PROPERTIES = frozenset(["appRoleId", "principalId", "resourceId", "principalType"])


class AppRoleAssignments:
    """Assignments by resource service principal, oldest first; routed by `Graph`."""

    def __init__(self, base_url: str, tenant: Tenant) -> None:
        self._base_url = base_url
        self._tenant = tenant

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", _ASSIGNED_TO, self._list),
            ("POST", _ASSIGNED_TO, self._create),
            ("GET", f"{_ASSIGNED_TO}/{{assignment}}", self._get),
            ("DELETE", f"{_ASSIGNED_TO}/{{assignment}}", self._delete),
        ]

    # ----- state access for the Emulator facade (out of band, no HTTP) -----

    def add(
        self,
        sp_id: str,
        *,
        principal_id: str,
        principal_type: str,
        principal_display_name: str,
        app_role_id: str,
    ) -> str:
        """Assign a user, group or service principal (`principal_type` "User", "Group" or
        "ServicePrincipal") one of the app's roles, as the portal's Users and groups blade
        would; returns the assignment id. The principal need not exist in the emulated
        directory (a seed may name any GUID)."""
        resource = self._tenant.service_principals.get(sp_id)
        if resource is None:
            raise KeyError(f"service principal {sp_id!r} has no directory properties")
        if principal_type not in PRINCIPAL_TYPES:
            raise ValueError(f"principal_type must be one of {sorted(PRINCIPAL_TYPES)}")
        principal = _guid(principal_id, "principal_id")
        problem = assignability_problem(resource, app_role_id, principal_type)
        if problem is not None:
            raise ValueError(problem)
        assignment = {
            "id": _assignment_id(principal),
            "deletedDateTime": None,
            "appRoleId": app_role_id,
            "createdDateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "principalDisplayName": principal_display_name,
            "principalId": principal_id,
            "principalType": principal_type,
            "resourceId": sp_id,
        }
        self._tenant.assignments.setdefault(sp_id, []).append(assignment)
        return str(assignment["id"])

    def remove(self, sp_id: str, assignment_id: str) -> None:
        """Out of band: an admin removed a user or group from the app's Users and groups."""
        assignments = self._tenant.assignments.get(sp_id, [])
        kept = [a for a in assignments if a["id"] != assignment_id]
        if len(kept) == len(assignments):
            raise KeyError(f"no assignment {assignment_id!r} on {sp_id!r}")
        assignments[:] = kept

    # ----- route handlers -----

    def _list(self, request: Request, sp: str) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS - {"$filter"})
        resource = self._resource(request, sp)
        selected = selected_properties(request, _PROPERTIES, "appRoleAssignment")
        found = [self._render(resource, a) for a in self._tenant.assignments.get(sp, [])]
        path = f"servicePrincipals('{sp}')/appRoleAssignedTo"
        return collection(request, self._base_url, path, found, selected)

    def _get(self, request: Request, sp: str, assignment: str) -> Response:
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        resource = self._resource(request, sp)
        found = self._assignment(request, sp, assignment)
        selected = selected_properties(request, _PROPERTIES, "appRoleAssignment")
        path = f"servicePrincipals('{sp}')/appRoleAssignedTo"
        return entity(request, self._base_url, path, self._render(resource, found), selected)

    def _delete(self, request: Request, sp: str, assignment: str) -> Response:
        self._resource(request, sp)
        self._assignment(request, sp, assignment)
        self.remove(sp, assignment)
        return no_content(request)

    def _create(self, request: Request, sp: str) -> Response:
        resource = self._resource(request, sp)
        body = request.body
        if not isinstance(body, dict):
            raise bad_request(request, "Empty Payload. JSON content expected.", "BadRequest")
        for name in body:
            if name != "@odata.type" and name not in _BODY_PROPERTIES:
                raise bad_request(
                    request,
                    f"Property '{name}' does not exist as a declared property or extension "
                    "property.",
                )
        values = {name: body.get(name) for name in ("appRoleId", "principalId", "resourceId")}
        for name, value in values.items():
            if not isinstance(value, str) or not _is_guid(value):
                raise bad_request(
                    request,
                    f"Invalid value specified for property '{name}' of resource "
                    "'AppRoleAssignment'.",
                )
        if values["resourceId"].lower() != sp.lower():
            raise bad_request(request, "The resourceId must be the service principal addressed.")
        found = self._tenant.principal(values["principalId"])
        if found is None:
            raise bad_request(request, "Not a valid reference update.")
        principal_type, principal = found
        problem = assignability_problem(resource, values["appRoleId"], principal_type)
        if problem is not None:
            raise bad_request(
                request,
                f"Permission being assigned was not found on application '{resource['appId']}'.",
            )
        for existing in self._tenant.assignments.get(sp, []):
            if (existing["principalId"].lower(), existing["appRoleId"].lower()) == (
                values["principalId"].lower(),
                values["appRoleId"].lower(),
            ):
                raise bad_request(
                    request,
                    "Permission being assigned already exists on the object",
                    "Request_MultipleObjectsWithSameKeyValue",
                )
        assignment_id = self.add(
            sp,
            principal_id=principal["id"],
            principal_type=principal_type,
            principal_display_name=principal["displayName"],
            app_role_id=values["appRoleId"],
        )
        created = self._render(resource, self._assignment(request, sp, assignment_id))
        path = f"servicePrincipals('{sp}')/appRoleAssignedTo"
        return entity(request, self._base_url, path, created, None, status=201)

    # ----- helpers -----

    def _resource(self, request: Request, sp: str) -> JsonObject:
        found = self._tenant.service_principals.get(sp)
        if found is None:
            raise resource_not_found(request, sp)
        return found

    def _assignment(self, request: Request, sp: str, assignment: str) -> JsonObject:
        for item in self._tenant.assignments.get(sp, []):
            if item["id"] == assignment:
                return item
        raise resource_not_found(request, assignment)

    @staticmethod
    def _render(resource: JsonObject, assignment: JsonObject) -> JsonObject:
        """The stored assignment with the resource's current name, in Graph's order."""
        item = {**assignment, "resourceDisplayName": resource["displayName"]}
        return {key: item[key] for key in _PROPERTIES}


def assignability_problem(
    resource: JsonObject, app_role_id: str, principal_type: str
) -> str | None:
    """Why `resource` cannot grant the role to that kind of principal, or None if it can.
    Users and groups take roles allowing "User"; service principals need "Application".
    The default-access id is valid only for an app that declares no roles."""
    roles = resource["appRoles"]
    if app_role_id == DEFAULT_ACCESS_ROLE_ID and not roles:
        return None
    role = next((r for r in roles if r["id"].lower() == app_role_id.lower()), None)
    if role is None:
        return f"app role {app_role_id!r} is not declared by {resource['displayName']!r}"
    member_type = "Application" if principal_type == "ServicePrincipal" else "User"
    if member_type not in role["allowedMemberTypes"] or not role["isEnabled"]:
        return f"app role {app_role_id!r} cannot be assigned to a {principal_type}"
    return None


def _assignment_id(principal: uuid.UUID) -> str:
    """Graph's assignment ids are unpadded base64url of 32 bytes that start with the
    principal's GUID; the rest is random here."""
    raw = principal.bytes_le + uuid.uuid4().bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _guid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{name} must be a GUID, got {value!r}") from None
