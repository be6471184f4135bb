"""Principals given by object id, looked up in the directory before anything is declared.

Why before: an id that names no group or user then fails `pulumi preview` (and `pulumi up`)
naming its setting, with nothing registered, where passing it through unchecked failed `up` at
its assignment after other resources were created (Graph: "Not a valid reference update").

Why from the program and not with pulumi-azuread's `getGroups` / `getUsers`: those read one
object per Graph GET, one after another (terraform-provider-azuread v3.9.0,
`groups_data_source.go`, `users_data_source.go`), so 5,000 ids cost 5,000 round trips on every
preview. Graph finds fifteen objects in one list request (`rules.lookups`), with the same
permission: 334 requests for 5,000 ids, eight at a time. The program signs in as the azuread
provider and our dynamic providers do (`clients.connection`: the `azuread:*` settings, then the
`ARM_*` variables, then azure-identity's default chain).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Literal, Protocol

import pulumi

from clients.connection import ConfigError, resolve
from clients.graph import GraphClient
from components.settings import Principal
from components.stack_config import engine_config
from rules import redaction
from rules.lookups import REQUESTS_AT_ONCE, id_in_filter, lookup_requests

PRINCIPAL_SETTINGS = {"group": "assignmentGroups", "user": "assignmentUsers"}
COLLECTIONS: Mapping[str, Literal["groups", "users"]] = {"group": "groups", "user": "users"}


class ObjectIds(Protocol):
    """What the lookup needs of the directory (`GraphObjectIds` in the tenant)."""

    def existing_ids(
        self, collection: Literal["groups", "users"], ids: Sequence[str]
    ) -> list[str]: ...


class GraphObjectIds:
    """Object ids checked in the tenant through our Graph client, which bounds every request
    (its deadline, its retries within the stack's budget, 429's `Retry-After`) and is safe to
    share between threads (one session, azure-identity's token cache)."""

    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    def existing_ids(self, collection: Literal["groups", "users"], ids: Sequence[str]) -> list[str]:
        """Which of `ids` (1 to `rules.lookups.IDS_PER_REQUEST`) name an object of
        `collection`, as the directory spells them: `GET /groups?$filter=id in (…)&$select=id`
        (an id that names nothing, or an object of the other kind, is left out; `in` on `id` is
        served without advanced queries: https://learn.microsoft.com/graph/aad-advanced-queries
        )."""
        params = {"$filter": id_in_filter(ids), "$select": "id"}
        return [str(item.get("id")) for item in self._graph.get_all(f"/{collection}", params)]


def stack_directory() -> ObjectIds:
    """The stack's tenant, signed in as the azuread provider is. `load_settings` has already
    refused settings `resolve` cannot use; this reports one anyway rather than a traceback."""
    config, secret_keys = engine_config()
    try:
        connection = resolve(config, os.environ, secret_keys)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    return GraphObjectIds(GraphClient(connection.graph))


def setting_of(principal: Principal) -> str:
    return f"asana-provisioning:{PRINCIPAL_SETTINGS[principal.kind]}"


def missing_principal(principal: Principal) -> pulumi.RunError:
    """The error for a principal given by object id that the directory does not have: it names
    the setting and the id ("set (value hidden)" for a secret setting)."""
    given = (
        "is set (value hidden) and lists an object id"
        if principal.secret
        else f'lists the object id "{principal.reference}"'
    )
    collection = COLLECTIONS[principal.kind]
    return pulumi.RunError(
        f"{setting_of(principal)} {given} that is not a {principal.kind} in the tenant: Microsoft "
        f"Graph GET /{collection}?$filter=id in (…) did not return it"
    )


def failed_lookup(request: Sequence[Principal], error: BaseException) -> pulumi.RunError:
    """The error for a lookup that failed for another reason than a missing id (a missing id
    is left out of the reply, not an error): it names the setting, and keeps every secret id of
    the request out of the service's words."""
    secret = [p.reference for p in request if p.secret]
    reason = redaction.redact(str(error), secret)
    return pulumi.RunError(
        f"{setting_of(request[0])}: looking its object ids up in the tenant failed ({reason}); "
        "nothing was changed; run the command again"
    )


def existing_principals(
    principals: Sequence[Principal], directory: Callable[[], ObjectIds] | None = None
) -> dict[Principal, str]:
    """The object id of every principal given by object id, as the directory spells it, each
    checked in `directory` (the stack's tenant unless told otherwise; signed in only when there
    is an id to look up), `rules.lookups.IDS_PER_REQUEST` ids per request.

    The first request is sent alone, so it alone signs in; the others share its token,
    `REQUESTS_AT_ONCE` at a time. The first id asked for and not returned fails, naming its
    setting (`missing_principal`); a failed request fails naming the setting
    (`failed_lookup`), and the requests not yet sent are not sent. A secret id is kept out of
    every error."""
    requests = [
        request
        for kind in COLLECTIONS
        for request in lookup_requests([p for p in principals if p.kind == kind and p.is_object_id])
    ]
    if not requests:
        return {}
    reader = (directory or stack_directory)()
    replies = [_first_reply(reader, requests[0])]
    with ThreadPoolExecutor(REQUESTS_AT_ONCE, thread_name_prefix="principal-lookup") as pool:
        futures = [pool.submit(_ask, reader, request) for request in requests[1:]]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()  # after a failure: the requests not yet sent are not sent
    for request, future in zip(requests[1:], futures, strict=True):
        if not future.cancelled() and (error := future.exception()) is not None:
            raise failed_lookup(request, error) from None
    replies += [future.result() for future in futures]  # none cancelled without a failure
    found: dict[Principal, str] = {}
    for request, reply in zip(requests, replies, strict=True):
        found.update(_found_in(request, reply))
    return found


def _ask(reader: ObjectIds, request: Sequence[Principal]) -> list[str]:
    return reader.existing_ids(COLLECTIONS[request[0].kind], [p.reference for p in request])


def _first_reply(reader: ObjectIds, request: Sequence[Principal]) -> list[str]:
    try:
        return _ask(reader, request)
    except Exception as error:  # reported naming the setting, redacted
        raise failed_lookup(request, error) from None


def _found_in(request: Sequence[Principal], reply: Sequence[str]) -> dict[Principal, str]:
    returned = {object_id.lower(): object_id for object_id in reply}
    found: dict[Principal, str] = {}
    for principal in request:
        object_id = returned.get(principal.reference.lower())
        if object_id is None:
            raise missing_principal(principal)
        found[principal] = object_id
    return found
