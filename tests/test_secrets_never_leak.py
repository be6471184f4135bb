"""The Asana token and the Graph client secret appear nowhere but where the engine puts them;
nor does any piece of a token a service echoes back in an error page; nor any setting the stack
set with `--secret` (in a resource name, a plain input, a stack output or an error)."""

from __future__ import annotations

import json

import pytest
from pulumi.dynamic import ResourceProvider

from clients.connection import ConfigError, CredentialSpec, GraphSettings, resolve
from clients.credentials import shared_credential
from clients.http import HttpPolicy
from components.settings import SETTINGS, SettingsError
from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.provisioning_template import ProvisioningTemplateProvider
from tests.conftest import CLIENT_ID, SERVICE_PRINCIPAL_ID, TENANT_ID, StartServer, Tenant
from tests.emulator import Emulator, Fault
from tests.engine import EngineResource, ProviderError, ProviderServer, Secret
from tests.leaks import find_leaks, plain_paths
from tests.leaky_providers import (
    TokenInALogLine,
    TokenInAnError,
    TokenInAnOutput,
    TokenInTheProviderObject,
)
from tests.program import ProgramRun, run_program
from tests.test_settings import SECRET_KEYS, VALID

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


# ----- reflected error pages -----

FRAGMENT = 12
"""Any 12 characters of a token in plain sight count as a leak (a cut-off echo)."""


def test_a_reflected_error_page_never_carries_the_token(
    emulator: Emulator, start_server: StartServer, tenant: Tenant
):
    """Asana (or a proxy before it) answers with a page echoing the request's headers: on
    refresh (the `rejection` output), on up (the error), as HTML and as JSON, with the token
    placed on both sides of where an error text is cut."""
    server = start_server(log_level="DEBUG")
    resource = token_resource(server, AsanaServiceAccountTokenProvider())
    inputs = {"token": Secret(tenant.asana_token), "scim_base_url": emulator.scim_base_url}
    resource.up(inputs)
    errors: list[str] = []
    rejections: list[str] = []

    for padding in range(0, 336, 16):  # the token lands before, across and after the cut
        for shape in ("html", "json"):
            emulator.inject(Fault.reflect(401, shape=shape, padding=padding), service="scim")
            outcome = resource.refresh()
            assert outcome.drift and resource.outputs["accepted"] is False
            rejections.append(resource.outputs["rejection"])
            emulator.inject(Fault.reflect(400, shape=shape, padding=padding), service="scim")
            with pytest.raises(ProviderError) as failed:
                resource.up({**inputs, "token": Secret(tenant.asana_token)})
            errors.append(failed.value.details)

    texts = {f"rejection {i}": text for i, text in enumerate(rejections)}
    texts.update({f"error {i}": text for i, text in enumerate(errors)})
    assert any("Bearer [redacted]" in text for text in texts.values())  # it was echoed
    leaks = find_leaks(
        tenant.asana_token,
        server=server,
        resources=[resource],
        allowed_properties=frozenset({"token"}),
        allowed_config_keys=frozenset({TOKEN_CONFIG_KEY}),
        texts=texts,
        fragment=FRAGMENT,
    )
    assert leaks == []


def test_a_reflected_error_page_never_carries_the_graph_access_token(
    emulator: Emulator, server: ProviderServer
):
    resource = EngineResource(server, ProvisioningTemplateProvider(), "asana:Template", "tpl")
    errors: list[str] = []
    for shape in ("html", "json"):
        emulator.inject(Fault.reflect(400, shape=shape), service="graph", path=r"/templates$")
        with pytest.raises(ProviderError) as failed:
            resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
        errors.append(failed.value.details)

    for error in errors:
        assert "Bearer [redacted]" in error
        assert "eyJ" not in error  # no piece of a JWT access token


