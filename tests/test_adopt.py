"""`python -m tools.adopt` against a hand-configured tenant in the emulator."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from clients.connection import CLOUDS, resolve
from components.settings import load_settings
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from rules.schema_edit import object_mapping
from tests.conftest import ASANA_TEMPLATE, CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import Emulator
from tests.emulator.client import GraphTestClient
from tests.engine import EngineResource, ProviderServer
from tests.program import load_stack_file, run_program
from tools import adopt

ROOT = Path(__file__).resolve().parent.parent

SP = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
APP_OBJECT = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091"
APP_ID = "a1b2c3d4-e5f6-4789-8abc-def012345678"
GALLERY = "8a3f1d2c-5b6e-4f70-9a1b-2c3d4e5f6a7b"
USER_ROLE = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
ROLES = [
    {"id": USER_ROLE, "displayName": "User", "value": None, "description": "User",
     "allowedMemberTypes": ["User"], "isEnabled": True, "origin": "Application"},
    {"id": "b9632174-c057-4f7e-951b-be3adc52bfe6", "displayName": "msiam_access", "value": None,
     "description": "msiam_access", "allowedMemberTypes": ["User"], "isEnabled": True,
     "origin": "Application"},
]  # fmt: skip
GROUPS = [
    "11111111-2222-4333-8444-555555555551",
    "11111111-2222-4333-8444-555555555552",
    "11111111-2222-4333-8444-555555555553",
]
USERS = ["99999999-8888-4777-8666-555555555551", "99999999-8888-4777-8666-555555555552"]
TOKEN_KEY = "asana-provisioning:asanaToken"
P = "asana-provisioning:"


def hand_configured(
    emulator: Emulator,
    tenant: Tenant,
    *,
    provisioning: bool = True,
    base_address: str = "https://app.asana.com/api/1.0/scim",
) -> str | None:
    """The setup an admin makes by following Microsoft's two Asana tutorials in the portal."""
    emulator.add_enterprise_app(
        SP,
        app_object_id=APP_OBJECT,
        app_id=APP_ID,
        display_name="Asana",
        application_template_id=GALLERY,
        app_roles=ROLES,
        preferred_single_sign_on_mode="saml",
        login_url="https://app.asana.com/a/contoso.com",
        notification_email_addresses=["identity@contoso.com"],
        identifier_uris=["https://app.asana.com/"],
        redirect_uris=["https://app.asana.com/-/saml/consume"],
        token_signing_key={
            "keyId": "6f5e4d3c-2b1a-4098-8765-43210fedcba9",
            "endDateTime": "2029-11-27T00:00:00Z",
            "displayName": "CN=Microsoft Azure Federated SSO Certificate",
        },
        templates=[ASANA_TEMPLATE],
    )
    # The assigned groups and users exist in the directory, as in any tenant (preview looks
    # each up by object id).
    for number, group in enumerate(GROUPS):
        emulator.add_group(f"Asana group {number}", group_id=group)
    for number, user in enumerate(USERS):
        emulator.add_user(f"user{number}@contoso.com", f"User {number}", user_id=user)
    for number, group in enumerate(GROUPS):
        emulator.add_app_role_assignment(
            SP, principal_id=group, principal_type="Group",
            principal_display_name=f"Asana group {number}", app_role_id=USER_ROLE,
        )  # fmt: skip
    for number, user in enumerate(USERS):
        emulator.add_app_role_assignment(
            SP, principal_id=user, principal_type="User",
            principal_display_name=f"User {number}", app_role_id=USER_ROLE,
        )  # fmt: skip
    if not provisioning:
        return None
    job = emulator.create_job(SP, "asana")
    emulator.start_job(SP, job)
    emulator.set_secrets(
        SP,
        {
            "BaseAddress": base_address,
            "SecretToken": tenant.asana_token,
            "SyncNotificationSettings": json.dumps(
                {
                    "Enabled": True,
                    "Recipients": "identity@contoso.com",
                    "DeleteThresholdEnabled": True,
                    "DeleteThresholdValue": 40,
                }
            ),
            "SyncAll": "false",
        },
    )
    emulator.edit_schema(SP, job, customise_mappings)
    return job


