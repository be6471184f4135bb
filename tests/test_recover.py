"""What an interrupted deploy left, judged against the local tenant (`tools.orphans`), the state
it is read from (`rules.pending`), the ids it imports by (`rules.azuread_ids`, checked against
the azuread stand-in's parsers, which follow upstream's) and the tool's refusal to act when a
person must decide (`tools.recover`)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clients.connection import resolve
from clients.graph import GraphClient
from rules import azuread_ids
from rules.pending import (
    SECRET_SIGNATURE,
    PendingOperation,
    StateResource,
    import_file,
    lock_holders,
    pending_operations,
)
from tests.azuread_standin import ids as standin_ids
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import ASANA_TEMPLATE_ID, Emulator
from tests.emulator.client import GraphTestClient
from tools import orphans, recover
from tools.orphans import Owned, verdict

STACK_URN = "urn:pulumi:dev::asana-provisioning::asana-provisioning:index:AsanaEnterpriseApp::asana"
PROVIDER = "urn:pulumi:dev::asana-provisioning::pulumi:providers:azuread::default_6_11_1"
APP_TYPE = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
ASSIGNMENT_TYPE = "azuread:index/appRoleAssignment:AppRoleAssignment"
JOB_TYPE = "azuread:index/synchronizationJob:SynchronizationJob"
USER_ROLE = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
"""The gallery app's "User" role (tests/emulator/gallery.py)."""


def interrupted(type_: str, name: str, inputs: dict[str, Any], kind: str = "creating"):
    return PendingOperation(
        kind=kind,
        urn=f"urn:pulumi:dev::asana-provisioning::asana-provisioning:index:AsanaEnterpriseApp${type_}::{name}",
        type=type_,
        inputs=inputs,
        parent=STACK_URN,
        provider=f"{PROVIDER}::0b9c",
    )


def no_graph() -> GraphClient:
    raise AssertionError("the tenant was read for an operation that needs no lookup")


@pytest.fixture
def graph_client(trust_emulator: Emulator, tenant: Tenant) -> Callable[[], GraphClient]:
    settings = resolve(
        {
            "azuread:tenantId": TENANT_ID,
            "azuread:clientId": CLIENT_ID,
            "azuread:clientSecret": tenant.client_secret,
            "asana-provisioning:graphEndpoint": trust_emulator.graph_url,
            "asana-provisioning:authorityHost": trust_emulator.authority_host,
        },
        {},
    )
    client = GraphClient(settings.graph)
    return lambda: client


@pytest.fixture
def admin(emulator: Emulator, tenant: Tenant) -> GraphTestClient:
    return GraphTestClient(emulator, TENANT_ID, CLIENT_ID, tenant.client_secret)


def instantiate(emulator: Emulator, name: str = "Asana (dev)") -> tuple[str, str]:
    created = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, name, TENANT_ID)
    return created["application"]["id"], created["servicePrincipal"]["id"]


def app_create() -> PendingOperation:
    return interrupted(
        APP_TYPE, "asana-app", {"displayName": "Asana (dev)", "templateId": ASANA_TEMPLATE_ID}
    )


# The state an interrupted run leaves


def test_a_secret_input_is_used_for_matching_but_shown_as_secret():
    export = {
        "deployment": {
            "pending_operations": [
                {
                    "type": "creating",
                    "resource": {
                        "urn": "urn:pulumi:dev::p::azuread:index/appRoleAssignment:"
                        "AppRoleAssignment::asana-user-1",
                        "type": ASSIGNMENT_TYPE,
                        "inputs": {
                            "principalObjectId": {
                                SECRET_SIGNATURE: "1b47061264138c4ac30d75fd1eb44270",
                                "plaintext": '"5f0e…-user"',
                            },
                            "appRoleId": USER_ROLE,
                        },
                    },
                }
            ]
        }
    }

    (operation,) = pending_operations(export)

    assert operation.inputs["principalObjectId"] == "5f0e…-user"
    assert operation.shown("principalObjectId") == "[secret]"
    assert operation.shown("appRoleId") == USER_ROLE
    assert operation.name == "asana-user-1"


