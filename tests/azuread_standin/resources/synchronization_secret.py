"""`azuread:index/synchronizationSecret:SynchronizationSecret` (upstream:
`internal/services/synchronization/synchronization_secret_resource.go`).

The provisioning credentials and settings of a service principal
(https://learn.microsoft.com/graph/api/synchronization-serviceprincipal-put-synchronization).
Graph only replaces them whole, and answers sensitive values (e.g. `SecretToken`) as `*`.

Wire, in order (every call repeated, bounded, on 409 and 403 as upstream's
`synchronizationRetryFunc`; creates, updates and deletes under a per-service-principal lock):
- create / update: `PUT /v1.0/servicePrincipals/{sp}/synchronization/secrets`
  `{"value": [{"key", "value"}, ...]}`; `GET .../synchronization/secrets` until it holds as many
  pairs as were sent, `confirmations` times in a row; then read;
- read: `GET .../synchronization/secrets` (404: gone); a `*` value takes the value from the
  state (so a changed token cannot be seen as drift, as upstream);
- delete: the `PUT` with every key's value `""`, then `GET` until none of the keys is listed.
`servicePrincipalId` forces replacement. Each credential's `value` is secret (Sensitive).
The id is `/servicePrincipals/{sp}`. Upstream documents the resource as not importable although
its code has an importer; the stand-in imports as that code does (values Graph masks stay `*`).
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.base import Resource, State
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import service_principal_id

MASK = "*"


def retry_synchronization(status: int, body: dict[str, Any] | None) -> bool:
    """Upstream `synchronizationRetryFunc`: 409 Conflict and 403 Forbidden are repeated."""
    return status in (409, 403)


class SynchronizationSecret(Resource):
    schema = ResourceSchema(
        "azuread:index/synchronizationSecret:SynchronizationSecret",
        "Manages the synchronization secrets of a service principal.",
        (
            Prop(
                "servicePrincipalId",
                "string",
                required=True,
                force_new=True,
                validators=(service_principal_id,),
            ),
            Prop(
                "credentials",
                "objects",
                optional=True,
                fields=(
                    Prop("key", "string", required=True),
                    Prop("value", "string", required=True, sensitive=True),
                ),
            ),
        ),
    )

    def parse_id(self, resource_id: str) -> str:
        return ids.service_principal(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        sp_id = ids.service_principal(inputs["servicePrincipalId"])
        resource_id = f"/servicePrincipals/{sp_id}"
        pairs = _pairs(inputs.get("credentials"))
        with ctx.locked("serviceprincipal", sp_id):
            self._put_and_wait(ctx, sp_id, pairs)
        state = self.read(ctx, resource_id, {"credentials": pairs})
        if state is None:
            raise PartialFailure(resource_id, dict(inputs), f"{resource_id}: secrets not found")
        return resource_id, state

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        sp_id = self.parse_id(resource_id)
        pairs = _pairs(news.get("credentials"))
        with ctx.locked("serviceprincipal", sp_id):
            self._put_and_wait(ctx, sp_id, pairs)
        state = self.read(ctx, resource_id, {"credentials": pairs})
        if state is None:
            raise StandinError(f"{resource_id}: the synchronization secrets disappeared")
        return state

    def _put_and_wait(self, ctx: Context, sp_id: str, pairs: list[dict[str, str]]) -> None:
        path = _secrets_path(sp_id)
        ctx.graph.request("PUT", path, body={"value": pairs}, retry_when=retry_synchronization)
        ctx.wait_until(
            f"synchronization secrets for /servicePrincipals/{sp_id}",
            lambda: len(_listed(ctx, path)) == len(pairs),
        )

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        sp_id = self.parse_id(resource_id)
        reply = ctx.graph.request(
            "GET", _secrets_path(sp_id), ok=(200, 404), retry_when=retry_synchronization
        )
        if reply.status == 404 or not isinstance(reply.body, dict):
            return None
        listed = reply.body.get("value")
        if listed is None:
            return None
        known = {pair["key"]: pair["value"] for pair in _pairs(state.get("credentials"))}
        credentials = []
        for item in listed:
            key = str(item.get("key") or "")
            value = str(item.get("value") if item.get("value") is not None else "")
            if value == MASK and key in known:
                value = known[key]
            credentials.append({"key": key, "value": value})
        return {"servicePrincipalId": resource_id, "credentials": credentials}

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        sp_id = self.parse_id(resource_id)
        keys = [pair["key"] for pair in _pairs(state.get("credentials"))]
        path = _secrets_path(sp_id)
        with ctx.locked("serviceprincipal", sp_id):
            ctx.graph.request(
                "PUT",
                path,
                body={"value": [{"key": key, "value": ""} for key in keys]},
                retry_when=retry_synchronization,
            )
            ctx.wait_until(
                f"deletion of synchronization secrets /servicePrincipals/{sp_id}",
                lambda: not any(item.get("key") in keys for item in _listed(ctx, path)),
            )


def _secrets_path(sp_id: str) -> str:
    return f"/servicePrincipals/{segment(sp_id)}/synchronization/secrets"


def _listed(ctx: Context, path: str) -> list[dict[str, Any]]:
    reply = ctx.graph.request("GET", path, ok=(200, 404), retry_when=retry_synchronization)
    if reply.status == 404 or not isinstance(reply.body, dict):
        return []
    return [item for item in reply.body.get("value") or [] if isinstance(item, dict)]


def _pairs(credentials: Any) -> list[dict[str, str]]:
    return [
        {"key": str(item.get("key")), "value": str(item.get("value"))}
        for item in credentials or []
        if isinstance(item, dict)
    ]
