"""Drives the azuread STAND-IN plugin the way the Pulumi engine does, for its tests.

`StandinPlugin` starts `tests/azuread_standin/bin/pulumi-resource-azuread` as the engine starts
a resource plugin (an executable given the engine's address, answering with its port on the
first stdout line) and talks ResourceProvider gRPC to it. `Managed` plays the engine's part for
one resource through preview, up, refresh, import and destroy. Property values are encoded and
decoded here with the protocol's own signatures, independently of the stand-in's `wire` module,
so a mistake there cannot hide itself. Every exchange is kept for secret scans.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from tests.engine import Exchange
from tests.plugin_process import PluginProcess

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLUGIN = PROJECT_ROOT / "tests" / "azuread_standin" / "bin" / "pulumi-resource-azuread"
ENGINE_ADDRESS = "127.0.0.1:1"
"""Nothing listens there: the stand-in takes the address but never calls the engine back."""

_SIG = "4dabf18193072939515e22adb298388d"
_SECRET = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_CALL_TIMEOUT_SECONDS = 60

FAST_POLLS = {
    "AZUREAD_STANDIN_POLL_INTERVAL_SECONDS": "0.01",
    "AZUREAD_STANDIN_WAIT_TIMEOUT_SECONDS": "2",
    "AZUREAD_STANDIN_HTTP_TIMEOUT_SECONDS": "5",
    "AZUREAD_STANDIN_RETRY_BUDGET_SECONDS": "10",
    "AZUREAD_STANDIN_RETRY_WAIT_SCALE": "0.001",
}
"""Upstream's 5 s polls and 1-61 s retry waits scaled down; the 10 s operation timeout allows
go-azure-sdk's 2 retries (`safeRetryNumber(10)`)."""


@dataclass(frozen=True)
class Secret:
    value: Any


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def encode(values: Mapping[str, Any]) -> struct_pb2.Struct:
    def walk(value: Any) -> Any:
        if isinstance(value, Secret):
            return {_SIG: _SECRET, "value": walk(value.value)}
        if value is UNKNOWN:
            return _UNKNOWN
        if isinstance(value, Mapping):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [walk(item) for item in value]
        return value

    struct = struct_pb2.Struct()
    struct.update({key: walk(value) for key, value in values.items()})
    return struct


def decode(struct: struct_pb2.Struct) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if value == _UNKNOWN:
            return UNKNOWN
        if isinstance(value, dict):
            if value.get(_SIG) == _SECRET:
                return Secret(walk(value.get("value")))
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    return {key: walk(value) for key, value in json_format.MessageToDict(struct).items()}


