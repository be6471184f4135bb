"""Stack settings: every invalid configuration stops the program before anything is declared."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.settings import (
    SETTINGS,
    SettingsError,
    load_health_check_settings,
    load_settings,
)
from tests.program import PROJECT_ROOT, run_program

P = "asana-provisioning:"
TOKEN = "2/1204/5506:0123456789abcdef-settings-test"
VALID: dict[str, str] = {
    f"{P}ssoEnabled": "true",
    f"{P}ssoSignOnUrl": "https://app.asana.com/a/contoso.com",
    f"{P}assignmentGroups": json.dumps(["Asana Users"]),
    f"{P}assignmentUsers": json.dumps(["ada@contoso.com"]),
    f"{P}notificationEmail": "identity-ops@contoso.com",
    f"{P}notifyOnFailure": "true",
    f"{P}asanaToken": TOKEN,
}
SECRET_KEYS = {f"{P}asanaToken"}
UNSET = object()
GUID = "5b0f6c2e-7d41-4c8a-9e3b-2a6d1f0c8e47"


def with_changes(changes: dict[str, Any]) -> dict[str, str]:
    config = dict(VALID)
    for key, value in changes.items():
        if value is UNSET:
            config.pop(key, None)
        else:
            config[key] = value
    return config


# (what is wrong, config changes, the key the error must name)
INVALID = [
    ("empty display name", {f"{P}appDisplayName": ""}, "appDisplayName"),
    ("display name too long", {f"{P}appDisplayName": "A" * 121}, "appDisplayName"),
    ("gallery template id not a GUID", {f"{P}galleryTemplateId": "asana"}, "galleryTemplateId"),
    ("sso flag not a boolean", {f"{P}ssoEnabled": "yes"}, "ssoEnabled"),
    ("sso on without a sign-on URL", {f"{P}ssoSignOnUrl": UNSET}, "ssoSignOnUrl"),
    (
        "sign-on URL over http",
        {f"{P}ssoSignOnUrl": "http://app.asana.com/a/contoso.com"},
        "ssoSignOnUrl",
    ),
    (
        "sign-on URL without a domain",
        {f"{P}ssoSignOnUrl": "https://app.asana.com/a/not a domain"},
        "ssoSignOnUrl",
    ),
    ("identifier not https", {f"{P}ssoIdentifier": "ftp://app.asana.com/"}, "ssoIdentifier"),
    (
        "reply URL with a query",
        {f"{P}ssoReplyUrl": "https://app.asana.com/-/saml/consume?x=1"},
        "ssoReplyUrl",
    ),
    (
        "malformed SSO notification email",
        {f"{P}ssoNotificationEmails": json.dumps(["not-an-email"])},
        "ssoNotificationEmails",
    ),
    (
        "SSO notification emails not a list",
        {f"{P}ssoNotificationEmails": "ops@contoso.com"},
        "ssoNotificationEmails",
    ),
    (
        "certificate end date in the past",
        {f"{P}ssoCertificateEndDate": "2020-01-01T00:00:00Z"},
        "ssoCertificateEndDate",
    ),
    (
        "certificate end date not RFC 3339",
        {f"{P}ssoCertificateEndDate": "next year"},
        "ssoCertificateEndDate",
    ),
    (
        "duplicate group assignment",
        {f"{P}assignmentGroups": json.dumps(["Asana Users", "asana users"])},
        "assignmentGroups",
    ),
    ("empty group entry", {f"{P}assignmentGroups": json.dumps([""])}, "assignmentGroups"),
    ("groups not a list", {f"{P}assignmentGroups": json.dumps({"a": 1})}, "assignmentGroups"),
    ("malformed user", {f"{P}assignmentUsers": json.dumps(["not a upn"])}, "assignmentUsers"),
    ("duplicate user id", {f"{P}assignmentUsers": json.dumps([GUID, GUID])}, "assignmentUsers"),
    (
        "too many assignments",
        {f"{P}assignmentGroups": json.dumps([f"group-{n}" for n in range(10_001)])},
        "assignmentGroups",
    ),
    ("empty app role", {f"{P}assignmentAppRole": ""}, "assignmentAppRole"),
    ("provisioning flag not a boolean", {f"{P}provisioningEnabled": "1"}, "provisioningEnabled"),
    ("unknown provisioning status", {f"{P}provisioningStatus": "paused"}, "provisioningStatus"),
    (
        "tenant URL over http",
        {f"{P}scimTenantUrl": "http://app.asana.com/api/1.0/scim"},
        "scimTenantUrl",
    ),
    ("provisioning on without a token", {f"{P}asanaToken": UNSET}, "asanaToken"),
    ("malformed notification email", {f"{P}notificationEmail": "ops@"}, "notificationEmail"),
    (
        "failure notifications without an email",
        {f"{P}notificationEmail": UNSET},
        "notificationEmail",
    ),
    ("unknown scope", {f"{P}provisioningScope": "everyone"}, "provisioningScope"),
    ("zero deletion threshold", {f"{P}deletionThreshold": "0"}, "deletionThreshold"),
    ("negative deletion threshold", {f"{P}deletionThreshold": "-5"}, "deletionThreshold"),
    ("deletion threshold not a number", {f"{P}deletionThreshold": "ten"}, "deletionThreshold"),
    (
        "deletion prevention flag not a boolean",
        {f"{P}preventAccidentalDeletions": "maybe"},
        "preventAccidentalDeletions",
    ),
    ("canary user not a user", {f"{P}canaryUser": "Asana Users"}, "canaryUser"),
    ("negative tolerated failures", {f"{P}healthMaxFailures": "-1"}, "healthMaxFailures"),
    ("tolerated failures not a number", {f"{P}healthMaxFailures": "a few"}, "healthMaxFailures"),
    ("zero-hour health window", {f"{P}healthWindowHours": "0"}, "healthWindowHours"),
    ("health window over 30 days", {f"{P}healthWindowHours": "721"}, "healthWindowHours"),
    ("misspelt setting", {f"{P}ssoEnable": "true"}, "ssoEnable "),
    ("zero HTTP timeout", {f"{P}httpTimeoutSeconds": "0"}, "httpTimeoutSeconds"),
    ("Graph endpoint over http", {f"{P}graphEndpoint": "http://graph.example"}, "graphEndpoint"),
    ("unknown national cloud", {"azuread:environment": "mars"}, "azuread:environment"),
    (
        "mapping expression with an unknown function",
        {
            f"{P}userMappings": json.dumps(
                {"mappings": [{"target": "title", "expression": "Capitalize([jobTitle])"}]}
            )
        },
        "userMappings.mappings[0].expression",
    ),
    (
        "group mapping Asana does not accept",
        {f"{P}groupMappings": json.dumps({"mappings": [{"target": "title", "attribute": "x"}]})},
        "groupMappings.mappings[0].target",
    ),
    (
        "scoping filter operator Graph does not list",
        {
            f"{P}userMappings": json.dumps(
                {"scopingFilter": [[{"attribute": "department", "operator": "LIKE", "values": []}]]}
            )
        },
        "userMappings.scopingFilter[0][0].operator",
    ),
    ("mappings not an object", {f"{P}userMappings": "title=jobTitle"}, "userMappings"),
    (
        "certificate end date with a fraction of a second",
        {f"{P}ssoCertificateEndDate": "2035-01-31T00:00:00.5Z"},
        "ssoCertificateEndDate",
    ),
    (
        "rotation certificates not an object",
        {f"{P}ssoCertificates": json.dumps(["CN=Asana SSO"])},
        "ssoCertificates",
    ),
    (
        "rotation certificate without CN=",
        {f"{P}ssoCertificates": json.dumps({"Asana SSO 2029": {}})},
        "ssoCertificates",
    ),
    (
        "rotation certificate with an unknown field",
        {f"{P}ssoCertificates": json.dumps({"CN=Asana SSO": {"expires": "2035-01-01T00:00:00Z"}})},
        "ssoCertificates",
    ),
    (
        "rotation certificate ending in the past",
        {f"{P}ssoCertificates": json.dumps({"CN=Asana SSO": {"endDate": "2001-01-01T00:00:00Z"}})},
        "ssoCertificates",
    ),
    (
        "two certificates and no active one",
        {f"{P}ssoCertificates": json.dumps({"CN=Asana SSO": {}, "CN=Asana SSO 2029": {}})},
        "ssoActiveCertificate",
    ),
    (
        "active certificate not declared",
        {
            f"{P}ssoCertificates": json.dumps({"CN=Asana SSO": {}, "CN=Asana SSO 2029": {}}),
            f"{P}ssoActiveCertificate": "CN=Asana SSO 2030",
        },
        "ssoActiveCertificate",
    ),
    (
        "rotation certificates beside the single-certificate name",
        {
            f"{P}ssoCertificates": json.dumps({"CN=Asana SSO 2029": {}}),
            f"{P}ssoCertificateName": "CN=Other",
        },
        "ssoCertificateName",
    ),
    ("owner that is a group name", {f"{P}appOwners": json.dumps(["Asana Admins"])}, "appOwners"),
    (
        "certificate warning of zero days",
        {f"{P}ssoCertificateWarningDays": "0"},
        "ssoCertificateWarningDays",
    ),
    (
        "mappings without provisioning",
        {
            f"{P}provisioningEnabled": "false",
            f"{P}userMappings": json.dumps({"mappings": [{"target": "title", "attribute": "x"}]}),
        },
        "userMappings",
    ),
]


@pytest.mark.parametrize(
    ("changes", "key"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_setting_stops_the_program_before_any_resource(changes, key: str):
    run = run_program(with_changes(changes), SECRET_KEYS)

    assert isinstance(run.error, SettingsError), run.error
    assert run.resources == []
    named = [problem for problem in run.error.problems if key in problem]
    assert named, run.error.problems
    assert any(word in named[0] for word in ("allowed:", "known:", "not one of", "does not"))
    assert TOKEN not in str(run.error)


def test_there_are_at_least_25_distinct_invalid_configurations():
    assert len({case[0] for case in INVALID}) >= 25


def test_the_valid_base_configuration_loads():
    settings = load_settings(VALID, SECRET_KEYS)

    assert settings.sso is not None and settings.provisioning is not None
    assert [p.reference for p in settings.principals] == ["Asana Users", "ada@contoso.com"]


def test_a_plaintext_token_is_refused_with_how_to_set_it_and_without_echoing_it():
    with pytest.raises(SettingsError) as error:
        load_settings(VALID, secret_keys=set())

    (problem,) = error.value.problems
    assert problem.startswith("asana-provisioning:asanaToken set (value hidden)")
    assert "pulumi config set --secret asanaToken" in problem
    assert TOKEN not in problem


def test_the_message_shows_the_value_received():
    with pytest.raises(SettingsError) as error:
        load_settings(with_changes({f"{P}provisioningScope": "everyone"}), SECRET_KEYS)

    assert error.value.problems == [
        'asana-provisioning:provisioningScope is "everyone"; allowed: "assigned" or "all"'
    ]


def test_every_problem_is_reported_at_once():
    config = with_changes({f"{P}deletionThreshold": "0", f"{P}provisioningScope": "x"})

    with pytest.raises(SettingsError) as error:
        load_settings(config, SECRET_KEYS)

    assert len(error.value.problems) == 2


def test_provisioning_off_needs_no_token_and_declares_no_provisioning():
    config = with_changes({f"{P}provisioningEnabled": "false", f"{P}asanaToken": UNSET})

    assert load_settings(config, set()).provisioning is None


def test_defaults_follow_the_portal_and_asanas_documentation():
    settings = load_settings({f"{P}asanaToken": TOKEN}, SECRET_KEYS)

    assert settings.app_display_name == "Asana"
    assert settings.sso is None
    assert settings.app_role == "User"
    provisioning = settings.provisioning
    assert provisioning is not None
    assert provisioning.tenant_url == "https://app.asana.com/api/1.0/scim"
    assert (provisioning.running, provisioning.sync_all) == (True, False)
    assert (provisioning.prevent_accidental_deletions, provisioning.deletion_threshold) == (
        True,
        500,
    )


def test_pulumi_yaml_declares_every_setting_with_its_type_and_default():
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())

    expected = {setting.name: setting.project_schema() for setting in SETTINGS}
    assert project["config"] == expected


def test_the_configuration_reference_documents_every_setting():
    reference = (PROJECT_ROOT / "docs" / "configuration.md").read_text()

    missing = [setting.name for setting in SETTINGS if f"`{setting.name}`" not in reference]
    assert missing == []


def test_pulumi_yaml_is_what_make_pulumi_yaml_writes(tmp_path):
    from tools import pulumi_yaml

    stale = tmp_path / "Pulumi.yaml"
    current = (PROJECT_ROOT / "Pulumi.yaml").read_text()
    stale.write_text(current.replace("default: 120", "default: 9"))

    assert pulumi_yaml.main(["--check"]) == 0
    assert pulumi_yaml.main(["--check"], project_file=stale) == 1
    assert pulumi_yaml.main([], project_file=stale) == 0
    assert stale.read_text() == current


def test_health_settings_default_to_no_canary_no_tolerated_failures_and_a_day():
    health = load_settings(VALID, SECRET_KEYS).health

    assert (health.canary_user, health.max_failures, health.window_hours) == (None, 0, 24)


def test_the_health_check_reads_its_settings_and_the_job_state_the_stack_wants():
    config = with_changes(
        {
            f"{P}canaryUser": "ada@contoso.com",
            f"{P}healthMaxFailures": "3",
            f"{P}healthWindowHours": "72",
            f"{P}provisioningStatus": "off",
        }
    )

    checked = load_health_check_settings(config, SECRET_KEYS)

    assert checked.health.canary_user == "ada@contoso.com"
    assert (checked.health.max_failures, checked.health.window_hours) == (3, 72)
    assert (checked.provisioning_enabled, checked.job_running) == (True, False)


def test_the_health_check_refuses_a_bad_health_setting_naming_its_key_and_range():
    config = with_changes({f"{P}healthWindowHours": "9999"})

    with pytest.raises(SettingsError) as error:
        load_health_check_settings(config, SECRET_KEYS)

    assert error.value.problems == [
        'asana-provisioning:healthWindowHours is "9999"; allowed: a whole number from 1 to 720'
    ]


def test_a_certificate_end_date_with_an_offset_is_declared_in_utc_as_graph_returns_it():
    config = with_changes({f"{P}ssoCertificateEndDate": "2035-01-31T02:00:00+02:00"})

    sso = load_settings(config, SECRET_KEYS).sso

    assert sso is not None
    assert [(c.name, c.end_date) for c in sso.certificates] == [
        ("CN=Asana SSO", "2035-01-31T00:00:00Z")
    ]
    assert sso.active_certificate == "CN=Asana SSO"


def test_a_rotation_declares_both_certificates_and_the_one_named_active():
    config = with_changes(
        {
            f"{P}ssoCertificates": json.dumps(
                {"CN=Asana SSO": {}, "CN=Asana SSO 2029": {"endDate": "2035-06-30T12:00:00-06:00"}}
            ),
            f"{P}ssoActiveCertificate": "CN=Asana SSO",
        }
    )

    sso = load_settings(config, SECRET_KEYS).sso

    assert sso is not None
    assert [(c.name, c.end_date) for c in sso.certificates] == [
        ("CN=Asana SSO", None),
        ("CN=Asana SSO 2029", "2035-06-30T18:00:00Z"),
    ]
    assert sso.active.name == "CN=Asana SSO"


def test_owners_unset_are_left_to_the_portal_and_set_are_declared_as_given():
    assert load_settings(VALID, SECRET_KEYS).owners is None
    config = with_changes({f"{P}appOwners": json.dumps(["ada@contoso.com", GUID])})

    assert load_settings(config, SECRET_KEYS).owners == ("ada@contoso.com", GUID)


def test_the_certificate_warning_defaults_to_sixty_days():
    assert load_settings(VALID, SECRET_KEYS).health.certificate_warning_days == 60


@pytest.mark.parametrize(
    "name",
    ["👩‍💻 Engineers", "🏳️‍🌈 Pride", "👩🏽‍💻 Team", "❤️‍🔥 Fans", "Asana (Zürich)", "Asana — 東京"],
    ids=["ZWJ emoji", "ZWJ after a variation selector", "ZWJ after a skin tone", "heart on fire",
         "accented", "other scripts"],
)  # fmt: skip
def test_a_display_name_with_an_emoji_sequence_or_any_script_is_accepted(name: str):
    settings = load_settings(with_changes({f"{P}appDisplayName": name}), SECRET_KEYS)

    assert settings.app_display_name == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "a display name of 1 to 120 characters (it is blank)"),
        ("   ", "a display name of 1 to 120 characters (it is blank)"),
        ("A" * 121, "a display name of 1 to 120 characters (it has 121)"),
        ("👩‍💻" * 25, "a display name of 1 to 120 characters (it has 125)"),
        ("Asana\tqa", "without control or invisible characters (U+0009, a control character, at "
         "character 6)"),
        ("Asana\u202eaq", "without control or invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE"
         " at character 6)"),
        ("Asa\u200dna", "without control or invisible characters (U+200D ZERO WIDTH JOINER, "
         "outside an emoji sequence, at character 4)"),
        ("👩\u200d Engineers", "(U+200D ZERO WIDTH JOINER, outside an emoji sequence, at "
         "character 2)"),
        ("Engineers 👩\u200d", "(U+200D ZERO WIDTH JOINER, outside an emoji sequence, at "
         "character 12)"),
        ("\u200d👩 Engineers", "(U+200D ZERO WIDTH JOINER, outside an emoji sequence, at "
         "character 1)"),
    ],
    ids=["empty", "blank", "too long", "too long in UTF-16 units", "a tab", "a bidi override",
         "a joiner between letters", "a joiner after an emoji", "a joiner at the end",
         "a joiner at the start"],
)  # fmt: skip
def test_a_refused_display_name_names_the_rule_it_breaks(name: str, problem: str):
    with pytest.raises(SettingsError) as refused:
        load_settings(with_changes({f"{P}appDisplayName": name}), SECRET_KEYS)

    (message,) = [p for p in refused.value.problems if "appDisplayName" in p]
    assert problem in message
    assert "control characters" not in message or "\t" in name
