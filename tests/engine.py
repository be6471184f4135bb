"""Drives our dynamic providers the way the Pulumi engine does, without the engine.

`ProviderServer` starts the SDK's own `python -m pulumi.dynamic` in the project root (where the
engine's `pulumi-resource-pulumi-python` plugin starts it) and talks to it over gRPC.
`EngineResource` plays the engine's part for one resource through preview, up, refresh and
destroy: Configure, Check, Diff, Create, Read, Update and Delete with the properties the engine
would send, including unknown values in a first preview and the secret rules that apply to a
provider that answers Configure with `acceptSecrets: false` (secret wrappers stripped on the way
in, outputs re-marked secret by input name on the way back). Every exchange is recorded so that
tests can scan what crossed the wire.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dill
import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from tests.pickler import serialize_provider
from tests.plugin_process import PluginProcess

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "asana-provisioning"
PROVIDER_KEY = "__provider"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_CALL_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Secret:
    """An input or config value the program marked secret."""

    value: Any


class Unknown:
    """A value the engine does not know yet during preview (an output of an uncreated resource)."""


UNKNOWN = Unknown()


class ProviderError(Exception):
    """The provider process answered a call with an error (its traceback is the details)."""

    def __init__(self, method: str, details: str):
        self.method = method
        self.details = details
        super().__init__(f"{method} failed: {details}")


@dataclass(frozen=True)
class Exchange:
    """One gRPC call as it crossed the wire, rendered as JSON text for scanning."""

    method: str
    request: str
    response: str


class ProviderServer:
    """One `python -m pulumi.dynamic` process, as the engine starts per deployment."""

    def __init__(self, env: Mapping[str, str] | None = None, log_level: str | None = None):
        base_env = os.environ if env is None else env
        process_env = {**base_env, "PULUMI_PROJECT": PROJECT}
        if log_level is None:
            command = [sys.executable, "-u", "-m", "pulumi.dynamic"]
        else:
            # Same module, with Python logging switched on so that tests see every log line.
            bootstrap = (
                "import logging, runpy, sys; "
                f"logging.basicConfig(level=logging.{log_level}, stream=sys.stderr); "
                "runpy.run_module('pulumi.dynamic', run_name='__main__')"
            )
            command = [sys.executable, "-u", "-c", bootstrap]
        self._plugin = PluginProcess(
            command, cwd=PROJECT_ROOT, env=process_env, name="pulumi.dynamic"
        )
        self._stub = self._plugin.stub
        self.exchanges: list[Exchange] = []
        self.accept_secrets = False

    def __enter__(self) -> ProviderServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._plugin.close()

    def stderr_text(self) -> str:
        return self._plugin.stderr_text()

    def configure(self, config: Mapping[str, Any]) -> None:
        """Sends the whole stack config, namespaced, as the engine does for dynamic providers."""
        args = self._struct({key: value for key, value in config.items()}, keep_secrets=True)
        response = self.call("Configure", provider_pb2.ConfigureRequest(args=args))
        self.accept_secrets = response.acceptSecrets

    def call(self, method: str, request: Any) -> Any:
        try:
            response = getattr(self._stub, method)(request, timeout=_CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            details = error.details() or str(error.code())
            self.exchanges.append(Exchange(method, _to_json(request), details))
            raise ProviderError(method, details) from None
        self.exchanges.append(Exchange(method, _to_json(request), _to_json(response)))
        return response

    def _struct(self, values: Mapping[str, Any], *, keep_secrets: bool) -> struct_pb2.Struct:
        """Serializes as the engine would for this provider: secrets kept only if accepted."""
        plain = {key: _engine_value(value, keep_secrets) for key, value in values.items()}
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(rpc.serialize_properties(plain, {}))
        finally:
            loop.close()

    def struct(self, values: Mapping[str, Any]) -> struct_pb2.Struct:
        return self._struct(values, keep_secrets=self.accept_secrets)


def _engine_value(value: Any, keep_secrets: bool) -> Any:
    if isinstance(value, Secret):
        inner = _engine_value(value.value, keep_secrets)
        return {rpc._special_sig_key: _SECRET_SIG, "value": inner} if keep_secrets else inner
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, Mapping):
        return {key: _engine_value(item, keep_secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_engine_value(item, keep_secrets) for item in value]
    return value


def _to_json(message: Any) -> str:
    return json.dumps(json_format.MessageToDict(message), sort_keys=True)


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return rpc.deserialize_properties(struct, keep_unknowns=True)


def provider_blob(provider: ResourceProvider) -> str:
    """The `__provider` value the SDK stores in state for this provider object."""
    return serialize_provider(provider)


def load_provider(blob: str) -> ResourceProvider:
    """What the provider process gets back from state (a dill round trip)."""
    return dill.loads(base64.b64decode(blob))


@dataclass
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass
class DiffOutcome:
    changes: bool | None
    replaces: list[str]
    delete_before_replace: bool


@dataclass
class RefreshOutcome:
    deleted: bool
    diff: DiffOutcome | None
    changed_outputs: dict[str, tuple[Any, Any]]

    @property
    def drift(self) -> bool:
        """What `pulumi refresh --preview-only --expect-no-changes` would fail on."""
        return self.deleted or bool(self.changed_outputs) or bool(self.diff and self.diff.changes)


@dataclass
class EngineResource:
    """The engine's view of one dynamic resource: its checked inputs, id and outputs in state."""

    server: ProviderServer
    provider: ResourceProvider
    type_token: str
    name: str
    secret_inputs: frozenset[str] = frozenset()
    additional_secret_outputs: frozenset[str] = frozenset()
    id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::{PROJECT}::pulumi-python:dynamic/{self.type_token}::{self.name}"

    def _with_provider(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {**values, PROVIDER_KEY: Secret(provider_blob(self.provider))}

    def _mark_secrets(self, values: Mapping[str, Any], secret_keys: Iterable[str]) -> dict:
        keys = set(secret_keys)
        return {
            key: value if isinstance(value, Secret) or key not in keys else Secret(value)
            for key, value in values.items()
        }

    def _from_provider(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        """Outputs as the engine keeps them: re-marked secret by input name (annotateSecrets)."""
        secret_keys = self.secret_inputs | self.additional_secret_outputs | {PROVIDER_KEY}
        return self._mark_secrets(_plain(struct), secret_keys)

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckOutcome:
        request = provider_pb2.CheckRequest(
            urn=self.urn,
            olds=self.server.struct(self._with_provider(olds or {}) if olds else {}),
            news=self.server.struct(self._with_provider(news)),
        )
        response = self.server.call("Check", request)
        inputs = self._mark_secrets(_plain(response.inputs), self.secret_inputs | {PROVIDER_KEY})
        failures = [(failure.property, failure.reason) for failure in response.failures]
        return CheckOutcome(inputs, failures)

    def diff(self, news: Mapping[str, Any]) -> DiffOutcome:
        request = provider_pb2.DiffRequest(
            id=self.id or "",
            urn=self.urn,
            olds=self.server.struct(self.outputs),
            news=self.server.struct(news),
            old_inputs=self.server.struct(self.inputs),
        )
        return _diff_outcome(self.server.call("Diff", request))

    def preview(self, news: Mapping[str, Any]) -> tuple[CheckOutcome, DiffOutcome | None]:
        """`pulumi preview`: Check, and Diff when the resource exists. Nothing is changed."""
        checked = self.check(news, self.inputs if self.id else None)
        if self.id is None or checked.failures:
            return checked, None
        return checked, self.diff(checked.inputs)

    def up(self, news: Mapping[str, Any]) -> DiffOutcome | None:
        """`pulumi up`: Check, then Create, or Diff and Update/replace when something changed."""
        checked = self.check(news, self.inputs if self.id else None)
        if checked.failures:
            raise ProviderError("Check", f"check failures: {checked.failures}")
        if self.id is None:
            self._create(checked.inputs)
            return None
        diff = self.diff(checked.inputs)
        if not diff.changes:
            self.inputs = checked.inputs
        elif diff.replaces:
            old_id, old_outputs = self.id, self.outputs
            self._create(checked.inputs)
            self._delete(old_id, old_outputs)
        else:
            request = provider_pb2.UpdateRequest(
                id=self.id,
                urn=self.urn,
                olds=self.server.struct(self.outputs),
                news=self.server.struct(checked.inputs),
                old_inputs=self.server.struct(self.inputs),
            )
            response = self.server.call("Update", request)
            self.inputs = checked.inputs
            self.outputs = self._from_provider(response.properties)
        return diff

    def _create(self, inputs: dict[str, Any]) -> None:
        request = provider_pb2.CreateRequest(urn=self.urn, properties=self.server.struct(inputs))
        response = self.server.call("Create", request)
        self.id = response.id
        self.inputs = inputs
        self.outputs = self._from_provider(response.properties)

    def refresh(self, *, write_state: bool = True) -> RefreshOutcome:
        """`pulumi refresh`: Read, then the engine's refresh diff (Diff from the live side)."""
        request = provider_pb2.ReadRequest(
            id=self.id or "",
            urn=self.urn,
            properties=self.server.struct(self.outputs),
            inputs=self.server.struct(self.inputs),
        )
        response = self.server.call("Read", request)
        if not response.id:
            if write_state:
                self.id, self.inputs, self.outputs = None, {}, {}
            return RefreshOutcome(deleted=True, diff=None, changed_outputs={})
        live_outputs = self._from_provider(response.properties)
        live_inputs = (
            self._mark_secrets(_plain(response.inputs), self.secret_inputs | {PROVIDER_KEY})
            if response.HasField("inputs")
            else self.inputs
        )
        diff_request = provider_pb2.DiffRequest(
            id=response.id,
            urn=self.urn,
            olds=self.server.struct(live_outputs),
            old_inputs=self.server.struct(live_inputs),
            news=self.server.struct(self.inputs),
        )
        diff = _diff_outcome(self.server.call("Diff", diff_request))
        changed = {
            key: (self.outputs.get(key), live_outputs.get(key))
            for key in set(self.outputs) | set(live_outputs)
            if key != PROVIDER_KEY and self.outputs.get(key) != live_outputs.get(key)
        }
        if write_state:
            self.id, self.inputs, self.outputs = response.id, live_inputs, live_outputs
        return RefreshOutcome(deleted=False, diff=diff, changed_outputs=changed)

    def destroy(self) -> None:
        """`pulumi destroy`: Delete from state alone (outputs carry `__provider`)."""
        assert self.id is not None, "nothing to destroy"
        self._delete(self.id, self.outputs)
        self.id, self.inputs, self.outputs = None, {}, {}

    def _delete(self, id_: str, outputs: Mapping[str, Any]) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_, urn=self.urn, properties=self.server.struct(outputs)
        )
        self.server.call("Delete", request)

    def state(self) -> dict[str, Any]:
        """The resource as a state file holds it: secret values replaced by a ciphertext marker."""
        return {
            "id": self.id,
            "inputs": _redact_secrets(self.inputs),
            "outputs": _redact_secrets(self.outputs),
        }


def _diff_outcome(response: Any) -> DiffOutcome:
    changes = {
        provider_pb2.DiffResponse.DIFF_SOME: True,
        provider_pb2.DiffResponse.DIFF_NONE: False,
    }.get(response.changes)
    return DiffOutcome(changes, list(response.replaces), response.deleteBeforeReplace)


def _redact_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: {"secure": "<ciphertext>"} if isinstance(value, Secret) else value
        for key, value in values.items()
    }
