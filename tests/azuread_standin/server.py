"""The ResourceProvider gRPC service of the azuread STAND-IN (see the package docstring).

It starts the way every Pulumi resource plugin starts: it listens on a loopback port, prints
the port as the first line of stdout, and serves the engine's calls in parallel from a thread
pool (the engine calls resources concurrently, so everything shared is locked or immutable).
What pulumi-terraform-bridge adds to every bridged resource is reproduced here: preview-time
Create/Update return planned state without calling Graph, a create that fails after the object
exists is reported with `ErrorResourceInitFailed` so the engine keeps it, import returns the
inputs, Invoke reports argument problems as CheckFailures, and outputs are secret where the
schema says so or where the input was. Errors are gRPC errors whose text names the Graph
method, path, status and message, scrubbed of every secret in the request and configuration.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf import any_pb2, empty_pb2
from google.rpc import status_pb2
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from clients.http import redact
from rules.urns import resource_type
from tests.azuread_standin import PLUGIN_VERSION, STANDIN_NAME
from tests.azuread_standin.context import Context
from tests.azuread_standin.detailed_diff import diff_response
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.functions import FUNCTIONS
from tests.azuread_standin.graph import configure_logging
from tests.azuread_standin.provider import Provider
from tests.azuread_standin.resources import RESOURCES
from tests.azuread_standin.resources.base import Resource
from tests.azuread_standin.schema_document import schema_document
from tests.azuread_standin.wire import Secret, from_struct, reveal, secret_strings, to_struct

_log = logging.getLogger("azuread-standin.server")
_WORKERS = 32
_SECRET_CONFIG = frozenset({"clientId", "clientSecret", "clientCertificatePassword"})
"""Provider settings pulumi-azuread marks `Secret` (provider/resources.go, `Config`)."""

Response = TypeVar("Response")


class _Status(grpc.Status):
    """A gRPC status with rich details (`grpc-status-details-bin`), as the engine reads them."""

    def __init__(self, code: grpc.StatusCode, details: str, status: status_pb2.Status) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = (("grpc-status-details-bin", status.SerializeToString()),)


class StandinServicer(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, provider: Provider | None = None) -> None:
        self._provider = provider or Provider()
        self.engine_address = ""

    # ----- plumbing -----

    def _resource(self, urn: str, explicit: str, method: str) -> Resource:
        token = explicit or resource_type(urn)
        resource = RESOURCES.get(token)
        if resource is None:
            raise StandinError(
                f"unrecognized resource type ({method}): {token} (this azuread stand-in serves "
                f"only {', '.join(sorted(RESOURCES))})"
            )
        return resource

    def _guard(
        self,
        context: grpc.ServicerContext,
        method: str,
        secrets: Iterable[str],
        work: Callable[[], Response],
    ) -> Response:
        scrub = [*secrets, *self._provider.secrets()]
        try:
            return work()
        except PartialFailure as failure:
            self._abort_init_failed(context, failure, scrub)
        except StandinError as error:
            context.abort(grpc.StatusCode.UNKNOWN, redact(str(error), scrub))
        except Exception as error:  # a bug in the stand-in: say so, keep the traceback local
            _log.error("%s failed:\n%s", method, redact(traceback.format_exc(), scrub))
            context.abort(
                grpc.StatusCode.INTERNAL,
                redact(f"azuread stand-in bug in {method}: {type(error).__name__}: {error}", scrub),
            )
        raise AssertionError("unreachable")  # pragma: no cover - abort raises

    def _abort_init_failed(
        self, context: grpc.ServicerContext, failure: PartialFailure, scrub: Sequence[str]
    ) -> NoReturn:
        message = redact(failure.reason, scrub)
        detail = provider_pb2.ErrorResourceInitFailed(
            id=failure.resource_id,
            properties=to_struct(failure.outputs),
            reasons=[message],
            inputs=to_struct(failure.inputs),
        )
        packed = any_pb2.Any()
        packed.Pack(detail)
        status = status_pb2.Status(
            code=grpc.StatusCode.UNKNOWN.value[0], message=message, details=[packed]
        )
        context.abort_with_status(_Status(grpc.StatusCode.UNKNOWN, message, status))
        raise AssertionError("unreachable")  # pragma: no cover

    # ----- protocol -----

    def Handshake(self, request, context):
        self.engine_address = request.engine_address
        return provider_pb2.ProviderHandshakeResponse(
            accept_secrets=True, accept_resources=False, accept_outputs=False
        )

    def Attach(self, request: plugin_pb2.PluginAttach, context):
        self.engine_address = request.address
        return empty_pb2.Empty()

    def Cancel(self, request, context):
        self._provider.cancelled.set()
        return empty_pb2.Empty()

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=PLUGIN_VERSION)

    def GetSchema(self, request, context):
        if request.version > 1:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "unsupported schema version")
        return provider_pb2.GetSchemaResponse(schema=json.dumps(schema_document()))

    def GetMapping(self, request, context):
        return provider_pb2.GetMappingResponse()

    def GetMappings(self, request, context):
        return provider_pb2.GetMappingsResponse()

    def _context(self, request: Any) -> Context:
        """The provider's context, its consistency waits bounded by the resource's
        `customTimeouts` when the engine sends one (the request's `timeout`, seconds): upstream
        runs each operation under a context whose deadline is the resource's timeout
        (terraform-plugin-sdk's schema.Resource Timeouts), and its waits end there."""
        ctx = self._provider.context()
        timeout = getattr(request, "timeout", 0.0)
        if timeout and timeout > 0:
            return dataclasses.replace(
                ctx, settings=dataclasses.replace(ctx.settings, wait_timeout_seconds=timeout)
            )
        return ctx

    def CheckConfig(self, request, context):
        """As the bridge's CheckConfig answers for pulumi-azuread (provider/resources.go,
        `Config`): `clientId`, `clientSecret` and `clientCertificatePassword` come back secret
        (so state holds them encrypted), and an unset `environment` takes its default, the
        ARM_ENVIRONMENT variable or "public"."""
        news = from_struct(request.news)
        checked = {
            key: Secret(value) if key in _SECRET_CONFIG and not isinstance(value, Secret) else value
            for key, value in news.items()
        }
        if "environment" not in checked:
            checked["environment"] = os.environ.get("ARM_ENVIRONMENT") or "public"
        return provider_pb2.CheckResponse(inputs=to_struct(checked))

    def DiffConfig(self, request, context):
        olds = reveal(from_struct(request.olds))
        news = reveal(from_struct(request.news))
        changed = sorted(key for key in set(olds) | set(news) if olds.get(key) != news.get(key))
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    def Configure(self, request, context):
        args = from_struct(request.args) if request.HasField("args") else {}
        if not args:
            # Older engines send only `variables`, keyed `azuread:config:<name>`.
            args = {
                key.split(":")[-1]: value
                for key, value in request.variables.items()
                if key.startswith("azuread:")
            }

        def work() -> provider_pb2.ConfigureResponse:
            self._provider.configure(args)
            return provider_pb2.ConfigureResponse(
                acceptSecrets=True,
                supportsPreview=True,
                acceptResources=False,
                acceptOutputs=False,
            )

        return self._guard(context, "Configure", secret_strings(args), work)

    def Check(self, request, context):
        news = from_struct(request.news)

        def work() -> provider_pb2.CheckResponse:
            resource = self._resource(request.urn, request.type, "Check")
            outcome = resource.schema.check(news)
            return provider_pb2.CheckResponse(
                inputs=to_struct(outcome.inputs),
                failures=[
                    provider_pb2.CheckFailure(property=name, reason=reason)
                    for name, reason in outcome.failures
                ],
            )

        return self._guard(context, "Check", secret_strings(news), work)

    def Diff(self, request, context):
        olds = from_struct(request.olds)
        news = from_struct(request.news)

        def work() -> provider_pb2.DiffResponse:
            resource = self._resource(request.urn, request.type, "Diff")
            # Element paths (`owners[0]`, `credentials[0].value`) as the bridge names them.
            return diff_response(
                resource.schema, olds, _ignoring(olds, news, request.ignoreChanges)
            )

        return self._guard(context, "Diff", secret_strings([olds, news]), work)

    def Create(self, request, context):
        inputs = from_struct(request.properties)

        def work() -> provider_pb2.CreateResponse:
            resource = self._resource(request.urn, request.type, "Create")
            if request.preview:
                return provider_pb2.CreateResponse(
                    id="", properties=to_struct(resource.schema.preview(inputs))
                )
            ctx = self._context(request)
            _log.info("Create %s", request.urn)
            try:
                resource_id, state = resource.create(ctx, resource.schema.input_values(inputs))
            except PartialFailure as failure:
                raise _with_outputs(failure, resource, inputs) from None
            outputs = resource.schema.outputs(state, inputs)
            return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(outputs))

        return self._guard(context, "Create", secret_strings(inputs), work)

    def Read(self, request, context):
        old_outputs = from_struct(request.properties)
        old_inputs = from_struct(request.inputs)

        def work() -> provider_pb2.ReadResponse:
            resource = self._resource(request.urn, request.type, "Read")
            resource.parse_id(request.id)
            ctx = self._context(request)
            importing = not old_outputs
            live = resource.read(ctx, request.id, reveal(old_outputs))
            if live is None:
                return provider_pb2.ReadResponse()
            outputs = resource.schema.outputs(live, old_inputs)
            inputs = (
                resource.schema.import_inputs(outputs)
                if importing
                else resource.schema.refresh_inputs(old_inputs, outputs)
            )
            return provider_pb2.ReadResponse(
                id=request.id, properties=to_struct(outputs), inputs=to_struct(inputs)
            )

        return self._guard(context, "Read", secret_strings([old_outputs, old_inputs]), work)

    def Update(self, request, context):
        olds = from_struct(request.olds)
        news = from_struct(request.news)

        def work() -> provider_pb2.UpdateResponse:
            resource = self._resource(request.urn, request.type, "Update")
            if request.preview:
                planned = {**olds, **{k: v for k, v in news.items() if v is not None}}
                return provider_pb2.UpdateResponse(
                    properties=to_struct(resource.schema.outputs(planned, news))
                )
            ctx = self._context(request)
            _log.info("Update %s", request.urn)
            kept = _ignoring(olds, news, request.ignoreChanges)
            try:
                state = resource.update(
                    ctx, request.id, reveal(olds), resource.schema.input_values(kept)
                )
            except PartialFailure as failure:
                raise _with_outputs(failure, resource, news) from None
            return provider_pb2.UpdateResponse(
                properties=to_struct(resource.schema.outputs(state, news))
            )

        return self._guard(context, "Update", secret_strings([olds, news]), work)

    def Delete(self, request, context):
        outputs = from_struct(request.properties)

        def work() -> empty_pb2.Empty:
            resource = self._resource(request.urn, request.type, "Delete")
            _log.info("Delete %s", request.urn)
            resource.delete(self._context(request), request.id, reveal(outputs))
            return empty_pb2.Empty()

        return self._guard(context, "Delete", secret_strings(outputs), work)

    def Invoke(self, request, context):
        args = from_struct(request.args)

        def work() -> provider_pb2.InvokeResponse:
            function = FUNCTIONS.get(request.tok)
            if function is None:
                raise StandinError(
                    f"unrecognized data function (Invoke): {request.tok} (this azuread stand-in "
                    f"serves only {', '.join(sorted(FUNCTIONS))})"
                )
            failures = function.check(args)
            if failures:
                return provider_pb2.InvokeResponse(
                    failures=[
                        provider_pb2.CheckFailure(property=name, reason=reason)
                        for name, reason in failures
                    ]
                )
            result = function.invoke(self._provider.context(), reveal(args))
            return provider_pb2.InvokeResponse(**{"return": to_struct(result, keep_secrets=False)})

        return self._guard(context, "Invoke", secret_strings(args), work)

    def Parameterize(self, request, context):
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED, "the azuread stand-in is not a parameterized provider"
        )


