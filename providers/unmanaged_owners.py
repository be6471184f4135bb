"""`UnmanagedOwners`: the owners a stack leaves to the portal, watched so a change is drift.

With `appOwners` empty the program does not manage owners: the service principal ignores its
`owners` (the azuread provider would otherwise remove, on the next `up --refresh`, every owner
it reads, as they are an optional, not computed, property: terraform-provider-azuread v3.9.0,
`service_principal_resource.go`), and no `ApplicationOwner` is declared. Pulumi's refresh honours
`ignore_changes`, so nothing would tell anyone that an owner was added or removed in the portal.
This resource records who owns the application and its service principal (`application_owners`,
`service_principal_owners`, read on every refresh) beside who owned them at the last `up`
(`owners_at_last_up`); a refresh that finds others makes the two differ, which the drift check
reports by name, and the next `up` records the new owners as they are. It never writes to Entra.

Graph requests: create, update and read two `GET`s (`/applications/{id}/owners`,
`/servicePrincipals/{id}/owners`, all pages); delete none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from clients.graph import GraphClient
from clients.http import ServiceError
from providers.base import ConfiguredProvider
from providers.inputs import failure_for_guid, failures, is_unknown

_KEYS = ("application_object_id", "service_principal_id")
_OWNERS = ("application_owners", "service_principal_owners")


class UnmanagedOwnersProvider(ConfiguredProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        found = failures(
            failure_for_guid(
                "application_object_id", news.get("application_object_id"), "application's id"
            ),
            failure_for_guid(
                "service_principal_id", news.get("service_principal_id"), "service principal's id"
            ),
        )
        return CheckResult(dict(news), found)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaced = [k for k in _KEYS if is_unknown(news.get(k)) or news.get(k) != olds.get(k)]
        recorded = olds.get("owners_at_last_up") or {}
        moved = any(olds.get(k) != recorded.get(k) for k in _OWNERS)
        return DiffResult(
            changes=bool(replaced) or moved,
            replaces=replaced,
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["service_principal_id"], outs=self._recorded(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._recorded(news))

    def _recorded(self, props: dict[str, Any]) -> dict[str, Any]:
        owners = self._owners(props)
        return {**props, **owners, "owners_at_last_up": owners}

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            owners = self._owners(props)
        except ServiceError as error:
            if error.status == 404:
                return ReadResult(None, {})
            raise
        return ReadResult(id_, {**props, **owners}, inputs={k: props.get(k) for k in _KEYS})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def _owners(self, props: dict[str, Any]) -> dict[str, list[str]]:
        client = GraphClient(self.connection().graph)

        def listed(collection: str, object_id: str) -> list[str]:
            path = f"/{collection}/{quote(object_id, safe='')}/owners"
            items = client.get_all(path, params={"$select": "id"})
            return sorted(str(item.get("id")) for item in items)

        return {
            "application_owners": listed("applications", props["application_object_id"]),
            "service_principal_owners": listed("servicePrincipals", props["service_principal_id"]),
        }


class UnmanagedOwners(pulumi.dynamic.Resource, module="asana", name="UnmanagedOwners"):
    """Records the portal's owners of the app and its service principal (no change in Entra)."""

    application_owners: pulumi.Output[list[str]]
    service_principal_owners: pulumi.Output[list[str]]
    owners_at_last_up: pulumi.Output[dict[str, list[str]]]

    def __init__(
        self,
        resource_name: str,
        application_object_id: pulumi.Input[str],
        service_principal_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "application_object_id": application_object_id,
            "service_principal_id": service_principal_id,
            "application_owners": None,
            "service_principal_owners": None,
            "owners_at_last_up": None,
        }
        super().__init__(UnmanagedOwnersProvider(), resource_name, props, opts)
