"""The azuread STAND-IN plugin (tests/azuread_standin) against the HTTPS emulator.

Each test starts the plugin as the engine would (the committed executable, the emulator's CA
trusted only through SSL_CERT_FILE, the provider configured with `azuread:metadataHost`) and
drives it over gRPC: resources through create, read, update, import and delete, functions, drift
after out-of-band changes, errors, throttling, parallel calls and secrets. The emulator's request
log shows what the stand-in sent to Graph, and every body must parse as Microsoft's own model
(tests/graph_models.py).
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import os
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2

from tests.azuread_standin_fixtures import (
    FAST_POLLS,
    PLUGIN,
    PROJECT_ROOT,
    UNKNOWN,
    Managed,
    PluginError,
    Secret,
    StandinPlugin,
    encode,
    plain,
    plugin_environment,
)
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import Emulator
from tests.emulator.client import GraphTestClient
from tests.emulator.faults import Fault
from tests.emulator.gallery import ASANA_TEMPLATE_ID, USER_ROLE_ID

APP = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
IDENTIFIER = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri"
REDIRECTS = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
CERTIFICATE = (
    "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate"
)
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
OWNER = "azuread:index/applicationOwner:ApplicationOwner"
SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
JOB = "azuread:index/synchronizationJob:SynchronizationJob"
GET_TEMPLATE = "azuread:index/getApplicationTemplate:getApplicationTemplate"
GET_APPLICATION = "azuread:index/getApplication:getApplication"
GET_GROUP = "azuread:index/getGroup:getGroup"
GET_USER = "azuread:index/getUser:getUser"
GET_GROUPS = "azuread:index/getGroups:getGroups"
GET_USERS = "azuread:index/getUsers:getUsers"
GET_CLIENT_CONFIG = "azuread:index/getClientConfig:getClientConfig"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

pytestmark = pytest.mark.timeout(180)


def provider_config(emulator: Emulator, tenant: Tenant) -> dict[str, Any]:
    return {
        "tenantId": TENANT_ID,
        "clientId": CLIENT_ID,
        "clientSecret": Secret(tenant.client_secret),
        "metadataHost": emulator.metadata_host,
    }


@pytest.fixture
def standin(emulator: Emulator, tenant: Tenant) -> Iterator[StandinPlugin]:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        plugin.configure(provider_config(emulator, tenant))
        yield plugin


def graph_calls(emulator: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests if r.service == "graph"]


def gallery_app(standin: StandinPlugin, name: str = "Asana", display: str = "Asana") -> Managed:
    app = Managed(standin, APP, name)
    app.up({"displayName": display, "templateId": ASANA_TEMPLATE_ID})
    return app


def adopted_principal(standin: StandinPlugin, app: Managed, **settings: Any) -> Managed:
    sp = Managed(standin, SP, "asana-service-principal")
    client_id = standin.invoke(GET_APPLICATION, {"objectId": app.outputs["applicationObjectId"]})[
        0
    ]["clientId"]
    sp.up({"clientId": client_id, "useExisting": True, **settings})
    return sp


# ----- the plugin itself -----


def test_plugin_says_it_is_a_stand_in_for_azuread_6_11_1(emulator: Emulator) -> None:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        info = plugin.call("GetPluginInfo", empty_pb2.Empty())
        schema = plugin.call("GetSchema", provider_pb2.GetSchemaRequest()).schema
    assert info.version == "6.11.1"
    document = json.loads(schema)
    assert document["name"] == "azuread"
    assert "STAND-IN" in document["description"]
    assert sorted(document["resources"]) == sorted(
        [APP, SP, IDENTIFIER, REDIRECTS, OWNER, CERTIFICATE, ASSIGNMENT, SECRET, JOB]
    )
    assert sorted(document["functions"]) == sorted(
        [
            GET_TEMPLATE,
            GET_APPLICATION,
            GET_GROUP,
            GET_GROUPS,
            GET_USER,
            GET_USERS,
            GET_CLIENT_CONFIG,
        ]
    )
    assert document["resources"][CERTIFICATE]["properties"]["value"]["secret"] is True


def test_script_takes_python_from_a_relative_pulumi_runtime_virtualenv(
    emulator: Emulator, tmp_path: Any
) -> None:
    env = plugin_environment(emulator.ca_bundle_path, PULUMI_RUNTIME_VIRTUALENV=".venv")
    with StandinPlugin(env, cwd=PROJECT_ROOT) as plugin:
        assert plugin.call("GetPluginInfo", empty_pb2.Empty()).version == "6.11.1"
    missing = plugin_environment(emulator.ca_bundle_path, PULUMI_RUNTIME_VIRTUALENV="no-venv")
    result = subprocess.run(
        [str(PLUGIN), "127.0.0.1:1"], cwd=tmp_path, env=missing, capture_output=True, timeout=30
    )
    assert result.returncode != 0
    assert f"no Python at {tmp_path}/no-venv/bin/python" in result.stderr.decode()


def test_an_unserved_resource_type_is_refused_by_name(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        Managed(standin, "azuread:index/group:Group", "g").check({"displayName": "x"})
    assert "unrecognized resource type (Check): azuread:index/group:Group" in raised.value.details


# ----- configuration -----


def test_configure_finds_the_cloud_at_the_metadata_host_and_signs_in_with_the_secret(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    metadata, token = emulator.requests[:2]
    assert (metadata.method, metadata.path, metadata.query) == (
        "GET",
        "/metadata/endpoints",
        {"api-version": "2022-09-01"},
    )
    assert (token.method, token.path) == ("POST", f"/{TENANT_ID}/oauth2/v2.0/token")
    assert token.body["grant_type"] == "client_credentials"
    assert token.body["client_id"] == CLIENT_ID
    assert token.body["scope"] == f"{emulator.base_url}/.default"


def test_client_config_is_the_tenant_the_client_and_the_tokens_object_id(
    standin: StandinPlugin,
) -> None:
    config, failures = standin.invoke(GET_CLIENT_CONFIG, {})
    oid = Emulator.caller_object_id(TENANT_ID, CLIENT_ID)
    assert failures == []
    assert config == {
        "clientId": CLIENT_ID,
        "tenantId": TENANT_ID,
        "objectId": oid,
        "id": f"{TENANT_ID}-{CLIENT_ID}-{oid}",
    }


def test_arm_environment_variables_configure_the_provider_when_stack_config_is_silent(
    emulator: Emulator, tenant: Tenant
) -> None:
    env = plugin_environment(
        emulator.ca_bundle_path,
        ARM_TENANT_ID=TENANT_ID,
        ARM_CLIENT_ID=CLIENT_ID,
        ARM_CLIENT_SECRET=tenant.client_secret,
        ARM_METADATA_HOSTNAME=emulator.metadata_host,
    )
    with StandinPlugin(env) as plugin:
        plugin.configure({})
        config, _ = plugin.invoke(GET_CLIENT_CONFIG, {})
    assert config["tenantId"] == TENANT_ID


def test_configuration_without_a_client_secret_is_refused_naming_what_is_missing(
    emulator: Emulator,
) -> None:
    with (
        StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin,
        pytest.raises(PluginError) as raised,
    ):
        plugin.configure({"tenantId": TENANT_ID, "clientId": CLIENT_ID})
    assert "azuread:clientSecret (or ARM_CLIENT_SECRET)" in raised.value.details
    assert "Azure CLI" in raised.value.details


def test_a_refused_sign_in_is_reported_without_the_secret(
    emulator: Emulator, tenant: Tenant
) -> None:
    wrong = f"{tenant.client_secret}-wrong"
    with (
        StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin,
        pytest.raises(PluginError) as raised,
    ):
        plugin.configure({**provider_config(emulator, tenant), "clientSecret": Secret(wrong)})
    message = raised.value.details
    assert f"POST /{TENANT_ID}/oauth2/v2.0/token: HTTP 401" in message
    assert "AADSTS7000215" in message
    assert wrong not in message and tenant.client_secret not in message


def test_the_emulator_is_trusted_only_through_the_standard_ca_variables(
    emulator: Emulator, tenant: Tenant
) -> None:
    env = plugin_environment(emulator.ca_bundle_path)
    del env["SSL_CERT_FILE"]
    with StandinPlugin(env) as plugin, pytest.raises(PluginError) as raised:
        plugin.configure(provider_config(emulator, tenant))
    assert "retrieving metadata from endpoint" in raised.value.details
    assert "SSLError" in raised.value.details


# ----- functions -----


def test_application_template_is_found_by_name_and_by_id(standin: StandinPlugin) -> None:
    by_name, failures = standin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
    assert failures == []
    assert by_name["templateId"] == by_name["id"] == ASANA_TEMPLATE_ID
    assert "saml" in by_name["supportedSingleSignOnModes"]
    by_id, _ = standin.invoke(GET_TEMPLATE, {"templateId": ASANA_TEMPLATE_ID})
    assert by_id == by_name


def test_application_template_lookup_sends_upstreams_filter(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    standin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
    lookup = [r for r in emulator.requests if r.path == "/v1.0/applicationTemplates"][-1]
    assert lookup.query == {"$filter": "displayName eq 'Asana'"}


def test_unknown_application_template_fails_naming_the_filter(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_TEMPLATE, {"displayName": "Not In The Gallery"})
    assert "no application templates found matching filter" in raised.value.details
    assert "displayName eq 'Not In The Gallery'" in raised.value.details


def test_template_lookup_needs_exactly_one_of_name_and_id(standin: StandinPlugin) -> None:
    _, both = standin.invoke(
        GET_TEMPLATE, {"displayName": "Asana", "templateId": ASANA_TEMPLATE_ID}
    )
    _, neither = standin.invoke(GET_TEMPLATE, {})
    assert "only one of `displayName,templateId` can be specified" in both[0][1]
    assert "one of `displayName,templateId` must be specified" in neither[0][1]


def test_application_lookup_by_object_id_gives_the_client_id(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    made = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana (hand-made)")
    found, failures = standin.invoke(GET_APPLICATION, {"objectId": made["application"]["id"]})
    assert failures == []
    assert found["clientId"] == made["application"]["appId"]
    by_client_id, _ = standin.invoke(GET_APPLICATION, {"clientId": made["application"]["appId"]})
    assert by_client_id["objectId"] == made["application"]["id"]
    assert found["id"] == f"/applications/{made['application']['id']}"
    assert [a["displayName"] for a in found["appRoles"]] == ["User", "msiam_access"]
    calls = graph_calls(emulator)
    app_path = f"/v1.0/applications/{made['application']['id']}"
    assert calls[-3:] == [
        ("GET", "/v1.0/applications"),
        ("GET", f"/beta/applications/{made['application']['id']}"),
        ("GET", f"{app_path}/owners"),
    ]


def test_group_is_found_by_display_name_on_the_beta_endpoint(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    group_id = emulator.add_group("Asana Users")
    found, failures = standin.invoke(GET_GROUP, {"displayName": "Asana Users"})
    assert failures == []
    assert found["objectId"] == group_id
    assert found["id"] == f"/groups/{group_id}"
    lookup = next(r for r in emulator.requests if r.path == "/beta/groups")
    assert lookup.query == {"$filter": "displayName eq 'Asana Users'"}


def test_a_static_group_has_one_dynamic_membership_block_with_an_empty_rule(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """Beta lists `membershipRule: null` for a static group, and upstream sets a block whenever
    the key is there (group_data_source.go, `MembershipRule != nil` on a nullable map)."""
    emulator.add_group("Asana Users")
    found, _ = standin.invoke(GET_GROUP, {"displayName": "Asana Users"})
    assert found["dynamicMemberships"] == [{"enabled": True, "rule": ""}]


def test_an_unknown_group_fails_naming_the_filter(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_GROUP, {"displayName": "Nobody"})
    assert "No group found matching specified filter (displayName eq 'Nobody')" in (
        raised.value.details
    )


def test_user_is_found_by_principal_name_with_upstreams_select_and_manager(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    boss = emulator.add_user("boss@contoso.example", "Boss")
    user = emulator.add_user("ada@contoso.example", "Ada", manager_id=boss, job_title="Engineer")
    found, failures = standin.invoke(GET_USER, {"userPrincipalName": "ada@contoso.example"})
    assert failures == []
    assert (found["objectId"], found["managerId"], found["jobTitle"]) == (user, boss, "Engineer")
    paths = [(r.path, r.query) for r in emulator.requests if r.service == "graph"][-3:]
    assert paths[0] == ("/v1.0/users", {"$filter": "userPrincipalName eq 'ada@contoso.example'"})
    assert paths[1][0] == f"/v1.0/users/{user}" and "employeeOrgData" in paths[1][1]["$select"]
    assert paths[2][0] == f"/v1.0/users/{user}/manager"


def test_an_unknown_user_fails_by_name(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_USER, {"userPrincipalName": "ghost@contoso.example"})
    assert "User with UPN 'ghost@contoso.example' was not found" in raised.value.details


# ----- ApplicationFromTemplate -----


def test_instantiated_app_shows_its_service_principal(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    outputs = app.outputs
    app_id, sp_id = outputs["applicationObjectId"], outputs["servicePrincipalObjectId"]
    assert app.id == f"/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate/{app_id}/{sp_id}"
    assert outputs["applicationId"] == f"/applications/{app_id}"
    assert outputs["servicePrincipalId"] == f"/servicePrincipals/{sp_id}"
    assert emulator.directory_object(sp_id)["appId"] == emulator.directory_object(app_id)["appId"]
    calls = graph_calls(emulator)
    assert calls[0] == ("POST", f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate")
    assert calls[1:] == [("GET", f"/v1.0/applications/{app_id}")] * 6  # 5 polls, then read


def test_preview_of_a_new_app_calls_no_graph_and_leaves_its_ids_unknown(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    before = len(emulator.requests)
    planned = Managed(standin, APP, "asana-app").preview_create(
        {"displayName": "Asana", "templateId": UNKNOWN}
    )
    assert len(emulator.requests) == before
    assert planned["displayName"] == "Asana"
    assert planned["templateId"] is UNKNOWN and planned["applicationObjectId"] is UNKNOWN


def test_renaming_the_app_patches_only_its_display_name(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    diff = app.up({"displayName": "Asana (prod)", "templateId": ASANA_TEMPLATE_ID})
    assert diff is not None and diff.replaces == [] and list(diff.detailed) == ["displayName"]
    patch = [r for r in emulator.requests if r.method == "PATCH"][-1]
    assert patch.body == {
        "@odata.type": "#microsoft.graph.application",
        "displayName": "Asana (prod)",
    }
    assert app.outputs["displayName"] == "Asana (prod)"


def test_another_template_replaces_the_app(standin: StandinPlugin) -> None:
    app = gallery_app(standin)
    diff = app.diff({"displayName": "Asana", "templateId": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"})
    assert diff.changes and diff.replaces == ["templateId"]


def test_refresh_of_an_app_deleted_in_the_portal_reports_it_gone(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    emulator.delete_application(app.outputs["applicationObjectId"])
    assert app.refresh().deleted


def test_import_of_a_hand_made_app_returns_its_inputs(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    made = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana")
    app_id, sp_id = made["application"]["id"], made["servicePrincipal"]["id"]
    app = Managed(standin, APP, "asana-app")
    inputs = app.import_(f"/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate/{app_id}/{sp_id}")
    assert inputs == {"displayName": "Asana", "templateId": ASANA_TEMPLATE_ID, "__defaults": []}
    assert (
        app.diff(
            app.check({"displayName": "Asana", "templateId": ASANA_TEMPLATE_ID}).inputs
        ).changes
        is False
    )


def test_an_app_that_never_becomes_readable_is_still_recorded(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    emulator.inject(
        Fault.status(404), service="graph", method="GET", path=r"^/v1\.0/applications/", times=1000
    )
    with pytest.raises(PluginError) as raised:
        gallery_app(standin)
    failed = raised.value.init_failed
    assert failed is not None
    assert failed.id.startswith(f"/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate/")
    assert "waiting for replication of new application" in raised.value.details
    assert len(emulator.applications()) == 1  # it exists, so the engine must keep it


def test_a_malformed_import_id_is_refused_with_the_expected_shape(standin: StandinPlugin) -> None:
    with pytest.raises(PluginError) as raised:
        Managed(standin, APP, "a").import_("/applications/123")
    assert "/applicationTemplates/{templateId}/instantiate/" in raised.value.details


def test_destroying_the_app_deletes_the_application(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    app.destroy()
    assert ("DELETE", f"/v1.0/applications/{app_id}") in graph_calls(emulator)
    assert all(a["id"] != app_id for a in emulator.applications())


def test_a_template_id_that_is_not_a_guid_is_a_check_failure(standin: StandinPlugin) -> None:
    checked = Managed(standin, APP, "a").check({"displayName": "", "templateId": "asana"})
    assert ("templateId", 'expected "templateId" to be a valid UUID, got asana') in (
        checked.failures
    )
    assert ("displayName", 'expected "displayName" to not be an empty string, got ') in (
        checked.failures
    )


# ----- ServicePrincipal -----


def test_adopting_the_service_principal_patches_it_as_upstream_does(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp = adopted_principal(
        standin,
        app,
        appRoleAssignmentRequired=True,
        preferredSingleSignOnMode="saml",
        loginUrl="https://app.asana.com/a/contoso.example",
        notificationEmailAddresses=["it@contoso.example"],
    )
    sp_id = app.outputs["servicePrincipalObjectId"]
    assert sp.id == f"/servicePrincipals/{sp_id}"
    patch = next(r for r in emulator.requests if r.method == "PATCH")
    assert patch.path == f"/v1.0/servicePrincipals/{sp_id}"
    assert patch.body == {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "accountEnabled": True,
        "alternativeNames": [],
        "appRoleAssignmentRequired": True,
        "description": None,
        "loginUrl": "https://app.asana.com/a/contoso.example",
        "notes": None,
        "notificationEmailAddresses": ["it@contoso.example"],
        "preferredSingleSignOnMode": "saml",
        "samlSingleSignOnSettings": {},
        "tags": [],
    }
    assert sp.outputs["objectId"] == sp_id
    assert [role["displayName"] for role in sp.outputs["appRoles"]] == ["User", "msiam_access"]
    assert sp.outputs["preferredSingleSignOnMode"] == "saml"
    reads = [call for call in graph_calls(emulator) if call[0] == "GET"][-3:]
    assert reads == [
        ("GET", f"/v1.0/servicePrincipals/{sp_id}"),
        ("GET", f"/beta/servicePrincipals/{sp_id}"),
        ("GET", f"/v1.0/servicePrincipals/{sp_id}/owners"),
    ]


def test_a_principal_that_exists_without_use_existing_must_be_imported(
    standin: StandinPlugin,
) -> None:
    app = gallery_app(standin)
    client_id = standin.invoke(GET_APPLICATION, {"objectId": app.outputs["applicationObjectId"]})[
        0
    ]["clientId"]
    with pytest.raises(PluginError) as raised:
        Managed(standin, SP, "sp").up({"clientId": client_id})
    assert "already exists - to be managed via Terraform this resource needs to be imported" in (
        raised.value.details
    )


def test_sso_settings_changed_in_the_portal_show_as_drift_and_are_put_back(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    wanted = {"preferredSingleSignOnMode": "saml", "loginUrl": "https://app.asana.com/a/x.example"}
    sp = adopted_principal(standin, app, **wanted)
    emulator.patch_service_principal(
        app.outputs["servicePrincipalObjectId"], {"loginUrl": "https://elsewhere.example/"}
    )
    refreshed = sp.refresh()
    assert refreshed.changed["loginUrl"] == (wanted["loginUrl"], "https://elsewhere.example/")
    news = {"clientId": sp.outputs["clientId"], "useExisting": True, **wanted}
    diff = sp.up(news)
    assert diff is not None and diff.changes and diff.replaces == []
    assert "loginUrl" in diff.detailed
    live = emulator.directory_object(app.outputs["servicePrincipalObjectId"])
    assert live["loginUrl"] == wanted["loginUrl"]


def test_a_new_client_id_replaces_the_service_principal(standin: StandinPlugin) -> None:
    app = gallery_app(standin)
    sp = adopted_principal(standin, app)
    other = "11111111-2222-4333-8444-555555555555"
    assert sp.diff({"clientId": other, "useExisting": True}).replaces == ["clientId"]


def test_destroying_an_adopted_principal_still_sends_delete(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp = adopted_principal(standin, app)
    sp_id = app.outputs["servicePrincipalObjectId"]
    sp.destroy()
    assert ("DELETE", f"/v1.0/servicePrincipals/{sp_id}") in graph_calls(emulator)


def test_import_of_a_service_principal_returns_its_settings(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    made = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana")
    sp_id = made["servicePrincipal"]["id"]
    emulator.patch_service_principal(
        sp_id, {"preferredSingleSignOnMode": "saml", "loginUrl": "https://app.asana.com/a/c.ex"}
    )
    inputs = Managed(standin, SP, "sp").import_(f"/servicePrincipals/{sp_id}")
    assert inputs["clientId"] == made["application"]["appId"]
    assert inputs["appRoleAssignmentRequired"] is True
    assert inputs["preferredSingleSignOnMode"] == "saml"
    assert inputs["loginUrl"] == "https://app.asana.com/a/c.ex"
    assert "accountEnabled" not in inputs  # its default
    assert "featureTags" in inputs and "tags" not in inputs  # deconflicted as the bridge does


PORTAL_CLIENT_ID = "0f0e0d0c-0b0a-4909-8807-060504030201"
"""An admin's app that changes owners "in the portal", out of the stand-in's sight."""


def portal(emulator: Emulator) -> GraphTestClient:
    return GraphTestClient(emulator, TENANT_ID, PORTAL_CLIENT_ID, "portal-admin-secret")


def owner_ids(emulator: Emulator, collection: str, object_id: str) -> list[str]:
    listed = portal(emulator).get(f"/v1.0/{collection}/{object_id}/owners")
    assert listed.status_code == 200, listed.text
    return [owner["id"] for owner in listed.json()["value"]]


def test_owners_declared_when_adopting_are_added_by_reference(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    sp = adopted_principal(standin, app, owners=[ada])
    assert owner_ids(emulator, "servicePrincipals", sp_id) == [ada]
    assert sp.outputs["owners"] == [ada]
    post = next(r for r in emulator.requests if r.path.endswith("/owners/$ref"))
    assert post.method == "POST"
    assert post.path == f"/v1.0/servicePrincipals/{sp_id}/owners/$ref"
    assert post.body == {"@odata.id": f"{emulator.graph_url}/v1.0/directoryObjects/{ada}"}
    # The PATCH comes first, then the owners are listed and changed, then the read.
    calls = graph_calls(emulator)
    patch = calls.index(("PATCH", f"/v1.0/servicePrincipals/{sp_id}"))
    assert calls[patch + 1 : patch + 3] == [
        ("GET", f"/v1.0/servicePrincipals/{sp_id}/owners"),
        ("POST", f"/v1.0/servicePrincipals/{sp_id}/owners/$ref"),
    ]


def test_adopting_without_owners_leaves_listed_owners_alone_but_records_them(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """Upstream's create hands over to its update, where `d.HasChange("owners")` is false when
    no owners are declared: nothing is added or removed, and the read records who is listed."""
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    portal(emulator).post(
        f"/v1.0/servicePrincipals/{sp_id}/owners/$ref",
        {"@odata.id": f"{emulator.graph_url}/v1.0/directoryObjects/{ada}"},
    )
    sp = adopted_principal(standin, app)
    assert not [r for r in emulator.requests if "/$ref" in r.path and r.method != "GET"][1:]
    assert sp.outputs["owners"] == [ada]
    assert owner_ids(emulator, "servicePrincipals", sp_id) == [ada]
    news = {"clientId": sp.outputs["clientId"], "useExisting": True}
    diff = sp.diff(sp.check(news).inputs)
    assert diff.changes and diff.replaces == [] and "owners" in diff.detailed


def test_an_owner_added_in_the_portal_is_removed_when_the_program_declares_none(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """`owners` is optional and not computed: a refresh puts the portal's owner in the state,
    the program's empty set differs from it, and the update removes every listed owner that is
    not declared, as upstream's update does."""
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    sp = adopted_principal(standin, app)
    ada = emulator.add_user("ada@contoso.example", "Ada")
    portal(emulator).post(
        f"/v1.0/servicePrincipals/{sp_id}/owners/$ref",
        {"@odata.id": f"{emulator.graph_url}/v1.0/directoryObjects/{ada}"},
    )
    refreshed = sp.refresh()
    assert refreshed.changed["owners"] == ([], [ada])
    diff = sp.up({"clientId": sp.outputs["clientId"], "useExisting": True})
    assert diff is not None and "owners" in diff.detailed
    assert owner_ids(emulator, "servicePrincipals", sp_id) == []
    assert ("DELETE", f"/v1.0/servicePrincipals/{sp_id}/owners/{ada}/$ref") in graph_calls(emulator)
    assert sp.outputs["owners"] == []


