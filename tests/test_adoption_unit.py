"""tools.adoption without a tenant: Graph's replies as Learn documents them, in, and the stack
settings and import ids out. Expected values are written from the documentation, not computed
by the module under test."""

from __future__ import annotations

import base64
import copy
import re
from types import SimpleNamespace

import pytest

from components.asana_app import assignment_name, certificate_name, choose_app_role
from components.settings import Principal, SettingsError, SigningCertificate, load_settings
from tools.adopt import build_parser
from tools.adoption import AdoptionError, LiveApp, _compact, adopt, choose_service_principal

SP = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
APP = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091"
OLD_THUMBPRINT = "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C"
NEW_THUMBPRINT = "A1B2C3D4E5F60718293A4B5C6D7E8F9001122334"


def key_credential(key_id: str, thumbprint: str, usage: str, name: str) -> dict:
    """A keyCredential as Graph lists it: customKeyIdentifier is the SHA-1 digest's bytes in
    base64 (Edm.Binary), the same certificate's Sign and Verify keys sharing it."""
    return {
        "keyId": key_id,
        "customKeyIdentifier": base64.b64encode(bytes.fromhex(thumbprint)).decode(),
        "displayName": name,
        "usage": usage,
        "type": "AsymmetricX509Cert" if usage == "Verify" else "X509CertAndPassword",
    }


def live_app(preferred: str) -> LiveApp:
    keys = [
        key_credential("11111111-0000-4000-8000-000000000001", OLD_THUMBPRINT, "Sign", "CN=Old"),
        key_credential("11111111-0000-4000-8000-000000000002", OLD_THUMBPRINT, "Verify", "CN=Old"),
        key_credential("22222222-0000-4000-8000-000000000001", NEW_THUMBPRINT, "Sign", "CN=New"),
        key_credential("22222222-0000-4000-8000-000000000002", NEW_THUMBPRINT, "Verify", "CN=New"),
    ]
    return LiveApp(
        service_principal={
            "id": SP,
            "displayName": "Asana",
            "preferredSingleSignOnMode": "saml",
            "loginUrl": "https://app.asana.com/a/contoso.com",
            "preferredTokenSigningKeyThumbprint": preferred,
            "keyCredentials": keys,
        },
        application={"id": APP, "applicationTemplateId": None},
        assignments=[],
        jobs=[],
        templates=[],
        secrets={},
        job_schema=None,
    )


def certificate_import(adoption) -> dict:
    (entry,) = [
        e
        for e in adoption.import_file["resources"]
        if e["type"].endswith(":ServicePrincipalTokenSigningCertificate")
    ]
    return entry


def test_the_active_certificate_is_the_one_the_hex_thumbprint_names_among_several():
    adoption = adopt(live_app(NEW_THUMBPRINT), "adopted")

    assert adoption.config["asana-provisioning:ssoCertificateName"] == "CN=New"
    assert certificate_import(adoption)["id"] == (
        f"{SP}/tokenSigningCertificate/22222222-0000-4000-8000-000000000002"
    )


def test_a_thumbprint_in_lower_case_names_the_same_certificate():
    """Graph compares thumbprints without regard to case; the portal copies upper case."""
    adoption = adopt(live_app(NEW_THUMBPRINT.lower()), "adopted")

    assert adoption.config["asana-provisioning:ssoCertificateName"] == "CN=New"


def test_the_first_certificate_is_kept_when_it_is_the_active_one():
    adoption = adopt(live_app(OLD_THUMBPRINT), "adopted")

    assert adoption.config["asana-provisioning:ssoCertificateName"] == "CN=Old"
    assert certificate_import(adoption)["id"] == (
        f"{SP}/tokenSigningCertificate/11111111-0000-4000-8000-000000000002"
    )


# --- provisioning settings read back from the synchronization secrets (api-facts
# graph-synchronization §1.6: BaseAddress, SecretToken, SyncNotificationSettings as a JSON
# string with Enabled, Recipients, DeleteThresholdEnabled, DeleteThresholdValue; SyncAll).

P = "asana-provisioning:"
JOB = {"id": "asana.0a1b", "templateId": "asana", "schedule": {"state": "Active"}}
TEMPLATE = {"id": "asana", "factoryTag": "asana", "schema": {}}


