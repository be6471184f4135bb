"""How Graph answers with directory objects: one entity with `@odata.context .../$entity`, or a
page of a collection, both projected on `$select`."""

from __future__ import annotations

from collections.abc import Sequence

from .graphreply import ok
from .messages import JsonObject, Request, Response
from .odata import context_url, page, project


def entity(
    request: Request,
    base_url: str,
    entity_set: str,
    item: JsonObject,
    selected: Sequence[str] | None,
    *,
    version: str = "v1.0",
    status: int = 200,
    default: Sequence[str] | None = None,
) -> Response:
    """`default` lists the properties shown without `$select` (None: all of them)."""
    context = context_url(base_url, entity_set, selected, version) + "/$entity"
    body = project(item, selected if selected is not None else default)
    return ok(request, {"@odata.context": context, **body}, status=status)


def collection(
    request: Request,
    base_url: str,
    entity_set: str,
    items: Sequence[JsonObject],
    selected: Sequence[str] | None,
    *,
    version: str = "v1.0",
    default: Sequence[str] | None = None,
    count: bool = False,
) -> Response:
    """`default` lists the properties shown without `$select` (None: all of them); `count`
    adds `@odata.count`, the number of matching items on all pages (see odata.advanced_count)."""
    body = page(request, base_url, context_url(base_url, entity_set, selected, version), items)
    if count:
        body = {"@odata.context": body.pop("@odata.context"), "@odata.count": len(items), **body}
    shown = selected if selected is not None else default
    body["value"] = [project(item, shown) for item in body["value"]]
    return ok(request, body)
