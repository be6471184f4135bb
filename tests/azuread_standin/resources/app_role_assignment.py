"""`azuread:index/appRoleAssignment:AppRoleAssignment` (upstream:
`internal/services/approleassignments/app_role_assignment_resource.go`).

Assigns a user, group or service principal an app role of the resource service principal
(https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto).

Wire, in order:
- create: `GET /v1.0/servicePrincipals/{resourceObjectId}` (404: "Service principal not
  found"); `POST /v1.0/servicePrincipals/{resourceObjectId}/appRoleAssignedTo`
  `{"@odata.type": "#microsoft.graph.appRoleAssignment", "appRoleId", "principalId",
  "resourceId"}`, repeated (bounded) on 404 and on 400 "Not a valid reference update" as upstream
  does; id from the reply's `resourceId` and `id`; then read;
- read: `GET /v1.0/servicePrincipals/{sp}/appRoleAssignedTo/{id}` (404: gone);
- delete: `DELETE /v1.0/servicePrincipals/{sp}/appRoleAssignedTo/{id}`.
Every input forces replacement; there is no update. Nothing is secret.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.graph import graph_error_message, segment
from tests.azuread_standin.resources.base import Resource, State
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import is_uuid

ASSIGNMENT_ODATA_TYPE = "#microsoft.graph.appRoleAssignment"


def _retry_assignment(status: int, body: dict[str, Any] | None) -> bool:
    """Upstream's RetryFunc: the principal or role may not have replicated yet."""
    return status == 404 or (
        status == 400 and "Not a valid reference update" in graph_error_message(body)
    )


class AppRoleAssignment(Resource):
    schema = ResourceSchema(
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "Manages an app role assignment for a group, user or service principal.",
        (
            Prop("appRoleId", "string", required=True, force_new=True, validators=(is_uuid,)),
            Prop(
                "principalObjectId", "string", required=True, force_new=True, validators=(is_uuid,)
            ),
            Prop(
                "resourceObjectId", "string", required=True, force_new=True, validators=(is_uuid,)
            ),
            Prop("principalDisplayName", "string", computed=True),
            Prop("principalType", "string", computed=True),
            Prop("resourceDisplayName", "string", computed=True),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.AppRoleAssignedToId:
        return ids.AppRoleAssignedToId.parse(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        resource = inputs["resourceObjectId"]
        path = f"/servicePrincipals/{segment(resource)}"
        if ctx.graph.get_if_exists(path) is None:
            raise StandinError(
                f"Service principal not found for resource (Object ID: {resource!r})"
            )
        created = ctx.graph.request(
            "POST",
            f"{path}/appRoleAssignedTo",
            body={
                "@odata.type": ASSIGNMENT_ODATA_TYPE,
                "appRoleId": inputs["appRoleId"],
                "principalId": inputs["principalObjectId"],
                "resourceId": resource,
            },
            retry_when=_retry_assignment,
        ).body
        if not isinstance(created, dict) or not created.get("id"):
            raise StandinError("Bad API response: the ID returned for app role assignment is nil")
        if not created.get("resourceId"):
            raise StandinError(
                "Bad API response: resource ID returned for app role assignment is nil"
            )
        resource_id = str(ids.AppRoleAssignedToId(str(created["resourceId"]), str(created["id"])))
        state = self.read(ctx, resource_id, {})
        if state is None:
            raise PartialFailure(resource_id, dict(inputs), f"retrieving {resource_id}: not found")
        return resource_id, state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        assignment = ctx.graph.get_if_exists(
            f"/servicePrincipals/{segment(parsed.service_principal_id)}/appRoleAssignedTo/"
            f"{segment(parsed.assignment_id)}"
        )
        if assignment is None:
            return None
        return {
            "appRoleId": assignment.get("appRoleId") or "",
            "principalDisplayName": assignment.get("principalDisplayName") or "",
            "principalObjectId": assignment.get("principalId") or "",
            "principalType": assignment.get("principalType") or "",
            "resourceDisplayName": assignment.get("resourceDisplayName") or "",
            "resourceObjectId": assignment.get("resourceId") or "",
        }

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        ctx.graph.request(
            "DELETE",
            f"/servicePrincipals/{segment(parsed.service_principal_id)}/appRoleAssignedTo/"
            f"{segment(parsed.assignment_id)}",
        )
