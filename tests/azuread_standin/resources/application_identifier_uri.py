"""`azuread:index/applicationIdentifierUri:ApplicationIdentifierUri` (upstream:
`internal/services/applications/application_identifier_uri_resource.go`).

One entry of an application's `identifierUris` (the SAML Entity ID of a gallery app). Graph
replaces the whole collection on PATCH, so every operation reads the application first, under a
per-application lock (https://learn.microsoft.com/graph/api/application-update).

Wire, in order:
- create: `GET /v1.0/applications/{id}`; the URI already there fails as "already exists";
  else `PATCH /v1.0/applications/{id}` `{"@odata.type": "#microsoft.graph.application",
  "identifierUris": [...existing, new]}`, then read;
- read: `GET /v1.0/applications/{id}` (404, or the URI no longer listed: gone);
- delete: `GET` then `PATCH` with the URI removed (an absent URI is an error).
Both inputs force replacement; there is no update. Nothing is secret.
"""

from __future__ import annotations

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.application_from_template import APPLICATION_ODATA_TYPE
from tests.azuread_standin.resources.base import Resource, State, already_exists
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import application_id, not_empty


class ApplicationIdentifierUri(Resource):
    schema = ResourceSchema(
        "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri",
        "Manages a single identifier URI of an application.",
        (
            Prop(
                "applicationId",
                "string",
                required=True,
                force_new=True,
                validators=(application_id,),
            ),
            Prop("identifierUri", "string", required=True, force_new=True, validators=(not_empty,)),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.IdentifierUriId:
        return ids.IdentifierUriId.parse(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        app_id = ids.application(inputs["applicationId"])
        uri = inputs["identifierUri"]
        resource_id = str(ids.IdentifierUriId.of(app_id, uri))
        path = f"/applications/{segment(app_id)}"
        with ctx.locked("application", app_id):
            app = ctx.graph.get(path)
            existing = list(app.get("identifierUris") or [])
            if uri in existing:
                raise already_exists("azuread_application_identifier_uri", resource_id)
            ctx.graph.request(
                "PATCH",
                path,
                body={"@odata.type": APPLICATION_ODATA_TYPE, "identifierUris": [*existing, uri]},
            )
        state = self.read(ctx, resource_id, {})
        if state is None:
            raise StandinError(f"creating {resource_id}: the identifier URI is not listed")
        return resource_id, state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        uri = parsed.identifier_uri
        with ctx.locked("application", parsed.application_id):
            app = ctx.graph.get_if_exists(f"/applications/{segment(parsed.application_id)}")
        if app is None or uri not in (app.get("identifierUris") or []):
            return None
        return {"applicationId": f"/applications/{parsed.application_id}", "identifierUri": uri}

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        uri = state.get("identifierUri") or parsed.identifier_uri
        path = f"/applications/{segment(parsed.application_id)}"
        with ctx.locked("application", parsed.application_id):
            app = ctx.graph.get(path)
            existing = app.get("identifierUris")
            if existing is None:
                raise StandinError(
                    f"retrieving /applications/{parsed.application_id}: identifierUris was nil"
                )
            if uri not in existing:
                raise StandinError(
                    f"deleting {resource_id}: could not identify existing identifier URI"
                )
            remaining = [item for item in existing if item != uri]
            ctx.graph.request(
                "PATCH",
                path,
                body={"@odata.type": APPLICATION_ODATA_TYPE, "identifierUris": remaining},
            )
