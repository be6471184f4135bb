"""Principals given by object id, looked up in the directory before anything is declared.

Why before: an id that names no group or user then fails `pulumi preview` (and `pulumi up`)
naming its setting, with nothing registered, where passing it through unchecked failed `up` at
its assignment after other resources were created (Graph: "Not a valid reference update").

Why asynchronous: pulumi-azuread's `getGroups` / `getUsers` by `objectIds` read one object per
Graph GET, one after another (terraform-provider-azuread v3.9.0, `groups_data_source.go`,
`users_data_source.go`). The ids are cut into a few batches (`rules.lookups`) whose invokes run
at the same time, which a plain (synchronous) invoke cannot do; so the program awaits this
from the entry point it gives `pulumi.run`.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_azuread as azuread

from components.settings import Principal
from rules import redaction
from rules.lookups import lookup_batches

PRINCIPAL_SETTINGS = {"group": "assignmentGroups", "user": "assignmentUsers"}
AZUREAD_VERSION = importlib.metadata.version("pulumi-azuread")
"""The plugin version pulumi-azuread's own functions and resources ask for (the package's
version, pinned in requirements.txt): an invoke without it may be served by another default
provider than the resources' one."""
_LOOKUPS: Mapping[str, tuple[str, type, str]] = {
    # kind: (function, its result type, upstream's words for an id it did not find)
    "group": ("azuread:index/getGroups:getGroups", azuread.GetGroupsResult, "No group found"),
    "user": ("azuread:index/getUsers:getUsers", azuread.GetUsersResult, "User not found"),
}


def setting_of(principal: Principal) -> str:
    return f"asana-provisioning:{PRINCIPAL_SETTINGS[principal.kind]}"


def missing_principal(principal: Principal, reason: str) -> pulumi.RunError:
    """The error for a principal given by object id that the directory does not have: it names
    the setting and the id ("set (value hidden)" for a secret setting, with the id taken out of
    `reason` too)."""
    given = (
        "is set (value hidden) and lists an object id"
        if principal.secret
        else f'lists the object id "{principal.reference}"'
    )
    reason = redaction.redact(reason, [principal.reference] if principal.secret else [])
    return pulumi.RunError(
        f"{setting_of(principal)} {given} that is not a {principal.kind} in the tenant: the "
        f"lookup failed ({reason})"
    )


def failed_lookup(batch: Sequence[Principal], error: BaseException) -> pulumi.RunError:
    """The error for a lookup that failed for another reason than a missing id (with
    `ignoreMissing` a missing id is left out, not an error): it names the setting, and keeps
    every secret id of the batch out of the provider's words."""
    secret = [p.reference for p in batch if p.secret]
    reason = redaction.redact(str(error), secret)
    return pulumi.RunError(
        f"{setting_of(batch[0])}: looking its object ids up in the tenant failed ({reason}); "
        "nothing was changed; run the command again"
    )


async def existing_principals(
    principals: Sequence[Principal], opts: pulumi.InvokeOptions | None = None
) -> dict[Principal, str]:
    """The object id of every principal given by object id, as the directory spells it, each
    checked in the directory: `getGroups` / `getUsers` by `objectIds` with `ignoreMissing`, in
    `rules.lookups` batches run concurrently. The first id asked for and not returned fails,
    naming its setting (`missing_principal`); a failed invoke fails naming the setting
    (`failed_lookup`). `opts` should choose the provider the resources use (its `provider`).

    Every batch is awaited before any error is raised, so no invoke is left running unobserved
    (asyncio would print its failure unredacted). A secret id is sent as a plain value (an
    invoke's inputs are not kept in state) and kept out of every error."""
    batches = [
        batch
        for kind in ("group", "user")
        for batch in lookup_batches([p for p in principals if p.kind == kind and p.is_object_id])
    ]
    results = await asyncio.gather(
        *(_look_up(batch, opts) for batch in batches), return_exceptions=True
    )
    found: dict[Principal, str] = {}
    for batch, result in zip(batches, results, strict=True):
        if isinstance(result, BaseException):
            raise failed_lookup(batch, result) from None
        found.update(_found_in(batch, result))
    return found


async def _look_up(batch: Sequence[Principal], opts: pulumi.InvokeOptions | None) -> Any:
    function, result_type, _ = _LOOKUPS[batch[0].kind]
    # Fresh options per invoke: the SDK writes the parent's provider into the ones it is given.
    options = pulumi.InvokeOptions.merge(pulumi.InvokeOptions(version=AZUREAD_VERSION), opts)
    return await pulumi.runtime.invoke_async(
        function,
        {"objectIds": [p.reference for p in batch], "ignoreMissing": True},
        options,
        typ=result_type,
    )


def _found_in(batch: Sequence[Principal], result: Any) -> dict[Principal, str]:
    not_found = _LOOKUPS[batch[0].kind][2]
    returned = {str(object_id).lower(): str(object_id) for object_id in result.object_ids or []}
    found: dict[Principal, str] = {}
    for principal in batch:
        object_id = returned.get(principal.reference.lower())
        if object_id is None:
            raise missing_principal(
                principal, f'{not_found} with object ID: "{principal.reference}"'
            )
        found[principal] = object_id
    return found