def test_the_import_file_names_parent_and_provider_by_urn_without_the_provider_id():
    document = import_file([(app_create(), "/applicationTemplates/t/instantiate/a/s")])

    (spec,) = document["resources"]
    assert spec["type"] == APP_TYPE and spec["name"] == "asana-app"
    assert document["nameTable"][spec["parent"]] == STACK_URN
    assert document["nameTable"][spec["provider"]] == PROVIDER


@pytest.mark.parametrize("name", ["team::a", "asana::app::prod"])
def test_a_name_holding_the_urn_separator_is_imported_whole_so_the_program_finds_it(name: str):
    """The engine reads a URN's name as everything after its third `::` (URN.Name in pulumi's
    sdk/go/common/resource/urn/urn.go); an import under a shorter name would be a second
    resource, and the program would create the first again."""
    op = interrupted(APP_TYPE, name, {"templateId": "t", "displayName": "Asana"})

    (spec,) = import_file([(op, "/applicationTemplates/t/instantiate/a/s")])["resources"]

    assert spec["name"] == name
    assert op.urn.endswith(f"ApplicationFromTemplate::{name}")


# The ids we import by are the ids the provider parses (the stand-in follows upstream's parsers)


def test_each_import_id_parses_as_the_provider_parses_it():
    app = "11111111-1111-1111-1111-111111111111"
    sp = "22222222-2222-2222-2222-222222222222"
    other = "33333333-3333-3333-3333-333333333333"
    template = standin_ids.FromTemplateId.parse(
        azuread_ids.application_from_template(ASANA_TEMPLATE_ID, app, sp)
    )
    assert (template.application_id, template.service_principal_id) == (app, sp)
    uri = standin_ids.IdentifierUriId.parse(
        azuread_ids.identifier_uri(app, "https://app.asana.com/")
    )
    assert uri.identifier_uri == "https://app.asana.com/"
    assert standin_ids.RedirectUrisId.parse(azuread_ids.redirect_uris(app, "Web")).uri_type == "Web"
    key = standin_ids.SigningCertificateId.parse(azuread_ids.token_signing_certificate(sp, other))
    assert (key.service_principal_id, key.key_id) == (sp, other)
    assert standin_ids.service_principal(azuread_ids.service_principal(sp)) == sp


# What the tenant holds for each kind of interrupted create


def test_a_killed_app_create_that_landed_is_imported_with_its_service_principal(
    emulator: Emulator, graph_client
):
    app, sp = instantiate(emulator)

    found = verdict(graph_client, app_create(), Owned(frozenset()))

    assert found.action == "import"
    assert found.import_id == azuread_ids.application_from_template(ASANA_TEMPLATE_ID, app, sp)


def test_a_killed_app_create_that_never_landed_is_cleared(emulator: Emulator, graph_client):
    instantiate(emulator, "Asana (prod)")  # another stack's app is no candidate

    found = verdict(graph_client, app_create(), Owned(frozenset()))

    assert found.action == "clear"
    assert "did not land" in found.reason


def test_two_unrecorded_apps_of_the_name_stop_for_a_person(emulator: Emulator, graph_client):
    instantiate(emulator)
    instantiate(emulator)

    found = verdict(graph_client, app_create(), Owned(frozenset()))

    assert found.action == "stop"
    assert found.import_id is None
    assert "2 applications" in found.reason


def test_an_app_the_state_already_records_is_never_a_candidate(emulator: Emulator, graph_client):
    app, sp = instantiate(emulator)
    recorded = azuread_ids.application_from_template(ASANA_TEMPLATE_ID, app, sp)

    found = verdict(
        graph_client, app_create(), Owned.of([StateResource("urn:x", APP_TYPE, recorded)])
    )

    assert found.action == "clear"


