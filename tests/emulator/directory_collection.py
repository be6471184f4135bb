"""What the applications and servicePrincipals collections serve alike: list (filter by
displayName or appId, $select), get (certificate keys only when $select names keyCredentials),
the beta get the azuread provider reads, PATCH, DELETE and an always empty owners list.

Pages: https://learn.microsoft.com/graph/api/application-get ,
https://learn.microsoft.com/graph/api/serviceprincipal-get .
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from .gallery import GalleryApp
from .graphreply import no_content, resource_not_found
from .identity import Identity
from .messages import JsonObject, Request, Response
from .odata import (
    COLLECTION_OPTIONS,
    ENTITY_OPTIONS,
    conjunction_filter,
    refuse_unsupported_options,
    selected_properties,
)
from .patching import Schema
from .routing import Handler
from .store import Tenant
from .views import collection, entity

_FILTERABLE = {"displayName": "string", "appId": "string"}


def rendered(item: JsonObject, *, reveal_keys: bool = False) -> JsonObject:
    """An application or service principal as Graph shows it: certificate keys only when one
    object is read with `$select=keyCredentials`, password secrets never."""
    body = copy.deepcopy(item)
    for key in body.get("keyCredentials") or []:
        if not reveal_keys:
            key["key"] = None
    for password in body.get("passwordCredentials") or []:
        password["secretText"] = None
    return body


class DirectoryCollection:
    """One collection of app objects; a subclass names its collection and schema, where its
    objects are kept, how one is patched and deleted. Routed and authenticated by `Graph`."""

    COLLECTION: ClassVar[str]
    """The URL segment and OData context name, e.g. "applications"."""
    SCHEMA: ClassVar[Schema]
    PROPERTIES: ClassVar[tuple[str, ...]]
    """The v1.0 properties $select may name."""
    BETA_ONLY: ClassVar[dict[str, Any]]
    """What beta shows besides v1.0's properties (and the provider reads)."""

    def __init__(
        self, base_url: str, tenant: Tenant, identity: Identity, gallery: dict[str, GalleryApp]
    ) -> None:
        self._base_url = base_url
        self._tenant = tenant
        self._identity = identity
        self._gallery = gallery

    def _objects(self) -> dict[str, JsonObject]:
        raise NotImplementedError

    def _delete_object(self, object_id: str) -> None:
        raise NotImplementedError

    def patch(self, object_id: str, changes: object, request: Request) -> None:
        raise NotImplementedError

    def _collection_routes(self) -> list[tuple[str, str, Handler]]:
        path = f"/v1.0/{self.COLLECTION}"
        return [
            ("GET", path, self._list),
            ("GET", f"{path}/{{object_id}}", self._get),
            ("PATCH", f"{path}/{{object_id}}", self._patch),
            ("DELETE", f"{path}/{{object_id}}", self._delete),
            ("GET", f"{path}/{{object_id}}/owners", self._owners),
            ("GET", f"/beta/{self.COLLECTION}/{{object_id}}", self._get_beta),
        ]

    def _object(self, request: Request, object_id: str) -> JsonObject:
        """The stored object, or Graph's 404."""
        found = self._objects().get(object_id)
        if found is None:
            raise resource_not_found(request, object_id)
        return found

    def _list(self, request: Request) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS)
        clauses = conjunction_filter(request, _FILTERABLE, self.SCHEMA.resource)
        selected = selected_properties(request, self.PROPERTIES, self.SCHEMA.type_name)
        found = [rendered(item) for item in self._objects().values()]
        found = [item for item in found if all(c.matches(item) for c in clauses)]
        return collection(request, self._base_url, self.COLLECTION, found, selected)

    def _get(self, request: Request, object_id: str) -> Response:
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        selected = selected_properties(request, self.PROPERTIES, self.SCHEMA.type_name)
        reveal = selected is not None and "keyCredentials" in selected
        item = rendered(self._object(request, object_id), reveal_keys=reveal)
        return entity(request, self._base_url, self.COLLECTION, item, selected)

    def _get_beta(self, request: Request, object_id: str) -> Response:
        """Only what the azuread provider reads from beta: v1.0's properties plus BETA_ONLY."""
        refuse_unsupported_options(request, ENTITY_OPTIONS)
        item = {**rendered(self._object(request, object_id)), **self.BETA_ONLY}
        selected = selected_properties(request, list(item), self.SCHEMA.type_name)
        return entity(request, self._base_url, self.COLLECTION, item, selected, version="beta")

    def _patch(self, request: Request, object_id: str) -> Response:
        self.patch(object_id, request.body, request)
        return no_content(request)

    def _delete(self, request: Request, object_id: str) -> Response:
        self._object(request, object_id)
        self._delete_object(object_id)
        return no_content(request)

    def _owners(self, request: Request, object_id: str) -> Response:
        """Owners are not modelled: instantiating a gallery app adds none the provider reads,
        and the provider removes the caller it adds to a service principal, leaving none."""
        refuse_unsupported_options(request, COLLECTION_OPTIONS - {"$filter"})
        self._object(request, object_id)
        return collection(request, self._base_url, "directoryObjects", [], None)
