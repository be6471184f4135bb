"""How providers pick the Graph endpoint, authority and credential: pure, no server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clients.connection import ConfigError, CredentialSpec, resolve, snapshot_config

TENANT = {"azuread:tenantId": "t-1", "azuread:clientId": "c-1"}


def test_defaults_to_the_global_cloud_and_the_default_credential_chain():
    settings = resolve({}, {})

    assert settings.graph.endpoint == "https://graph.microsoft.com"
    assert settings.graph.authority_host == "https://login.microsoftonline.com"
    assert settings.graph.scope == "https://graph.microsoft.com/.default"
    assert settings.graph.credential.kind == "default_chain"


@pytest.mark.parametrize(
    ("environment", "graph", "authority"),
    [
        ("public", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
        ("usgovernment", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
        ("dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ],
)
def test_azuread_environment_selects_the_national_cloud(environment, graph, authority):
    settings = resolve({"azuread:environment": environment}, {})

    assert (settings.graph.endpoint, settings.graph.authority_host) == (graph, authority)


def test_arm_environment_is_read_when_stack_config_is_silent():
    assert resolve({}, {"ARM_ENVIRONMENT": "china"}).graph.endpoint.endswith("chinacloudapi.cn")


def test_custom_cloud_endpoints_override_the_named_cloud():
    settings = resolve(
        {
            "asana-provisioning:graphEndpoint": "https://graph.contoso.example/",
            "asana-provisioning:authorityHost": "https://login.contoso.example",
        },
        {},
    )

    assert settings.graph.endpoint == "https://graph.contoso.example"
    assert settings.graph.authority_host == "https://login.contoso.example"


@pytest.mark.parametrize(
    ("config", "named_key"),
    [
        ({"azuread:environment": "mars"}, "azuread:environment"),
        ({"asana-provisioning:graphEndpoint": "http://graph.example"}, "graphEndpoint"),
        ({"asana-provisioning:authorityHost": "login.example"}, "authorityHost"),
        ({"asana-provisioning:httpTimeoutSeconds": "0"}, "httpTimeoutSeconds"),
        ({"asana-provisioning:maxRetries": "lots"}, "maxRetries"),
        ({"asana-provisioning:retryBudgetSeconds": "-1"}, "retryBudgetSeconds"),
        ({"azuread:useMsi": "yes"}, "azuread:useMsi"),
    ],
)
def test_a_bad_setting_is_an_error_that_names_the_key_and_what_is_allowed(config, named_key):
    with pytest.raises(ConfigError, match="allowed") as error:
        resolve(config, {})

    assert named_key in str(error.value)


def test_client_secret_from_stack_config_wins_over_the_environment():
    credential = resolve(
        {**TENANT, "azuread:clientSecret": "from-config"}, {"ARM_CLIENT_SECRET": "from-env"}
    ).graph.credential

    assert credential.kind == "client_secret"
    assert credential.secret == "from-config"
    assert "from-config" not in repr(credential)


def test_arm_variables_supply_the_client_secret_credential():
    env = {"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "s"}

    credential = resolve({}, env).graph.credential

    assert (credential.kind, credential.tenant_id, credential.client_id) == (
        "client_secret",
        "t",
        "c",
    )


def test_client_secret_can_come_from_a_file(tmp_path: Path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")

    credential = resolve(
        {**TENANT, "azuread:clientSecretFilePath": str(secret_file)}, {}
    ).graph.credential

    assert credential.secret == "from-file"


def test_a_certificate_takes_precedence_over_a_secret():
    config = {**TENANT, "azuread:clientCertificatePath": "/c.pfx", "azuread:clientSecret": "s"}

    credential = resolve(config, {}).graph.credential

    assert (credential.kind, credential.path) == ("client_certificate", "/c.pfx")


def test_github_actions_oidc_is_used_when_use_oidc_is_set():
    env = {
        "ARM_USE_OIDC": "true",
        "ARM_TENANT_ID": "t",
        "ARM_CLIENT_ID": "c",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/?x=1",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
    }

    credential = resolve({}, env).graph.credential

    assert credential.kind == "github_oidc"
    assert credential.request_url == "https://token.actions.example/?x=1"


def test_use_oidc_without_any_token_source_says_what_is_missing():
    with pytest.raises(ConfigError, match="azuread:useOidc is true but no OIDC token"):
        resolve({**TENANT, "azuread:useOidc": "true"}, {})


def test_managed_identity_and_cli_are_chosen_when_asked_for():
    assert resolve({"azuread:useMsi": "true"}, {}).graph.credential.kind == "managed_identity"
    assert resolve({}, {"ARM_USE_CLI": "true"}).graph.credential.kind == "azure_cli"


def test_timeouts_and_retry_budget_come_from_stack_settings():
    policy = resolve(
        {
            "asana-provisioning:httpTimeoutSeconds": "5",
            "asana-provisioning:maxRetries": "2",
            "asana-provisioning:retryBudgetSeconds": "30",
        },
        {},
    ).graph.policy

    assert (policy.read_timeout, policy.max_retries, policy.retry_budget_seconds) == (5, 2, 30)


def test_the_config_snapshot_keeps_only_the_settings_providers_use():
    stack = {"azuread:tenantId": "t", "asana-provisioning:asanaToken": "secret", "aws:region": "x"}

    assert snapshot_config(stack.get) == {"azuread:tenantId": "t"}


GITHUB_ACTIONS = {
    "ARM_USE_OIDC": "true",
    "ARM_TENANT_ID": "t",
    "ARM_CLIENT_ID": "c",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/?x=1",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
}


def test_a_request_token_a_header_cannot_carry_is_refused_without_quoting_it():
    """The request token goes in an Authorization header, whose value must be visible ASCII
    (RFC 9110 section 5.5); a copy cut short with an ellipsis is the usual culprit."""
    truncated = "eyJhbGciOiJSUzI1NiIsInR5cCI6\u2026"

    with pytest.raises(ConfigError) as error:
        resolve({}, {**GITHUB_ACTIONS, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": truncated})

    assert str(error.value).startswith("azuread:oidcRequestToken (value hidden) has U+2026")
    assert "eyJ" not in str(error.value)


def test_a_bad_credential_url_is_refused_without_quoting_it():
    """The token request URL is a credential setting: an error names it and hides its value,
    even when the value itself looks harmless."""
    plain_http = "http://token.actions.example/?x=1"

    with pytest.raises(ConfigError) as error:
        resolve({}, {**GITHUB_ACTIONS, "ACTIONS_ID_TOKEN_REQUEST_URL": plain_http})

    assert str(error.value).startswith("azuread:oidcRequestUrl set (value hidden); allowed:")
    assert "token.actions.example" not in str(error.value)


def test_a_url_carrying_a_password_is_refused_without_quoting_it_whatever_its_key():
    """graphEndpoint is no credential setting, but a URL with userinfo (RFC 3986 section
    3.2.1) holds one: the error hides it."""
    with_password = "https://admin:hunter2@graph.contoso.example"

    with pytest.raises(ConfigError) as error:
        resolve({"asana-provisioning:graphEndpoint": with_password}, {})

    assert str(error.value).startswith(
        "asana-provisioning:graphEndpoint set (value hidden); allowed:"
    )
    assert "hunter2" not in str(error.value)


def pulumi_yaml_default(key: str) -> object:
    """A setting's default as Pulumi.yaml declares it (the engine's own default)."""
    project = yaml.safe_load((Path(__file__).parent.parent / "Pulumi.yaml").read_text())
    return project["config"][key]["default"]


def test_unset_timeouts_and_retries_are_the_defaults_pulumi_yaml_declares():
    policy = resolve({}, {}).graph.policy

    assert (policy.read_timeout, policy.max_retries, policy.retry_budget_seconds) == (
        pulumi_yaml_default("httpTimeoutSeconds"),
        pulumi_yaml_default("maxRetries"),
        pulumi_yaml_default("retryBudgetSeconds"),
    )


# (setting, lowest and highest value allowed): docs/configuration.md, "Requests that get no
# response".
HTTP_BOUNDS = [
    ("httpTimeoutSeconds", 1, 600),
    ("maxRetries", 0, 20),
    ("retryBudgetSeconds", 0, 3600),
]


@pytest.mark.parametrize(("key", "low", "high"), HTTP_BOUNDS, ids=[b[0] for b in HTTP_BOUNDS])
def test_http_limits_are_accepted_at_their_bounds_and_refused_one_past(key, low, high):
    def policy_with(value: int):
        return resolve({f"asana-provisioning:{key}": str(value)}, {}).graph.policy

    attribute = {"httpTimeoutSeconds": "read_timeout", "maxRetries": "max_retries"}.get(
        key, "retry_budget_seconds"
    )
    assert getattr(policy_with(low), attribute) == low
    assert getattr(policy_with(high), attribute) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(ConfigError) as refused:
            policy_with(outside)
        assert str(refused.value) == (
            f"asana-provisioning:{key} is '{outside}'; allowed: a number from {low} to {high}"
        )


# The azuread provider's `environment` names: terraform-provider-azuread v3.9.0,
# internal/provider/provider.go ("global (also public), usgovernmentl4 (also usgovernment),
# usgovernmentl5 (also dod), and china").
AZUREAD_ENVIRONMENTS = "china, dod, global, public, usgovernment, usgovernmentl4, usgovernmentl5"


def test_an_unknown_environment_is_quoted_with_the_names_the_azuread_provider_knows():
    with pytest.raises(ConfigError) as refused:
        resolve({"azuread:environment": "mars"}, {})

    assert str(refused.value) == (f"azuread:environment is 'mars'; allowed: {AZUREAD_ENVIRONMENTS}")


def test_an_unknown_environment_set_as_secret_is_not_quoted():
    with pytest.raises(ConfigError) as refused:
        resolve({"azuread:environment": "mars"}, {}, frozenset({"azuread:environment"}))

    assert str(refused.value) == (
        f"azuread:environment set (value hidden); allowed: {AZUREAD_ENVIRONMENTS}"
    )


@pytest.mark.parametrize(
    ("environment", "portal", "saml_issuer"),
    [
        ("global", "https://entra.microsoft.com", "https://sts.windows.net/"),
        ("china", "https://portal.azure.cn", "https://sts.chinacloudapi.cn/"),
    ],
    ids=["global", "china"],
)
def test_the_national_cloud_also_names_its_portal_and_saml_issuer(environment, portal, saml_issuer):
    """Entra's SAML issuer is `<prefix><tenant id>/`, the entityID of the tenant's federation
    metadata: https://learn.microsoft.com/entra/identity-platform/federation-metadata ."""
    cloud = resolve({"azuread:environment": environment}, {}).cloud

    assert (cloud.portal, cloud.saml_issuer) == (portal, saml_issuer)


