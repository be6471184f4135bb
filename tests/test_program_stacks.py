"""Every stack file in `stacks/`, run through the program under Pulumi's mocks.

A new stack file is picked up automatically. Its token is supplied as a secret, as
`pulumi config set --secret asanaToken` would, since stack files never hold it in plain text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import StackSettings, load_settings
from tests.program import (
    ASANA_ROLES,
    SIGNING_CERTIFICATE,
    STACK_FILES,
    ProgramRun,
    is_secret_value,
    load_stack_file,
    run_program,
    stable_id,
    stack_name,
)

TOKEN_KEY = "asana-provisioning:asanaToken"
TOKEN = "2/1200000000000001/1200000000000002:stack-test-token-value"
APP = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
IDENTIFIER = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri"
REPLY_URLS = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
JOB = "azuread:index/synchronizationJob:SynchronizationJob"
TOKEN_RESOURCE = "pulumi-python:dynamic/asana:ServiceAccountToken"
TEMPLATE = "pulumi-python:dynamic/asana:ProvisioningTemplate"
COMPONENT = "asana-provisioning:index:AsanaEnterpriseApp"
USER_ROLE_ID = ASANA_ROLES[0]["id"]
# The mocks derive object ids from type and resource name (tests/program.py).
APP_OBJECT_ID = stable_id(APP, "asana-app")
SP_OBJECT_ID = stable_id(SERVICE_PRINCIPAL, "asana-service-principal")


def stack_config(path: Path) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = load_stack_file(path)
    if TOKEN_KEY not in config:
        config[TOKEN_KEY] = TOKEN
        secret_keys.add(TOKEN_KEY)
    return config, secret_keys


@pytest.fixture(params=STACK_FILES, ids=[stack_name(path) for path in STACK_FILES])
def stack(request: pytest.FixtureRequest) -> tuple[StackSettings, ProgramRun]:
    config, secret_keys = stack_config(request.param)
    run = run_program(config, secret_keys, stack=stack_name(request.param))
    assert run.error is None, run.error
    return load_settings(config, secret_keys), run


def test_there_is_a_dev_and_a_prod_stack():
    assert {stack_name(path) for path in STACK_FILES} >= {"dev", "prod"}


def test_every_resource_belongs_to_the_component(stack):
    _, run = stack
    component = run.one(COMPONENT)

    assert "::pulumi:pulumi:Stack::" in component.parent
    assert all(r.parent == component.urn for r in run.resources if r is not component)


def test_every_dynamic_resource_runs_under_the_components_own_provider(stack):
    """Not the engine's default `pulumi-python` provider, which takes the whole stack
    configuration as inputs and so keeps every group object id in each checkpoint
    (components/dynamic_provider.py)."""
    _, run = stack
    (provider,) = run.of_type("pulumi:providers:pulumi-python")
    dynamic = [r for r in run.resources if r.type.startswith("pulumi-python:dynamic/")]

    assert len(dynamic) >= 2
    assert {r.provider.rsplit("::", 1)[0] for r in dynamic} == {provider.urn}


def test_the_dynamic_provider_is_given_only_the_settings_it_reads_secret_ones_secret():
    config, secret_keys = stack_config(STACK_FILES[0])
    config = {
        **config,
        "azuread:tenantId": "00000000-0000-0000-0000-00000000000a",
        "azuread:clientSecret": "client-secret-value",
        "asana-provisioning:httpTimeoutSeconds": "45",
    }
    run = run_program(config, secret_keys | {"azuread:clientSecret"})
    assert run.error is None, run.error

    (provider,) = run.of_type("pulumi:providers:pulumi-python")

    assert set(provider.inputs) == {
        "azuread:tenantId",
        "azuread:clientSecret",
        "asana-provisioning:httpTimeoutSeconds",
    }
    assert is_secret_value(provider.inputs["azuread:clientSecret"])
    assert provider.inputs["asana-provisioning:httpTimeoutSeconds"] == "45"


def test_the_gallery_app_and_its_service_principal(stack):
    settings, run = stack
    app = run.one(APP)
    service_principal = run.one(SERVICE_PRINCIPAL)

    assert app.inputs["displayName"] == settings.app_display_name
    expected_template = settings.gallery_template_id or stable_id("template", "Asana")
    assert app.inputs["templateId"] == expected_template
    assert service_principal.inputs["useExisting"] is True
    assert service_principal.inputs["appRoleAssignmentRequired"] is True
    assert service_principal.inputs["clientId"] == stable_id("client", APP_OBJECT_ID)
    assert app.urn in service_principal.dependencies


def test_single_sign_on_is_declared_exactly_when_enabled(stack):
    settings, run = stack
    service_principal = run.one(SERVICE_PRINCIPAL)
    sso_resources = run.of_type(IDENTIFIER) + run.of_type(REPLY_URLS)
    sso_resources += run.of_type(SIGNING_CERTIFICATE)

    if settings.sso is None:
        assert sso_resources == []
        assert "preferredSingleSignOnMode" not in service_principal.inputs
        return
    assert service_principal.inputs["preferredSingleSignOnMode"] == "saml"
    assert service_principal.inputs["loginUrl"] == settings.sso.sign_on_url
    assert service_principal.inputs["notificationEmailAddresses"] == list(
        settings.sso.notification_emails
    )
    app = run.one(APP)
    assert run.one(IDENTIFIER).inputs == {
        "applicationId": f"/applications/{APP_OBJECT_ID}",
        "identifierUri": "https://app.asana.com/",
    }
    assert run.one(REPLY_URLS).inputs["redirectUris"] == ["https://app.asana.com/-/saml/consume"]
    assert run.one(REPLY_URLS).inputs["type"] == "Web"
    certificate = run.one(SIGNING_CERTIFICATE)
    assert certificate.inputs["displayName"] == "CN=Asana SSO"
    assert service_principal.urn in certificate.dependencies
    assert app.urn in run.one(IDENTIFIER).dependencies


def test_one_assignment_per_principal_with_the_user_role(stack):
    settings, run = stack
    assignments = run.of_type(ASSIGNMENT)
    service_principal = run.one(SERVICE_PRINCIPAL)

    assert len(assignments) == len(settings.principals)
    expected_ids = sorted(expected_object_id(p.kind, p.reference) for p in settings.principals)
    assert sorted(a.inputs["principalObjectId"] for a in assignments) == expected_ids
    for assignment in assignments:
        assert assignment.inputs["appRoleId"] == USER_ROLE_ID
        assert assignment.inputs["resourceObjectId"] == SP_OBJECT_ID
        # Named once: the engine writes every reference again at each checkpoint
        # (components/asana_app.without_dependencies).
        assert assignment.dependencies == (service_principal.urn,)
        assert not any(assignment.property_dependencies.values())


def test_provisioning_is_fed_by_the_validated_token(stack):
    settings, run = stack
    provisioning = settings.provisioning
    if provisioning is None:
        assert run.of_type(SECRET) == run.of_type(JOB) == run.of_type(TOKEN_RESOURCE) == []
        return
    token = run.one(TOKEN_RESOURCE)
    template = run.one(TEMPLATE)
    secret = run.one(SECRET)
    job = run.one(JOB)
    service_principal = run.one(SERVICE_PRINCIPAL)

    assert is_secret_value(token.inputs["token"])
    assert token.inputs["scim_base_url"] == provisioning.tenant_url
    assert template.inputs["service_principal_id"] == stable_id(
        SERVICE_PRINCIPAL, "asana-service-principal"
    )
    credentials = {c["key"]: c["value"] for c in unwrap(secret.inputs["credentials"])}
    assert list(credentials) == [
        "BaseAddress",
        "SecretToken",
        "SyncNotificationSettings",
        "SyncAll",
    ]
    assert credentials["BaseAddress"] == provisioning.tenant_url
    assert json.loads(credentials["SyncNotificationSettings"]) == {
        "Enabled": provisioning.notify_on_failure,
        "Recipients": provisioning.notification_email or "",
        "DeleteThresholdEnabled": provisioning.prevent_accidental_deletions,
        "DeleteThresholdValue": provisioning.deletion_threshold,
    }
    assert credentials["SyncAll"] == ("true" if provisioning.sync_all else "false")
    assert token.urn in secret.property_dependencies["credentials"]
    assert secret.inputs["servicePrincipalId"] == f"/servicePrincipals/{SP_OBJECT_ID}"
    assert secret.urn in job.dependencies, "the job must be created after its secret"
    assert template.urn in job.property_dependencies["templateId"]
    assert job.inputs["templateId"] == "asana"
    assert job.inputs["enabled"] is provisioning.running
    assert service_principal.urn in job.dependencies


def test_the_token_reaches_entra_only_as_a_secret(stack):
    settings, run = stack
    if settings.provisioning is None:
        pytest.skip("this stack does not provision")
    secret = run.one(SECRET)

    assert is_secret_value(secret.inputs["credentials"])
    plain_inputs = [
        (resource.name, key)
        for resource in run.resources
        for key, value in resource.inputs.items()
        if TOKEN in json.dumps(value) and not is_secret_value(value)
    ]
    assert plain_inputs == []
    assert TOKEN not in json.dumps(run.outputs, default=str)


def test_outputs_name_what_an_operator_looks_for(stack):
    settings, run = stack
    outputs = run.outputs

    assert outputs["applicationObjectId"] == APP_OBJECT_ID
    assert outputs["servicePrincipalObjectId"] == SP_OBJECT_ID
    assert "/ManagedAppMenuBlade/~/ProvisioningManagement/appId/" in outputs["provisioningPage"]
    logs = outputs["provisioningLogsPage"]
    assert logs.startswith(settings.portal + "/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/")
    assert logs.endswith(f"/objectId/{SP_OBJECT_ID}")
    assert [p["reference"] for p in outputs["assignedPrincipals"]] == [
        p.reference for p in settings.principals
    ]
    if settings.provisioning is not None:
        assert outputs["provisioningTemplateId"] == "asana"
        assert outputs["asanaTokenFingerprint"].startswith("sha256:")
        assert outputs["provisioningJobId"]
    assert ("sso" in outputs) == (settings.sso is not None)


def test_prod_assigns_groups_only_with_sso_notifications_and_deletion_protection():
    config, secret_keys = stack_config(next(p for p in STACK_FILES if stack_name(p) == "prod"))
    settings = load_settings(config, secret_keys)

    assert {p.kind for p in settings.principals} == {"group"}
    assert settings.sso is not None
    assert settings.provisioning is not None
    assert settings.provisioning.notification_email and settings.provisioning.notify_on_failure
    assert settings.provisioning.prevent_accidental_deletions
    assert not settings.provisioning.sync_all


def test_dev_provisions_a_test_group_and_one_test_user():
    config, secret_keys = stack_config(next(p for p in STACK_FILES if stack_name(p) == "dev"))
    settings = load_settings(config, secret_keys)

    assert [p.kind for p in settings.principals] == ["group", "user"]
    assert settings.provisioning is not None and settings.provisioning.running


def test_no_stack_file_holds_a_plaintext_token():
    for path in STACK_FILES:
        config, secret_keys = load_stack_file(path)
        assert TOKEN_KEY not in config or TOKEN_KEY in secret_keys, path.name


def expected_object_id(kind: str, reference: str) -> str:
    if len(reference) == 36 and reference.count("-") == 4:
        return reference
    return stable_id(kind, reference)


def unwrap(value):
    return value["value"] if is_secret_value(value) else value


MAPPINGS = "pulumi-python:dynamic/asana:ProvisioningAttributeMappings"


def test_attribute_mappings_are_declared_as_the_stack_says(stack):
    settings, run = stack
    declared = {resource.inputs["kind"]: resource for resource in run.of_type(MAPPINGS)}
    provisioning = settings.provisioning
    expected = {}
    if provisioning is not None:
        specs = (("user", provisioning.user_mappings), ("group", provisioning.group_mappings))
        expected = {kind: spec for kind, spec in specs if spec is not None}

    assert set(declared) == set(expected)
    for kind, spec in expected.items():
        resource = declared[kind]
        assert resource.inputs["mappings"] == spec["mappings"]
        assert resource.inputs.get("scoping_filter") == spec.get("scopingFilter")
        assert resource.inputs["service_principal_id"] == SP_OBJECT_ID
        assert run.one(JOB).urn in resource.property_dependencies["job_id"]


def test_prod_maps_title_and_department_and_scopes_users_to_a_department():
    config, secret_keys = stack_config(next(p for p in STACK_FILES if stack_name(p) == "prod"))
    provisioning = load_settings(config, secret_keys).provisioning
    assert provisioning is not None and provisioning.user_mappings is not None

    targets = {m["target"] for m in provisioning.user_mappings["mappings"]}
    assert {
        "title",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    } <= targets
    (group,) = provisioning.user_mappings["scopingFilter"]
    assert group == [{"attribute": "department", "operator": "EQUALS", "values": ["Engineering"]}]


def test_dev_keeps_the_template_and_adds_one_mapping():
    config, secret_keys = stack_config(next(p for p in STACK_FILES if stack_name(p) == "dev"))
    provisioning = load_settings(config, secret_keys).provisioning
    assert provisioning is not None and provisioning.user_mappings is not None

    assert provisioning.user_mappings["mode"] == "merge"
    assert len(provisioning.user_mappings["mappings"]) == 1


@pytest.mark.parametrize(
    ("status", "restarts"), [("on", True), ("off", False)], ids=["running", "paused"]
)
def test_mapping_changes_restart_only_a_job_the_stack_wants_running(status, restarts):
    config, secret_keys = stack_config(next(p for p in STACK_FILES if stack_name(p) == "dev"))
    config["asana-provisioning:restartOnMappingChange"] = "true"
    config["asana-provisioning:provisioningStatus"] = status

    run = run_program(config, secret_keys)

    assert run.error is None, run.error
    declared = run.of_type(MAPPINGS)
    assert declared
    assert {resource.inputs["restart_on_change"] for resource in declared} == {restarts}


PULUMI_YAML = Path(__file__).resolve().parent.parent / "Pulumi.yaml"
# SyncNotificationSettings' fields and the setting each comes from (api-facts
# graph-synchronization §1.6; the portal's Settings section of the Provisioning page).
NOTIFICATION_FIELDS = {
    "Enabled": "notifyOnFailure",
    "Recipients": "notificationEmail",
    "DeleteThresholdEnabled": "preventAccidentalDeletions",
    "DeleteThresholdValue": "deletionThreshold",
}
# Each stack file as written, then with one setting changed, so that two settings that are
# equal in the file (both stacks notify and prevent deletions) cannot stand in for each other.
NOTIFICATION_VARIANTS: dict[str, dict[str, Any]] = {
    "as written": {},
    "no failure email": {"notifyOnFailure": False},
    "deletions not prevented": {"preventAccidentalDeletions": False},
    "threshold 7": {"deletionThreshold": 7},
    "no recipient": {"notifyOnFailure": False, "notificationEmail": ""},
}


def notification_settings_as_written(path: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """What the stack file says (or Pulumi.yaml's declared default, which the CLI applies when
    the file is silent), read from the YAML itself rather than through load_settings."""
    written = yaml.safe_load(path.read_text())["config"]
    declared = yaml.safe_load(PULUMI_YAML.read_text())["config"]

    def value(name: str) -> Any:
        if name in changes:
            return changes[name]
        return written.get(f"asana-provisioning:{name}", declared[name]["default"])

    return {field: value(name) for field, name in NOTIFICATION_FIELDS.items()}


@pytest.mark.parametrize("variant", NOTIFICATION_VARIANTS)
@pytest.mark.parametrize("path", STACK_FILES, ids=[stack_name(p) for p in STACK_FILES])
def test_the_notification_settings_reach_entra_as_the_stack_file_writes_them(
    path: Path, variant: str
):
    changes = NOTIFICATION_VARIANTS[variant]
    config, secret_keys = stack_config(path)
    for name, value in changes.items():
        config[f"asana-provisioning:{name}"] = json.dumps(value) if value != "" else ""

    run = run_program(config, secret_keys, stack=stack_name(path))

    assert run.error is None, run.error
    credentials = {c["key"]: c["value"] for c in unwrap(run.one(SECRET).inputs["credentials"])}
    expected = notification_settings_as_written(path, changes)
    assert json.loads(credentials["SyncNotificationSettings"]) == expected
