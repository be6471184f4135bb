"""`azuread:index/applicationFromTemplate:ApplicationFromTemplate` (upstream:
`internal/services/applications/application_from_template_resource.go`).

Wire, in order:
- create: `POST /v1.0/applicationTemplates/{templateId}/instantiate` `{"displayName": …}`
  (https://learn.microsoft.com/graph/api/applicationtemplate-instantiate), then
  `GET /v1.0/applications/{id}` until it is found `confirmations` times in a row, then read;
- read: `GET /v1.0/applications/{id}` (404: gone);
- update (only `displayName`): `PATCH /v1.0/applications/{id}`
  `{"@odata.type": "#microsoft.graph.application", "displayName": …}`, then read;
- delete: `DELETE /v1.0/applications/{id}`.
`templateId` forces replacement. Nothing is secret.
"""

from __future__ import annotations

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.base import Resource, State
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import is_uuid, not_empty

APPLICATION_ODATA_TYPE = "#microsoft.graph.application"


class ApplicationFromTemplate(Resource):
    schema = ResourceSchema(
        "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
        "Creates an application and its service principal from an app gallery template.",
        (
            Prop("displayName", "string", required=True, validators=(not_empty,)),
            Prop("templateId", "string", required=True, force_new=True, validators=(is_uuid,)),
            Prop("applicationId", "string", computed=True),
            Prop("applicationObjectId", "string", computed=True),
            Prop("servicePrincipalId", "string", computed=True),
            Prop("servicePrincipalObjectId", "string", computed=True),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.FromTemplateId:
        return ids.FromTemplateId.parse(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        template_id = inputs["templateId"]
        reply = ctx.graph.request(
            "POST",
            f"/applicationTemplates/{segment(template_id)}/instantiate",
            body={"displayName": inputs["displayName"]},
        )
        body = reply.body if isinstance(reply.body, dict) else {}
        app = body.get("application") or {}
        sp = body.get("servicePrincipal") or {}
        if not app.get("id") or not sp.get("id"):
            raise StandinError(
                f"creating Application Template (Application Template Id: {template_id!r}): "
                "the instantiate reply has no application or servicePrincipal id"
            )
        resource_id = str(ids.FromTemplateId(template_id, app["id"], sp["id"]))
        path = f"/applications/{segment(app['id'])}"
        try:
            ctx.wait_until(
                "replication of new application",
                lambda: ctx.graph.get_if_exists(path) is not None,
            )
        except StandinError as error:
            raise PartialFailure(
                resource_id, self._state(inputs["displayName"], resource_id), str(error)
            ) from None
        state = self.read(ctx, resource_id, {})
        if state is None:
            raise PartialFailure(resource_id, {}, "the new application disappeared")
        return resource_id, state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        app = ctx.graph.get_if_exists(f"/applications/{segment(parsed.application_id)}")
        if app is None:
            return None
        return self._state(str(app.get("displayName") or ""), resource_id)

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        parsed = self.parse_id(resource_id)
        if news.get("displayName") != olds.get("displayName"):
            ctx.graph.request(
                "PATCH",
                f"/applications/{segment(parsed.application_id)}",
                body={"@odata.type": APPLICATION_ODATA_TYPE, "displayName": news["displayName"]},
            )
        state = self.read(ctx, resource_id, olds)
        if state is None:
            raise StandinError(f"{resource_id} disappeared while it was being updated")
        return state

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        with ctx.locked("application", parsed.application_id):
            ctx.graph.request("DELETE", f"/applications/{segment(parsed.application_id)}")

    @staticmethod
    def _state(display_name: str, resource_id: str) -> State:
        parsed = ids.FromTemplateId.parse(resource_id)
        return {
            "displayName": display_name,
            "templateId": parsed.template_id,
            "applicationId": f"/applications/{parsed.application_id}",
            "applicationObjectId": parsed.application_id,
            "servicePrincipalId": f"/servicePrincipals/{parsed.service_principal_id}",
            "servicePrincipalObjectId": parsed.service_principal_id,
        }