def test_asana_requests_get_the_same_http_limits_as_graph_requests():
    """httpTimeoutSeconds bounds "each provider request" (docs/configuration.md), the SCIM
    token check's as well as Graph's."""
    settings = resolve(
        {
            "asana-provisioning:httpTimeoutSeconds": "7",
            "asana-provisioning:maxRetries": "2",
            "asana-provisioning:retryBudgetSeconds": "9",
        },
        {},
    )

    policy = settings.asana_policy
    assert (policy.read_timeout, policy.max_retries, policy.retry_budget_seconds) == (7, 2, 9)


# Each credential setting and the variable the azuread provider reads when it is unset
# (terraform-provider-azuread v3.9.0, internal/provider/provider.go, `EnvDefaultFunc`).
ARM_VARIABLE = {
    "azuread:tenantId": "ARM_TENANT_ID",
    "azuread:clientId": "ARM_CLIENT_ID",
    "azuread:clientIdFilePath": "ARM_CLIENT_ID_FILE_PATH",
    "azuread:clientSecret": "ARM_CLIENT_SECRET",
    "azuread:clientSecretFilePath": "ARM_CLIENT_SECRET_FILE_PATH",
    "azuread:clientCertificatePath": "ARM_CLIENT_CERTIFICATE_PATH",
    "azuread:clientCertificatePassword": "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "azuread:useOidc": "ARM_USE_OIDC",
    "azuread:oidcToken": "ARM_OIDC_TOKEN",
    "azuread:oidcTokenFilePath": "ARM_OIDC_TOKEN_FILE_PATH",
    "azuread:oidcRequestToken": "ARM_OIDC_REQUEST_TOKEN",
    "azuread:oidcRequestUrl": "ARM_OIDC_REQUEST_URL",
    "azuread:useMsi": "ARM_USE_MSI",
    "azuread:useCli": "ARM_USE_CLI",
}
REQUEST_URL = "https://token.actions.example/?x=1"
# (stack settings, with {file:...} for a file holding the text; the credential they make)
CREDENTIALS = {
    "client secret": (
        {"azuread:tenantId": "t", "azuread:clientId": "c", "azuread:clientSecret": "s"},
        CredentialSpec("client_secret", "t", "c", "s"),
    ),
    "client id and secret from files": (
        {
            "azuread:tenantId": "t",
            "azuread:clientIdFilePath": "{file:c}",
            "azuread:clientSecretFilePath": "{file:s}",
        },
        CredentialSpec("client_secret", "t", "c", "s"),
    ),
    "certificate": (
        {
            "azuread:tenantId": "t",
            "azuread:clientId": "c",
            "azuread:clientCertificatePath": "/c.pfx",
            "azuread:clientCertificatePassword": "pw",
        },
        CredentialSpec("client_certificate", "t", "c", "pw", "/c.pfx"),
    ),
    "oidc token": (
        {
            "azuread:tenantId": "t",
            "azuread:clientId": "c",
            "azuread:useOidc": "true",
            "azuread:oidcToken": "jwt",
        },
        CredentialSpec("oidc_token", "t", "c", "jwt", None),
    ),
    "oidc token file": (
        {
            "azuread:tenantId": "t",
            "azuread:clientId": "c",
            "azuread:useOidc": "true",
            "azuread:oidcTokenFilePath": "/run/token",
        },
        CredentialSpec("oidc_token", "t", "c", None, "/run/token"),
    ),
    "github oidc": (
        {
            "azuread:tenantId": "t",
            "azuread:clientId": "c",
            "azuread:useOidc": "true",
            "azuread:oidcRequestToken": "rt",
            "azuread:oidcRequestUrl": REQUEST_URL,
        },
        CredentialSpec("github_oidc", "t", "c", "rt", None, REQUEST_URL),
    ),
    "managed identity": (
        {"azuread:tenantId": "t", "azuread:clientId": "c", "azuread:useMsi": "true"},
        CredentialSpec("managed_identity", "t", "c"),
    ),
    "azure cli": (
        {"azuread:tenantId": "t", "azuread:useCli": "true"},
        CredentialSpec("azure_cli", "t"),
    ),
    "default chain": (
        {"azuread:tenantId": "t", "azuread:clientId": "c"},
        CredentialSpec("default_chain", "t", "c"),
    ),
}