def plain(value: Any) -> Any:
    """`value` with secret markers removed."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class PluginError(Exception):
    def __init__(self, method: str, code: grpc.StatusCode, details: str, init_failed: Any):
        self.method = method
        self.code = code
        self.details = details
        self.init_failed = init_failed
        """The `ErrorResourceInitFailed` detail, when the error carried one."""
        super().__init__(f"{method} failed ({code.name}): {details}")


class StandinPlugin:
    """One stand-in plugin process."""

    def __init__(
        self, env: Mapping[str, str], cwd: Path = PROJECT_ROOT, args: tuple[str, ...] = ()
    ) -> None:
        self._plugin = PluginProcess(
            [str(PLUGIN), *args, ENGINE_ADDRESS], cwd=cwd, env=env, name="the stand-in"
        )
        self._stub = self._plugin.stub
        self.exchanges: list[Exchange] = []

    def __enter__(self) -> StandinPlugin:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._plugin.close()

    def stderr_text(self) -> str:
        return self._plugin.stderr_text()

    def call(self, method: str, request: Any) -> Any:
        try:
            response = getattr(self._stub, method)(request, timeout=_CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            details = error.details() or ""
            self.exchanges.append(Exchange(method, _json(request), details))
            raise PluginError(method, error.code(), details, _init_failed(error)) from None
        self.exchanges.append(Exchange(method, _json(request), _json(response)))
        return response

    def configure(self, config: Mapping[str, Any]) -> provider_pb2.ConfigureResponse:
        """As the engine configures a default provider: CheckConfig, then Configure with the
        checked `azuread:` settings as args (and as `variables`)."""
        checked = self.call(
            "CheckConfig",
            provider_pb2.CheckRequest(urn=_provider_urn(), olds=encode({}), news=encode(config)),
        )
        variables = {f"azuread:config:{k}": json.dumps(plain(v)) for k, v in config.items()}
        return self.call(
            "Configure",
            provider_pb2.ConfigureRequest(
                args=checked.inputs, variables=variables, acceptSecrets=True, acceptResources=True
            ),
        )

    def invoke(self, token: str, args: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        response = self.call("Invoke", provider_pb2.InvokeRequest(tok=token, args=encode(args)))
        failures = [(f.property, f.reason) for f in response.failures]
        returned = decode(getattr(response, "return")) if response.HasField("return") else {}
        return returned, failures


def _json(message: Any) -> str:
    return json.dumps(json_format.MessageToDict(message), sort_keys=True)


def _provider_urn() -> str:
    return "urn:pulumi:test::asana-provisioning::pulumi:providers:azuread::default"


def _init_failed(error: grpc.RpcError) -> Any:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                found = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(found):
                    return found
    return None


@dataclass
class CheckResult:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass
class DiffResult:
    changes: bool
    replaces: list[str]
    detailed: dict[str, int]


@dataclass
class RefreshResult:
    deleted: bool
    changed: dict[str, tuple[Any, Any]]
    diff: DiffResult | None


@dataclass
class Managed:
    """The engine's record of one resource of the stand-in: checked inputs, id and outputs."""

    plugin: StandinPlugin
    token: str
    name: str
    id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        kind = self.token
        return f"urn:pulumi:test::asana-provisioning::{kind}::{self.name}"

    def check(self, news: Mapping[str, Any]) -> CheckResult:
        response = self.plugin.call(
            "Check",
            provider_pb2.CheckRequest(urn=self.urn, olds=encode(self.inputs), news=encode(news)),
        )
        return CheckResult(
            decode(response.inputs), [(f.property, f.reason) for f in response.failures]
        )

    def diff(self, news: Mapping[str, Any], ignore_changes: tuple[str, ...] = ()) -> DiffResult:
        response = self.plugin.call(
            "Diff",
            provider_pb2.DiffRequest(
                id=self.id or "",
                urn=self.urn,
                olds=encode(self.outputs),
                news=encode(news),
                old_inputs=encode(self.inputs),
                ignoreChanges=list(ignore_changes),
            ),
        )
        return DiffResult(
            response.changes == provider_pb2.DiffResponse.DIFF_SOME,
            list(response.replaces),
            {key: value.kind for key, value in response.detailedDiff.items()},
        )

    def preview_create(self, news: Mapping[str, Any]) -> dict[str, Any]:
        checked = self._checked(news)
        response = self.plugin.call(
            "Create",
            provider_pb2.CreateRequest(urn=self.urn, properties=encode(checked), preview=True),
        )
        return decode(response.properties)

    def up(
        self, news: Mapping[str, Any], ignore_changes: tuple[str, ...] = ()
    ) -> DiffResult | None:
        """Check, then Create; or Diff and Update (or create-then-delete replacement), with the
        resource option `ignoreChanges` passed as the engine passes it."""
        checked = self._checked(news)
        if self.id is None:
            self._create(checked)
            return None
        diff = self.diff(checked, ignore_changes)
        if not diff.changes:
            self.inputs = checked
        elif diff.replaces:
            old_id, old_outputs = self.id, self.outputs
            self._create(checked)
            self._delete(old_id, old_outputs)
        else:
            response = self.plugin.call(
                "Update",
                provider_pb2.UpdateRequest(
                    id=self.id,
                    urn=self.urn,
                    olds=encode(self.outputs),
                    news=encode(checked),
                    old_inputs=encode(self.inputs),
                    ignoreChanges=list(ignore_changes),
                ),
            )
            self.inputs = checked
            self.outputs = decode(response.properties)
        return diff

    def _checked(self, news: Mapping[str, Any]) -> dict[str, Any]:
        checked = self.check(news)
        if checked.failures:
            raise AssertionError(f"check failures: {checked.failures}")
        return checked.inputs

    def _create(self, inputs: dict[str, Any]) -> None:
        response = self.plugin.call(
            "Create", provider_pb2.CreateRequest(urn=self.urn, properties=encode(inputs))
        )
        self.id = response.id
        self.inputs = inputs
        self.outputs = decode(response.properties)

    def refresh(self) -> RefreshResult:
        """Read with the state's outputs and inputs; the engine then diffs the live state."""
        assert self.id is not None
        response = self.plugin.call(
            "Read",
            provider_pb2.ReadRequest(
                id=self.id,
                urn=self.urn,
                properties=encode(self.outputs),
                inputs=encode(self.inputs),
            ),
        )
        if not response.id:
            self.id, self.inputs, self.outputs = None, {}, {}
            return RefreshResult(True, {}, None)
        live = decode(response.properties)
        changed = {
            key: (self.outputs.get(key), live.get(key))
            for key in set(self.outputs) | set(live)
            if self.outputs.get(key) != live.get(key)
        }
        self.outputs = live
        self.inputs = decode(response.inputs) if response.HasField("inputs") else self.inputs
        return RefreshResult(False, changed, None)

    def import_(self, resource_id: str) -> dict[str, Any]:
        """`pulumi import`: Read by id alone; returns the inputs the plugin extracted."""
        response = self.plugin.call("Read", provider_pb2.ReadRequest(id=resource_id, urn=self.urn))
        if not response.id:
            raise AssertionError(f"{resource_id} was not found")
        self.id = response.id
        self.outputs = decode(response.properties)
        self.inputs = decode(response.inputs)
        return self.inputs

    def destroy(self) -> None:
        assert self.id is not None
        self._delete(self.id, self.outputs)
        self.id, self.inputs, self.outputs = None, {}, {}

    def _delete(self, resource_id: str, outputs: dict[str, Any]) -> None:
        self.plugin.call(
            "Delete",
            provider_pb2.DeleteRequest(id=resource_id, urn=self.urn, properties=encode(outputs)),
        )


def plugin_environment(ca_bundle: str, **extra: str) -> dict[str, str]:
    """The environment the engine gives a plugin: ours minus ambient credentials, trusting the
    emulator's CA only through SSL_CERT_FILE (as the Go plugin would), fast polls."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ARM_", "AZURE_", "AZUREAD_STANDIN_", "REQUESTS_CA_BUNDLE"))
        and key not in ("SSL_CERT_FILE", "PULUMI_RUNTIME_VIRTUALENV")
    }
    env.update(FAST_POLLS)
    env["SSL_CERT_FILE"] = ca_bundle
    env.update(extra)
    return env