def provisioned(secrets: dict, job: dict | None = None) -> LiveApp:
    live = live_app(NEW_THUMBPRINT)
    return LiveApp(
        service_principal={**live.service_principal, "preferredSingleSignOnMode": None},
        application=live.application,
        assignments=[],
        jobs=[job or JOB],
        templates=[TEMPLATE],
        secrets=secrets,
        job_schema=None,
    )


def test_the_notification_settings_and_scope_become_stack_settings():
    secrets = {
        "BaseAddress": "https://app.asana.com/api/1.0/scim/",
        "SyncNotificationSettings": '{"Enabled": true, "Recipients": "ops@contoso.com", '
        '"DeleteThresholdEnabled": false, "DeleteThresholdValue": 40}',
        "SyncAll": "True",
    }

    config = adopt(provisioned(secrets), "adopted").config

    assert {k: v for k, v in config.items() if k != f"{P}appDisplayName"} == {
        f"{P}notificationEmail": "ops@contoso.com",
        f"{P}notifyOnFailure": True,
        f"{P}preventAccidentalDeletions": False,
        f"{P}deletionThreshold": 40,
        f"{P}provisioningScope": "all",
    }


def test_defaults_are_left_out_and_another_tenant_url_is_kept():
    secrets = {
        "BaseAddress": "https://scim.contoso.example/asana",
        "SyncNotificationSettings": '{"Enabled": false, "DeleteThresholdEnabled": true, '
        '"DeleteThresholdValue": 500}',
        "SyncAll": "false",
    }
    paused = {**JOB, "schedule": {"state": "Paused"}}

    config = adopt(provisioned(secrets, paused), "adopted").config

    assert {k: v for k, v in config.items() if k != f"{P}appDisplayName"} == {
        f"{P}scimTenantUrl": "https://scim.contoso.example/asana",
        f"{P}provisioningStatus": "off",
    }


def test_unreadable_notification_settings_are_read_as_none():
    config = adopt(provisioned({"SyncNotificationSettings": "{not json"}), "adopted").config

    assert {k: v for k, v in config.items() if k != f"{P}appDisplayName"} == {}


def test_a_job_on_another_template_cannot_be_adopted():
    with pytest.raises(AdoptionError) as error:
        adopt(provisioned({}, {**JOB, "templateId": "scim"}), "adopted")

    assert str(error.value).startswith(
        "the provisioning job uses template 'scim', not the Asana app's own template 'asana'"
    )


def test_two_jobs_cannot_be_adopted():
    live = provisioned({})
    two = LiveApp(**{**live.__dict__, "jobs": [JOB, {**JOB, "id": "asana.2"}]})

    with pytest.raises(AdoptionError) as error:
        adopt(two, "adopted")

    assert str(error.value) == "the app has 2 provisioning jobs; this project runs one"


# --- choosing the enterprise application: Graph's servicePrincipal `id` (the object id),
# `appId` and `displayName`, the Name, Object ID and Application ID the Entra admin center's
# Enterprise applications list shows.

OTHER_SP = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e60"
APP_IDS = ("a1b2c3d4-e5f6-4789-8abc-def012345678", "a1b2c3d4-e5f6-4789-8abc-def012345679")


def options_of_adopt() -> set[str]:
    return {s for action in build_parser()._actions for s in action.option_strings}


def test_several_apps_of_one_name_are_listed_one_a_line_by_name_object_id_and_app_id():
    candidates = [
        {"id": SP, "appId": APP_IDS[0], "displayName": "Asana"},
        {"id": OTHER_SP, "appId": APP_IDS[1], "displayName": "Asana"},
    ]

    with pytest.raises(AdoptionError) as refused:
        choose_service_principal(candidates, "Asana")

    heading, *rows = str(refused.value).splitlines()
    assert heading.startswith("2 enterprise applications are named 'Asana'")
    named = set(re.findall(r"--[\w-]+", heading))
    assert named == {"--object-id"} and named <= options_of_adopt()
    listed = [re.fullmatch(r"  - (.+) \(object id (\S+), app id (\S+)\)", row) for row in rows]
    assert [m.groups() if m else row for m, row in zip(listed, rows, strict=True)] == [
        ("Asana", SP, APP_IDS[0]),
        ("Asana", OTHER_SP, APP_IDS[1]),
    ]