@pytest.mark.parametrize("case", list(CREDENTIALS), ids=list(CREDENTIALS))
def test_each_credential_is_the_same_from_stack_settings_or_their_arm_variables(
    case: str, tmp_path: Path
):
    settings, expected = CREDENTIALS[case]

    def value(text: str) -> str:
        if text.startswith("{file:"):
            path = tmp_path / f"file-{len(list(tmp_path.iterdir()))}"
            path.write_text(text[len("{file:") : -1] + "\n")
            return str(path)
        return text

    config = {key: value(text) for key, text in settings.items()}
    env = {ARM_VARIABLE[key]: text for key, text in config.items()}

    assert resolve(config, {}).graph.credential == expected
    assert resolve({}, env).graph.credential == expected


TENANT_ID_ALLOWED = "allowed: a tenant id (a GUID) or domain: letters, digits, '.' and '-'"


def test_a_tenant_id_azure_identity_would_refuse_is_refused_at_once():
    """azure-identity accepts letters, digits, '.' and '-' in a tenant id (its
    `validate_tenant_id`); anything else would fail only at the first request."""
    with pytest.raises(ConfigError) as refused:
        resolve({"azuread:tenantId": "contoso/onmicrosoft.com"}, {})

    assert str(refused.value) == (
        f"azuread:tenantId (or ARM_TENANT_ID) is 'contoso/onmicrosoft.com'; {TENANT_ID_ALLOWED}"
    )


