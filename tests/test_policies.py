"""The CrossGuard pack: each policy on its own, then the whole pack over every mocked stack."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pulumi_azuread as azuread
import pytest
from pulumi_policy import ResourceValidationArgs

from tests.policy_runner import (
    POLICIES,
    POLICY_DIR,
    load_pack_config,
    options,
    run_pack,
)
from tests.program import STACK_FILES, Registered, run_program, stack_name
from tests.test_program_stacks import TOKEN, TOKEN_KEY, stack_config

ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"

P = "asana-provisioning:"
SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
BY_NAME = {policy.name: policy for policy in POLICIES}


def secret_props(
    sync_all: str = "false",
    base: str = "https://app.asana.com/api/1.0/scim",
    **notifications: Any,
) -> dict[str, Any]:
    settings = {
        "Enabled": True,
        "Recipients": "ops@contoso.com",
        "DeleteThresholdEnabled": True,
        "DeleteThresholdValue": 50,
        **notifications,
    }
    return {
        "servicePrincipalId": "/servicePrincipals/x",
        "credentials": [
            {"key": "BaseAddress", "value": base},
            {"key": "SecretToken", "value": "token"},
            {"key": "SyncNotificationSettings", "value": json.dumps(settings)},
            {"key": "SyncAll", "value": sync_all},
        ],
    }


def violations_of(
    policy_name: str, resource_type: str, props: dict[str, Any], name: str = "r", **config: Any
) -> list[str]:
    found: list[str] = []
    registered = Registered(f"urn:{name}", resource_type, name, "", (), {}, props, ())
    args = ResourceValidationArgs(
        resource_type, props, registered.urn, name, options(registered), None, config
    )
    BY_NAME[policy_name].validate(args, lambda message, urn=None: found.append(message))
    return found


# (policy, resource type, passing props, failing props, words of the failure)
DIRECT: list[tuple[str, str, dict, dict, str]] = [
    (
        "provisioning-scope-assigned-only",
        SECRET,
        secret_props(),
        secret_props("true"),
        "provisioningScope",
    ),
    (
        "failure-notifications-on",
        SECRET,
        secret_props(),
        secret_props(Enabled=False),
        "notifyOnFailure",
    ),
    (
        "failure-notifications-on",
        SECRET,
        secret_props(),
        secret_props(Recipients=""),
        "notificationEmail",
    ),
    (
        "accidental-deletion-prevention",
        SECRET,
        secret_props(),
        secret_props(DeleteThresholdEnabled=False),
        "preventAccidentalDeletions",
    ),
    (
        "accidental-deletion-prevention",
        SECRET,
        secret_props(),
        secret_props(DeleteThresholdValue=5000),
        "allows 1 to 500",
    ),
    (
        "scim-tenant-url-allowed",
        SECRET,
        secret_props(),
        secret_props(base="https://evil.example.com/scim"),
        "is not allowed",
    ),
    (
        "scim-tenant-url-allowed",
        "pulumi-python:dynamic/asana:ServiceAccountToken",
        {"scim_base_url": "https://app.asana.com/api/1.0/scim/"},
        {"scim_base_url": "https://scim.example.com"},
        "the token would be sent there",
    ),
    (
        "user-mapping-matches-on-username",
        "pulumi-python:dynamic/asana:ProvisioningAttributeMappings",
        {"kind": "user", "mappings": [{"target": "userName", "matchingPriority": 1}]},
        {"kind": "user", "mappings": [{"target": "mail", "matchingPriority": 1}]},
        "only look users up by userName",
    ),
    (
        "user-mapping-matches-on-username",
        "pulumi-python:dynamic/asana:ProvisioningAttributeMappings",
        {
            "kind": "user",
            "mode": "exact",
            "mappings": [{"target": "userName", "matchingPriority": 1}, {"target": "active"}],
        },
        {
            "kind": "user",
            "mode": "exact",
            "mappings": [{"target": "userName", "matchingPriority": 1}],
        },
        "must map active",
    ),
    (
        "sso-enabled",
        "azuread:index/servicePrincipal:ServicePrincipal",
        {"preferredSingleSignOnMode": "saml"},
        {},
        "ssoEnabled",
    ),
    (
        "provisioning-job-enabled",
        "azuread:index/synchronizationJob:SynchronizationJob",
        {"enabled": True},
        {"enabled": False},
        "provisioningStatus",
    ),
]


@pytest.mark.parametrize(
    ("policy", "resource_type", "passing", "failing", "words"),
    DIRECT,
    ids=[f"{case[0]}: {case[4]}" for case in DIRECT],
)
def test_each_policy_passes_good_and_reports_bad_resources(
    policy, resource_type, passing, failing, words
):
    assert violations_of(policy, resource_type, passing) == []
    found = violations_of(policy, resource_type, failing)
    assert len(found) == 1 and words in found[0], found


def test_a_policy_ignores_resources_of_other_types():
    assert violations_of("sso-enabled", SECRET, {}) == []


def test_the_threshold_range_comes_from_policy_config():
    props = secret_props(DeleteThresholdValue=200)

    assert violations_of("accidental-deletion-prevention", SECRET, props) == []
    found = violations_of("accidental-deletion-prevention", SECRET, props, maxThreshold=100)
    assert found and "allows 1 to 100" in found[0]


def test_every_policy_says_how_to_fix_a_violation():
    for policy in POLICIES:
        assert "Fix:" in policy.description, policy.name


def test_each_shipped_stack_has_a_shipped_policy_config():
    for path in STACK_FILES:
        assert (POLICY_DIR / "config" / f"{stack_name(path)}.json").exists(), path.name


@pytest.mark.parametrize("path", STACK_FILES, ids=[stack_name(p) for p in STACK_FILES])
def test_shipped_stacks_pass_the_pack_with_their_config(path):
    config, secret_keys = stack_config(path)
    run = run_program(config, secret_keys, stack=stack_name(path))
    assert run.error is None

    assert run_pack(run.resources, load_pack_config(stack_name(path))) == []


def prod_variant(**changes: Any) -> list:
    path = next(p for p in STACK_FILES if stack_name(p) == "prod")
    config, secret_keys = stack_config(path)
    config.update({f"{P}{key}": value for key, value in changes.items()})
    run = run_program(config, secret_keys, stack="prod")
    assert run.error is None, run.error
    return run_pack(run.resources, load_pack_config("prod"))


def program_variant(main: Callable[[], None]) -> list:
    run = run_program({TOKEN_KEY: TOKEN}, {TOKEN_KEY}, stack="prod", main=main)
    assert run.error is None, run.error
    return run_pack(run.resources, load_pack_config("prod"))


def literal_token_program() -> None:
    app = azuread.ApplicationFromTemplate("asana-app", display_name="Asana", template_id="t")
    azuread.SynchronizationSecret(
        "hand-written-secret",
        service_principal_id=app.service_principal_id,
        credentials=[
            azuread.SynchronizationSecretCredentialArgs(
                key="BaseAddress", value="https://app.asana.com/api/1.0/scim"
            ),
            azuread.SynchronizationSecretCredentialArgs(key="SecretToken", value="pasted-token"),
            azuread.SynchronizationSecretCredentialArgs(
                key="SyncNotificationSettings",
                value='{"Enabled":true,"Recipients":"a@b.c","DeleteThresholdEnabled":true,"DeleteThresholdValue":5}',
            ),
            azuread.SynchronizationSecretCredentialArgs(key="SyncAll", value="false"),
        ],
    )


def two_apps_program() -> None:
    for name in ("asana-a", "asana-b"):
        azuread.ApplicationFromTemplate(name, display_name=name, template_id="t")


# (the variant, the policy it breaks)
VARIANTS: list[tuple[str, Callable[[], list], str]] = [
    (
        "scope all",
        lambda: prod_variant(provisioningScope="all"),
        "provisioning-scope-assigned-only",
    ),
    ("no failure email", lambda: prod_variant(notifyOnFailure="false"), "failure-notifications-on"),
    (
        "threshold too high",
        lambda: prod_variant(deletionThreshold="400"),
        "accidental-deletion-prevention",
    ),
    (
        "another SCIM host",
        lambda: prod_variant(scimTenantUrl="https://scim.example.com/api"),
        "scim-tenant-url-allowed",
    ),
    (
        "literal token",
        lambda: program_variant(literal_token_program),
        "secret-token-from-validated-token",
    ),
    (
        "exact users without active",
        lambda: prod_variant(
            userMappings=json.dumps(
                {
                    "mode": "exact",
                    "mappings": [
                        {
                            "target": "userName",
                            "attribute": "userPrincipalName",
                            "matchingPriority": 1,
                        }
                    ],
                }
            )
        ),
        "user-mapping-matches-on-username",
    ),
    (
        "a direct user assignment",
        lambda: prod_variant(assignmentUsers=json.dumps(["ada@contoso.com"])),
        "assignments-groups-only",
    ),
    ("sso off", lambda: prod_variant(ssoEnabled="false"), "sso-enabled"),
    ("job paused", lambda: prod_variant(provisioningStatus="off"), "provisioning-job-enabled"),
    ("two apps in a stack", lambda: program_variant(two_apps_program), "one-asana-app-per-stack"),
]


@pytest.mark.parametrize(
    ("variant", "policy"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS]
)
def test_a_variant_of_prod_that_breaks_a_policy_is_reported_mandatory(variant, policy: str):
    violations = variant()

    assert {v.policy for v in violations} >= {policy}
    assert all(v.level == "mandatory" for v in violations if v.policy == policy)


def test_a_group_called_power_user_team_is_not_taken_for_a_user():
    groups = json.dumps(["Power User Team", "Asana Users", "user-admins"])

    violations = prod_variant(assignmentGroups=groups)

    assert "assignments-groups-only" not in {v.policy for v in violations}


def test_a_direct_user_assignment_is_named_by_its_resource_before_it_exists():
    violations = prod_variant(assignmentUsers=json.dumps(["ada@contoso.com"]))

    (found,) = [v for v in violations if v.policy == "assignments-groups-only"]
    assert found.urn is not None and "AppRoleAssignment::asana-user-ada-contoso-com" in found.urn


def test_a_live_assignment_is_judged_by_graphs_principal_type():
    def assignment(name: str, principal_type: str) -> Registered:
        props = {"principalType": principal_type}
        return Registered(f"urn:{name}", ASSIGNMENT, name, "", (), {}, props, ())

    resources = [assignment("asana-group-x", "User"), assignment("asana-user-y", "Group")]

    violations = run_pack(resources, {"assignments-groups-only": "mandatory", "all": "disabled"})

    assert [(v.policy, v.urn) for v in violations] == [
        ("assignments-groups-only", "urn:asana-group-x")
    ]


def test_the_pack_reads_the_input_the_component_declares():
    """The pack repeats the component's input name (it does not import the component)."""
    import asana_guardrails

    from components.asana_app import PRINCIPAL_KINDS

    assert asana_guardrails.PRINCIPAL_KINDS == PRINCIPAL_KINDS