def test_no_app_of_that_name_says_where_the_portal_lists_them_and_the_option_to_use_instead():
    with pytest.raises(AdoptionError) as refused:
        choose_service_principal([], "Asana")

    message = str(refused.value)
    assert message.startswith("no enterprise application named or with object id 'Asana'")
    assert "Entra admin center > Enterprise applications" in message  # the portal's words
    named = set(re.findall(r"--[\w-]+", message))
    assert named == {"--object-id"} and named <= options_of_adopt()


# --- single sign-on: the servicePrincipal's preferredSingleSignOnMode and loginUrl, the
# application's identifierUris and web.redirectUris (Graph's application and servicePrincipal
# resources); Asana's own Entity ID and reply URL are the stack's defaults.

ASANA_IDENTIFIER = "https://app.asana.com/"
ASANA_REPLY_URL = "https://app.asana.com/-/saml/consume"


def with_sso(identifiers: list[str], replies: list[str], **service_principal) -> LiveApp:
    live = live_app(NEW_THUMBPRINT)
    return LiveApp(
        **{
            **live.__dict__,
            "service_principal": {**live.service_principal, **service_principal},
            "application": {
                **live.application,
                "identifierUris": identifiers,
                "web": {"redirectUris": replies},
            },
        }
    )


@pytest.mark.parametrize(
    ("identifiers", "replies"),
    [
        ([ASANA_IDENTIFIER, "https://asana.contoso.example/"], [ASANA_REPLY_URL]),
        ([ASANA_IDENTIFIER], [ASANA_REPLY_URL, "https://asana.contoso.example/saml"]),
    ],
    ids=["two identifier URIs", "two reply URLs"],
)
def test_several_identifier_uris_or_reply_urls_cannot_be_adopted(identifiers, replies):
    """docs/adopt.md: not adoptable, with a clear message (the stack manages one of each)."""
    with pytest.raises(AdoptionError) as refused:
        adopt(with_sso(identifiers, replies), "adopted")

    message = str(refused.value)
    assert f"{len(identifiers)} identifier URIs and {len(replies)} reply URLs" in message
    assert "Remove the extra ones in the portal" in message


def test_an_identifier_and_reply_url_other_than_asanas_are_kept_and_asanas_own_left_out():
    """The stack reproduces what is live; a setting that holds its default is left out."""
    own = adopt(with_sso([ASANA_IDENTIFIER], [ASANA_REPLY_URL]), "adopted").config
    other = adopt(
        with_sso(["https://asana.contoso.example/"], ["https://asana.contoso.example/saml"]),
        "adopted",
    ).config

    assert f"{P}ssoIdentifier" not in own and f"{P}ssoReplyUrl" not in own
    assert other[f"{P}ssoIdentifier"] == "https://asana.contoso.example/"
    assert other[f"{P}ssoReplyUrl"] == "https://asana.contoso.example/saml"


def test_a_saml_app_without_a_sign_on_url_gives_a_stack_that_asks_for_one():
    """Graph's loginUrl is null until one is set; the stack must then say the setting is
    missing, not hold a made-up URL."""
    adoption = adopt(with_sso([], [], loginUrl=None), "adopted")

    with pytest.raises(SettingsError) as refused:
        load_settings(adoption.config, set())

    assert [p.split(";")[0] for p in refused.value.problems] == [f"{P}ssoSignOnUrl not set"]


def test_a_saml_app_without_a_signing_certificate_sets_no_certificate_name():
    adoption = adopt(with_sso([], [], keyCredentials=[]), "adopted")

    assert adoption.config[f"{P}ssoEnabled"] is True
    assert f"{P}ssoCertificateName" not in adoption.config


def test_what_single_sign_on_was_found_is_said_in_one_note_headed_by_it():
    """tools.adopt prints the notes, one a line, each headed by the part of the setup."""
    saml = adopt(with_sso([], []), "adopted")
    other = adopt(with_sso([], [], preferredSingleSignOnMode="password"), "adopted")

    (saml_note,) = [n for n in saml.notes if n.startswith("single sign-on: ")]
    assert saml_note.startswith("single sign-on: SAML")
    assert saml_note.endswith("https://app.asana.com/a/contoso.com")
    (other_note,) = [n for n in other.notes if n.startswith("single sign-on: ")]
    assert "not SAML" in other_note
    assert not [k for k in other.config if k.startswith(f"{P}sso")]


# --- assignments: Graph's appRoleAssignment (`id`, `principalId`, `principalType` User, Group
# or ServicePrincipal, `appRoleId`) and the service principal's appRoles (`id`, `displayName`,
# `value`). An app without app roles assigns the default role, id 00000000-0000-0000-0000-
# 000000000000, which appRoles does not list.

