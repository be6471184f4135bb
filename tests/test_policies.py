"""The CrossGuard pack: each policy on its own, then the whole pack over every mocked stack."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pulumi_azuread as azuread
import pytest
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policy_runner import (
    POLICIES,
    POLICY_DIR,
    load_pack_config,
    options,
    run_pack,
)
from tests.program import (
    SIGNING_CERTIFICATE,
    STACK_FILES,
    Registered,
    run_program,
    stack_name,
)
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


def test_a_threshold_range_the_engine_hands_over_as_floats_reads_as_whole_numbers():
    props = secret_props(DeleteThresholdValue=200)

    (found,) = violations_of(
        "accidental-deletion-prevention", SECRET, props, minThreshold=1.0, maxThreshold=100.0
    )

    assert "this environment allows 1 to 100." in found


def refusal() -> type[Exception]:
    """The pack's error for a bad policy config, from the module the pack itself loads
    (`asana_guardrails` on the path tests.policy_runner sets up, as policies/__main__.py does)."""
    import asana_guardrails

    return asana_guardrails.PolicyConfigError


def test_a_misspelt_policy_setting_is_refused_naming_it_the_policy_and_the_known_ones():
    with pytest.raises(refusal()) as refused:
        violations_of("accidental-deletion-prevention", SECRET, secret_props(), maxThreshhold=100)

    assert str(refused.value) == (
        "policy accidental-deletion-prevention: unknown setting 'maxThreshhold' in the policy "
        "pack config; its settings are enforcementLevel, maxThreshold, minThreshold"
    )


def test_an_unknown_setting_is_refused_whatever_resource_the_policy_sees():
    with pytest.raises(refusal(), match="'maxThreshhold'"):
        violations_of("accidental-deletion-prevention", ASSIGNMENT, {}, maxThreshhold=100)


def test_a_setting_for_a_policy_without_settings_is_refused():
    with pytest.raises(refusal()) as refused:
        violations_of("sso-enabled", SECRET, {}, minValidityDays=30)

    assert "policy sso-enabled: unknown setting 'minValidityDays'" in str(refused.value)
    assert "its settings are enforcementLevel" in str(refused.value)


def test_a_stack_policy_refuses_a_misspelt_setting_too():
    config = {VALIDITY: {"enforcementLevel": "mandatory", "minValidityDay": 30}, "all": "disabled"}

    with pytest.raises(refusal(), match=r"'minValidityDay'.*minValidityDays"):
        run_pack([], config)


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


def days_from_now(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    (
        "a certificate that expires in 10 days",
        lambda: prod_variant(ssoCertificateEndDate=days_from_now(10)),
        "sso-certificate-min-validity",
    ),
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


def test_the_pack_reads_the_output_the_component_declares():
    """The pack repeats the component's output name (it does not import the component)."""
    import asana_guardrails

    from components.asana_app import USER_ASSIGNMENTS

    assert asana_guardrails.USER_ASSIGNMENTS == USER_ASSIGNMENTS


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


# ----- sso-certificate-min-validity -----

VALIDITY = "sso-certificate-min-validity"
SAML_SIGNING = "pulumi-python:dynamic/asana:SamlSigningCertificates"
NOW = datetime(2027, 1, 1, tzinfo=UTC)
ACTIVE_THUMBPRINT = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
NEXT_THUMBPRINT = "FEDCBA9876543210FEDCBA9876543210FEDCBA98"
UNSET = object()
"""An endDate the stack leaves to Entra (three years from creation)."""
UNKNOWN = UNKNOWN_STRING_VALUE
"""What a value not known until the resource exists is at preview."""


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    import asana_guardrails

    monkeypatch.setattr(asana_guardrails, "now", lambda: NOW)
    return NOW


def certificate(name: str, end_date: Any, thumbprint: Any) -> Registered:
    props = {"servicePrincipalId": "/servicePrincipals/x", "displayName": f"CN={name}"}
    if end_date is not UNSET:
        props["endDate"] = end_date
    if thumbprint is not None:  # an output: seen by a stack policy once the certificate exists
        props["thumbprint"] = thumbprint
    return Registered(f"urn:{name}", SIGNING_CERTIFICATE, name, "urn:app", (), {}, props, ())


