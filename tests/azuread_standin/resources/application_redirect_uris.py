"""`azuread:index/applicationRedirectUris:ApplicationRedirectUris` (upstream:
`internal/services/applications/application_redirect_uris_resource.go`).

The redirect URIs of one platform (`Web`, `SPA`, `PublicClient`) of an application; for a SAML
gallery app, `Web` holds the reply URL (ACS).

Wire, in order:
- create: `GET /v1.0/applications/{id}`; URIs already set for the type fail as "already
  exists"; else `PATCH /v1.0/applications/{id}` `{"@odata.type": "#microsoft.graph.application",
  "web": {"redirectUris": [...]}}` (`spa` / `publicClient` for the other types), then read;
- read: `GET /v1.0/applications/{id}` (404, or no URIs of the type: gone);
- update: the same `PATCH` with the new set, then read;
- delete: the same `PATCH` with `[]`.
`applicationId` and `type` force replacement. Nothing is secret.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.application_from_template import APPLICATION_ODATA_TYPE
from tests.azuread_standin.resources.base import Resource, State, already_exists
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import application_id, each, one_of, redirect_uri

PLATFORMS = {"PublicClient": "publicClient", "SPA": "spa", "Web": "web"}
"""Redirect URI type -> the application property that holds its `redirectUris`."""


class ApplicationRedirectUris(Resource):
    schema = ResourceSchema(
        "azuread:index/applicationRedirectUris:ApplicationRedirectUris",
        "Manages the redirect URIs of one platform of an application.",
        (
            Prop(
                "applicationId",
                "string",
                required=True,
                force_new=True,
                validators=(application_id,),
            ),
            Prop(
                "type",
                "string",
                required=True,
                force_new=True,
                validators=(one_of(*PLATFORMS),),
            ),
            Prop("redirectUris", "set", required=True, validators=(each(redirect_uri),)),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.RedirectUrisId:
        parsed = ids.RedirectUrisId.parse(resource_id)
        if parsed.uri_type not in PLATFORMS:
            raise StandinError(f'parsing "{resource_id}": unknown redirect URI type')
        return parsed

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        app_id = ids.application(inputs["applicationId"])
        uri_type = inputs["type"]
        resource_id = str(ids.RedirectUrisId(app_id, uri_type))
        path = f"/applications/{segment(app_id)}"
        with ctx.locked("application", app_id):
            app = ctx.graph.get(path)
            if uris_of(app, uri_type):
                raise already_exists("azuread_application_redirect_uris", resource_id)
            ctx.graph.request("PATCH", path, body=_body(uri_type, inputs["redirectUris"]))
        state = self.read(ctx, resource_id, {})
        if state is None:
            raise StandinError(f"creating {resource_id}: the redirect URIs are not set")
        return resource_id, state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        with ctx.locked("application", parsed.application_id):
            app = ctx.graph.get_if_exists(f"/applications/{segment(parsed.application_id)}")
        uris = uris_of(app, parsed.uri_type) if app is not None else []
        if not uris:
            return None
        return {
            "applicationId": f"/applications/{parsed.application_id}",
            "type": parsed.uri_type,
            "redirectUris": uris,
        }

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        parsed = self.parse_id(resource_id)
        with ctx.locked("application", parsed.application_id):
            ctx.graph.request(
                "PATCH",
                f"/applications/{segment(parsed.application_id)}",
                body=_body(parsed.uri_type, news["redirectUris"]),
            )
        state = self.read(ctx, resource_id, olds)
        if state is None:
            raise StandinError(f"updating {resource_id}: the redirect URIs are not set")
        return state

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        with ctx.locked("application", parsed.application_id):
            ctx.graph.request(
                "PATCH",
                f"/applications/{segment(parsed.application_id)}",
                body=_body(parsed.uri_type, []),
            )


def uris_of(app: dict[str, Any], uri_type: str) -> list[str]:
    platform = app.get(PLATFORMS[uri_type])
    return list(platform.get("redirectUris") or []) if isinstance(platform, dict) else []


def _body(uri_type: str, uris: list[str]) -> dict[str, Any]:
    return {
        "@odata.type": APPLICATION_ODATA_TYPE,
        PLATFORMS[uri_type]: {"redirectUris": list(uris)},
    }
