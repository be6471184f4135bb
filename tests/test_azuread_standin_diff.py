"""The stand-in's Diff names each change by its element path, as pulumi-terraform-bridge does
(`pkg/tfbridge/detailed_diff.go`): set elements by index, object-list fields by index and name,
ForceNew anywhere on the path as a _REPLACE kind, and never a value."""

from __future__ import annotations

from typing import Any

from pulumi.runtime.proto import provider_pb2

from tests.azuread_standin.detailed_diff import diff_response, path_key
from tests.azuread_standin.resources.service_principal import ServicePrincipal
from tests.azuread_standin.resources.synchronization_secret import SynchronizationSecret
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.wire import UNKNOWN, Secret

Kind = provider_pb2.PropertyDiff
CLIENT_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
ADA = "0d4e51a6-5c7b-4b39-9d3c-0a8f0b7f2a11"
BOB = "6f0b7a3c-2e9d-4c1a-8a55-1d2f3e4c5b6a"
SECRET_VALUE = "leaked-if-you-see-this"


def principal_diff(olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
    base = {"clientId": CLIENT_ID, "useExisting": True}
    return diff_response(ServicePrincipal.schema, {**base, **olds}, {**base, **news})


def detailed(response: provider_pb2.DiffResponse) -> dict[str, int]:
    return {key: value.kind for key, value in response.detailedDiff.items()}


def test_a_changed_set_element_is_an_update_at_its_index():
    response = principal_diff(
        {"notificationEmailAddresses": ["ops@contoso.com", "sso@contoso.com"]},
        {"notificationEmailAddresses": ["ops@contoso.com", "alerts@contoso.com"]},
    )

    assert detailed(response) == {"notificationEmailAddresses[1]": Kind.UPDATE}
    assert list(response.diffs) == ["notificationEmailAddresses"]
    assert response.hasDetailedDiff and response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == []


def test_an_added_set_element_is_an_add_at_its_index_in_the_new_inputs():
    response = principal_diff({"owners": [ADA]}, {"owners": [BOB, ADA]})

    assert detailed(response) == {"owners[0]": Kind.ADD}
    assert list(response.diffs) == ["owners"]


def test_a_removed_set_element_is_a_delete_at_its_index_in_the_old_state():
    response = principal_diff(
        {"tags": ["WindowsAzureActiveDirectoryIntegratedApp", "HideApp"]},
        {"tags": ["WindowsAzureActiveDirectoryIntegratedApp"]},
    )

    assert detailed(response) == {"tags[1]": Kind.DELETE}


def test_sets_compare_unordered_so_a_reordering_is_no_change():
    response = principal_diff({"owners": [ADA, BOB]}, {"owners": [BOB, ADA]})

    assert response.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert detailed(response) == {}


def test_a_set_removed_as_a_whole_is_a_delete_of_the_property():
    response = principal_diff({"owners": [ADA]}, {})

    assert detailed(response) == {"owners": Kind.DELETE}


def test_a_field_of_an_object_list_is_named_by_index_and_field():
    response = principal_diff(
        {"featureTags": [{"customSingleSignOn": True, "enterprise": False, "hide": True}]},
        {"featureTags": [{"customSingleSignOn": True, "enterprise": True, "hide": True}]},
    )

    assert detailed(response) == {"featureTags[0].enterprise": Kind.UPDATE}


def test_an_unset_block_field_is_terraforms_zero_value_not_a_change():
    response = principal_diff(
        {"featureTags": [{"enterprise": True, "gallery": False, "hide": False}]},
        {"featureTags": [{"enterprise": True, "hide": True}]},
    )

    assert detailed(response) == {"featureTags[0].hide": Kind.UPDATE}


def test_a_changed_secret_credential_is_named_and_its_value_never_appears():
    sp = "/servicePrincipals/5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f"
    olds = {
        "servicePrincipalId": sp,
        "credentials": [
            {"key": "SyncNotificationSettings", "value": Secret('{"Recipients":"a@contoso.com"}')},
            {"key": "SecretToken", "value": Secret("token-1")},
        ],
    }
    news = {
        "servicePrincipalId": sp,
        "credentials": [
            {"key": "SyncNotificationSettings", "value": Secret(SECRET_VALUE)},
            {"key": "SecretToken", "value": Secret("token-1")},
        ],
    }

    response = diff_response(SynchronizationSecret.schema, olds, news)

    assert detailed(response) == {"credentials[0].value": Kind.UPDATE}
    assert list(response.diffs) == ["credentials"] and list(response.replaces) == []
    assert SECRET_VALUE.encode() not in response.SerializeToString()


def test_an_added_object_is_an_add_of_the_element():
    sp = "/servicePrincipals/5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f"
    one = {"key": "BaseAddress", "value": Secret("https://app.asana.com/api/1.0/scim")}
    two = {"key": "SecretToken", "value": Secret("token-1")}
    olds = {"servicePrincipalId": sp, "credentials": [one]}
    news = {"servicePrincipalId": sp, "credentials": [one, two]}

    response = diff_response(SynchronizationSecret.schema, olds, news)

    assert detailed(response) == {"credentials[1]": Kind.ADD}


NESTED = ResourceSchema(
    "test:index/nested:Nested",
    "A schema with ForceNew below the top level.",
    (
        Prop(
            "settings",
            "objects",
            optional=True,
            fields=(
                Prop("region", "string", optional=True, force_new=True),
                Prop("label", "string", optional=True),
            ),
        ),
        Prop("zones", "set", optional=True, force_new=True),
        Prop("name", "string", optional=True),
    ),
)


def test_a_forcenew_nested_field_is_an_update_replace_and_replaces_its_property():
    response = diff_response(
        NESTED,
        {"settings": [{"region": "eu", "label": "a"}]},
        {"settings": [{"region": "us", "label": "a"}]},
    )

    assert detailed(response) == {"settings[0].region": Kind.UPDATE_REPLACE}
    assert list(response.replaces) == ["settings"]
    assert "settings" not in response.stables and "zones" in response.stables


def test_a_plain_field_beside_a_forcenew_one_updates_in_place():
    response = diff_response(
        NESTED,
        {"settings": [{"region": "eu", "label": "a"}]},
        {"settings": [{"region": "eu", "label": "b"}]},
    )

    assert detailed(response) == {"settings[0].label": Kind.UPDATE}
    assert list(response.replaces) == []


def test_an_element_of_a_forcenew_set_replaces():
    response = diff_response(NESTED, {"zones": ["1", "2"]}, {"zones": ["1", "2", "3"]})

    assert detailed(response) == {"zones[2]": Kind.ADD_REPLACE}
    assert list(response.replaces) == ["zones"]


def test_an_added_object_holding_a_forcenew_field_replaces():
    response = diff_response(NESTED, {"settings": []}, {"settings": [{"region": "eu"}]})

    assert detailed(response) == {"settings[0]": Kind.ADD_REPLACE}


def test_an_unknown_new_value_is_an_update_of_the_whole_property():
    response = diff_response(NESTED, {"zones": ["1"]}, {"zones": UNKNOWN})

    assert detailed(response) == {"zones": Kind.UPDATE_REPLACE}


def test_a_scalar_keeps_its_top_level_name_and_kind():
    response = diff_response(NESTED, {}, {"name": "x"})

    assert detailed(response) == {"name": Kind.ADD}


def test_paths_are_written_as_pulumi_writes_them():
    assert path_key(("credentials", 0, "value")) == "credentials[0].value"
    assert path_key(("appRoleIds", "User.Read")) == 'appRoleIds["User.Read"]'