def saml_stack(
    active_end: Any,
    next_end: Any = None,
    active_thumbprint: str = ACTIVE_THUMBPRINT,
    dependency: bool = True,
) -> list[Registered]:
    """The component's SSO resources: the active certificate, maybe the next one (a rotation),
    and SamlSigningCertificates, whose active_thumbprint comes from the active certificate
    (a property dependency, as the component declares it) unless `dependency` is False."""
    app = Registered("urn:app", "asana-provisioning:index:AsanaEnterpriseApp", "asana", "",
                     (), {}, {"userAssignments": []}, ())  # fmt: skip
    certificates = [certificate("active", active_end, ACTIVE_THUMBPRINT)]
    if next_end is not None:
        certificates.append(certificate("next", next_end, NEXT_THUMBPRINT))
    signing = Registered(
        "urn:signing", SAML_SIGNING, "asana-saml-signing", "urn:app", (),
        {"active_thumbprint": ("urn:active",) if dependency else ()},
        {"service_principal_id": "x", "active_thumbprint": active_thumbprint,
         "certificates": [{"key_id": "k", "thumbprint": ACTIVE_THUMBPRINT}]},
        (),
    )  # fmt: skip
    return [app, *certificates, signing]


def validity_violations(resources: list[Registered], days: float = 30) -> list:
    config = {VALIDITY: {"enforcementLevel": "mandatory", "minValidityDays": days}}
    return run_pack(resources, {**config, "all": "disabled"})


