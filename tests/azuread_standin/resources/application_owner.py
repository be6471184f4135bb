"""`azuread:index/applicationOwner:ApplicationOwner` (upstream:
`internal/services/applications/application_owner_resource.go`, with `GetOwner` from
`internal/helpers/applications/applications.go`; Python SDK `pulumi_azuread.ApplicationOwner`).

One owner of an application (https://learn.microsoft.com/graph/api/application-post-owners).
Inputs `applicationId` (`/applications/{objectId}`) and `ownerObjectId` (a GUID), both
required and both forcing replacement; no other attributes. The id, which is also the import
id, is `/applications/{objectId}/owners/{ownerObjectId}`.

Wire, in order (each operation under the per-application lock, `tf.LockByName`):
- create: `GET /v1.0/applications/{id}/owners?$filter=id eq '{owner}'` (404: none); an owner
  already listed fails as "already exists" (import it); else `POST
  /v1.0/applications/{id}/owners/$ref` `{"@odata.id": "{graph}/v1.0/directoryObjects/{owner}"}`,
  repeated while Graph answers 404 (upstream's RetryFunc: the owner or app may not have
  replicated); then read (the typed SDK wrapper reads after every create);
- read: the same filtered `GET .../owners` (404, or the owner not listed: gone);
- delete: `DELETE /v1.0/applications/{id}/owners/{owner}/$ref`.
Nothing is secret.
"""

from __future__ import annotations

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.base import Resource, State, already_exists
from tests.azuread_standin.resources.service_principal import owner_reference
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import application_id, is_uuid


class ApplicationOwner(Resource):
    schema = ResourceSchema(
        "azuread:index/applicationOwner:ApplicationOwner",
        "Manages a single owner for an application registration.",
        (
            Prop(
                "applicationId",
                "string",
                required=True,
                force_new=True,
                validators=(application_id,),
            ),
            Prop("ownerObjectId", "string", required=True, force_new=True, validators=(is_uuid,)),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.ApplicationOwnerId:
        return ids.ApplicationOwnerId.parse(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        app_id = ids.application(inputs["applicationId"])
        resource_id = ids.ApplicationOwnerId(app_id, inputs["ownerObjectId"])
        with ctx.locked("application", app_id):
            if _listed_owner(ctx, resource_id) is not None:
                raise already_exists("azuread_application_owner", str(resource_id))
            ctx.graph.request(
                "POST",
                f"/applications/{segment(app_id)}/owners/$ref",
                body={"@odata.id": owner_reference(ctx, resource_id.owner_id)},
                retry_when=lambda status, _body: status == 404,
            )
        state = self.read(ctx, str(resource_id), {})
        if state is None:
            raise StandinError(
                f"expected non-empty ID for new state during Create: {resource_id} was not "
                "found right after it was added"
            )
        return str(resource_id), state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        with ctx.locked("application", parsed.application_id):
            if _listed_owner(ctx, parsed) is None:
                return None
        return {
            "applicationId": f"/applications/{parsed.application_id}",
            "ownerObjectId": parsed.owner_id,
        }

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        with ctx.locked("application", parsed.application_id):
            ctx.graph.request(
                "DELETE",
                f"/applications/{segment(parsed.application_id)}/owners/"
                f"{segment(parsed.owner_id)}/$ref",
                ok=(200, 204),
            )


def _listed_owner(ctx: Context, owner: ids.ApplicationOwnerId) -> dict[str, object] | None:
    """`applications.GetOwner`: list the owners filtered by id; 404 means none."""
    reply = ctx.graph.request(
        "GET",
        f"/applications/{segment(owner.application_id)}/owners",
        params={"$filter": f"id eq '{owner.owner_id}'"},
        ok=(200, 404),
    )
    if reply.status == 404 or not isinstance(reply.body, dict):
        return None
    for item in reply.body.get("value") or []:
        if isinstance(item, dict) and str(item.get("id") or "").lower() == owner.owner_id.lower():
            return item
    return None
