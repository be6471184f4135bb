"""One engine lifecycle per provider (check, create, read, diff, update, delete), as named steps.

Shared by the call-economy tests and the lifecycle benchmark, so both measure the same thing.
"""

from __future__ import annotations

from collections.abc import Callable

from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.provisioning_template import ProvisioningTemplateProvider
from tests.emulator import Emulator
from tests.engine import EngineResource, ProviderServer, Secret
from tests.null_provider import NullProvider

Steps = list[tuple[str, Callable[[], object]]]


def engine_steps(resource: EngineResource, first: dict, second: dict) -> Steps:
    return [
        ("check", lambda: resource.check(first)),
        ("create", lambda: resource.up(first)),
        ("read", lambda: resource.refresh()),
        ("diff", lambda: resource.diff(resource.check(second, resource.inputs).inputs)),
        ("update", lambda: resource.up(second)),
        ("delete", lambda: resource.destroy()),
    ]


def token_lifecycle(server: ProviderServer, emulator: Emulator, token: str) -> Steps:
    """Needs a live `token`; adds a second one to rotate to."""
    resource = EngineResource(
        server, AsanaServiceAccountTokenProvider(), "asana:ServiceAccountToken", "token"
    )
    rotated = token[:-2] + "00"
    emulator.add_scim_token(rotated)
    first = {"token": Secret(token), "scim_base_url": emulator.scim_base_url}
    return engine_steps(resource, first, {**first, "token": Secret(rotated)})


def template_lifecycle(server: ProviderServer, emulator: Emulator, principal: str) -> Steps:
    """Gives `principal` two templates, so that changing the factory tag is an update."""
    emulator.set_templates(
        principal,
        [
            {"id": "asana", "factoryTag": "asana", "schema": {}},
            {"id": "asana.preview", "factoryTag": "asanapreview", "schema": {}},
        ],
    )
    resource = EngineResource(server, ProvisioningTemplateProvider(), "asana:Template", "tpl")
    first = {"service_principal_id": principal, "factory_tag": "asana"}
    return engine_steps(resource, first, {**first, "factory_tag": "asanapreview"})


def mappings_lifecycle(server: ProviderServer, emulator: Emulator, principal: str) -> Steps:
    """Needs `principal` to offer the Asana template; creates a job to edit. The update writes
    an expression (so it is parsed by Graph first) and leaves the object mapping unlike the
    template's (so the delete writes)."""
    job = emulator.create_job(principal, "asana")
    resource = EngineResource(
        server, ProvisioningAttributeMappingsProvider(), "asana:ProvisioningAttributeMappings", "m"
    )
    first = {
        "service_principal_id": principal,
        "job_id": job,
        "kind": "user",
        "source_object": "User",
        "target_object": "User",
        "mappings": [{"target": "title", "attribute": "department"}],
    }
    second = {**first, "mappings": [{"target": "title", "expression": "ToUpper([jobTitle])"}]}
    return engine_steps(resource, first, second)


def null_lifecycle(server: ProviderServer) -> Steps:
    resource = EngineResource(server, NullProvider(), "test:Null", "null")
    return engine_steps(resource, {"value": "a"}, {"value": "b"})
