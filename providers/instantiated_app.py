"""`InstantiatedAppDuplicates`: the second gallery app a retried `instantiate` left behind.

`POST /applicationTemplates/{id}/instantiate` creates an application and its service principal.
When Graph creates them but the reply is lost (a 5xx after the fact, a dropped connection), the
azuread provider's client sends the request again (go-azure-sdk retries a 5xx on every method,
POST included), and the tenant holds two apps of the stack's name, one of which no resource owns:
a second "Asana" in Enterprise applications, with no assignments, that nobody asked for.

This resource, declared after `ApplicationFromTemplate`, lists the applications of the same
template and display name (Graph's documented filter on `applicationTemplateId` and
`displayName`) and deletes those created within `RETRIED_WRITE_WINDOW` of the stack's own, so the
same `up` converges. Graph moves a deleted application to its deleted items for 30 days, so even
a wrong guess can be restored (https://learn.microsoft.com/graph/api/application-delete). An app
of the same name made at another time (by an admin, or by an earlier stack) is never touched.

Graph requests: create and update one `GET` (plus a `DELETE` per duplicate); read one `GET`,
reporting a duplicate as drift (`duplicates`); delete none.
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
from rules.identifiers import odata_string
from rules.moments import RETRIED_WRITE_WINDOW, graph_moment

_KEYS = ("application_object_id", "template_id", "display_name")


def duplicate_ids(applications: list[dict[str, Any]], ours: str) -> list[str]:
    """The object ids among `applications` (one template, one name) created within
    `RETRIED_WRITE_WINDOW` of the stack's application `ours`."""
    mine = next((a for a in applications if a.get("id") == ours), None)
    created = graph_moment(None if mine is None else mine.get("createdDateTime"))
    if created is None:
        return []
    return sorted(
        str(app["id"])
        for app in applications
        if app.get("id") != ours
        and (moment := graph_moment(app.get("createdDateTime"))) is not None
        and abs(moment - created) <= RETRIED_WRITE_WINDOW
    )


class InstantiatedAppDuplicatesProvider(ConfiguredProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        found = failures(
            failure_for_guid(
                "application_object_id", news.get("application_object_id"), "application's id"
            ),
            failure_for_guid("template_id", news.get("template_id"), "gallery template id"),
        )
        return CheckResult(dict(news), found)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(is_unknown(news.get(k)) or news.get(k) != olds.get(k) for k in _KEYS)
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["application_object_id"], outs=self._converge(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._converge(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = duplicate_ids(self._same_apps(props), props["application_object_id"])
        outputs = {**props, "duplicates": found}
        return ReadResult(id_, outputs, inputs={k: props.get(k) for k in _KEYS})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def _converge(self, props: dict[str, Any]) -> dict[str, Any]:
        client = GraphClient(self.connection().graph)
        for duplicate in duplicate_ids(self._same_apps(props), props["application_object_id"]):
            try:
                client.delete(f"/applications/{quote(duplicate, safe='')}")
            except ServiceError as error:
                if error.status != 404:  # gone already: what we wanted
                    raise
        return {**props, "duplicates": []}

    def _same_apps(self, props: dict[str, Any]) -> list[dict[str, Any]]:
        query = (
            f"applicationTemplateId eq {odata_string(props['template_id'])} "
            f"and displayName eq {odata_string(props['display_name'])}"
        )
        return GraphClient(self.connection().graph).get_all(
            "/applications", params={"$filter": query, "$select": "id,createdDateTime"}
        )


class InstantiatedAppDuplicates(
    pulumi.dynamic.Resource, module="asana", name="InstantiatedAppDuplicates"
):
    """Removes the second gallery app a retried `instantiate` made (no change otherwise)."""

    application_object_id: pulumi.Output[str]
    duplicates: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        application_object_id: pulumi.Input[str],
        template_id: pulumi.Input[str],
        display_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "application_object_id": application_object_id,
            "template_id": template_id,
            "display_name": display_name,
            "duplicates": None,
        }
        super().__init__(InstantiatedAppDuplicatesProvider(), resource_name, props, opts)