def customise_mappings(schema: dict[str, Any]) -> None:
    users = object_mapping(schema, "User", "User")
    title = next(m for m in users["attributeMappings"] if m["targetAttributeName"] == "title")
    title["source"] = {"expression": "[department]", "name": "department", "parameters": [],
                       "type": "Attribute"}  # fmt: skip
    users["scope"] = {
        "groups": [{"name": "Engineering only", "clauses": [{
            "operatorName": "EQUALS", "sourceOperandName": "department",
            "targetOperand": {"values": ["Engineering"]}}]}]
    }  # fmt: skip


@pytest.fixture
def environment(trust_emulator: Emulator, tenant: Tenant, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ARM_TENANT_ID", TENANT_ID)
    monkeypatch.setenv("ARM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ARM_CLIENT_SECRET", tenant.client_secret)
    monkeypatch.delenv("ARM_ENVIRONMENT", raising=False)
    return trust_emulator


def run_adopt(emulator: Emulator, tmp_path: Path, *args: str) -> int:
    return adopt.main(
        [
            "--stack", "adopted", *args,
            "--graph-endpoint", emulator.graph_url,
            "--authority-host", emulator.authority_host,
            "--stack-dir", str(tmp_path),
            "--import-file", str(tmp_path / "import.json"),
        ]
    )  # fmt: skip


def generated(tmp_path: Path) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = load_stack_file(tmp_path / "Pulumi.adopted.yaml")
    config[TOKEN_KEY] = "2/1/2:set-with-pulumi-config-set-secret"
    secret_keys.add(TOKEN_KEY)
    return config, secret_keys


def test_the_generated_stack_reproduces_the_live_setup(environment, tenant, tmp_path, capsys):
    emulator = environment
    hand_configured(emulator, tenant)

    assert run_adopt(emulator, tmp_path, "--name", "Asana") == 0

    printed = capsys.readouterr().out
    assert "3 group(s), 2 user(s)" in printed and "pulumi import --stack adopted" in printed
    config, secret_keys = generated(tmp_path)
    settings = load_settings(config, secret_keys)
    assert settings.gallery_template_id == GALLERY
    assert (
        settings.sso is not None
        and settings.sso.sign_on_url == "https://app.asana.com/a/contoso.com"
    )
    provisioning = settings.provisioning
    assert provisioning is not None
    assert (provisioning.notification_email, provisioning.deletion_threshold) == (
        "identity@contoso.com",
        40,
    )
    run = run_program(config, secret_keys, stack="adopted")
    assert run.error is None, run.error
    app = run.one("azuread:index/applicationFromTemplate:ApplicationFromTemplate")
    assert (app.inputs["displayName"], app.inputs["templateId"]) == ("Asana", GALLERY)
    sp = run.one("azuread:index/servicePrincipal:ServicePrincipal")
    assert sp.inputs["loginUrl"] == "https://app.asana.com/a/contoso.com"
    assert sp.inputs["notificationEmailAddresses"] == ["identity@contoso.com"]
    assigned = {
        a.inputs["principalObjectId"]
        for a in run.of_type("azuread:index/appRoleAssignment:AppRoleAssignment")
    }
    assert assigned == set(GROUPS + USERS)
    secret = run.one("azuread:index/synchronizationSecret:SynchronizationSecret")
    credentials = {c["key"]: c["value"] for c in secret.inputs["credentials"]["value"]}
    live = emulator.secrets(SP)
    for key in ("BaseAddress", "SyncAll"):
        assert credentials[key] == live[key]
    assert json.loads(credentials["SyncNotificationSettings"]) == json.loads(
        live["SyncNotificationSettings"]
    )
    assert run.one("azuread:index/synchronizationJob:SynchronizationJob").inputs["enabled"] is True


def test_the_import_file_names_every_azuread_resource_with_its_import_id(
    environment, tenant, tmp_path
):
    emulator = environment
    job = hand_configured(emulator, tenant)
    assert run_adopt(emulator, tmp_path, "--object-id", SP) == 0

    imports = json.loads((tmp_path / "import.json").read_text())
    run = run_program(*generated(tmp_path), stack="adopted")

    declared = {
        (r.type, r.name)
        for r in run.resources
        if r.type.startswith("azuread:") and not r.type.endswith(":SynchronizationSecret")
    }
    assert {(e["type"], e["name"]) for e in imports["resources"]} == declared
    ids = {e["name"]: e["id"] for e in imports["resources"]}
    assert ids["asana-app"] == f"/applicationTemplates/{GALLERY}/instantiate/{APP_OBJECT}/{SP}"
    assert ids["asana-service-principal"] == f"/servicePrincipals/{SP}"
    assert ids["asana-saml-reply-url"] == f"/applications/{APP_OBJECT}/redirectUris/Web"
    assert ids["asana-saml-identifier"] == (
        f"/applications/{APP_OBJECT}/identifierUris/aHR0cHM6Ly9hcHAuYXNhbmEuY29tLw=="
    )
    assert ids[
        "asana-saml-signing-certificate-cn-microsoft-azure-federated-sso-certifi-5ff8aae1"
    ] == (f"{SP}/tokenSigningCertificate/6f5e4d3c-2b1a-4098-8765-43210fedcba9")
    assert ids["asana-provisioning-job"] == f"/servicePrincipals/{SP}/synchronization/jobs/{job}"
    assignment_ids = sorted(v for k, v in ids.items() if "-group-" in k or "-user-" in k)
    assert len(assignment_ids) == 5
    assert all(i.startswith(f"/servicePrincipals/{SP}/appRoleAssignedTo/") for i in assignment_ids)
    component = "asana-provisioning:index:AsanaEnterpriseApp"
    assert imports["nameTable"] == {
        "asana": f"urn:pulumi:adopted::asana-provisioning::{component}::asana"
    }


def test_the_mappings_from_the_generated_stack_are_adopted_without_a_put(
    environment, tenant, tmp_path, server: ProviderServer
):
    emulator = environment
    job = hand_configured(emulator, tenant)
    assert run_adopt(emulator, tmp_path, "--name", "Asana") == 0
    run = run_program(*generated(tmp_path), stack="adopted")
    declared = run.one("pulumi-python:dynamic/asana:ProvisioningAttributeMappings").inputs
    inputs = {k: v for k, v in declared.items() if k not in ("__provider", "managed_targets")}
    inputs.update(
        service_principal_id=SP, job_id=f"/servicePrincipals/{SP}/synchronization/jobs/{job}"
    )
    before = len(emulator.requests)

    resource = EngineResource(server, ProvisioningAttributeMappingsProvider(), "asana:M", "users")
    resource.up(inputs)

    methods = [r.method for r in emulator.requests[before:] if r.service == "graph"]
    assert methods == ["GET"]
    assert not resource.refresh().drift


def test_adoption_only_reads(environment, tenant, tmp_path):
    emulator = environment
    hand_configured(emulator, tenant)
    before = len(emulator.requests)

    assert run_adopt(emulator, tmp_path, "--name", "Asana") == 0

    graph = [r.method for r in emulator.requests[before:] if r.service == "graph"]
    assert graph and set(graph) == {"GET"}


def test_no_asana_app_is_a_clear_error(environment, tmp_path, capsys):
    assert run_adopt(environment, tmp_path, "--name", "Asana") == 1

    assert "no enterprise application named or with object id 'Asana'" in capsys.readouterr().err


def test_several_apps_are_listed_to_choose_from(environment, tenant, tmp_path, capsys):
    emulator = environment
    hand_configured(emulator, tenant, provisioning=False)
    emulator.add_enterprise_app(
        "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e60",
        app_object_id="2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8092",
        app_id="a1b2c3d4-e5f6-4789-8abc-def012345679",
        display_name="Asana",
        application_template_id=GALLERY,
        app_roles=ROLES,
    )

    assert run_adopt(emulator, tmp_path, "--name", "Asana") == 1

    error = capsys.readouterr().err
    assert "2 enterprise applications are named 'Asana'; choose one with --object-id" in error
    assert SP in error and "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e60" in error


def test_an_app_without_provisioning_declares_sso_and_assignments_only(
    environment, tenant, tmp_path, capsys
):
    hand_configured(environment, tenant, provisioning=False)

    assert run_adopt(environment, tmp_path, "--name", "Asana") == 0

    assert "no provisioning job" in capsys.readouterr().out
    settings = load_settings(*load_stack_file(tmp_path / "Pulumi.adopted.yaml"))
    assert settings.provisioning is None and settings.sso is not None


def test_a_job_on_another_template_is_refused(environment, tenant, tmp_path, capsys):
    emulator = environment
    hand_configured(emulator, tenant, provisioning=False)
    scim = {"id": "scim", "factoryTag": "CustomSCIM", "schema": ASANA_TEMPLATE["schema"]}
    emulator.set_templates(SP, [ASANA_TEMPLATE, scim])
    emulator.create_job(SP, "scim")
    emulator.set_templates(SP, [ASANA_TEMPLATE])

    assert run_adopt(emulator, tmp_path, "--name", "Asana") == 1

    assert (
        "uses template 'scim', not the Asana app's own template 'asana'" in capsys.readouterr().err
    )


def test_an_existing_stack_file_is_kept_unless_forced(environment, tenant, tmp_path, capsys):
    hand_configured(environment, tenant)
    (tmp_path / "Pulumi.adopted.yaml").write_text("config: {}\n")

    assert run_adopt(environment, tmp_path, "--name", "Asana") == 2
    assert "pass --force" in capsys.readouterr().err
    assert (tmp_path / "Pulumi.adopted.yaml").read_text() == "config: {}\n"

    assert run_adopt(environment, tmp_path, "--name", "Asana", "--force") == 0
    assert "appDisplayName" in (tmp_path / "Pulumi.adopted.yaml").read_text()


def test_the_stack_records_the_cloud_it_was_read_from(environment, tenant, tmp_path, capsys):
    emulator = environment
    hand_configured(emulator, tenant)

    assert run_adopt(emulator, tmp_path, "--name", "Asana", "--environment", "USGovernment") == 0

    assert f"through {emulator.graph_url}:" in capsys.readouterr().out
    config, _ = load_stack_file(tmp_path / "Pulumi.adopted.yaml")
    assert config["azuread:environment"] == "usgovernment"
    assert config[f"{P}graphEndpoint"] == emulator.graph_url
    assert config[f"{P}authorityHost"] == emulator.authority_host
    deployed = resolve(config, {})  # what the stack's providers will use, with no ARM_* set
    assert deployed.cloud == CLOUDS["usgovernment"]
    assert deployed.graph.endpoint == emulator.graph_url
    assert deployed.graph.authority_host == emulator.authority_host


def test_a_cloud_from_arm_environment_is_recorded_too(
    environment, tenant, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    hand_configured(environment, tenant)
    monkeypatch.setenv("ARM_ENVIRONMENT", "China")

    assert run_adopt(environment, tmp_path, "--name", "Asana") == 0

    config, _ = load_stack_file(tmp_path / "Pulumi.adopted.yaml")
    assert config["azuread:environment"] == "china"


def test_without_a_cloud_setting_the_stack_names_none(environment, tenant, tmp_path):
    hand_configured(environment, tenant)

    assert run_adopt(environment, tmp_path, "--name", "Asana") == 0

    config, _ = load_stack_file(tmp_path / "Pulumi.adopted.yaml")
    assert "azuread:environment" not in config  # global, the default of both providers


def test_an_unknown_cloud_is_refused_naming_the_allowed_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        adopt.main(["--stack", "x", "--name", "Asana", "--environment", "mars",
                    "--stack-dir", str(tmp_path)])  # fmt: skip

    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "--environment: invalid choice: 'mars'" in error
    assert all(repr(name) in error for name in CLOUDS)
    assert list(tmp_path.iterdir()) == []


def test_the_usage_names_the_module_and_every_cloud_the_providers_accept(capsys):
    with pytest.raises(SystemExit):
        adopt.main(["--help"])

    usage = capsys.readouterr().out
    assert usage.startswith("usage: python -m tools.adopt ")
    flattened = " ".join(usage.split())
    assert adopt.cloud_names() in flattened
    assert all(name in adopt.cloud_names() for name in CLOUDS)
    assert "exit status:" in usage


def test_the_clouds_in_the_usage_are_the_documented_ones():
    """One line per cloud in the usage (its first name), each named in the adoption guide."""
    readme = (ROOT / "docs" / "adopt.md").read_text(encoding="utf-8")
    first_names = [names[0] for names in adopt.cloud_groups()]

    assert len(first_names) == len(set(CLOUDS.values()))
    assert [name for name in first_names if f"`{name}`" not in readme] == []


def a_repository(path: Path) -> Path:
    """The files adoption registers a stack in: stacks/ with its order, policies/config/."""
    (path / "stacks").mkdir(parents=True)
    (path / "policies" / "config").mkdir(parents=True)
    (path / "stacks" / "deploy-order").write_text("# order\ndev\n", encoding="utf-8")
    (path / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    return path


def adopt_into(emulator: Emulator, repo: Path, stack_dir: Path, import_file: Path) -> int:
    return adopt.main(
        [
            "--stack", "adopted", "--name", "Asana",
            "--graph-endpoint", emulator.graph_url,
            "--authority-host", emulator.authority_host,
            "--stack-dir", str(stack_dir),
            "--import-file", str(import_file),
        ],
        root=repo,
    )  # fmt: skip


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_stack_adopted_into_the_repository_gets_its_policy_config_and_deploy_order(
    environment, tenant, tmp_path, capsys
):
    """So `make test` (which checks every stack has both) stays green after adopting."""
    hand_configured(environment, tenant)
    repo = a_repository(tmp_path)

    assert adopt_into(environment, repo, repo / "stacks", tmp_path / "import.json") == 0

    assert (tmp_path / "stacks" / "Pulumi.adopted.yaml").is_file()
    assert json.loads((tmp_path / "policies" / "config" / "adopted.json").read_text()) == {
        "all": "mandatory"
    }
    assert (tmp_path / "stacks" / "deploy-order").read_text().splitlines()[-2:] == [
        "dev",
        "adopted",
    ]
    out = capsys.readouterr().out
    assert "wrote policies/config/adopted.json" in out
    assert "outside the repository" not in out


def test_a_stack_written_outside_the_repositorys_stacks_is_not_registered(
    environment, tenant, tmp_path, capsys
):
    """`--stack-dir build` from the repository's root: a stack file the workflows never list
    must not get a deploy-order line (the listing would fail for every stack)."""
    hand_configured(environment, tenant)
    repo = a_repository(tmp_path)
    (repo / "build").mkdir()
    before = files(repo)

    assert adopt_into(environment, repo, repo / "build", repo / "build" / "import.json") == 0

    after = files(repo)
    assert sorted(set(after) - set(before)) == ["build/Pulumi.adopted.yaml", "build/import.json"]
    assert all(after[name] == content for name, content in before.items())
    out = " ".join(capsys.readouterr().out.split())
    assert "is outside the repository's stacks/" in out
    assert "adopt again with the default --stack-dir stacks" in out
    assert "add the line adopted to stacks/deploy-order" in out


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("order", "error: stacks/deploy-order line 2: stack name 'bad/name' contains '/'"),
        ("no order", "error: stacks/deploy-order is missing"),
        ("no policy configs", "error: policies/config/ is missing"),
        ("no import folder", "is not a folder"),
    ],
)
def test_a_repository_it_cannot_register_in_is_a_clear_error_and_nothing_is_written(
    environment, tenant, tmp_path, capsys, breakage, error
):
    """Every check runs before the first write: no stack file without its registration."""
    hand_configured(environment, tenant)
    repo = a_repository(tmp_path)
    import_file = tmp_path / "import.json"
    if breakage == "order":
        (repo / "stacks" / "deploy-order").write_text("dev\nbad/name\n", encoding="utf-8")
    elif breakage == "no order":
        (repo / "stacks" / "deploy-order").unlink()
    elif breakage == "no policy configs":
        (repo / "policies" / "config").rmdir()
    else:
        import_file = tmp_path / "missing" / "import.json"
    before = files(repo)

    assert adopt_into(environment, repo, repo / "stacks", import_file) == 1

    assert error in capsys.readouterr().err
    assert files(repo) == before


JOB = "Asana.0a1b2c3d4e5f.11111111-2222-3333-4444-555555555555"


class StubGraph:
    """Graph's replies by path, for replies the tenant never gives (malformed ones)."""

    def __init__(self, replies: dict[str, Any]):
        self.replies = replies

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.replies[path]

    def get_all(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        return self.replies[path]


def well_formed() -> dict[str, Any]:
    sync = f"/servicePrincipals/{SP}/synchronization"
    return {
        "/servicePrincipals": [
            {"id": SP, "appId": APP_ID, "displayName": "Asana", "appRoles": ROLES}
        ],
        "/applications": [{"id": APP_OBJECT, "appId": APP_ID}],
        f"{sync}/jobs": [{"id": JOB, "templateId": "Asana"}],
        f"{sync}/templates": [{"id": "Asana", "schema": {}}],
        f"{sync}/secrets": {"value": [{"key": "BaseAddress", "value": "https://x/scim"}]},
        f"{sync}/jobs/{JOB}/schema": {},
        f"/servicePrincipals/{SP}/appRoleAssignedTo": [
            {"id": "a1", "principalId": GROUPS[0], "principalType": "Group"}
        ],
    }


def malformed(path: str, key: str, change: Any) -> dict[str, Any]:
    replies = well_formed()
    full = path.replace("{sync}", f"/servicePrincipals/{SP}/synchronization").replace("{sp}", SP)
    reply = replies[full]
    item = reply[0] if isinstance(reply, list) else reply
    if key == "value[0].value":
        item = item["value"][0]
        key = "value"
    if change is None:
        del item[key]
    else:
        item[key] = change
    return replies


@pytest.mark.parametrize(
    ("path", "key", "change", "request_path"),
    [
        ("/servicePrincipals", "id", None, "/v1.0/servicePrincipals"),
        ("/servicePrincipals", "id", 5, "/v1.0/servicePrincipals"),
        ("/servicePrincipals", "appId", None, "/v1.0/servicePrincipals"),
        ("/applications", "id", None, "/v1.0/applications"),
        ("{sync}/jobs", "id", None, f"/v1.0/servicePrincipals/{SP}/synchronization/jobs"),
        ("{sync}/templates", "id", None, f"/v1.0/servicePrincipals/{SP}/synchronization/templates"),
        ("{sync}/secrets", "value", None, f"/v1.0/servicePrincipals/{SP}/synchronization/secrets"),
        ("{sync}/secrets", "value[0].value", None,
         f"/v1.0/servicePrincipals/{SP}/synchronization/secrets"),
        ("/servicePrincipals/{sp}/appRoleAssignedTo", "principalId", None,
         f"/v1.0/servicePrincipals/{SP}/appRoleAssignedTo"),
        ("/servicePrincipals/{sp}/appRoleAssignedTo", "id", None,
         f"/v1.0/servicePrincipals/{SP}/appRoleAssignedTo"),
        ("/servicePrincipals", "keyCredentials", [{"usage": "Verify"}], "/v1.0/servicePrincipals"),
    ],
    ids=["sp id missing", "sp id a number", "sp appId missing", "application id missing",
         "job id missing", "template id missing", "secrets value missing",
         "a secret's value missing", "assignment principalId missing", "assignment id missing",
         "certificate keyId missing"],
)  # fmt: skip
def test_a_malformed_graph_reply_is_a_one_line_error_naming_the_request(
    environment, tmp_path, capsys, monkeypatch, path, key, change, request_path
):
    monkeypatch.setattr(adopt, "GraphClient", lambda _: StubGraph(malformed(path, key, change)))

    assert run_adopt(environment, tmp_path, "--name", "Asana") == 1

    error = capsys.readouterr().err
    assert error.startswith(f"error: Microsoft Graph GET {request_path} answered ")
    field = "keyCredentials[].keyId" if key == "keyCredentials" else repr(key.split(".")[-1])
    assert "answered with " in error and field in error
    assert len(error.strip().splitlines()) == 1
    assert not (tmp_path / "Pulumi.adopted.yaml").exists()


PORTAL_ADMIN = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"


def test_the_active_certificate_is_adopted_when_it_is_not_the_first_of_several(
    environment, tenant, tmp_path
):
    """A rotation done in the portal: a second certificate added and made active, so the
    service principal holds two Verify keys and the active one is listed second. Graph names
    the active one in hex (`preferredTokenSigningKeyThumbprint`) and each key in base64
    (`customKeyIdentifier`, the SHA-1 digest's bytes; Learn, "Configure SAML-based single
    sign-on", steps 4 and 5); the test pairs them itself, from Graph's own replies."""
    emulator = environment
    hand_configured(emulator, tenant, provisioning=False)
    admin = GraphTestClient(emulator, TENANT_ID, PORTAL_ADMIN, "portal-admin-secret")
    added = admin.post(
        f"/v1.0/servicePrincipals/{SP}/addTokenSigningCertificate",
        {"displayName": "CN=Asana SSO 2030"},
    )
    assert added.status_code == 200, added.text
    thumbprint = added.json()["thumbprint"]
    made_active = admin.patch(
        f"/v1.0/servicePrincipals/{SP}", {"preferredTokenSigningKeyThumbprint": thumbprint}
    )
    assert made_active.status_code == 204, made_active.text
    keys = admin.get(f"/v1.0/servicePrincipals/{SP}").json()["keyCredentials"]
    verify_keys = [k for k in keys if k["usage"] == "Verify"]
    digest_in_base64 = base64.b64encode(bytes.fromhex(thumbprint)).decode()
    (active,) = [k for k in verify_keys if k["customKeyIdentifier"] == digest_in_base64]
    assert len(verify_keys) == 2 and verify_keys[0] is not active, "the setup this test needs"

    assert run_adopt(emulator, tmp_path, "--name", "Asana") == 0

    config, _ = load_stack_file(tmp_path / "Pulumi.adopted.yaml")
    assert config[f"{P}ssoCertificateName"] == "CN=Asana SSO 2030"
    imports = json.loads((tmp_path / "import.json").read_text())
    (certificate,) = [
        e
        for e in imports["resources"]
        if e["type"].endswith(":ServicePrincipalTokenSigningCertificate")
    ]
    assert certificate["id"] == f"{SP}/tokenSigningCertificate/{active['keyId']}"