def test_a_refused_tenant_id_set_as_secret_is_not_quoted():
    with pytest.raises(ConfigError) as refused:
        resolve({"azuread:tenantId": "contoso/x"}, {}, frozenset({"azuread:tenantId"}))

    assert str(refused.value) == (
        f"azuread:tenantId (or ARM_TENANT_ID) set (value hidden); {TENANT_ID_ALLOWED}"
    )


@pytest.mark.parametrize(
    "half",
    [
        {"ACTIONS_ID_TOKEN_REQUEST_URL": REQUEST_URL},
        {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"},
    ],
    ids=["request url only", "request token only"],
)
def test_half_of_github_actions_oidc_is_no_oidc_token(half):
    """GitHub gives a job both ACTIONS_ID_TOKEN_REQUEST_URL and ..._TOKEN with `id-token:
    write` (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect);
    one without the other cannot fetch a token."""
    with pytest.raises(ConfigError) as refused:
        resolve({**TENANT, "azuread:useOidc": "true"}, half)

    assert str(refused.value) == (
        "azuread:useOidc is true but no OIDC token was found: set azuread:oidcToken, "
        "azuread:oidcTokenFilePath, or run in GitHub Actions with `id-token: write`"
    )


def test_empty_custom_endpoints_mean_the_named_clouds_own():
    """An empty graphEndpoint or authorityHost is accepted as unset (docs/reliability.md, bad
    input: "empty": accepted as plain data)."""
    settings = resolve(
        {
            "azuread:environment": "china",
            "asana-provisioning:graphEndpoint": "",
            "asana-provisioning:authorityHost": "",
        },
        {},
    )

    assert (settings.graph.endpoint, settings.graph.authority_host) == (
        "https://microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
    )


def test_only_trailing_slashes_are_dropped_from_a_custom_graph_endpoint():
    """`/v1.0` is added to the endpoint as given: its own path (a gateway's, say) is kept whole,
    whatever letter it ends with."""
    settings = resolve({"asana-provisioning:graphEndpoint": "https://gateway.example/graphX/"}, {})

    assert settings.graph.endpoint == "https://gateway.example/graphX"


def test_a_limit_out_of_range_set_as_secret_is_not_quoted():
    with pytest.raises(ConfigError) as refused:
        resolve(
            {"asana-provisioning:maxRetries": "99"},
            {},
            frozenset({"asana-provisioning:maxRetries"}),
        )

    assert str(refused.value) == (
        "asana-provisioning:maxRetries set (value hidden); allowed: a number from 0 to 20"
    )
