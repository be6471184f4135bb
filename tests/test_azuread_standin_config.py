"""The stand-in's CheckConfig as the bridge answers it for pulumi-azuread: the client id and
secrets come back secret (so state holds them encrypted) and `environment` defaults to "public"
(pulumi-azuread provider/resources.go, `Config`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.azuread_standin_fixtures import Secret, StandinPlugin, decode, encode, plugin_environment
from tests.conftest import CLIENT_ID, TENANT_ID
from tests.emulator import Emulator

URN = "urn:pulumi:test::p::pulumi:providers:azuread::default"


@pytest.fixture
def standin(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinPlugin]:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        yield plugin


def check_config(standin: StandinPlugin, news: dict) -> dict:
    response = standin.call(
        "CheckConfig", provider_pb2.CheckRequest(urn=URN, olds=encode({}), news=encode(news))
    )
    return decode(response.inputs)


def test_the_client_id_and_secret_come_back_secret_and_the_tenant_plain(standin):
    checked = check_config(
        standin, {"tenantId": TENANT_ID, "clientId": CLIENT_ID, "clientSecret": "s3cret"}
    )

    assert isinstance(checked["clientId"], Secret) and isinstance(checked["clientSecret"], Secret)
    assert checked["tenantId"] == TENANT_ID


def test_an_unset_environment_is_public_and_a_set_one_is_kept(standin):
    assert check_config(standin, {"tenantId": TENANT_ID})["environment"] == "public"
    assert check_config(standin, {"environment": "china"})["environment"] == "china"
