"""Inputs that used to crash (UnicodeEncodeError, RecursionError) or were misreported now fail
cleanly at preview, naming the key or property, before any request."""

from __future__ import annotations

import json

import pytest

from clients.connection import ConfigError, resolve
from components.settings import SettingsError
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from rules.bounds import MAX_DEPTH, MAX_TEXT_CHARS
from tests.conftest import SERVICE_PRINCIPAL_ID
from tests.emulator import Emulator
from tests.engine import UNKNOWN, EngineResource, ProviderServer, Secret
from tests.program import run_program
from tests.test_asana_token_provider import token_resource
from tests.test_settings import SECRET_KEYS, TOKEN, VALID

P = "asana-provisioning:"
# Characters an HTTP header cannot carry, each as a copy-and-paste accident leaves it.
HEADER_UNSAFE = {
    "ellipsis": TOKEN[:20] + "\u2026",
    "non-latin-1": TOKEN + "\u0436",
    "latin-1 but not ASCII": TOKEN + "\u00e9",
    "no-break space": TOKEN + "\u00a0",
    "zero-width space": TOKEN + "\u200b",
    "emoji": TOKEN + "\U0001f511",
    "delete": TOKEN + "\x7f",
}
STRUCTURED = ("ssoNotificationEmails", "assignmentGroups", "assignmentUsers", "userMappings")


@pytest.mark.parametrize("case", list(HEADER_UNSAFE))
def test_a_token_with_an_ellipsis_is_refused_at_preview(
    emulator: Emulator, server: ProviderServer, case: str
):
    """Refused by the settings (naming asanaToken) and by the resource's check (naming token):
    never a UnicodeEncodeError from requests at deployment."""
    token = HEADER_UNSAFE[case]

    run = run_program({**VALID, f"{P}asanaToken": token}, SECRET_KEYS)
    checked, _ = token_resource(server).preview({"token": Secret(token)})

    assert isinstance(run.error, SettingsError), run.error
    assert [p for p in run.error.problems if p.startswith(f"{P}asanaToken set (value hidden)")]
    assert TOKEN not in str(run.error) and TOKEN[:20] not in str(run.error)
    assert [failure[0] for failure in checked.failures] == ["token"]
    assert TOKEN[:20] not in checked.failures[0][1]
    assert emulator.requests == []


def test_an_oidc_request_token_an_http_header_cannot_carry_is_refused_naming_it():
    config = {
        "azuread:useOidc": "true",
        "azuread:tenantId": "t",
        "azuread:clientId": "c",
        "azuread:oidcRequestToken": "eyJ0eXAi\u2026",
        "azuread:oidcRequestUrl": "https://token.actions.example/x?api-version=2.0",
    }

    with pytest.raises(ConfigError) as error:
        resolve(config, {})

    assert str(error.value).startswith("azuread:oidcRequestToken (value hidden)")
    assert "eyJ0eXAi" not in str(error.value)


@pytest.mark.parametrize("name", STRUCTURED)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_a_setting_nested_thousands_of_levels_deep_is_refused_naming_the_key(name: str, depth: int):
    value = "[" * depth + "]" * depth
    if name == "userMappings":
        value = '{"mappings": ' + value + "}"

    run = run_program({**VALID, f"{P}{name}": value}, SECRET_KEYS)

    assert isinstance(run.error, SettingsError), repr(run.error)
    assert run.resources == []
    (problem,) = [p for p in run.error.problems if p.startswith(f"{P}{name}")]
    assert "levels deep" in problem and f"at most {MAX_DEPTH} levels of nesting" in problem


@pytest.mark.parametrize("name", ["appDisplayName", "scimTenantUrl", "asanaToken", *STRUCTURED])
def test_an_absurdly_large_setting_is_refused_naming_the_key_without_echoing_it(name: str):
    value = (
        json.dumps(["x" * (MAX_TEXT_CHARS + 1)])
        if name in STRUCTURED
        else "x" * (MAX_TEXT_CHARS + 1)
    )

    run = run_program({**VALID, f"{P}{name}": value}, SECRET_KEYS)

    assert isinstance(run.error, SettingsError), repr(run.error)
    (problem,) = [p for p in run.error.problems if p.startswith(f"{P}{name}")]
    assert "characters long" in problem
    assert len(str(run.error)) < 2_000


@pytest.mark.parametrize("name", ["assignmentGroups", "assignmentUsers", "ssoNotificationEmails"])
def test_a_null_list_entry_is_reported_as_null_not_as_not_set(name: str):
    run = run_program({**VALID, f"{P}{name}": "[null]"}, SECRET_KEYS)

    assert isinstance(run.error, SettingsError)
    assert run.error.problems == [f"{P}{name} has an entry null; allowed: each entry a string"]


def test_a_setting_that_is_not_set_is_still_reported_as_not_set():
    config = {key: value for key, value in VALID.items() if key != f"{P}asanaToken"}

    run = run_program(config, SECRET_KEYS)

    assert isinstance(run.error, SettingsError)
    assert run.error.problems[0].startswith(f"{P}asanaToken not set; allowed:")


@pytest.mark.parametrize(
    "mappings",
    [
        [{"target": "title", "attribute": UNKNOWN}],
        [{"target": "title", "constant": UNKNOWN}],
        [UNKNOWN],
        [{"target": "userName", "attribute": "userPrincipalName", "matchingPriority": UNKNOWN}],
    ],
    ids=["attribute", "constant", "whole mapping", "priority"],
)
def test_an_unknown_inside_mappings_at_a_first_preview_is_not_a_check_failure(
    emulator: Emulator, server: ProviderServer, mappings: list
):
    resource = EngineResource(
        server, ProvisioningAttributeMappingsProvider(), "asana:Mappings", "maps"
    )
    news = {
        "service_principal_id": SERVICE_PRINCIPAL_ID,
        "job_id": UNKNOWN,
        "kind": "user",
        "source_object": "User",
        "target_object": "User",
        "mode": "merge",
        "mappings": mappings,
    }

    checked, _ = resource.preview(news)

    assert checked.failures == []
    assert emulator.requests == []


@pytest.mark.parametrize("tenant", ["contoso tenant", "t\u2026", "tenant/../x"])
def test_a_tenant_id_azure_identity_would_refuse_mid_deployment_is_refused_naming_it(tenant: str):
    with pytest.raises(ConfigError) as error:
        resolve({"azuread:tenantId": tenant, "azuread:clientId": "c"}, {})

    assert str(error.value).startswith("azuread:tenantId (or ARM_TENANT_ID) is ")
