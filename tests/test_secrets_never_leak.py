"""The Asana token and the Graph client secret appear nowhere but where the engine puts them."""

from __future__ import annotations

import pytest
from pulumi.dynamic import ResourceProvider

from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.provisioning_template import ProvisioningTemplateProvider
from tests.conftest import CLIENT_ID, SERVICE_PRINCIPAL_ID, TENANT_ID, StartServer, Tenant
from tests.emulator import Emulator, Fault
from tests.engine import EngineResource, ProviderError, ProviderServer, Secret
from tests.leaks import find_leaks
from tests.leaky_providers import (
    TokenInALogLine,
    TokenInAnError,
    TokenInAnOutput,
    TokenInTheProviderObject,
)

TOKEN_CONFIG_KEY = "asana-provisioning:asanaToken"


def token_resource(server: ProviderServer, provider: ResourceProvider) -> EngineResource:
    return EngineResource(
        server=server,
        provider=provider,
        type_token="asana:ServiceAccountToken",
        name="asana-token",
        secret_inputs=frozenset({"token"}),
        additional_secret_outputs=frozenset({"token"}),
    )


def token_leaks(
    tenant: Tenant, server: ProviderServer, resource: EngineResource, errors: list[str]
):
    return find_leaks(
        tenant.asana_token,
        server=server,
        resources=[resource],
        allowed_properties=frozenset({"token"}),
        allowed_config_keys=frozenset({TOKEN_CONFIG_KEY}),
        texts={f"error {i}": error for i, error in enumerate(errors)},
    )


def test_token_lifecycle_with_debug_logging_leaks_the_token_nowhere(
    emulator: Emulator, start_server: StartServer, tenant: Tenant
):
    server = start_server(log_level="DEBUG")
    resource = token_resource(server, AsanaServiceAccountTokenProvider())
    errors: list[str] = []
    url = emulator.scim_base_url

    resource.preview({"token": Secret(tenant.asana_token), "scim_base_url": url})
    resource.up({"token": Secret(tenant.asana_token), "scim_base_url": url})
    resource.refresh()
    emulator.inject(Fault.status(429, retry_after=30), service="scim")
    with pytest.raises(ProviderError) as throttled:
        resource.refresh()
    errors.append(throttled.value.details)
    emulator.revoke_scim_token(tenant.asana_token)
    resource.refresh()
    with pytest.raises(ProviderError) as rejected:
        resource.up({"token": Secret(tenant.asana_token), "scim_base_url": url})
    errors.append(rejected.value.details)
    resource.destroy()

    assert "DEBUG" in server.stderr_text()  # logging really was on
    assert token_leaks(tenant, server, resource, errors) == []
    assert not any(tenant.asana_token in str(r.body) for r in emulator.requests)


def test_graph_client_secret_leaks_nowhere(
    emulator: Emulator, start_server: StartServer, tenant: Tenant
):
    server = start_server(log_level="DEBUG")
    resource = EngineResource(server, ProvisioningTemplateProvider(), "asana:Template", "tpl")
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    resource.refresh()
    emulator.register_app(TENANT_ID, CLIENT_ID, "a-secret-rotated-in-the-portal")
    # A new deployment is a new provider process: no token cached, so Entra sees the old secret.
    second = start_server(log_level="DEBUG")
    stale = EngineResource(second, ProvisioningTemplateProvider(), "asana:Template", "tpl")
    stale.id, stale.inputs, stale.outputs = resource.id, resource.inputs, resource.outputs
    with pytest.raises(ProviderError) as unauthorized:
        stale.refresh()
    resource.destroy()

    leaks = [
        leak
        for process, used in ((server, resource), (second, stale))
        for leak in find_leaks(
            tenant.client_secret,
            server=process,
            resources=[used],
            allowed_config_keys=frozenset({"azuread:clientSecret"}),
            texts={"authentication error": unauthorized.value.details},
        )
    ]
    assert "AADSTS7000215" in unauthorized.value.details
    assert leaks == []


@pytest.mark.parametrize(
    ("provider", "expected_leak"),
    [
        (TokenInAnOutput(), "properties.token_hint"),
        (TokenInALogLine(), "provider process output (logs)"),
        (TokenInAnError(), "Create response"),
    ],
)
def test_the_scan_catches_a_token_put_where_it_does_not_belong(
    emulator: Emulator, server: ProviderServer, tenant: Tenant, provider, expected_leak: str
):
    resource = token_resource(server, provider)
    errors: list[str] = []
    try:
        resource.up({"token": Secret(tenant.asana_token), "scim_base_url": emulator.scim_base_url})
    except ProviderError as error:
        errors.append(error.details)

    leaks = token_leaks(tenant, server, resource, errors)

    assert any(expected_leak in leak for leak in leaks), leaks


def test_the_scan_catches_a_token_captured_in_the_serialized_provider(
    server: ProviderServer, tenant: Tenant
):
    resource = token_resource(server, TokenInTheProviderObject(tenant.asana_token))

    assert "serialized provider of asana-token" in token_leaks(tenant, server, resource, [])


def test_the_programs_dynamic_resources_leak_the_token_nowhere_over_a_full_lifecycle(
    emulator: Emulator, start_server: StartServer, tenant: Tenant
):
    """Create, refresh, rotate, refresh after revocation, destroy: debug logs on throughout."""
    from providers.attribute_mappings import ProvisioningAttributeMappingsProvider

    server = start_server(log_level="DEBUG")
    url = emulator.scim_base_url
    token = token_resource(server, AsanaServiceAccountTokenProvider())
    template = EngineResource(server, ProvisioningTemplateProvider(), "asana:Template", "tpl")
    mappings = EngineResource(
        server, ProvisioningAttributeMappingsProvider(), "asana:Mappings", "maps"
    )
    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    mapping_inputs = {
        "service_principal_id": SERVICE_PRINCIPAL_ID,
        "job_id": job,
        "kind": "user",
        "source_object": "User",
        "target_object": "User",
        "mappings": [{"target": "title", "attribute": "department"}],
    }
    rotated = tenant.asana_token[:-4] + "f00d"
    emulator.add_scim_token(rotated)
    errors: list[str] = []

    token.up({"token": Secret(tenant.asana_token), "scim_base_url": url})
    template.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    mappings.up(mapping_inputs)
    for resource in (token, template, mappings):
        resource.refresh()
    token.up({"token": Secret(rotated), "scim_base_url": url})
    emulator.revoke_scim_token(rotated)
    assert token.refresh().drift
    with pytest.raises(ProviderError) as rejected:
        token.up({"token": Secret(rotated), "scim_base_url": url})
    errors.append(rejected.value.details)
    for resource in (mappings, template, token):
        resource.destroy()

    for secret in (tenant.asana_token, rotated):
        leaks = find_leaks(
            secret,
            server=server,
            resources=[token, template, mappings],
            allowed_properties=frozenset({"token"}),
            allowed_config_keys=frozenset({TOKEN_CONFIG_KEY}),
            texts={f"error {i}": error for i, error in enumerate(errors)},
        )
        assert leaks == []
        off_scim = [r for r in emulator.requests if r.service != "scim" and secret in str(r.body)]
        assert off_scim == []
