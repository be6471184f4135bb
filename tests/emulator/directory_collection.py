"""What the applications and servicePrincipals collections serve alike: list (filter by
displayName or appId, and service principals by `tags/any(t:t eq '...')`; $select; $count with
ConsistencyLevel: eventual), get (certificate keys only when $select names keyCredentials), the
beta get the azuread provider reads, PATCH, DELETE and the owners (owners.py).

Pages: https://learn.microsoft.com/graph/api/application-get ,
https://learn.microsoft.com/graph/api/serviceprincipal-get ,
https://learn.microsoft.com/graph/api/serviceprincipal-list .
"""

from __future__ import annotations

from typing import Any, ClassVar

from . import owners
from .directory_objects import rendered
from .gallery import GalleryApp
from .graphreply import bad_request, no_content, resource_not_found
from .identity import Identity
from .messages import JsonObject, Request, Response
from .odata import (
    COLLECTION_OPTIONS,
    ENTITY_OPTIONS,
    advanced_count,
    conjunction_filter,
    refuse_unsupported_options,
    selected_properties,
)
from .patching import Schema
from .routing import Handler
from .store import Tenant
from .views import collection, entity

__all__ = ["DirectoryCollection", "rendered"]


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
    FILTERABLE: ClassVar[dict[str, str]] = {"displayName": "string", "appId": "string"}
    """What `$filter` may name, with the kind of literal (see odata.conjunction_filter)."""

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
            ("POST", f"{path}/{{object_id}}/owners/$ref", self._add_owner),
            ("DELETE", f"{path}/{{object_id}}/owners/{{owner}}/$ref", self._remove_owner),
            ("GET", f"/beta/{self.COLLECTION}/{{object_id}}", self._get_beta),
        ]

    def _object(self, request: Request, object_id: str) -> JsonObject:
        """The stored object, or Graph's 404."""
        found = self._objects().get(object_id)
        if found is None:
            raise resource_not_found(request, object_id)
        return found

    def _list(self, request: Request) -> Response:
        refuse_unsupported_options(request, COLLECTION_OPTIONS | {"$count"})
        clauses = conjunction_filter(request, self.FILTERABLE, self.SCHEMA.resource)
        selected = selected_properties(request, self.PROPERTIES, self.SCHEMA.type_name)
        count = advanced_count(request)
        found = [rendered(item) for item in self._objects().values()]
        found = [item for item in found if all(c.matches(item) for c in clauses)]
        return collection(request, self._base_url, self.COLLECTION, found, selected, count=count)

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
        """The owners, oldest first. Instantiating a gallery app adds none (the portal's
        creator is not one either), and the azuread provider removes the caller it adds to a
        service principal it creates. `$filter=id eq '…'` is how the azuread provider looks
        one owner up (`owner.ListOwners` with a filter, upstream
        internal/services/applications/application_owner_resource.go at v3.9.0); Graph lists
        directory objects filtered by id (https://learn.microsoft.com/graph/filter-query-parameter)."""
        refuse_unsupported_options(request, COLLECTION_OPTIONS)
        clauses = conjunction_filter(request, {"id": "string"}, "directoryObject")
        self._object(request, object_id)
        found = [
            owners.rendered_owner(self._tenant, self._identity, owner_id)
            for owner_id in self._tenant.owners.get(object_id, [])
        ]
        listed = [
            item for item in found if item is not None and all(c.matches(item) for c in clauses)
        ]
        return collection(request, self._base_url, "directoryObjects", listed, None)

    def _add_owner(self, request: Request, object_id: str) -> Response:
        self._object(request, object_id)
        body = request.body
        if not isinstance(body, dict) or "@odata.id" not in body:
            raise bad_request(request, "Empty Payload. JSON content expected.", "BadRequest")
        owner_id = self._owner_references([body["@odata.id"]], request)[0]
        owners.add_owner(self._tenant, object_id, owner_id, request)
        return no_content(request)

    def _remove_owner(self, request: Request, object_id: str, owner: str) -> Response:
        self._object(request, object_id)
        owners.remove_owner(self._tenant, object_id, owner, request)
        return no_content(request)

    def _owner_references(self, references: list[object], request: Request) -> list[str]:
        """The ids of existing users or service principals that `@odata.id` references name
        (Graph's 400 or 404 otherwise); a duplicate is the already-an-owner 400."""
        result: list[str] = []
        for reference in references:
            object_id = owners.referenced_id(reference, request)
            owner_id = owners.ensure_can_own(self._tenant, self._identity, object_id, request)
            if owner_id.lower() in (o.lower() for o in result):
                raise bad_request(request, owners.ALREADY_AN_OWNER)
            result.append(owner_id)
        return result