USER_ROLE = {"id": "b1a2c3d4-0000-4000-8000-000000000001", "displayName": "User", "value": "user"}
ADMIN_ROLE = {
    "id": "b1a2c3d4-0000-4000-8000-000000000002",
    "displayName": "Administrator",
    "value": "Admin",
}
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


def assignment(n: int, principal_type: str, role: str) -> dict:
    return {
        "id": f"assignment-{n}",
        "principalId": f"c0ffee00-0000-4000-8000-00000000000{n}",
        "principalType": principal_type,
        "appRoleId": role,
    }


def assigned(assignments: list[dict], roles: list[dict]) -> LiveApp:
    live = live_app(NEW_THUMBPRINT)
    service_principal = {**live.service_principal, "appRoles": roles}
    return LiveApp(
        **{**live.__dict__, "service_principal": service_principal, "assignments": assignments}
    )


def test_an_assignment_to_a_service_principal_cannot_be_adopted():
    """docs/adopt.md: assignments to service principals are not adoptable."""
    live = assigned(
        [
            assignment(1, "User", USER_ROLE["id"]),
            assignment(2, "ServicePrincipal", USER_ROLE["id"]),
        ],
        [USER_ROLE],
    )

    with pytest.raises(AdoptionError) as refused:
        adopt(live, "adopted")

    message = str(refused.value)
    assert message.startswith("1 assignments are to service principals")
    assert "groups and users only" in message


def test_assignments_with_several_app_roles_are_refused_naming_each_role_and_its_count():
    """docs/adopt.md: mixed app roles are not adoptable; the roles are named as the portal's
    Users and groups list shows them (display name), the most used first."""
    live = assigned(
        [
            assignment(1, "User", USER_ROLE["id"]),
            assignment(2, "Group", ADMIN_ROLE["id"]),
            assignment(3, "User", USER_ROLE["id"]),
        ],
        [USER_ROLE, ADMIN_ROLE],
    )

    with pytest.raises(AdoptionError) as refused:
        adopt(live, "adopted")

    message = str(refused.value)
    assert message.startswith("the assignments use several app roles (User: 2, Administrator: 1)")
    assert "Align them in the portal" in message


def role_resolves_to(roles: list[dict], wanted: str) -> str:
    """The role id the program gives assignments for the setting `wanted` (choose_app_role)."""
    objects = [SimpleNamespace(id=r["id"], display_name=r.get("displayName"), value=r.get("value"))
               for r in roles]  # fmt: skip
    return choose_app_role(objects, wanted)


@pytest.mark.parametrize(
    ("roles", "role_id", "expected"),
    [
        ([USER_ROLE, ADMIN_ROLE], ADMIN_ROLE["id"], "Administrator"),
        ([USER_ROLE, {**ADMIN_ROLE, "displayName": None}], ADMIN_ROLE["id"], "Admin"),
        ([], DEFAULT_ACCESS, DEFAULT_ACCESS),
    ],
    ids=["by display name", "by value without a display name", "the default role by id"],
)
def test_the_one_app_role_of_every_assignment_is_adopted_by_the_name_the_program_reads(
    roles, role_id, expected
):
    """docs/configuration.md: assignmentAppRole is a role's display name, value or id; the
    adopted one is the portal's name for it when there is one, and gives the same role."""
    live = assigned([assignment(1, "Group", role_id), assignment(2, "User", role_id)], roles)

    adoption = adopt(live, "adopted")

    assert adoption.config[f"{P}assignmentAppRole"] == expected
    assert role_resolves_to(roles, expected) == role_id
    assert adoption.config[f"{P}assignmentGroups"] == [live.assignments[0]["principalId"]]
    assert adoption.config[f"{P}assignmentUsers"] == [live.assignments[1]["principalId"]]
    (note,) = [n for n in adoption.notes if n.startswith("assignments: ")]
    assert note == "assignments: 1 group(s), 1 user(s)"


def test_the_default_app_role_is_left_out_of_the_stack():
    live = assigned([assignment(1, "User", USER_ROLE["id"])], [USER_ROLE, ADMIN_ROLE])

    assert f"{P}assignmentAppRole" not in adopt(live, "adopted").config


# --- provisioning: the job's templateId against the Asana app's own template.


