"""A resource's customTimeouts bound the stand-in's consistency waits, as the resource's timeout
bounds upstream's context (the engine sends it as the request's `timeout`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.azuread_standin_fixtures import (
    PluginError,
    StandinPlugin,
    encode,
    plugin_environment,
)
from tests.conftest import Tenant
from tests.emulator import Emulator
from tests.emulator.faults import Fault
from tests.test_azuread_standin import JOB, gallery_app, provider_config

ENVIRONMENT_WAIT = "2"  # AZUREAD_STANDIN_WAIT_TIMEOUT_SECONDS of the test plugin


@pytest.fixture
def standin(emulator: Emulator, tenant: Tenant) -> Iterator[StandinPlugin]:
    with StandinPlugin(plugin_environment(emulator.ca_bundle_path)) as plugin:
        plugin.configure(provider_config(emulator, tenant))
        yield plugin


def create_job(standin: StandinPlugin, principal: str, timeout: float) -> None:
    standin.call(
        "Create",
        provider_pb2.CreateRequest(
            urn=f"urn:pulumi:test::p::{JOB}::job",
            type=JOB,
            properties=encode({"servicePrincipalId": principal, "templateId": "asana"}),
            timeout=timeout,
        ),
    )


@pytest.mark.parametrize(
    ("timeout", "says"), [(1.0, "after 1 s"), (0.0, f"after {ENVIRONMENT_WAIT} s")]
)
def test_a_custom_timeout_bounds_the_wait_for_consistency(standin, emulator, timeout, says):
    app = gallery_app(standin)
    emulator.inject(
        Fault.status(404), service="graph", method="GET", path=r"/synchronization/jobs/", times=1000
    )

    with pytest.raises(PluginError) as raised:
        create_job(standin, app.outputs["servicePrincipalId"], timeout)

    assert f"timed out {says} waiting for creation" in raised.value.details