# (what, the resources, minValidityDays, the words of the violation or None) with
# NOW = 2027-01-01 00:00 UTC: "at least minValidityDays from now" passes.
VALIDITY_CASES = [
    ("exactly 30 days left", saml_stack("2027-01-31T00:00:00Z"), 30, None),
    ("a second short of 30 days", saml_stack("2027-01-30T23:59:59Z"), 30,
     "the active SAML signing certificate expires in 29 days; this environment requires at "
     "least 30 days"),
    ("expired", saml_stack("2026-12-31T00:00:00Z"), 30, "has expired"),
    ("less than a day left", saml_stack("2027-01-01T12:00:00Z"), 30, "in less than a day"),
    ("written with an offset", saml_stack("2027-01-31T01:00:00+01:00"), 30, None),
    ("Entra's default end date (unset)", saml_stack(UNSET), 30, None),
    ("an end date unknown until Entra creates it", saml_stack(UNKNOWN), 30, None),
    ("90 days required, 60 left", saml_stack("2027-03-02T00:00:00Z"), 90, "expires in 60 days"),
    ("0 days required, 1 left", saml_stack("2027-01-02T00:00:00Z"), 0, None),
    ("rotation: the next one declared, Entra's default",
     saml_stack("2027-01-11T00:00:00Z", next_end=UNSET), 30, None),
    ("rotation: the next one declared, 3 years",
     saml_stack("2027-01-11T00:00:00Z", next_end="2030-01-01T00:00:00Z"), 30, None),
    ("another certificate that expires too",
     saml_stack("2027-01-11T00:00:00Z", next_end="2027-01-21T00:00:00Z"), 30,
     "expires in 10 days"),
    ("an expiring spare beside a long-lived active one",
     saml_stack("2029-01-01T00:00:00Z", next_end="2027-01-02T00:00:00Z"), 30, None),
    ("an end date that is not a date", saml_stack("next tuesday"), 30,
     "its endDate is not an RFC 3339 date-time"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("resources", "days", "words"),
    [case[1:] for case in VALIDITY_CASES],
    ids=[case[0] for case in VALIDITY_CASES],
)
def test_the_active_certificate_must_stay_valid_min_validity_days(
    fixed_now, resources, days, words
):
    violations = validity_violations(resources, days)

    if words is None:
        assert violations == []
    else:
        (violation,) = violations
        assert violation.policy == VALIDITY and violation.level == "mandatory"
        assert words in violation.message, violation.message
        assert "can't run policy" not in violation.message


def test_a_minimum_the_engine_hands_over_as_a_float_reads_as_whole_days(fixed_now):
    (violation,) = validity_violations(saml_stack("2027-01-11T00:00:00Z"), days=30.0)

    assert "requires at least 30 days." in violation.message


def test_the_violation_names_the_certificate_resource_and_how_to_rotate(fixed_now):
    (violation,) = validity_violations(saml_stack("2027-01-11T00:00:00Z"))

    assert violation.urn == "urn:active"
    assert violation.message.startswith("active: the active SAML signing certificate expires ")
    assert "ssoCertificates" in violation.message and "ssoActiveCertificate" in violation.message
    assert "2027-01-11" not in violation.message  # an end date may be set as a secret


def test_at_preview_the_active_certificate_is_found_by_its_dependency(fixed_now):
    """Before the certificates exist neither their thumbprints nor active_thumbprint are known:
    the property dependency still names the active one, so the policy runs."""
    resources = saml_stack("2027-01-11T00:00:00Z", active_thumbprint=UNKNOWN)
    for resource in resources:
        if resource.type == SIGNING_CERTIFICATE:
            resource.inputs["thumbprint"] = UNKNOWN

    (violation,) = validity_violations(resources)

    assert violation.urn == "urn:active" and "expires in 10 days" in violation.message


def test_without_the_dependency_the_active_certificate_is_found_by_thumbprint(fixed_now):
    resources = saml_stack(
        "2027-01-21T00:00:00Z", next_end="2027-01-11T00:00:00Z", dependency=False,
        active_thumbprint=NEXT_THUMBPRINT.lower(),
    )  # fmt: skip

    (violation,) = validity_violations(resources)

    assert violation.urn == "urn:next" and "expires in 10 days" in violation.message


def test_an_active_certificate_that_cannot_be_told_at_preview_is_reported_not_skipped(fixed_now):
    resources = saml_stack("2029-01-01T00:00:00Z", active_thumbprint=UNKNOWN, dependency=False)

    (violation,) = validity_violations(resources)

    assert violation.level == "mandatory"  # not the engine's advisory "can't run policy"
    assert "unknown at preview" in violation.message
    assert violation.urn == "urn:signing"


def test_an_active_thumbprint_of_no_declared_certificate_is_reported(fixed_now):
    resources = saml_stack("2029-01-01T00:00:00Z", active_thumbprint=NEXT_THUMBPRINT,
                           dependency=False)  # fmt: skip

    (violation,) = validity_violations(resources)

    assert "none of the stack's SAML signing certificates" in violation.message


def test_a_stack_without_sso_has_nothing_to_judge(fixed_now):
    assert validity_violations([]) == []


def test_prod_requires_30_days_and_dev_only_advises():
    assert load_pack_config("prod")[VALIDITY] == {
        "enforcementLevel": "mandatory",
        "minValidityDays": 30,
    }
    assert load_pack_config("dev")[VALIDITY]["enforcementLevel"] == "advisory"


def test_the_first_step_of_a_rotation_passes_in_prod_with_an_expiring_certificate():
    """docs/sso.md: the next certificate is added while the expiring one is still active."""
    certificates = {"CN=Asana SSO": {"endDate": days_from_now(10)}, "CN=Asana SSO 2030": {}}

    violations = prod_variant(
        ssoCertificates=json.dumps(certificates), ssoActiveCertificate="CN=Asana SSO"
    )

    assert VALIDITY not in {v.policy for v in violations}
    alone = prod_variant(
        ssoCertificates=json.dumps({"CN=Asana SSO": {"endDate": days_from_now(10)}})
    )
    assert VALIDITY in {v.policy for v in alone}


def test_the_shipped_prod_stack_passes_at_preview_without_a_skipped_policy():
    path = next(p for p in STACK_FILES if stack_name(p) == "prod")
    config, secret_keys = stack_config(path)
    run = run_program(config, secret_keys, stack="prod", preview=True)
    assert run.error is None, run.error

    assert run_pack(run.resources, load_pack_config("prod")) == []