def test_a_killed_assignment_is_imported_by_principal_and_role(
    emulator: Emulator, admin: GraphTestClient, graph_client
):
    _app, sp = instantiate(emulator)
    user = emulator.add_user("ada@contoso.com", "Ada Lovelace")
    made = admin.post(
        f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo",
        {"principalId": user, "resourceId": sp, "appRoleId": USER_ROLE},
    ).json()
    operation = interrupted(
        ASSIGNMENT_TYPE,
        "asana-user-ada",
        {"principalObjectId": user, "resourceObjectId": sp, "appRoleId": USER_ROLE},
    )

    found = verdict(graph_client, operation, Owned(frozenset()))
    recorded = Owned.of([StateResource("urn:y", ASSIGNMENT_TYPE, found.import_id or "")])

    assert found.action == "import"
    assert found.import_id == azuread_ids.app_role_assignment(sp, made["id"])
    assert verdict(graph_client, operation, recorded).action == "clear"


def test_a_killed_job_create_is_imported_by_template(
    emulator: Emulator, admin: GraphTestClient, graph_client
):
    _app, sp = instantiate(emulator)
    job = admin.post(
        f"/v1.0/servicePrincipals/{sp}/synchronization/jobs", {"templateId": "asana"}
    ).json()
    inputs = {"servicePrincipalId": f"/servicePrincipals/{sp}", "templateId": "asana"}
    operation = interrupted(JOB_TYPE, "asana-provisioning-job", inputs)

    found = verdict(graph_client, operation, Owned(frozenset()))

    assert found.action == "import"
    assert found.import_id == azuread_ids.synchronization_job(sp, job["id"])


def test_a_killed_signing_certificate_is_imported_by_its_verify_key(
    emulator: Emulator, admin: GraphTestClient, graph_client
):
    _app, sp = instantiate(emulator)
    admin.post(
        f"/v1.0/servicePrincipals/{sp}/addTokenSigningCertificate", {"displayName": "CN=Asana SSO"}
    )
    verify = next(
        key["keyId"]
        for key in emulator.directory_object(sp)["keyCredentials"]
        if key["usage"] == "Verify"
    )
    operation = interrupted(
        orphans.SIGNING_CERTIFICATE_TYPE,
        "asana-sso-certificate",
        {"servicePrincipalId": f"/servicePrincipals/{sp}", "displayName": "CN=Asana SSO"},
    )

    found = verdict(graph_client, operation, Owned(frozenset()))

    assert found.import_id == azuread_ids.token_signing_certificate(sp, verify)


@pytest.mark.parametrize(
    ("type_", "kind"),
    [
        ("azuread:index/synchronizationSecret:SynchronizationSecret", "creating"),
        ("pulumi-python:dynamic/asana:ProvisioningAttributeMappings", "creating"),
        (APP_TYPE, "updating"),
        (APP_TYPE, "deleting"),
    ],
)
def test_a_create_that_repeats_without_harm_or_any_other_operation_is_cleared_unread(type_, kind):
    found = verdict(no_graph, interrupted(type_, "x", {}, kind), Owned(frozenset()))

    assert found.action == "clear"


def test_a_type_without_a_rule_stops_for_a_person():
    operation = interrupted("azuread:index/group:Group", "g", {})

    found = verdict(no_graph, operation, Owned(frozenset()))

    assert found.action == "stop"


# The tool


HISTORY = [
    {
        "kind": "refresh",
        "startTime": "2026-01-01T00:00:00.000Z",
        "message": "",
        "environment": {},
        "config": {},
        "result": "succeeded",
    }
]
"""`pulumi stack history --json` of a stack that was refreshed (the Automation API reads it
after an import or a refresh)."""


