"""`ProvisioningTemplate`: the synchronization template Entra made for our service principal.

The job must be created from a template the service principal actually has, and Asana's
template id is not documented, so we read it from Graph instead of guessing it. One GET of the
service principal's templates per create, update and read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from clients.graph import (
    API_VERSION,
    SERVICE,
    GraphClient,
    collection_items,
    synchronization_path,
)
from clients.http import ServiceError
from providers.base import ConfiguredProvider
from providers.inputs import (
    failure_for_name,
    failure_for_service_principal,
    failures,
    is_unknown,
)


class TemplateLookupError(Exception):
    """None or several templates matched; the message lists what the service principal has."""


def choose_template(
    service_principal_id: str,
    templates: Sequence[dict[str, Any]],
    factory_tag: str | None,
    source: str = "",
) -> dict[str, Any]:
    """The one template to provision with, or an error that says how to pick one; `source`
    names the request the templates came from."""
    candidates = [
        template
        for template in templates
        # factoryTag is nullable (Graph v1.0 metadata): a null tag is no tag, not the text "None"
        if factory_tag is None
        or str(template.get("factoryTag") or "").lower() == factory_tag.lower()
    ]
    if len(candidates) == 1:
        return candidates[0]
    listed = ", ".join(f"{t.get('id')} (factoryTag {t.get('factoryTag')})" for t in templates)
    wanted = f" with factory tag {factory_tag!r}" if factory_tag else ""
    where = f"{source}: " if source else ""
    if not candidates:
        raise TemplateLookupError(
            f"{where}service principal {service_principal_id} has no synchronization "
            f"template{wanted} (it has: {listed or 'none'}). Check that the application was "
            "created from the Asana gallery template, which supports provisioning."
        )
    raise TemplateLookupError(
        f"{where}service principal {service_principal_id} has {len(candidates)} synchronization "
        f"templates{wanted}: {listed}. Set factory_tag to choose one."
    )


class ProvisioningTemplateProvider(ConfiguredProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        if inputs.get("factory_tag") == "":
            inputs.pop("factory_tag")
        tag = inputs.get("factory_tag")
        found = failures(
            failure_for_service_principal(news.get("service_principal_id")),
            None if tag is None else failure_for_name("factory_tag", tag, "a factory tag"),
        )
        return CheckResult(inputs, found)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        principal, tag = news.get("service_principal_id"), news.get("factory_tag")
        replaces = (
            ["service_principal_id"]
            if is_unknown(principal) or principal != olds.get("service_principal_id")
            else []
        )
        tag_changed = tag is not None and (
            is_unknown(tag) or str(tag).lower() != str(olds.get("factory_tag", "")).lower()
        )
        return DiffResult(
            changes=bool(replaces) or tag_changed,
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._lookup(props["service_principal_id"], props.get("factory_tag"))
        return CreateResult(id_=f"{outs['service_principal_id']}/{outs['template_id']}", outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(
            outs=self._lookup(news["service_principal_id"], news.get("factory_tag"))
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        principal = props["service_principal_id"]
        try:
            templates = self._templates(principal)
        except ServiceError as error:
            if error.status == 404:
                return ReadResult(None, {})
            raise
        current = next((t for t in templates if t.get("id") == props.get("template_id")), None)
        if current is None:
            try:
                current = choose_template(principal, templates, props.get("factory_tag"))
            except TemplateLookupError:
                return ReadResult(None, {})
        return ReadResult(id_, {**props, **_outputs(principal, current)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def _lookup(self, principal: str, requested: str | None) -> dict[str, Any]:
        source = f"{SERVICE} GET /{API_VERSION}{synchronization_path(principal, 'templates')}"
        templates = self._templates(principal)
        return _outputs(principal, choose_template(principal, templates, requested, source))

    def _templates(self, principal: str) -> list[dict[str, Any]]:
        """The service principal's templates; a reply of another shape is a `ServiceError`."""
        path = synchronization_path(principal, "templates")
        body = GraphClient(self.connection().graph).get(path)
        templates = collection_items(body, "GET", f"/{API_VERSION}{path}")
        if not all(isinstance(t.get("id"), str) and t["id"] for t in templates):
            detail = "answered with a template without an id"
            raise ServiceError(SERVICE, "GET", f"/{API_VERSION}{path}", detail, None)
        return templates


def _outputs(principal: str, template: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_principal_id": principal,
        "template_id": template.get("id"),
        "factory_tag": template.get("factoryTag"),
    }


class ProvisioningTemplate(pulumi.dynamic.Resource, module="asana", name="ProvisioningTemplate"):
    """Looks up the service principal's synchronization template (no change in Entra)."""

    service_principal_id: pulumi.Output[str]
    template_id: pulumi.Output[str]
    factory_tag: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        service_principal_id: pulumi.Input[str],
        factory_tag: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "service_principal_id": service_principal_id,
            "factory_tag": factory_tag,
            "template_id": None,
        }
        super().__init__(ProvisioningTemplateProvider(), resource_name, props, opts)