def test_the_packs_environment_has_no_package_that_would_shadow_the_repositorys_rules():
    """policies/__main__.py appends the repository to sys.path, so `rules` resolves to the
    repository's only while the pack's own environment has no module of that name."""
    python = POLICY_DIR / "venv" / "bin" / "python"
    if not python.exists():
        pytest.skip("no policies/venv (make policies/venv/.installed)")
    found = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import importlib.util; print(importlib.util.find_spec('rules'))",
        ],
        cwd=POLICY_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "None"


def test_every_policy_has_a_breaking_variant():
    assert {variant[2] for variant in VARIANTS} == set(BY_NAME)


def test_prod_only_rules_are_off_in_dev():
    path = next(p for p in STACK_FILES if stack_name(p) == "dev")
    config, secret_keys = stack_config(path)
    config[f"{P}provisioningStatus"] = "off"
    run = run_program(config, secret_keys, stack="dev")

    assert run_pack(run.resources, load_pack_config("dev")) == []
    assert {v.policy for v in run_pack(run.resources, load_pack_config("prod"))} >= {
        "assignments-groups-only",
        "sso-enabled",
        "provisioning-job-enabled",
    }


def test_dev_reports_missing_notifications_as_advisory():
    path = next(p for p in STACK_FILES if stack_name(p) == "dev")
    config, secret_keys = stack_config(path)
    config[f"{P}notifyOnFailure"] = "false"
    run = run_program(config, secret_keys, stack="dev")

    (violation,) = run_pack(run.resources, load_pack_config("dev"))
    assert (violation.policy, violation.level) == ("failure-notifications-on", "advisory")