def fake_pulumi(tmp_path: Path, export: dict[str, Any]) -> Path:
    """A `pulumi` whose `stack export` prints `export` (as its state file holds it), whose
    `refresh` empties the pending operations, and which records every call (the Automation
    API puts --non-interactive before each)."""
    state = tmp_path / "state.json"
    state.write_text(json.dumps(export), encoding="utf-8")
    script = tmp_path / "pulumi"
    script.write_text(
        f"""#!/bin/sh
echo "$*" >> {tmp_path}/calls
if [ "$1" = --non-interactive ]; then shift; fi
if [ "$1" = stack ] && [ "$2" = export ]; then cat {state}; exit 0; fi
if [ "$1" = stack ] && [ "$2" = history ]; then echo '{json.dumps(HISTORY)}'; exit 0; fi
if [ "$1" = refresh ]; then echo '{{"deployment": {{"resources": []}}}}' > {state}; fi
exit 0
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def cli_calls(tmp_path: Path) -> list[str]:
    """The recorded calls, each without the --non-interactive the API puts first (checked)."""
    calls = (tmp_path / "calls").read_text().splitlines()
    assert all(call.startswith("--non-interactive ") for call in calls), calls
    return [call.removeprefix("--non-interactive ") for call in calls]


def exported(*operations: tuple[str, str]) -> dict[str, Any]:
    return {
        "deployment": {
            "resources": [],
            "pending_operations": [
                {"type": "creating", "resource": {"urn": f"urn:pulumi:dev::p::{t}::{n}", "type": t}}
                for t, n in operations
            ],
        }
    }


def test_apply_changes_nothing_when_a_person_must_decide(tmp_path: Path, capsys):
    pulumi = fake_pulumi(tmp_path, exported(("azuread:index/group:Group", "g")))

    status = recover.main(["--stack", "dev", "--apply", "--pulumi", str(pulumi)])

    assert status == recover.PENDING
    calls = cli_calls(tmp_path)
    assert all(call.startswith("stack export") for call in calls)
    assert "A person must decide" in capsys.readouterr().out


def test_apply_clears_creates_that_repeat_and_checks_that_nothing_is_left(tmp_path: Path, capsys):
    pulumi = fake_pulumi(
        tmp_path, exported(("pulumi-python:dynamic/asana:ServiceAccountToken", "asana-token"))
    )

    status = recover.main(["--stack", "dev", "--apply", "--pulumi", str(pulumi)])

    assert status == recover.NOTHING_PENDING
    calls = cli_calls(tmp_path)
    (refresh,) = [call.split() for call in calls if call.startswith("refresh")]
    assert {"--clear-pending-creates", "--yes", "--skip-preview"} <= set(refresh)
    assert refresh[refresh.index("--stack") + 1] == "dev"
    assert not any(call.startswith("import") for call in calls), "nothing to import"
    assert calls[-1].startswith("stack export"), "the state is read again after the refresh"


def test_the_check_without_apply_prints_the_commands_and_changes_nothing(tmp_path: Path, capsys):
    pulumi = fake_pulumi(
        tmp_path, exported(("pulumi-python:dynamic/asana:ServiceAccountToken", "asana-token"))
    )

    status = recover.main(["--stack", "dev", "--pulumi", str(pulumi)])

    assert status == recover.PENDING
    assert "pulumi refresh --stack dev --clear-pending-creates" in capsys.readouterr().out
    assert all(c.startswith("stack export") for c in cli_calls(tmp_path))


def test_a_state_without_pending_operations_needs_nothing(tmp_path: Path, capsys):
    pulumi = fake_pulumi(tmp_path, {"deployment": {"resources": []}})

    assert recover.main(["--stack", "dev", "--pulumi", str(pulumi)]) == recover.NOTHING_PENDING
    assert "nothing to recover" in capsys.readouterr().out


def test_an_empty_checkpoint_attributes_file_a_kill_left_is_named_then_removed_with_apply(
    tmp_path: Path, monkeypatch, capsys
):
    """The file backend writes `<stack>.json.attrs` by creating it, then encoding into it; a kill
    in between leaves it empty and the CLI answers every command with "failed to load
    checkpoint: EOF"."""
    project = tmp_path / "project"
    stacks = project / ".pulumi-state" / ".pulumi" / "stacks" / "asana-provisioning"
    stacks.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(
        "name: asana-provisioning\nbackend:\n  url: file://./.pulumi-state\n", encoding="utf-8"
    )
    (stacks / "dev.json").write_text("{}", encoding="utf-8")
    attrs = stacks / "dev.json.attrs"
    attrs.write_bytes(b"")
    script = tmp_path / "pulumi"
    script.write_text(
        f"""#!/bin/sh
if [ -f {attrs} ] && [ ! -s {attrs} ]; then
  echo "error: failed to load checkpoint: EOF" >&2; exit 255
fi
echo '{{"deployment": {{"resources": []}}}}'
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.chdir(project)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)

    checked = recover.main(["--stack", "dev", "--pulumi", str(script)])
    named = capsys.readouterr().err
    applied = recover.main(["--stack", "dev", "--apply", "--pulumi", str(script)])

    assert checked == recover.FAILED
    assert str(attrs) in named and "--apply" in named
    assert applied == recover.NOTHING_PENDING
    assert not attrs.exists()
    assert (stacks / "dev.json").exists(), "the checkpoint itself is never touched"


def test_the_lock_holder_is_read_from_the_clis_own_words():
    """The text of pulumi/pulumi pkg/backend/diy/lock.go's checkForLock, as the CLI prints it."""
    error = (
        "error: the stack is currently locked by 1 lock(s). Either wait for the other "
        "process(es) to end or delete the lock file with `pulumi cancel`.\n"
        "  azblob://state/.pulumi/locks/organization/asana-provisioning/dev/3f1c.json: created "
        "by runner@fv-az123-456 (pid 4242) at 2026-12-03T06:37:12Z"
    )

    assert lock_holders(error) == ["runner@fv-az123-456 (pid 4242) since 2026-12-03T06:37:12Z"]


def test_an_input_that_is_not_text_is_shown_as_the_json_the_state_holds():
    # The state records inputs as JSON (`pulumi stack export`): a report names a list or a
    # missing input in that spelling, a secret one never.
    op = interrupted(
        "azuread:index/applicationRedirectUris:ApplicationRedirectUris",
        "asana-reply-urls",
        {"redirectUris": ["https://app.asana.com/-/saml/consume"], "type": "Web"},
    )
    secret = PendingOperation(**{**vars(op), "secret_inputs": frozenset({"type"})})

    assert op.shown("redirectUris") == '["https://app.asana.com/-/saml/consume"]'
    assert op.shown("applicationId") == "null"
    assert op.shown("type") == "Web"
    assert secret.shown("type") == "[secret]"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True"])
def test_before_a_deploy_skipped_checkpoints_stop_it_before_the_state_is_read(
    tmp_path: Path, monkeypatch, capsys, value: str
):
    pulumi = fake_pulumi(tmp_path, {"deployment": {"resources": []}})
    monkeypatch.setenv("PULUMI_SKIP_CHECKPOINTS", value)

    status = recover.main(["--stack", "dev", "--before-deploy", "--pulumi", str(pulumi)])

    assert status == recover.FAILED
    assert "PULUMI_SKIP_CHECKPOINTS is set" in capsys.readouterr().err
    assert not (tmp_path / "calls").exists(), "the CLI was never run"


def test_skipped_checkpoints_do_not_stop_a_check_that_deploys_nothing(
    tmp_path: Path, monkeypatch, capsys
):
    """The drift check runs the same check (read only): it must still run."""
    pulumi = fake_pulumi(tmp_path, {"deployment": {"resources": []}})
    monkeypatch.setenv("PULUMI_SKIP_CHECKPOINTS", "true")

    assert recover.main(["--stack", "dev", "--pulumi", str(pulumi)]) == recover.NOTHING_PENDING
