"""The program run under Pulumi's mocks, with stack config loaded as the engine passes it."""

from __future__ import annotations

import runpy
from pathlib import Path

import pulumi
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
TOKEN = "2/1234/5678:not-a-real-token"


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> RecordingMocks:
    recorder = RecordingMocks()
    pulumi.runtime.set_all_config(
        {"asana-provisioning:asanaToken": TOKEN}, ["asana-provisioning:asanaToken"]
    )
    pulumi.runtime.set_mocks(recorder, project="asana-provisioning", stack="dev", preview=False)
    monkeypatch.chdir(PROJECT_ROOT)
    return recorder


def test_program_declares_the_token_resource_with_a_secret_token(recorder: RecordingMocks):
    @pulumi.runtime.test
    def run_program():
        namespace = runpy.run_path(str(PROJECT_ROOT / "__main__.py"))
        return namespace["token"].urn

    run_program()

    (token,) = recorder.resources
    assert token.typ == "pulumi-python:dynamic/asana:ServiceAccountToken"
    assert token.inputs["token"] == {"4dabf18193072939515e22adb298388d": SECRET_SIG, "value": TOKEN}
    assert token.inputs["__provider"]["4dabf18193072939515e22adb298388d"] == SECRET_SIG
    assert "scim_base_url" not in token.inputs  # the provider's check applies the default
