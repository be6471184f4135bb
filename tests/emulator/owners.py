"""Owners of applications and service principals: who they are, how a reference names one, and
how Graph lists them.

Routes (served by `DirectoryCollection` for both collections):
* `GET /v1.0/{applications|servicePrincipals}/{id}/owners`: a directoryObject collection of
  the owners, users and service principals, each with its `@odata.type`;
* `POST .../{id}/owners/$ref` with `{"@odata.id": "<graph>/v1.0/directoryObjects/{ownerId}"}`:
  204; an owner already there is Graph's 400 "One or more added object references already
  exist for the following modified properties: 'owners'."; an unknown object 404;
* `DELETE .../{id}/owners/{ownerId}/$ref`: 204; not an owner 404.
`owners@odata.bind` on `POST /servicePrincipals` takes the same references.

Pages: https://learn.microsoft.com/graph/api/application-post-owners ,
https://learn.microsoft.com/graph/api/serviceprincipal-post-owners ,
https://learn.microsoft.com/graph/api/application-delete-owners ,
https://learn.microsoft.com/graph/api/serviceprincipal-delete-owners ,
https://learn.microsoft.com/graph/api/serviceprincipal-list-owners . Owners are "individual
users, the associated service principal, or another service principal" (application-post-owners).

The reference's host is not checked: go-azure-sdk (the azuread provider, upstream
vendor/github.com/hashicorp/go-azure-sdk/microsoft-graph/*/stable/owner/method_addownerref.go
with internal/services/applications/application_owner_resource.go and
internal/services/serviceprincipals/service_principal_resource.go at v3.9.0) sends its own
Graph base URL, `{endpoint}/v1.0/directoryObjects/{id}`, which against the emulator is the
emulator's address, and Microsoft's examples send https://graph.microsoft.com/v1.0/...; the path
must name `directoryObjects`, `users` or `servicePrincipals` and a GUID.

The app that holds a token (the deploying principal) is an owner the azuread provider adds when
it creates a service principal and then removes: its service principal exists in the real
tenant, so a reference to its object id (`Identity.registered_principal`) is accepted, and it is
listed with the few properties the emulator knows of it.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from .directory_objects import as_directory_object, rendered
from .graphreply import bad_request, resource_not_found
from .identity import Identity
from .messages import JsonObject, Request
from .store import Tenant

ALREADY_AN_OWNER = (
    "One or more added object references already exist for the following modified properties: "
    "'owners'."
)

_REFERENCE_PATH = re.compile(
    r"/(?:v1\.0|beta)/(?:directoryObjects|users|servicePrincipals)/(?P<id>[^/]+)", re.IGNORECASE
)


def referenced_id(reference: object, request: Request) -> str:
    """The object id an `@odata.id` (or an `owners@odata.bind` item) names, or Graph's 400."""
    if not isinstance(reference, str):
        raise bad_request(
            request, "Invalid value specified for property '@odata.id'.", "BadRequest"
        )
    found = _REFERENCE_PATH.fullmatch(urlsplit(reference).path)
    if found is None or not reference.lower().startswith(("https://", "http://")):
        raise bad_request(
            request,
            f"The reference '{reference}' is not a URL of a directory object.",
            "BadRequest",
        )
    try:
        return str(uuid.UUID(found["id"]))
    except ValueError:
        raise bad_request(request, f"Invalid object identifier '{found['id']}'.") from None


def ensure_can_own(tenant: Tenant, identity: Identity, object_id: str, request: Request) -> str:
    """The id of an existing user or service principal (404 if none; 400 for a group, which
    cannot own an app), in the stored spelling."""
    found = tenant.principal(object_id)
    if found is not None:
        kind, item = found
        if kind == "Group":
            raise bad_request(
                request,
                "Only users and service principals can be owners of an application or a "
                "service principal.",
            )
        return str(item["id"])
    caller = identity.registered_principal(object_id)
    if caller is not None:
        return caller.object_id
    raise resource_not_found(request, object_id)


def rendered_owner(tenant: Tenant, identity: Identity, owner_id: str) -> JsonObject | None:
    """One item of an owners collection, or None for an owner deleted meanwhile."""
    if owner_id in tenant.users:
        return as_directory_object("user", tenant.users[owner_id])
    if owner_id in tenant.service_principals:
        return as_directory_object(
            "servicePrincipal", rendered(tenant.service_principals[owner_id])
        )
    caller = identity.registered_principal(owner_id)
    if caller is None:
        return None
    return {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "id": caller.object_id,
        "appId": caller.client_id,
        "displayName": caller.display_name,
        "servicePrincipalType": "Application",
    }


def add_owner(tenant: Tenant, object_id: str, owner_id: str, request: Request) -> None:
    owners = tenant.owners.setdefault(object_id, [])
    if owner_id.lower() in (o.lower() for o in owners):
        raise bad_request(request, ALREADY_AN_OWNER)
    owners.append(owner_id)


def remove_owner(tenant: Tenant, object_id: str, owner_id: str, request: Request) -> None:
    owners = tenant.owners.get(object_id, [])
    kept = [o for o in owners if o.lower() != owner_id.lower()]
    if len(kept) == len(owners):
        raise resource_not_found(request, owner_id)
    tenant.owners[object_id] = kept