def test_a_job_without_the_asana_template_on_offer_is_refused_naming_the_service_principal():
    live = provisioned({})
    no_template = LiveApp(**{**live.__dict__, "templates": []})

    with pytest.raises(AdoptionError) as refused:
        adopt(no_template, "adopted")

    message = str(refused.value)
    assert f"service principal {SP} has no synchronization template" in message
    assert "Asana gallery template" in message


def test_a_job_on_another_template_is_refused_saying_how_to_recreate_it():
    with pytest.raises(AdoptionError) as refused:
        adopt(provisioned({}, {**JOB, "templateId": "scim"}), "adopted")

    message = str(refused.value)
    assert "Recreate provisioning from the Asana template in the portal" in message
    assert "`pulumi up`" in message


def test_what_provisioning_was_found_is_said_in_one_note_headed_by_it():
    without = adopt(live_app(NEW_THUMBPRINT), "adopted")
    with_job = adopt(provisioned({}), "adopted")

    (note,) = [n for n in without.notes if n.startswith("provisioning: ")]
    assert "no provisioning job" in note and "SSO and assignments only" in note
    (note,) = [n for n in with_job.notes if n.startswith("provisioning: ")]
    assert JOB["id"] in note and "(Active)" in note
    assert note.endswith(f"template {TEMPLATE['id']}")


# --- the app itself: the servicePrincipal's displayName and the application's
# applicationTemplateId (the gallery template it was instantiated from, null for an app
# registered by hand).


def test_the_apps_name_and_gallery_template_are_the_live_ones():
    live = live_app(NEW_THUMBPRINT)
    gallery = "a0b1c2d3-e4f5-4607-8819-2a3b4c5d6e7f"
    renamed = LiveApp(
        **{
            **live.__dict__,
            "service_principal": {**live.service_principal, "displayName": "Asana (Contoso)"},
            "application": {**live.application, "applicationTemplateId": gallery},
        }
    )

    config = adopt(renamed, "adopted").config
    by_hand = adopt(live, "adopted").config

    assert config[f"{P}appDisplayName"] == "Asana (Contoso)"
    assert config[f"{P}galleryTemplateId"] == gallery
    assert f"{P}galleryTemplateId" not in by_hand


def test_without_a_preferred_thumbprint_the_first_verify_key_is_the_certificate():
    """preferredTokenSigningKeyThumbprint can be null (Graph servicePrincipal); the certificate
    is then the first Verify key listed (keyCredentials order), never a Sign key."""
    adoption = adopt(with_sso([], [], preferredTokenSigningKeyThumbprint=None), "adopted")

    assert adoption.config[f"{P}ssoCertificateName"] == "CN=Old"
    assert certificate_import(adoption)["id"] == (
        f"{SP}/tokenSigningCertificate/11111111-0000-4000-8000-000000000002"
    )


# --- a mapping as written into the stack: Graph's attributeMapping defaults (flowType
# "Always", matchingPriority 0: not a matching attribute) are left out, anything else kept.


def test_a_mapping_is_written_without_the_fields_that_hold_graphs_defaults():
    defaults = {"target": "userName", "source": "userPrincipalName", "flowType": "Always",
                "matchingPriority": 0}  # fmt: skip
    others = {"target": "emails[type eq \"work\"].value", "source": "mail",
              "flowType": "ObjectAddOnly", "matchingPriority": 1}  # fmt: skip

    assert _compact(defaults) == {"target": "userName", "source": "userPrincipalName"}
    assert _compact(others) == others


def test_mappings_changed_in_the_portal_are_written_as_the_smallest_difference_from_the_template():
    """docs/adopt.md: `exact` when some were removed; docs/configuration.md names the settings
    userMappings and groupMappings."""
    from tests.conftest import ASANA_TEMPLATE

    schema = copy.deepcopy(ASANA_TEMPLATE["schema"])
    (rule,) = schema["synchronizationRules"]
    users, groups = (
        next(o for o in rule["objectMappings"] if o["sourceObjectName"] == name)
        for name in ("User", "Group")
    )
    removed = users["attributeMappings"].pop()
    groups["enabled"] = False
    live = provisioned({})
    changed = LiveApp(**{**live.__dict__, "templates": [ASANA_TEMPLATE], "job_schema": schema})

    adoption = adopt(changed, "adopted")

    user_spec = adoption.config[f"{P}userMappings"]
    assert user_spec["mode"] == "exact"
    targets = {m["target"] for m in user_spec["mappings"]}
    assert removed["targetAttributeName"] not in targets
    assert len(targets) == len(users["attributeMappings"])
    assert adoption.config[f"{P}groupMappings"] == {"enabled": False}
    assert f"user mappings: {len(targets)} set in the stack" in adoption.notes