def test_ignored_owners_left_unset_are_neither_a_diff_nor_removed_by_an_update(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """`ignoreChanges: ["owners"]` reaches Terraform's diff in the bridge's Diff and Update, so
    the plan keeps the state's owners even though the program sets none."""
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    sp = adopted_principal(standin, app)
    ada = emulator.add_user("ada@contoso.example", "Ada")
    portal(emulator).post(
        f"/v1.0/servicePrincipals/{sp_id}/owners/$ref",
        {"@odata.id": f"{emulator.graph_url}/v1.0/directoryObjects/{ada}"},
    )
    sp.refresh()
    news = {"clientId": sp.outputs["clientId"], "useExisting": True}
    assert sp.diff(sp.check(news).inputs, ("owners",)).changes is False
    diff = sp.up({**news, "notes": "Asana SSO"}, ("owners",))
    assert diff is not None and list(diff.detailed) == ["notes"]
    assert owner_ids(emulator, "servicePrincipals", sp_id) == [ada]
    assert not [r for r in emulator.requests if r.method == "DELETE"]


def test_changing_declared_owners_adds_the_new_and_removes_the_old(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    bob = emulator.add_user("bob@contoso.example", "Bob")
    sp = adopted_principal(standin, app, owners=[ada])
    sp.up({"clientId": sp.outputs["clientId"], "useExisting": True, "owners": [bob]})
    assert owner_ids(emulator, "servicePrincipals", sp_id) == [bob]
    assert sp.outputs["owners"] == [bob]
    assert sp.diff(sp.check({**sp.inputs, "owners": [bob]}).inputs).changes is False


def test_an_owner_that_is_not_a_guid_is_a_check_failure(standin: StandinPlugin) -> None:
    checked = Managed(standin, SP, "sp").check({"clientId": CLIENT_ID, "owners": ["ada"]})
    assert checked.failures == [("owners", 'expected "owners[0]" to be a valid UUID, got ada')]


# ----- ServicePrincipal tags -----

INTEGRATED_APP = "WindowsAzureActiveDirectoryIntegratedApp"


def test_adopting_without_tags_leaves_the_principal_with_none(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """The gallery app comes with `WindowsAzureActiveDirectoryIntegratedApp`; upstream's create
    sends the configured tags, none, so it is dropped (what makes it an enterprise app)."""
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    assert INTEGRATED_APP in emulator.directory_object(sp_id)["tags"]
    sp = adopted_principal(standin, app)
    assert emulator.directory_object(sp_id)["tags"] == []
    assert sp.outputs["tags"] == []
    assert sp.outputs["featureTags"] == [
        {"customSingleSignOn": False, "enterprise": False, "gallery": False, "hide": False}
    ]
    assert sp.outputs["features"] == [
        {
            "customSingleSignOnApp": False,
            "enterpriseApplication": False,
            "galleryApplication": False,
            "visibleToUsers": True,
        }
    ]


def test_declared_tags_are_kept_through_create_update_and_refresh_without_a_diff(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    settings = {"tags": [INTEGRATED_APP], "preferredSingleSignOnMode": "saml"}
    sp = adopted_principal(standin, app, **settings)
    assert emulator.directory_object(sp_id)["tags"] == [INTEGRATED_APP]
    news = {"clientId": sp.outputs["clientId"], "useExisting": True, **settings}
    changed = {**news, "loginUrl": "https://app.asana.com/a/contoso.example"}
    diff = sp.up(changed)
    assert diff is not None and list(diff.detailed) == ["loginUrl"]
    patch = [r for r in emulator.requests if r.method == "PATCH"][-1]
    assert patch.body["tags"] == [INTEGRATED_APP]
    assert emulator.directory_object(sp_id)["tags"] == [INTEGRATED_APP]
    refreshed = sp.refresh()
    assert "tags" not in refreshed.changed
    assert sp.diff(sp.check(changed).inputs).changes is False
    assert sp.outputs["featureTags"][0]["enterprise"] is True


def test_feature_tags_become_tags_and_unchanged_ones_keep_the_state_tags(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    features = [{"enterprise": True, "customSingleSignOn": True}]
    sp = adopted_principal(standin, app, featureTags=features)
    created = sorted(emulator.directory_object(sp_id)["tags"])
    assert created == sorted(
        [INTEGRATED_APP, "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"]
    )
    news = {"clientId": sp.outputs["clientId"], "useExisting": True, "featureTags": features}
    assert sp.diff(sp.check(news).inputs).changes is False
    sp.up({**news, "notes": "Asana SSO"})
    patch = [r for r in emulator.requests if r.method == "PATCH"][-1]
    assert sorted(patch.body["tags"]) == created  # featureTags unchanged: the state's tags
    sp.up({**news, "notes": "Asana SSO", "featureTags": [{"hide": True}]})
    assert emulator.directory_object(sp_id)["tags"] == ["HideApp"]


def test_deprecated_features_block_still_sets_tags(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    sp = adopted_principal(
        standin, app, features=[{"enterpriseApplication": True, "visibleToUsers": False}]
    )
    assert sorted(emulator.directory_object(sp_id)["tags"]) == ["HideApp", INTEGRATED_APP]
    assert sp.outputs["features"][0]["visibleToUsers"] is False
    news = {
        "clientId": sp.outputs["clientId"],
        "useExisting": True,
        "features": [{"enterpriseApplication": True, "visibleToUsers": False}],
    }
    assert sp.diff(sp.check(news).inputs).changes is False


def test_tags_feature_tags_and_features_conflict(standin: StandinPlugin) -> None:
    checked = Managed(standin, SP, "sp").check(
        {"clientId": CLIENT_ID, "tags": ["x"], "featureTags": [{"hide": True}]}
    )
    assert ("tags", '"tags": conflicts with featureTags') in checked.failures


# ----- ApplicationOwner -----


def test_application_owner_is_added_read_imported_and_removed(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    owner = Managed(standin, OWNER, "ada")
    start = len(emulator.requests)
    owner.up({"applicationId": f"/applications/{app_id}", "ownerObjectId": ada})
    sent = [r for r in emulator.requests[start:] if r.service == "graph"]
    assert [(r.method, r.path, r.query.get("$filter")) for r in sent] == [
        ("GET", f"/v1.0/applications/{app_id}/owners", f"id eq '{ada}'"),
        ("POST", f"/v1.0/applications/{app_id}/owners/$ref", None),
        ("GET", f"/v1.0/applications/{app_id}/owners", f"id eq '{ada}'"),
    ]
    assert sent[1].body == {"@odata.id": f"{emulator.graph_url}/v1.0/directoryObjects/{ada}"}
    assert owner.id == f"/applications/{app_id}/owners/{ada}"
    assert plain(owner.outputs) == {
        "applicationId": f"/applications/{app_id}",
        "ownerObjectId": ada,
    }
    assert owner_ids(emulator, "applications", app_id) == [ada]
    imported = Managed(standin, OWNER, "again").import_(owner.id)
    assert imported == {
        "applicationId": f"/applications/{app_id}",
        "ownerObjectId": ada,
        "__defaults": [],
    }
    owner.destroy()
    assert graph_calls(emulator)[-1] == ("DELETE", f"/v1.0/applications/{app_id}/owners/{ada}/$ref")
    assert owner_ids(emulator, "applications", app_id) == []


def test_an_application_owner_removed_in_the_portal_is_gone_on_refresh(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    owner = Managed(standin, OWNER, "ada")
    owner.up({"applicationId": f"/applications/{app_id}", "ownerObjectId": ada})
    portal(emulator).request("DELETE", f"/v1.0/applications/{app_id}/owners/{ada}/$ref")
    assert owner.refresh().deleted


def test_an_application_owner_already_listed_must_be_imported(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    portal(emulator).post(
        f"/v1.0/applications/{app_id}/owners/$ref",
        {"@odata.id": f"{emulator.graph_url}/v1.0/directoryObjects/{ada}"},
    )
    with pytest.raises(PluginError) as raised:
        Managed(standin, OWNER, "ada").up(
            {"applicationId": f"/applications/{app_id}", "ownerObjectId": ada}
        )
    assert (
        f'A resource with the ID "/applications/{app_id}/owners/{ada}" already exists'
        in raised.value.details
    )
    assert '"azuread_application_owner"' in raised.value.details


def test_both_application_owner_inputs_force_replacement_and_are_checked(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    ada = emulator.add_user("ada@contoso.example", "Ada")
    bob = emulator.add_user("bob@contoso.example", "Bob")
    owner = Managed(standin, OWNER, "owner")
    owner.up({"applicationId": f"/applications/{app_id}", "ownerObjectId": ada})
    diff = owner.diff({"applicationId": f"/applications/{app_id}", "ownerObjectId": bob})
    assert diff.replaces == ["ownerObjectId"]
    checked = Managed(standin, OWNER, "bad").check({"applicationId": app_id, "ownerObjectId": "x"})
    assert {name for name, _ in checked.failures} == {"applicationId", "ownerObjectId"}
    with pytest.raises(PluginError) as raised:
        Managed(standin, OWNER, "bad").import_(f"/applications/{app_id}/owner/{ada}")
    assert "expected an ID of the form /applications/{applicationId}/owners/" in (
        raised.value.details
    )


def test_application_owner_is_in_the_schema_under_its_sdk_token(standin: StandinPlugin) -> None:
    schema = json.loads(standin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0)).schema)
    resource = schema["resources"][OWNER]
    assert sorted(resource["inputProperties"]) == ["applicationId", "ownerObjectId"]
    assert resource["requiredInputs"] == ["applicationId", "ownerObjectId"]
    assert all(p["willReplaceOnChanges"] for p in resource["inputProperties"].values())
    sdk = pytest.importorskip("pulumi_azuread.application_owner")
    assert f'"{OWNER}"' in inspect.getsource(sdk)
    assert '@pulumi.getter(name="applicationId")' in inspect.getsource(sdk)
    assert '@pulumi.getter(name="ownerObjectId")' in inspect.getsource(sdk)


# ----- SAML: identifier URI, reply URL, signing certificate -----


def test_identifier_uri_is_added_to_the_application_and_imported_by_its_base64_id(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    uri = Managed(standin, IDENTIFIER, "saml-identifier")
    uri.up({"applicationId": f"/applications/{app_id}", "identifierUri": "https://app.asana.com/"})
    encoded = base64.b64encode(b"https://app.asana.com/").decode()
    assert uri.id == f"/applications/{app_id}/identifierUris/{encoded}"
    assert emulator.directory_object(app_id)["identifierUris"] == ["https://app.asana.com/"]
    patch = [r for r in emulator.requests if r.method == "PATCH"][-1]
    assert patch.body == {
        "@odata.type": "#microsoft.graph.application",
        "identifierUris": ["https://app.asana.com/"],
    }
    imported = Managed(standin, IDENTIFIER, "again").import_(uri.id)
    assert imported == {
        "applicationId": f"/applications/{app_id}",
        "identifierUri": "https://app.asana.com/",
        "__defaults": [],
    }
    uri.destroy()
    assert emulator.directory_object(app_id)["identifierUris"] == []


def test_an_identifier_uri_removed_in_the_portal_is_gone_on_refresh(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    uri = Managed(standin, IDENTIFIER, "saml-identifier")
    uri.up({"applicationId": f"/applications/{app_id}", "identifierUri": "https://app.asana.com/"})
    emulator.patch_application(app_id, {"identifierUris": []})
    assert uri.refresh().deleted


def test_reply_urls_are_set_changed_imported_and_cleared(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    reply = Managed(standin, REDIRECTS, "saml-reply-url")
    first = "https://app.asana.com/-/saml/consume"
    reply.up({"applicationId": f"/applications/{app_id}", "type": "Web", "redirectUris": [first]})
    assert reply.id == f"/applications/{app_id}/redirectUris/Web"
    assert emulator.directory_object(app_id)["web"]["redirectUris"] == [first]
    second = "https://app.asana.com/-/saml/consume2"
    diff = reply.up(
        {"applicationId": f"/applications/{app_id}", "type": "Web", "redirectUris": [second]}
    )
    assert diff is not None and diff.replaces == []
    assert diff.detailed == {"redirectUris[0]": provider_pb2.PropertyDiff.UPDATE}  # set element
    patches = [r.body for r in emulator.requests if r.method == "PATCH"]
    assert patches[-1] == {
        "@odata.type": "#microsoft.graph.application",
        "web": {"redirectUris": [second]},
    }
    imported = Managed(standin, REDIRECTS, "again").import_(reply.id)
    assert imported["redirectUris"] == [second] and imported["type"] == "Web"
    assert reply.diff(
        reply.check(
            {"applicationId": f"/applications/{app_id}", "type": "SPA", "redirectUris": [second]}
        ).inputs
    ).replaces == ["type"]
    reply.destroy()
    assert emulator.directory_object(app_id)["web"]["redirectUris"] == []


def test_reply_urls_set_by_hand_must_be_imported(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    app_id = app.outputs["applicationObjectId"]
    emulator.patch_application(app_id, {"web": {"redirectUris": ["https://x.example/acs"]}})
    with pytest.raises(PluginError) as raised:
        Managed(standin, REDIRECTS, "r").up(
            {
                "applicationId": f"/applications/{app_id}",
                "type": "Web",
                "redirectUris": ["https://app.asana.com/-/saml/consume"],
            }
        )
    assert f'"/applications/{app_id}/redirectUris/Web" already exists' in raised.value.details


def test_token_signing_certificate_value_is_secret(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_path = app.outputs["servicePrincipalId"]
    sp_id = app.outputs["servicePrincipalObjectId"]
    cert = Managed(standin, CERTIFICATE, "saml-signing-certificate")
    cert.up({"servicePrincipalId": sp_path, "displayName": "CN=Asana SSO"})
    assert isinstance(cert.outputs["value"], Secret)
    value = plain(cert.outputs["value"])
    der = base64.b64decode(value)
    assert cert.outputs["thumbprint"] == hashlib.sha1(der).hexdigest().upper()
    key_id = cert.outputs["keyId"]
    assert cert.id == f"{sp_id}/tokenSigningCertificate/{key_id}"
    verify = [k for k in emulator.directory_object(sp_id)["keyCredentials"] if k["keyId"] == key_id]
    assert verify and verify[0]["usage"] == "Verify"
    post = next(r for r in emulator.requests if r.path.endswith("/addTokenSigningCertificate"))
    assert post.body == {"displayName": "CN=Asana SSO"}
    assert value not in " ".join(e.response for e in standin.exchanges if e.method == "Check")


def test_token_signing_certificate_is_imported_and_replaced_on_a_new_end_date(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    cert = Managed(standin, CERTIFICATE, "cert")
    cert.up({"servicePrincipalId": app.outputs["servicePrincipalId"]})
    imported = Managed(standin, CERTIFICATE, "again").import_(cert.id)
    assert imported == {
        "servicePrincipalId": app.outputs["servicePrincipalId"],
        "displayName": cert.outputs["displayName"],
        "endDate": cert.outputs["endDate"],
        "__defaults": [],
    }
    diff = cert.diff(
        cert.check(
            {
                "servicePrincipalId": app.outputs["servicePrincipalId"],
                "endDate": "2030-01-01T00:00:00Z",
            }
        ).inputs
    )
    assert diff.replaces == ["endDate"]
    renamed = cert.diff(
        cert.check(
            {"servicePrincipalId": app.outputs["servicePrincipalId"], "displayName": "CN=Other"}
        ).inputs
    )
    assert renamed.replaces == ["displayName"]


def test_deleting_the_signing_certificate_removes_its_key_pair(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    cert = Managed(standin, CERTIFICATE, "cert")
    cert.up({"servicePrincipalId": app.outputs["servicePrincipalId"]})
    assert len(emulator.directory_object(sp_id)["keyCredentials"]) == 2
    cert.destroy()
    assert emulator.directory_object(sp_id)["keyCredentials"] == []
    patch = [r for r in emulator.requests if r.method == "PATCH"][-1]
    assert patch.body == {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "keyCredentials": [],
        "passwordCredentials": [],
    }


def test_with_two_certificates_delete_removes_the_last_listed_pair_as_upstream_does(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """Upstream takes the customKeyIdentifier of the LAST keyCredential whose keyId is not the
    resource's, so when Graph lists the older certificate first (as the emulator does), deleting
    it removes the newer pair and then waits in vain for its own key to go. Pinned here so the
    stand-in keeps upstream's wire behaviour; a certificate replacement (new end date) meets it."""
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    older, newer = Managed(standin, CERTIFICATE, "older"), Managed(standin, CERTIFICATE, "newer")
    older.up({"servicePrincipalId": app.outputs["servicePrincipalId"]})
    newer.up({"servicePrincipalId": app.outputs["servicePrincipalId"]})
    with pytest.raises(PluginError) as raised:
        older.destroy()
    assert "waiting for deletion of token signing certificate credential" in raised.value.details
    left = {k["keyId"] for k in emulator.directory_object(sp_id)["keyCredentials"]}
    assert older.outputs["keyId"] in left and newer.outputs["keyId"] not in left


def test_an_end_date_that_is_not_rfc3339_is_a_check_failure(standin: StandinPlugin) -> None:
    checked = Managed(standin, CERTIFICATE, "c").check(
        {"servicePrincipalId": "not-an-id", "endDate": "next year", "displayName": "Asana"}
    )
    reasons = dict(checked.failures)
    assert reasons["endDate"] == '"endDate": invalid RFC3339 timestamp'
    assert "servicePrincipalId" in reasons and "displayName" in reasons


# ----- AppRoleAssignment -----


def assignment_inputs(app: Managed, principal: str) -> dict[str, Any]:
    return {
        "appRoleId": USER_ROLE_ID,
        "principalObjectId": principal,
        "resourceObjectId": app.outputs["servicePrincipalObjectId"],
    }


def test_group_assignment_is_created_read_and_deleted(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    group = emulator.add_group("Asana Users")
    assignment = Managed(standin, ASSIGNMENT, "asana-group")
    assignment.up(assignment_inputs(app, group))
    sp_id = app.outputs["servicePrincipalObjectId"]
    assert assignment.id.startswith(f"/servicePrincipals/{sp_id}/appRoleAssignedTo/")
    assert assignment.outputs["principalType"] == "Group"
    assert assignment.outputs["principalDisplayName"] == "Asana Users"
    post = next(r for r in emulator.requests if r.path.endswith("/appRoleAssignedTo"))
    assert post.body == {
        "@odata.type": "#microsoft.graph.appRoleAssignment",
        "appRoleId": USER_ROLE_ID,
        "principalId": group,
        "resourceId": sp_id,
    }
    assignment.destroy()
    assert emulator.app_role_assignments(sp_id) == []


def test_only_an_output_whose_own_input_was_secret_becomes_secret(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """The engine marks an output secret when the input of the same name was secret as a whole,
    the bridge where the schema says Sensitive; nothing else is secret."""
    app = gallery_app(standin)
    group = emulator.add_group("Asana Users")
    assignment = Managed(standin, ASSIGNMENT, "assignment")
    assignment.up({**assignment_inputs(app, group), "principalObjectId": Secret(group)})
    outputs = assignment.outputs
    assert outputs["principalObjectId"] == Secret(group)
    for name in ("principalDisplayName", "principalType", "resourceDisplayName", "appRoleId"):
        assert not isinstance(outputs[name], Secret), name
    assert assignment.refresh().deleted is False
    assert assignment.outputs["principalObjectId"] == Secret(group)
    assert not isinstance(assignment.outputs["principalDisplayName"], Secret)


def test_a_secret_inside_an_input_list_does_not_make_the_output_secret(
    standin: StandinPlugin,
) -> None:
    app = gallery_app(standin)
    sp = adopted_principal(standin, app, notificationEmailAddresses=[Secret("it@contoso.example")])
    assert sp.outputs["notificationEmailAddresses"] == ["it@contoso.example"]
    whole = adopted_principal(standin, app, notificationEmailAddresses=Secret(["it@c.example"]))
    assert whole.outputs["notificationEmailAddresses"] == Secret(["it@c.example"])


def test_refresh_of_a_removed_assignment_reports_it_gone(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    user = emulator.add_user("ada@contoso.example", "Ada")
    assignment = Managed(standin, ASSIGNMENT, "asana-user")
    assignment.up(assignment_inputs(app, user))
    sp_id = app.outputs["servicePrincipalObjectId"]
    emulator.remove_app_role_assignment(sp_id, assignment.id.rsplit("/", 1)[1])
    assert assignment.refresh().deleted


def test_import_of_a_hand_made_assignment_returns_its_inputs(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    group = emulator.add_group("Asana Users")
    sp_id = app.outputs["servicePrincipalObjectId"]
    assignment_id = emulator.add_app_role_assignment(
        sp_id,
        principal_id=group,
        principal_type="Group",
        principal_display_name="Asana Users",
        app_role_id=USER_ROLE_ID,
    )
    imported = Managed(standin, ASSIGNMENT, "asana-group").import_(
        f"/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}"
    )
    assert imported == {**assignment_inputs(app, group), "__defaults": []}


def test_every_assignment_input_forces_replacement(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    first, second = emulator.add_group("One"), emulator.add_group("Two")
    assignment = Managed(standin, ASSIGNMENT, "a")
    assignment.up(assignment_inputs(app, first))
    news = assignment.check(assignment_inputs(app, second)).inputs
    assert assignment.diff(news).replaces == ["principalObjectId"]


def test_graph_errors_name_method_path_status_and_message(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    group = emulator.add_group("Asana Users")
    wrong_role = "99999999-9999-4999-8999-999999999999"
    with pytest.raises(PluginError) as raised:
        Managed(standin, ASSIGNMENT, "a").up(
            {**assignment_inputs(app, group), "appRoleId": wrong_role}
        )
    sp_id = app.outputs["servicePrincipalObjectId"]
    message = raised.value.details
    assert (
        f"Microsoft Graph POST /v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo: HTTP 400: "
        in (message)
    )
    assert raised.value.init_failed is None


def test_many_assignments_can_be_created_in_parallel(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    groups = [emulator.add_group(f"Team {n}") for n in range(8)]
    managed = [Managed(standin, ASSIGNMENT, f"team-{n}") for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda pair: pair[0].up(assignment_inputs(app, pair[1])),
                zip(managed, groups, strict=True),
            )
        )
    sp_id = app.outputs["servicePrincipalObjectId"]
    assert sorted(a["principalId"] for a in emulator.app_role_assignments(sp_id)) == sorted(groups)
    assert len({m.id for m in managed}) == 8


# ----- synchronization: secret and job -----


def secret_inputs(app: Managed, emulator: Emulator, tenant: Tenant, **values: str) -> dict:
    credentials = {
        "BaseAddress": emulator.scim_base_url,
        "SecretToken": tenant.asana_token,
        "SyncAll": "false",
        **values,
    }
    return {
        "servicePrincipalId": app.outputs["servicePrincipalId"],
        "credentials": [
            {"key": key, "value": Secret(value) if key == "SecretToken" else value}
            for key, value in credentials.items()
        ],
    }


def test_synchronization_secret_values_are_secret_and_put_whole(
    standin: StandinPlugin, emulator: Emulator, tenant: Tenant
) -> None:
    app = gallery_app(standin)
    secret = Managed(standin, SECRET, "asana-provisioning-secret")
    secret.up(secret_inputs(app, emulator, tenant))
    sp_id = app.outputs["servicePrincipalObjectId"]
    assert secret.id == f"/servicePrincipals/{sp_id}"
    assert emulator.secrets(sp_id)["SecretToken"] == tenant.asana_token
    assert all(isinstance(item["value"], Secret) for item in secret.outputs["credentials"])
    assert all(isinstance(item["value"], Secret) for item in secret.inputs["credentials"])
    assert plain(secret.outputs["credentials"])[1] == {
        "key": "SecretToken",
        "value": tenant.asana_token,
    }
    put = next(r for r in emulator.requests if r.method == "PUT")
    assert put.path == f"/v1.0/servicePrincipals/{sp_id}/synchronization/secrets"
    assert [pair["key"] for pair in put.body["value"]] == ["BaseAddress", "SecretToken", "SyncAll"]


def test_a_masked_token_keeps_its_state_value_and_a_changed_url_shows_as_drift(
    standin: StandinPlugin, emulator: Emulator, tenant: Tenant
) -> None:
    app = gallery_app(standin)
    secret = Managed(standin, SECRET, "secret")
    secret.up(secret_inputs(app, emulator, tenant))
    sp_id = app.outputs["servicePrincipalObjectId"]
    emulator.set_secrets(
        sp_id,
        {
            "BaseAddress": "https://elsewhere.example/scim",
            "SecretToken": "changed-by-hand",
            "SyncAll": "false",
        },
    )
    refreshed = secret.refresh()
    live = {item["key"]: item["value"] for item in plain(secret.outputs["credentials"])}
    assert live["BaseAddress"] == "https://elsewhere.example/scim"
    assert live["SecretToken"] == tenant.asana_token  # Graph answers "*": the state's value
    assert "credentials" in refreshed.changed
    diff = secret.up(secret_inputs(app, emulator, tenant))
    assert diff is not None and diff.changes and diff.replaces == []
    assert emulator.secrets(sp_id)["BaseAddress"] == emulator.scim_base_url


def test_destroying_the_secret_puts_every_key_back_empty_and_waits_until_they_are_gone(
    standin: StandinPlugin, emulator: Emulator, tenant: Tenant
) -> None:
    app = gallery_app(standin)
    secret = Managed(standin, SECRET, "secret")
    secret.up(secret_inputs(app, emulator, tenant))
    sp_id = app.outputs["servicePrincipalObjectId"]
    secret.destroy()
    last_put = [r for r in emulator.requests if r.method == "PUT"][-1]
    assert last_put.body == {
        "value": [
            {"key": "BaseAddress", "value": ""},
            {"key": "SecretToken", "value": ""},
            {"key": "SyncAll", "value": ""},
        ]
    }
    assert emulator.secrets(sp_id) == {}
    reads_after = [r for r in emulator.requests if r.method == "GET"][-5:]
    assert all(r.path.endswith("/synchronization/secrets") for r in reads_after)


def test_import_of_secrets_returns_what_graph_shows_with_the_token_masked(
    standin: StandinPlugin, emulator: Emulator, tenant: Tenant
) -> None:
    made = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana")
    sp_id = made["servicePrincipal"]["id"]
    emulator.set_secrets(
        sp_id, {"BaseAddress": emulator.scim_base_url, "SecretToken": tenant.asana_token}
    )
    imported = Managed(standin, SECRET, "secret").import_(f"/servicePrincipals/{sp_id}")
    assert imported["servicePrincipalId"] == f"/servicePrincipals/{sp_id}"
    assert plain(imported["credentials"]) == [
        {"key": "BaseAddress", "value": emulator.scim_base_url},
        {"key": "SecretToken", "value": "*"},
    ]
    assert all(isinstance(item["value"], Secret) for item in imported["credentials"])


def test_the_job_is_created_started_paused_and_deleted(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_path, sp_id = app.outputs["servicePrincipalId"], app.outputs["servicePrincipalObjectId"]
    job = Managed(standin, JOB, "asana-provisioning-job")
    job.up({"servicePrincipalId": sp_path, "templateId": "asana"})
    job_id = job.id.rsplit("/", 1)[1]
    assert job.id == f"{sp_path}/synchronization/jobs/{job_id}"
    assert job.inputs["enabled"] is True and job.inputs["__defaults"] == ["enabled"]
    assert job.outputs["enabled"] is True
    assert job.outputs["schedules"][0]["state"] == "Active"
    assert emulator.job(sp_id, job_id)["schedule"]["state"] == "Active"
    post = next(r for r in emulator.requests if r.path.endswith("/synchronization/jobs"))
    assert post.body == {
        "@odata.type": "#microsoft.graph.synchronizationJob",
        "templateId": "asana",
    }
    diff = job.up({"servicePrincipalId": sp_path, "templateId": "asana", "enabled": False})
    assert diff is not None and diff.replaces == [] and list(diff.detailed) == ["enabled"]
    assert emulator.job(sp_id, job_id)["schedule"]["state"] == "Paused"
    job.destroy()
    assert emulator.jobs(sp_id) == []


def test_a_job_paused_in_the_portal_shows_as_drift_and_is_started_again(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    sp_path, sp_id = app.outputs["servicePrincipalId"], app.outputs["servicePrincipalObjectId"]
    job = Managed(standin, JOB, "job")
    job.up({"servicePrincipalId": sp_path, "templateId": "asana"})
    job_id = job.id.rsplit("/", 1)[1]
    emulator.pause_job(sp_id, job_id)
    refreshed = job.refresh()
    assert refreshed.changed["enabled"] == (True, False)
    diff = job.up({"servicePrincipalId": sp_path, "templateId": "asana"})
    assert diff is not None and diff.changes
    assert emulator.job(sp_id, job_id)["schedule"]["state"] == "Active"


def test_import_of_a_hand_made_job_returns_its_inputs(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    made = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana")
    sp_id = made["servicePrincipal"]["id"]
    job_id = emulator.create_job(sp_id, "asana")
    imported = Managed(standin, JOB, "job").import_(
        f"/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}"
    )
    assert imported == {
        "servicePrincipalId": f"/servicePrincipals/{sp_id}",
        "templateId": "asana",
        "__defaults": [],
    }  # enabled is false, so it is left out as a zero value (the bridge's import)


def test_a_job_that_fails_to_start_is_still_recorded(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    emulator.inject(Fault.status(400), service="graph", method="POST", path=r"/start$", times=1)
    job = Managed(standin, JOB, "job")
    with pytest.raises(PluginError) as raised:
        job.up({"servicePrincipalId": app.outputs["servicePrincipalId"], "templateId": "asana"})
    failed = raised.value.init_failed
    assert failed is not None
    assert failed.id.startswith(f"{app.outputs['servicePrincipalId']}/synchronization/jobs/")
    assert "/start: HTTP 400" in raised.value.details


# ----- waits and the protocol's other calls -----


def test_a_wait_that_never_ends_backs_off_and_fails_within_its_timeout(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    app = gallery_app(standin)
    emulator.inject(
        Fault.status(404), service="graph", method="GET", path=r"/synchronization/jobs/", times=1000
    )
    job = Managed(standin, JOB, "job")
    with pytest.raises(PluginError) as raised:
        job.up({"servicePrincipalId": app.outputs["servicePrincipalId"], "templateId": "asana"})
    assert "timed out after 2 s waiting for creation of /servicePrincipals/" in (
        raised.value.details
    )
    polls = emulator.count("graph", "GET", r"/synchronization/jobs/")
    assert 3 <= polls <= 30  # a fixed 10 ms pause would have made about 200


def test_cancel_stops_a_wait_at_once(emulator: Emulator, tenant: Tenant) -> None:
    env = plugin_environment(emulator.ca_bundle_path, AZUREAD_STANDIN_WAIT_TIMEOUT_SECONDS="60")
    with StandinPlugin(env) as plugin:
        plugin.configure(provider_config(emulator, tenant))
        app = gallery_app(plugin)
        emulator.inject(
            Fault.status(404),
            service="graph",
            method="GET",
            path=r"/synchronization/jobs/",
            times=100000,
        )
        job = Managed(plugin, JOB, "job")
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(
                job.up,
                {"servicePrincipalId": app.outputs["servicePrincipalId"], "templateId": "asana"},
            )
            while emulator.count("graph", "GET", r"/synchronization/jobs/") < 2:
                pass
            plugin.call("Cancel", empty_pb2.Empty())
            with pytest.raises(PluginError) as raised:
                pending.result(timeout=10)
    assert "the engine cancelled the operation" in raised.value.details


def test_handshake_attach_and_parameterize_answer_as_the_protocol_expects(
    emulator: Emulator, tenant: Tenant
) -> None:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        handshake = plugin.call(
            "Handshake", provider_pb2.ProviderHandshakeRequest(engine_address="127.0.0.1:9")
        )
        assert handshake.accept_secrets is True and handshake.accept_outputs is False
        plugin.call("Attach", plugin_pb2.PluginAttach(address="127.0.0.1:9"))
        with pytest.raises(PluginError) as raised:
            plugin.call("Parameterize", provider_pb2.ParameterizeRequest())
        assert raised.value.code.name == "UNIMPLEMENTED"
        configured = plugin.configure(provider_config(emulator, tenant))
        assert configured.acceptSecrets and configured.supportsPreview
        assert not configured.acceptResources and not configured.acceptOutputs


def test_configuration_from_variables_alone_is_accepted_as_older_engines_send_it(
    emulator: Emulator, tenant: Tenant
) -> None:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        plugin.call(
            "Configure",
            provider_pb2.ConfigureRequest(
                variables={
                    "azuread:config:tenantId": TENANT_ID,
                    "azuread:config:clientId": CLIENT_ID,
                    "azuread:config:clientSecret": tenant.client_secret,
                    "azuread:config:metadataHost": emulator.metadata_host,
                },
                acceptSecrets=True,
            ),
        )
        config, _ = plugin.invoke(GET_CLIENT_CONFIG, {})
    assert config["clientId"] == CLIENT_ID


def test_a_changed_provider_setting_is_a_config_diff_without_replacement(
    standin: StandinPlugin,
) -> None:
    response = standin.call(
        "DiffConfig",
        provider_pb2.DiffRequest(
            urn="urn:pulumi:test::p::pulumi:providers:azuread::default",
            olds=encode({"tenantId": TENANT_ID}),
            news=encode({"tenantId": CLIENT_ID}),
        ),
    )
    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.diffs) == ["tenantId"] and list(response.replaces) == []


# ----- resilience -----


def test_throttled_reads_are_retried_after_retry_after(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    emulator.inject(
        Fault.status(429, retry_after=0), service="graph", path="/applicationTemplates", times=2
    )
    found, _ = standin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
    assert found["templateId"] == ASANA_TEMPLATE_ID
    assert emulator.count("graph", "GET", "/applicationTemplates") == 3


def test_throttling_that_never_ends_fails_after_the_retries_the_timeout_allows(
    emulator: Emulator, tenant: Tenant
) -> None:
    """go-azure-sdk retries `safeRetryNumber(timeout)` times: 2 in 10 s (waits 1 + 2 s), 9 in
    the 5 minutes of a read (1 + 2 + ... + 32 + 3 x 61 s)."""
    for budget, attempts in (("10", 3), ("300", 10)):
        env = plugin_environment(
            emulator.ca_bundle_path, AZUREAD_STANDIN_RETRY_BUDGET_SECONDS=budget
        )
        before = emulator.count("graph", "GET", "/applicationTemplates")
        with StandinPlugin(env) as plugin:
            plugin.configure(provider_config(emulator, tenant))
            emulator.inject(
                Fault.status(429), service="graph", path="/applicationTemplates", times=attempts
            )
            with pytest.raises(PluginError) as raised:
                plugin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
        assert (
            f"GET /v1.0/applicationTemplates: HTTP 429: given up after {attempts} attempts"
            in raised.value.details
        )
        assert emulator.count("graph", "GET", "/applicationTemplates") - before == attempts


def test_a_retry_after_past_the_operation_timeout_ends_the_request(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    emulator.inject(
        Fault.status(503, retry_after=30), service="graph", path="/applicationTemplates"
    )
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
    assert "context deadline exceeded" in raised.value.details
    assert "(after 30 s) would end past the operation's 10 s timeout" in raised.value.details
    assert emulator.count("graph", "GET", "/applicationTemplates") == 1


@pytest.mark.parametrize("status", [408, 424, 500, 502, 503, 504, 429])
def test_statuses_go_azure_sdk_retries_are_sent_again(
    standin: StandinPlugin, emulator: Emulator, status: int
) -> None:
    emulator.inject(Fault.status(status), service="graph", path="/applicationTemplates")
    found, _ = standin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
    assert found["templateId"] == ASANA_TEMPLATE_ID
    assert emulator.count("graph", "GET", "/applicationTemplates") == 2


@pytest.mark.parametrize("status", [501, 400, 403, 409])
def test_other_failures_are_not_sent_again(
    standin: StandinPlugin, emulator: Emulator, status: int
) -> None:
    emulator.inject(Fault.status(status), service="graph", path="/applicationTemplates")
    with pytest.raises(PluginError) as raised:
        standin.invoke(GET_TEMPLATE, {"displayName": "Asana"})
    assert f"HTTP {status}" in raised.value.details
    assert emulator.count("graph", "GET", "/applicationTemplates") == 1


def test_a_post_answered_with_a_server_error_is_sent_again_as_the_go_client_does(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """go-azure-sdk retries 5xx for every method, POST included; had the first POST landed, the
    retry would add a second key pair, as the real provider's would."""
    app = gallery_app(standin)
    emulator.inject(
        Fault.status(500), service="graph", method="POST", path="/addTokenSigningCertificate$"
    )
    cert = Managed(standin, CERTIFICATE, "cert")
    cert.up({"servicePrincipalId": app.outputs["servicePrincipalId"]})
    posts = [r for r in emulator.requests if r.path.endswith("/addTokenSigningCertificate")]
    assert len(posts) == 2 and cert.id


def test_a_signing_certificate_post_whose_reply_is_lost_adds_a_second_key_pair(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """The write lands and the reply is a 500: the retry adds another certificate, as the real
    provider's would; the resource records the one whose reply came back."""
    app = gallery_app(standin)
    sp_id = app.outputs["servicePrincipalObjectId"]
    emulator.inject(
        Fault.after(500), service="graph", method="POST", path="/addTokenSigningCertificate$"
    )
    cert = Managed(standin, CERTIFICATE, "cert")
    cert.up({"servicePrincipalId": app.outputs["servicePrincipalId"]})
    keys = emulator.directory_object(sp_id)["keyCredentials"]
    assert len(keys) == 4  # two Sign + Verify pairs
    second = [k for k in keys[2:] if k["usage"] == "Verify"]
    assert [k["keyId"] for k in second] == [cert.outputs["keyId"]]


def test_an_instantiate_whose_reply_is_lost_makes_a_second_app(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    before = len(emulator.applications())
    emulator.inject(Fault.after(503), service="graph", method="POST", path="/instantiate$")
    app = gallery_app(standin)
    made = [a for a in emulator.applications()][before:]
    assert len(made) == 2 and all(a["displayName"] == "Asana" for a in made)
    assert app.outputs["applicationObjectId"] == made[-1]["id"]


def test_an_instantiate_whose_connection_drops_after_the_write_is_not_sent_again(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    before = len(emulator.applications())
    emulator.inject(Fault.after(None), service="graph", method="POST", path="/instantiate$")
    with pytest.raises(PluginError) as raised:
        gallery_app(standin)
    assert "HTTP response was nil; connection may have been reset" in raised.value.details
    assert len(emulator.applications()) == before + 1  # made, and not recorded


def test_a_post_whose_connection_is_lost_is_not_sent_again(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """Without a reply go-azure-sdk repeats only GET, HEAD and OPTIONS."""
    emulator.inject(Fault.reset(), service="graph", method="POST", path="/instantiate$")
    with pytest.raises(PluginError) as raised:
        gallery_app(standin)
    assert "HTTP response was nil; connection may have been reset" in raised.value.details
    assert (
        emulator.count("graph", "POST", f"/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate")
        == 1
    )


def test_writes_accept_every_success_status_go_azure_sdk_expects(
    standin: StandinPlugin, emulator: Emulator
) -> None:
    """A write's expected codes are 200, 201, 202 and 204 (go-azure-sdk/microsoft-graph)."""
    app = gallery_app(standin)
    emulator.inject(
        Fault.status(202, body={}), service="graph", method="PATCH", path="/servicePrincipals/"
    )
    sp = adopted_principal(standin, app)
    assert sp.id == app.outputs["servicePrincipalId"]


def test_the_retry_wait_knob_is_documented() -> None:
    readme = (PROJECT_ROOT / "tests" / "azuread_standin" / "README.md").read_text()
    for knob in FAST_POLLS:
        assert knob.removeprefix("AZUREAD_STANDIN_") in readme


# ----- whole lifecycle: bodies and secrets -----


def full_lifecycle(standin: StandinPlugin, emulator: Emulator, tenant: Tenant) -> None:
    app = gallery_app(standin)
    app.up({"displayName": "Asana (renamed)", "templateId": ASANA_TEMPLATE_ID})
    sp = adopted_principal(
        standin,
        app,
        appRoleAssignmentRequired=True,
        preferredSingleSignOnMode="saml",
        loginUrl="https://app.asana.com/a/contoso.example",
    )
    app_path = app.outputs["applicationId"]
    uri = Managed(standin, IDENTIFIER, "uri")
    uri.up({"applicationId": app_path, "identifierUri": "https://app.asana.com/"})
    reply = Managed(standin, REDIRECTS, "reply")
    reply.up(
        {
            "applicationId": app_path,
            "type": "Web",
            "redirectUris": ["https://app.asana.com/-/saml/consume"],
        }
    )
    cert = Managed(standin, CERTIFICATE, "cert")
    cert.up({"servicePrincipalId": sp.id, "displayName": "CN=Asana"})
    group = emulator.add_group("Asana Users")
    standin.invoke(GET_GROUP, {"displayName": "Asana Users"})
    assignment = Managed(standin, ASSIGNMENT, "assignment")
    assignment.up(assignment_inputs(app, group))
    secret = Managed(standin, SECRET, "secret")
    secret.up(secret_inputs(app, emulator, tenant))
    job = Managed(standin, JOB, "job")
    job.up({"servicePrincipalId": sp.id, "templateId": "asana"})
    job.up({"servicePrincipalId": sp.id, "templateId": "asana", "enabled": False})
    for resource in (job, secret, assignment, cert, reply, uri, sp, app):
        resource.refresh()
    for resource in (job, secret, assignment, cert, reply, uri, sp, app):
        resource.destroy()


BODY_MODELS: list[tuple[str, str, str]] = [
    ("POST", r"^/v1\.0/applicationTemplates/[^/]+/instantiate$", "applicationTemplate.instantiate"),
    ("PATCH", r"^/v1\.0/applications/[^/]+$", "application"),
    ("PATCH", r"^/v1\.0/servicePrincipals/[^/]+$", "servicePrincipal"),
    ("POST", r"/addTokenSigningCertificate$", "servicePrincipal.addTokenSigningCertificate"),
    ("POST", r"/appRoleAssignedTo$", "appRoleAssignment"),
    ("PUT", r"/synchronization/secrets$", "synchronization.secrets"),
    ("POST", r"/synchronization/jobs$", "synchronizationJob"),
]


def test_every_body_the_stand_in_sends_is_a_valid_graph_model(
    standin: StandinPlugin, emulator: Emulator, tenant: Tenant
) -> None:
    graph_models = pytest.importorskip("tests.graph_models")
    full_lifecycle(standin, emulator, tenant)
    checked = set()
    for request in emulator.requests:
        if request.service != "graph" or request.body is None:
            continue
        model = next(
            (
                m
                for method, path, m in BODY_MODELS
                if method == request.method and re.search(path, request.path)
            ),
            None,
        )
        assert model is not None, f"no model known for {request.method} {request.path}"
        graph_models.assert_graph_body(model, request.body)
        checked.add(model)
    assert checked == {model for _, _, model in BODY_MODELS}


def test_no_secret_leaves_the_plugin_unmarked(
    standin: StandinPlugin, emulator: Emulator, tenant: Tenant
) -> None:
    full_lifecycle(standin, emulator, tenant)
    for exchange in standin.exchanges:
        if exchange.method in ("Configure", "CheckConfig"):
            continue  # the engine's own request carries the configured secret
        for secret in (tenant.client_secret, tenant.asana_token):
            for text in (exchange.response,):
                for match in re.finditer(re.escape(secret), text):
                    before = text[max(0, match.start() - 120) : match.start()]
                    assert "1b47061264138c4ac30d75fd1eb44270" in before, (
                        f"{exchange.method} returned a secret without a secret marker"
                    )
    log = standin.stderr_text()
    assert tenant.client_secret not in log and tenant.asana_token not in log
    assert os.path.basename(str(PLUGIN)) == "pulumi-resource-azuread"
