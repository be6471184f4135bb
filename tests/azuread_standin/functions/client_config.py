"""`azuread:index/getClientConfig:getClientConfig` (upstream:
`internal/services/serviceprincipals/client_config_data_source.go`).

No request: the configured tenant and client ids, and the object id from the access token's
`oid` claim, read when the provider was configured. The `id` is
`{tenantId}-{clientId}-{objectId}`. (The token's `tid` is decoded too; upstream returns the
configured tenant, which is the token's tenant for a client-secret sign-in.)
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin.context import Context
from tests.azuread_standin.functions.base import Function, FunctionSchema
from tests.azuread_standin.schema import Prop


class GetClientConfig(Function):
    schema = FunctionSchema(
        "azuread:index/getClientConfig:getClientConfig",
        "The tenant, client and object ids the provider signed in with.",
        args=(),
        outputs=(
            Prop("clientId", "string", computed=True),
            Prop("id", "string", computed=True),
            Prop("objectId", "string", computed=True),
            Prop("tenantId", "string", computed=True),
        ),
    )

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        caller = ctx.caller
        return {
            "clientId": caller.client_id,
            "id": f"{caller.tenant_id}-{caller.client_id}-{caller.object_id}",
            "objectId": caller.object_id,
            "tenantId": caller.tenant_id,
        }
