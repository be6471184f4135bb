"""Runs `__main__.py` under Pulumi's mocks with a stack's configuration, recording everything.

The configuration is given to the program the way the engine gives it: flat `namespace:key`
strings (structured values as JSON), with the secret keys listed. The recording monitor keeps
what a mock `Mocks.new_resource` cannot see: each resource's URN, parent, dependencies and
secret inputs, and the stack's exported outputs.
"""

from __future__ import annotations

import dataclasses
import json
import runpy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import ROOT, SETTINGS, get_root_resource
from pulumi.runtime.sync_await import _sync_await

from components import principal_lookup
from components.principal_lookup import ObjectIds
from tests.pickler import restored_after_each_resource

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "asana-provisioning"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
STACK_FILES = sorted((PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml"))
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SIGNING_CERTIFICATE = (
    "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate"
)
ASANA_ROLES = [
    {
        "displayName": "User",
        "value": "User",
        "id": "18d14569-c3bd-439b-9a66-3a2aee01d14f",
        "allowedMemberTypes": ["User"],
        "description": "User",
        "enabled": True,
    },
    {
        "displayName": "msiam_access",
        "value": "",
        "id": "b9632174-c057-4f7e-951b-be3adc52bfe6",
        "allowedMemberTypes": ["User"],
        "description": "msiam_access",
        "enabled": True,
    },
]


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def load_stack_file(path: Path) -> tuple[dict[str, str], set[str]]:
    """A stack file's config as the engine passes it; `secure:` values stand in as secrets."""
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = f"decrypted-{full_key}"
            secret_keys.add(full_key)
        else:
            config[full_key] = engine_string(value)
    return config, secret_keys


def engine_string(value: Any) -> str:
    """Config values reach programs as strings; lists and objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


class AzureAdMocks(pulumi.runtime.Mocks):
    """State shaped like what pulumi-azuread and our providers return after a create."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        object_id = stable_id(args.typ, args.name)
        state = dict(args.inputs)
        if args.typ == "azuread:index/applicationFromTemplate:ApplicationFromTemplate":
            sp_object_id = stable_id("sp", args.name)
            state.update(
                applicationId=f"/applications/{object_id}",
                applicationObjectId=object_id,
                servicePrincipalId=f"/servicePrincipals/{sp_object_id}",
                servicePrincipalObjectId=sp_object_id,
            )
            return f"/applicationTemplates/x/instantiate/{object_id}/{sp_object_id}", state
        if args.typ == "azuread:index/servicePrincipal:ServicePrincipal":
            state.update(objectId=object_id, appRoles=ASANA_ROLES)
            return f"/servicePrincipals/{object_id}", state
        if args.typ == "pulumi-python:dynamic/asana:ServiceAccountToken":
            state.update(fingerprint="sha256:0123456789ab", accepted=True)
            state.setdefault("scim_base_url", "https://app.asana.com/api/1.0/scim")
        if args.typ == "pulumi-python:dynamic/asana:ProvisioningTemplate":
            state.update(template_id="asana", factory_tag="asana")
        if args.typ == SIGNING_CERTIFICATE:
            state.update(thumbprint="0A1B2C3D4E5F60718293A4B5C6D7E8F901234567", keyId=object_id)
        return object_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        token, inputs = args.token, args.args
        if token == "azuread:index/getApplicationTemplate:getApplicationTemplate":
            template_id = stable_id("template", str(inputs.get("displayName")))
            return {
                "templateId": template_id,
                "displayName": inputs.get("displayName"),
                "id": template_id,
            }
        if token == "azuread:index/getApplication:getApplication":
            return {"clientId": stable_id("client", str(inputs.get("objectId"))), **inputs}
        if token == "azuread:index/getGroup:getGroup":
            return {"objectId": stable_id("group", str(inputs.get("displayName"))), **inputs}
        if token == "azuread:index/getUser:getUser":
            return {"objectId": stable_id("user", str(inputs.get("userPrincipalName"))), **inputs}
        if token == "azuread:index/getClientConfig:getClientConfig":
            return {"tenantId": TENANT_ID, "clientId": stable_id("me"), "objectId": stable_id("me")}
        raise AssertionError(f"the program made an unexpected call: {token}")


@dataclass(frozen=True)
class Registered:
    urn: str
    type: str
    name: str
    parent: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    secret_outputs: tuple[str, ...]
    stack_trace: tuple[str, ...] = ()
    """The source positions (`file:///…#line`) the SDK sent with the registration, innermost
    first: the engine keeps them in the resource's state (`stackTrace`)."""
    outputs: dict[str, Any] | None = None
    """A component's registered outputs (`register_outputs`), once the program sent them."""
    provider: str = ""
    """The provider reference (`urn::id`) the resource named; empty for the default one."""


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, mocks_: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks_)
        self.registered: list[Registered] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registered(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    dependencies=tuple(request.dependencies),
                    property_dependencies={
                        key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()
                    },
                    inputs=rpc.deserialize_properties(request.object),
                    secret_outputs=tuple(request.additionalSecretOutputs),
                    stack_trace=tuple(frame.pc.uri for frame in request.stackTrace.frames),
                    provider=request.provider,
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        """A component's outputs, kept with its registration: stack policies read them (the
        engine's AnalyzeStack gives a resource's outputs, not its inputs)."""
        outputs = rpc.deserialize_properties(request.outputs)
        for index, resource in enumerate(self.registered):
            if resource.urn == request.urn:
                self.registered[index] = dataclasses.replace(resource, outputs=outputs)
        return super().RegisterResourceOutputs(request)


@dataclass
class ProgramRun:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    exported: dict[str, Any] = field(default_factory=dict)
    """The stack outputs as the engine receives them: secrets still wrapped (`is_secret_value`)."""

    def of_type(self, type_: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.type == type_]

    def one(self, type_: str) -> Registered:
        (resource,) = self.of_type(type_)
        return resource

    def by_urn(self, urn: str) -> Registered:
        return next(resource for resource in self.resources if resource.urn == urn)


class EveryIdExists:
    """The directory the program checks object ids in (`components.principal_lookup`), when a
    test does not give its own: every id names an object of the collection asked."""

    def existing_ids(self, collection: str, ids: Sequence[str]) -> list[str]:
        return list(ids)


def run_main() -> None:
    runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__")


def run_program(
    config: Mapping[str, str],
    secret_keys: set[str],
    stack: str = "dev",
    preview: bool = False,
    main: Callable[[], None] = run_main,
    directory: Callable[[], ObjectIds] = EveryIdExists,
) -> ProgramRun:
    """Runs the program (`__main__.py` unless told otherwise) once, with `directory` in place
    of the stack's tenant; an error it raises (bad settings) is kept in `error`."""
    monitor = RecordingMonitor(AzureAdMocks())
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    pulumi.runtime.set_mocks(
        monitor.mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor
    )
    ROOT.set(None)  # the program's run makes its own root stack resource, as below
    outputs: dict[str, Any] = {}
    wire: dict[str, Any] = {}

    async def run_and_read() -> None:
        # As our language host runs a program (engine/bin/pulumi-language-python-exec):
        # `run_in_stack` runs the module's code, then awaits the entry point it gave
        # `pulumi.run`, then registers the stack's outputs.
        await pulumi.runtime.run_in_stack(main)
        exported = get_root_resource().outputs  # type: ignore[union-attr]
        await _wire_form(exported, wire)
        values = await pulumi.Output.all(**exported).future()  # None at preview if unknown
        outputs.update(values or {})

    try:
        with (
            restored_after_each_resource(),
            patch.object(principal_lookup, "stack_directory", directory),
        ):
            # Not `pulumi.runtime.test`, which waits for every output, the one awaiting the run
            # too; what it clears first, a run before this one may have left.
            SETTINGS.rpc_manager.clear()
            SETTINGS.outputs.clear()
            _sync_await(run_and_read())
    except Exception as error:
        return ProgramRun(resources=monitor.registered, error=error)
    return ProgramRun(resources=monitor.registered, outputs=outputs, exported=wire)


async def _wire_form(exported: Mapping[str, Any], into: dict[str, Any]) -> None:
    """Serializes the stack outputs as the SDK sends them, so nested secrets stay marked."""
    struct = await rpc.serialize_properties(dict(exported), {})
    into.update(json_format.MessageToDict(struct))


def is_secret_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == SECRET_SIG