def test_group_mappings_changed_alone_are_written_and_the_users_left_to_the_template():
    from tests.conftest import ASANA_TEMPLATE

    schema = copy.deepcopy(ASANA_TEMPLATE["schema"])
    (rule,) = schema["synchronizationRules"]
    (groups,) = [o for o in rule["objectMappings"] if o["sourceObjectName"] == "Group"]
    groups["enabled"] = False
    live = provisioned({})
    changed = LiveApp(**{**live.__dict__, "templates": [ASANA_TEMPLATE], "job_schema": schema})

    config = adopt(changed, "adopted").config

    assert f"{P}userMappings" not in config
    assert config[f"{P}groupMappings"] == {"enabled": False}


def test_mappings_of_an_object_the_template_does_not_map_are_all_written():
    """A template whose schema lacks the User -> User object mapping is read as mapping nothing
    (enabled, every action, no attribute mappings): each live attributeMapping (Graph's
    synchronizationSchema: targetAttributeName, source {type, name}, flowType,
    matchingPriority) is then a difference, written in the stack's words (docs/configuration.md
    userMappings), and the object that is live nowhere (Group) is left out."""
    live_schema = {
        "synchronizationRules": [
            {
                "objectMappings": [
                    {
                        "sourceObjectName": "User",
                        "targetObjectName": "User",
                        "enabled": True,
                        "flowTypes": "Add,Update,Delete",
                        "attributeMappings": [
                            {
                                "targetAttributeName": "userName",
                                "source": {"type": "Attribute", "name": "userPrincipalName"},
                                "flowType": "Always",
                                "matchingPriority": 1,
                            },
                            {
                                "targetAttributeName": "title",
                                "source": {"type": "Attribute", "name": "jobTitle"},
                                "flowType": "Always",
                                "matchingPriority": 0,
                            },
                        ],
                    }
                ]
            }
        ]
    }
    live = provisioned({})
    untemplated = LiveApp(**{**live.__dict__, "templates": [TEMPLATE], "job_schema": live_schema})

    config = adopt(untemplated, "adopted").config

    assert config[f"{P}userMappings"] == {
        "mappings": [
            {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": 1},
            {"target": "title", "attribute": "jobTitle"},
        ]
    }
    assert f"{P}groupMappings" not in config


def test_target_object_actions_narrowed_in_the_portal_are_written_in_the_stacks_words():
    """Graph's objectMapping flowTypes "Add,Update" (no Delete) is the portal's Target Object
    Actions without Delete: docs/mappings.md writes it `actions: [create, update]`."""
    from tests.conftest import ASANA_TEMPLATE

    schema = copy.deepcopy(ASANA_TEMPLATE["schema"])
    (rule,) = schema["synchronizationRules"]
    (users,) = [o for o in rule["objectMappings"] if o["sourceObjectName"] == "User"]
    users["flowTypes"] = "Add,Update"
    live = provisioned({})
    changed = LiveApp(**{**live.__dict__, "templates": [ASANA_TEMPLATE], "job_schema": schema})

    config = adopt(changed, "adopted").config

    assert config[f"{P}userMappings"] == {"actions": ["create", "update"]}
    assert f"{P}groupMappings" not in config


ENGINEERING_ONLY = {
    "groups": [{"name": "Engineering only", "clauses": [{
        "operatorName": "EQUALS", "sourceOperandName": "department",
        "targetOperand": {"values": ["Engineering"]}}]}]
}  # fmt: skip
"""A Graph objectMapping `scope` (filter): groups of clauses, each an operatorName, a
sourceOperandName and a targetOperand's values."""


def schemas_with_user_edit(edit_template, edit_live) -> LiveApp:
    """The Asana template and a job schema copied from it, each edited on its User mapping."""
    from tests.conftest import ASANA_TEMPLATE

    template = copy.deepcopy(ASANA_TEMPLATE)
    schema = copy.deepcopy(ASANA_TEMPLATE["schema"])
    for document, edit in ((template["schema"], edit_template), (schema, edit_live)):
        (rule,) = document["synchronizationRules"]
        (users,) = [o for o in rule["objectMappings"] if o["sourceObjectName"] == "User"]
        edit(users)
    live = provisioned({})
    return LiveApp(**{**live.__dict__, "templates": [template], "job_schema": schema})


def test_a_scoping_filter_the_template_already_has_is_not_a_difference():
    """The stack reproduces what is live as the smallest difference from the template: a
    filter the template sets and the job keeps is left to the template."""

    def engineering_only(users: dict) -> None:
        users["scope"] = copy.deepcopy(ENGINEERING_ONLY)

    config = adopt(schemas_with_user_edit(engineering_only, engineering_only), "adopted").config

    assert f"{P}userMappings" not in config


def test_a_mapping_changed_in_the_portal_is_written_alone_and_the_rest_left_to_the_template():
    """docs/adopt.md: mappings only changed (none removed) are written as the difference; the
    Asana template maps title from jobTitle (flowType Always, not matching), the job from
    department."""

    def title_from_department(users: dict) -> None:
        (title,) = [m for m in users["attributeMappings"] if m["targetAttributeName"] == "title"]
        title["source"] = {"type": "Attribute", "name": "department", "parameters": []}

    config = adopt(schemas_with_user_edit(lambda _: None, title_from_department), "adopted").config

    assert config[f"{P}userMappings"] == {
        "mappings": [{"target": "title", "attribute": "department"}]
    }


# --- the import file: Pulumi's import file schema (a `nameTable` of name -> URN for parents,
# and `resources` of type, name, id, parent:
# https://www.pulumi.com/docs/iac/guides/migration/import/#import-file-schema), each id in the
# import format terraform-provider-azuread documents (docs/resources/*.md "Import"), and each
# name the one AsanaEnterpriseApp declares (components.asana_app).

GALLERY = "a0b1c2d3-e4f5-4607-8819-2a3b4c5d6e7f"
GROUP_ID = "c0ffee00-0000-4000-8000-000000000001"
USER_ID = "c0ffee00-0000-4000-8000-000000000002"


def test_the_import_file_lists_each_live_resource_by_type_name_id_and_parent():
    live = with_sso(["https://asana.contoso.example/"], ["https://asana.contoso.example/saml"])
    everything = LiveApp(
        **{
            **live.__dict__,
            "application": {**live.application, "applicationTemplateId": GALLERY},
            "assignments": [
                {
                    "id": "Grp-assignment-A",
                    "principalId": GROUP_ID,
                    "principalType": "Group",
                    "appRoleId": DEFAULT_ACCESS,
                },
                {
                    "id": "Usr-assignment-B",
                    "principalId": USER_ID,
                    "principalType": "User",
                    "appRoleId": DEFAULT_ACCESS,
                },
            ],
            "jobs": [JOB],
            "templates": [TEMPLATE],
        }
    )
    certificate = certificate_name("asana", SigningCertificate("CN=New", None), secret=False)

    import_file = adopt(everything, "adopted").import_file

    component = (
        "urn:pulumi:adopted::asana-provisioning::asana-provisioning:index:AsanaEnterpriseApp"
    )
    assert import_file["nameTable"] == {"asana": f"{component}::asana"}
    assert import_file["resources"] == [
        {"type": "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
         "name": "asana-app",
         "id": f"/applicationTemplates/{GALLERY}/instantiate/{APP}/{SP}", "parent": "asana"},
        {"type": "azuread:index/servicePrincipal:ServicePrincipal",
         "name": "asana-service-principal", "id": f"/servicePrincipals/{SP}", "parent": "asana"},
        {"type": "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri",
         "name": "asana-saml-identifier",
         # base64 (RFC 4648 §4) of https://asana.contoso.example/
         "id": f"/applications/{APP}/identifierUris/aHR0cHM6Ly9hc2FuYS5jb250b3NvLmV4YW1wbGUv",
         "parent": "asana"},
        {"type": "azuread:index/applicationRedirectUris:ApplicationRedirectUris",
         "name": "asana-saml-reply-url", "id": f"/applications/{APP}/redirectUris/Web",
         "parent": "asana"},
        {"type": "azuread:index/servicePrincipalTokenSigningCertificate:"
                 "ServicePrincipalTokenSigningCertificate",
         "name": certificate,
         "id": f"{SP}/tokenSigningCertificate/22222222-0000-4000-8000-000000000002",
         "parent": "asana"},
        {"type": "azuread:index/appRoleAssignment:AppRoleAssignment",
         "name": assignment_name("asana", Principal("group", GROUP_ID)),
         "id": f"/servicePrincipals/{SP}/appRoleAssignedTo/Grp-assignment-A", "parent": "asana"},
        {"type": "azuread:index/appRoleAssignment:AppRoleAssignment",
         "name": assignment_name("asana", Principal("user", USER_ID)),
         "id": f"/servicePrincipals/{SP}/appRoleAssignedTo/Usr-assignment-B", "parent": "asana"},
        {"type": "azuread:index/synchronizationJob:SynchronizationJob",
         "name": "asana-provisioning-job",
         "id": f"/servicePrincipals/{SP}/synchronization/jobs/{JOB['id']}", "parent": "asana"},
    ]  # fmt: skip
    assert certificate.startswith("asana-saml-signing-certificate-cn-new-")
    assert assignment_name("asana", Principal("group", GROUP_ID)) == f"asana-group-{GROUP_ID}"
    assert assignment_name("asana", Principal("user", USER_ID)) == f"asana-user-{USER_ID}"


def _scope(filter_: dict | None):
    def edit(users: dict) -> None:
        if filter_ is not None:
            users["scope"] = copy.deepcopy(filter_)

    return edit


@pytest.mark.parametrize(
    ("template_scope", "live_scope", "expected"),
    [
        (
            None,
            ENGINEERING_ONLY,
            [[{"attribute": "department", "operator": "EQUALS", "values": ["Engineering"]}]],
        ),
        (ENGINEERING_ONLY, None, []),
    ],
    ids=["a filter added in the portal", "the template's filter removed in the portal"],
)
def test_a_scoping_filter_changed_in_the_portal_is_written_in_the_stacks_words(
    template_scope, live_scope, expected
):
    """docs/mappings.md: scopingFilter is an OR of groups, each an AND of clauses (attribute,
    operator, values); `scopingFilter: []` removes the template's filter."""
    live = schemas_with_user_edit(_scope(template_scope), _scope(live_scope))

    config = adopt(live, "adopted").config

    assert config[f"{P}userMappings"] == {"scopingFilter": expected}


def test_live_mappings_the_stack_cannot_hold_are_refused_naming_each_by_its_setting_path():
    """docs/mappings.md: name.givenName and externalId are refused as targets (Entra's Asana
    mapping dropped them). A job mapping them cannot be adopted; the refusal names the
    object and each problem as `<path> <why>`, one after another, separated by "; "."""

    def maps_dropped_targets(users: dict) -> None:
        users["attributeMappings"] += [
            {"targetAttributeName": "name.givenName", "flowType": "Always",
             "source": {"type": "Attribute", "name": "givenName"}, "matchingPriority": 0},
            {"targetAttributeName": "externalId", "flowType": "Always",
             "source": {"type": "Attribute", "name": "objectId"}, "matchingPriority": 0},
        ]  # fmt: skip

    with pytest.raises(AdoptionError) as refused:
        adopt(schemas_with_user_edit(lambda _: None, maps_dropped_targets), "adopted")

    message = str(refused.value)
    assert message.startswith("the live user mappings cannot be expressed here: ")
    problems = message.removeprefix("the live user mappings cannot be expressed here: ")
    assert re.fullmatch(
        r"mappings\[\d+\]\.target is 'name\.givenName'.*"
        r"; mappings\[\d+\]\.target is 'externalId'.*",
        problems,
    )


@pytest.mark.parametrize(
    ("base_address", "kept"),
    [
        ("https://app.asana.com/api/1.0/scim/", None),
        ("https://app.asana.com/api/1.0/scim/X", "https://app.asana.com/api/1.0/scim/X"),
    ],
    ids=["asanas own with a trailing slash", "a longer path under asanas"],
)
def test_only_a_trailing_slash_is_forgiven_when_the_tenant_url_is_asanas_own(base_address, kept):
    """Microsoft's Asana provisioning tutorial gives the Tenant URL
    https://app.asana.com/api/1.0/scim: with a trailing slash it is the same URL (left to the
    default), any other path is another one, kept as scimTenantUrl."""
    config = adopt(provisioned({"BaseAddress": base_address}), "adopted").config

    assert config.get(f"{P}scimTenantUrl") == kept