def _ignoring(
    olds: dict[str, Any], news: dict[str, Any], ignore_changes: Iterable[str]
) -> dict[str, Any]:
    """The bridge passes `ignoreChanges` to Terraform's diff in Diff and in Update
    (pulumi-terraform-bridge `pkg/tfbridge/provider.go`, `newIgnoreChanges` into
    `shim.DiffOptions`), which drops the ignored attributes' changes: the plan keeps the
    state's value, whether or not the program sets the property (so an ignored `owners` the
    program leaves unset is not emptied). Only whole top-level properties are ignored here."""
    ignored = {path.split(".")[0].split("[")[0] for path in ignore_changes}
    kept = dict(news)
    for key in ignored:
        if key in olds:
            kept[key] = olds[key]
        else:
            kept.pop(key, None)
    return kept


def _with_outputs(failure: PartialFailure, resource: Resource, inputs: dict[str, Any]) -> Any:
    """Attach what the engine needs to record the half-made object."""
    failure.outputs = resource.schema.outputs(failure.state, inputs)
    failure.inputs = {k: v for k, v in inputs.items() if not k.startswith("__")}
    return failure


def serve(provider: Provider | None = None) -> tuple[grpc.Server, int]:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="azuread-standin"),
        options=_GRPC_CHANNEL_OPTIONS,
    )
    servicer = StandinServicer(provider)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def engine_address(argv: Sequence[str]) -> str:
    """The engine passes its address as the last positional argument, after optional logging
    and tracing flags (`--logtostderr`, `-v=N`, `--tracing <endpoint>`, `--logflow`)."""
    positional: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--tracing":
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    return positional[-1] if positional else ""


def main(argv: Sequence[str]) -> int:
    configure_logging()
    _log.info("%s %s starting (engine %s)", STANDIN_NAME, PLUGIN_VERSION, engine_address(argv))
    server, port = serve()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    server.stop(grace=2)
    return 0