def test_the_scan_catches_a_fragment_of_the_token(server: ProviderServer, tenant: Tenant):
    half = tenant.asana_token[: len(tenant.asana_token) // 2]

    leaks = find_leaks(
        tenant.asana_token,
        server=server,
        allowed_config_keys=frozenset({TOKEN_CONFIG_KEY}),
        texts={"cut error": f"… {half}"},
        fragment=FRAGMENT,
    )

    assert leaks == ["cut error"]


# ----- secret settings in the program -----

P = "asana-provisioning:"


def program_leaks(secret: str, run: ProgramRun) -> list[str]:
    """Where `secret` shows in plain text in a program run: resource names and URNs, any
    input not wrapped as a secret, any stack output not wrapped as a secret, the error."""
    leaks = [f"name of {r.urn}" for r in run.resources if secret in r.urn or secret in r.name]
    for resource in run.resources:
        for path in plain_paths(secret, resource.inputs):
            leaks.append(f"input {'.'.join(path)} of {resource.name}")
    leaks += [f"stack output {'.'.join(path)}" for path in plain_paths(secret, run.exported)]
    if run.error is not None and secret in str(run.error):
        leaks.append("error")
    return leaks


def test_a_secret_assignment_never_reaches_outputs_or_resource_names():
    """`pulumi config set --secret assignmentUsers '[...]'`: the names and ids listed reach
    Entra, but no URN, plain input or stack output."""
    users = ["ada.lovelace@contoso.com", "5b0f6c2e-7d41-4c8a-9e3b-2a6d1f0c8e47"]
    groups = ["Finance Leadership (confidential)"]
    config = {
        **VALID,
        f"{P}assignmentUsers": json.dumps(users),
        f"{P}assignmentGroups": json.dumps(groups),
    }

    run = run_program(config, SECRET_KEYS | {f"{P}assignmentUsers", f"{P}assignmentGroups"})

    assert run.error is None, run.error
    assignments = run.of_type("azuread:index/appRoleAssignment:AppRoleAssignment")
    assert len(assignments) == 3
    assert all("-secret-" in assignment.name for assignment in assignments)
    for secret in [*users, groups[0], "ada-lovelace", "finance-leadership"]:
        assert program_leaks(secret, run) == [], secret
    assert [entry["reference"] for entry in run.outputs["assignedPrincipals"]] == ["[secret]"] * 3


def test_secret_assignment_names_are_stable_whatever_the_order():
    users = ["ada@contoso.com", "grace@contoso.com"]
    secret_keys = SECRET_KEYS | {f"{P}assignmentUsers"}

    names = [
        sorted(
            r.name
            for r in run_program(
                {**VALID, f"{P}assignmentUsers": json.dumps(order)}, secret_keys
            ).of_type("azuread:index/appRoleAssignment:AppRoleAssignment")
        )
        for order in (users, users[::-1])
    ]

    assert names[0] == names[1]


MARK = "Mark3rQ7"
# A valid value per setting that a resource or output receives, each carrying MARK.
SECRET_SETTING_VALUES = {
    "appDisplayName": f"Asana {MARK}",
    "galleryTemplateId": "0b1e" + "5a7d-" + "1c2b-4d3e-8f9a-0b1c2d3e4f5a",
    "ssoSignOnUrl": f"https://app.asana.com/a/{MARK.lower()}.example",
    "ssoIdentifier": f"https://{MARK.lower()}.example/",
    "ssoReplyUrl": f"https://app.asana.com/-/saml/{MARK}",
    "ssoNotificationEmails": json.dumps([f"{MARK}@contoso.com"]),
    "ssoCertificateName": f"CN={MARK}",
    "ssoCertificateEndDate": "2044-04-04T04:04:04Z",
    "assignmentGroups": json.dumps([f"{MARK} group"]),
    "assignmentUsers": json.dumps([f"{MARK}@contoso.com"]),
    "scimTenantUrl": f"https://{MARK.lower()}.example/scim",
    "notificationEmail": f"{MARK}@contoso.com",
    "userMappings": json.dumps({"mappings": [{"target": "title", "constant": MARK}]}),
    "groupMappings": json.dumps(
        {"scopingFilter": [[{"attribute": "department", "operator": "EQUALS", "values": [MARK]}]]}
    ),
    "authorityHost": f"https://login.{MARK.lower()}.example",
}


def marker_of(name: str) -> str:
    value = SECRET_SETTING_VALUES[name]
    if name == "galleryTemplateId":
        return value
    if name == "ssoCertificateEndDate":
        return "2044-04-04"
    return MARK.lower() if MARK.lower() in value else MARK


@pytest.mark.parametrize("name", list(SECRET_SETTING_VALUES))
def test_a_setting_set_as_secret_reaches_resources_and_outputs_only_as_a_secret(name: str):
    key = f"{P}{name}"
    config = {**VALID, key: SECRET_SETTING_VALUES[name]}

    run = run_program(config, SECRET_KEYS | {key})

    assert run.error is None, run.error
    marker = marker_of(name)
    used = json.dumps([[r.inputs for r in run.resources], run.outputs], default=str)
    # Assignments' names feed only the lookups of their object ids (and the names, digests).
    assert marker in used or name.startswith("assignment"), f"{name} is used nowhere"
    assert program_leaks(marker, run) == []


@pytest.mark.parametrize("setting", [s for s in SETTINGS if not s.secret], ids=lambda s: s.name)
def test_a_setting_set_as_secret_is_never_echoed_in_an_error(setting):
    """Each setting, set with --secret to a value that is refused: the error names the key
    and never shows the value."""
    marker = f"{MARK}\u0000"
    bad: dict[str, str] = {
        "string": f"https://{marker}",
        "boolean": marker,
        "integer": marker,
        "array": json.dumps([marker]),
        "object": json.dumps({"mappings": [{"target": marker, "constant": marker}]}),
    }
    key = f"{P}{setting.name}"
    config = {**VALID, key: bad[setting.type], f"{P}ssoEnabled": "true"}
    if setting.name == "ssoEnabled":
        config[key] = marker

    run = run_program(config, SECRET_KEYS | {key})

    assert run.error is not None, f"{setting.name} accepted {bad[setting.type]!r}"
    assert key in str(run.error)
    assert MARK not in str(run.error), str(run.error)


@pytest.mark.parametrize(
    ("key", "env_name"),
    [
        ("azuread:clientSecretFilePath", "ARM_CLIENT_SECRET_FILE_PATH"),
        ("azuread:clientIdFilePath", "ARM_CLIENT_ID_FILE_PATH"),
    ],
)
def test_a_secret_given_where_a_file_path_belongs_is_not_echoed(key: str, env_name: str):
    secret = f"pasted-secret-{MARK}~value"
    credentials = {"azuread:tenantId": "t", "azuread:clientId": "c", "azuread:clientSecret": "s"}
    credentials.pop(key.replace("FilePath", ""))  # the file is read only without the value

    by_config = run_program({**VALID, **credentials, key: secret}, SECRET_KEYS | {key})
    with pytest.raises(ConfigError) as by_env:
        resolve(credentials, {env_name: secret})

    assert isinstance(by_config.error, SettingsError)
    assert any(problem.startswith(key) for problem in by_config.error.problems)
    assert secret not in str(by_config.error)
    assert str(by_env.value).startswith(key) and secret not in str(by_env.value)


@pytest.mark.parametrize("kind", ["client_certificate", "oidc_token"])
def test_a_secret_given_as_a_credential_file_is_not_echoed_by_the_provider(kind: str):
    secret = f"pasted-secret-{MARK}~value"
    spec = CredentialSpec(kind, "t", "c", None, secret)  # type: ignore[arg-type]
    settings = GraphSettings("https://graph.example", "https://login.example", spec, HttpPolicy())

    with pytest.raises(ConfigError) as error:
        credential = shared_credential(settings)
        credential.get_token("https://graph.example/.default")

    assert secret not in str(error.value)
    assert "names no file that can be read" in str(error.value)
