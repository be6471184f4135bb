"""`ProvisioningAttributeMappings`: one object mapping of a provisioning job's schema, as code.

Create and update are a read-modify-write of the whole schema (Graph refuses PATCH): one GET;
then, only when something differs, one parseExpression per expression source being written (a
target the schema lacks or an expression Graph cannot parse stops here, before any write), one
PUT and one GET that checks the write is live. A job whose schema already matches is adopted
without a write. Read is one GET and reports the managed part as it is live, so a refresh shows
exactly which mapping someone changed in the portal. Delete puts back only this resource's
object mapping as the job's template has it.

The user and the group mappings are two resources on one job's schema; every read-modify-write
of a job's schema in this process (create, update, delete) holds that job's lock from the read
to the check after the write (`schema_lock`), so neither can undo the other. A PUT whose reply
was lost is confirmed by reading before it is ever sent again (`schema_io.write_checked`).

With `restart_on_change`, a write is followed by a restart of the job. A restart that fails
after the write landed is recorded (`restart_pending: true` in the outputs) rather than
failing the step: failing would keep the old state, and the next `up`, finding the mappings
already live, would have nothing to write and so no reason to restart. With the flag recorded,
the next preview shows an update and the next `up` restarts the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from clients import schema_io
from clients.graph import GraphClient
from clients.http import ServiceError
from providers.base import ConfiguredProvider
from providers.inputs import (
    contains_unknown,
    failure_for_job_id,
    failure_for_service_principal,
    failures,
    is_unknown,
)
from providers.schema_lock import job_schema_lock
from rules import mapping_spec, schema_edit, schema_targets
from rules.identifiers import job_id_of
from rules.mapping_spec import from_wire, to_wire

_IDENTITY = ("service_principal_id", "job_id", "kind", "source_object", "target_object")
_RECORDED_ONLY = ("managed_targets", "restart_pending")
"""Outputs that are not inputs: what read needs, and a restart still owed."""
_OTHER_WRITER = (
    "This provider serializes its own changes to a job's schema, so the other writer was "
    "outside this deployment (another stack or script managing the same job, or the portal); "
    "nothing was recorded for this resource: run `pulumi up` again"
)


_RERUN = (
    "Nothing was recorded for this resource: run the command again (`pulumi up` or "
    "`pulumi destroy`); it reads the schema first and writes only what is not live"
)


class AttributeMappingError(Exception):
    """The mappings could not be applied; the message names them and the service's reason."""


@dataclass(frozen=True)
class _Managed:
    """What one resource manages, read from its checked properties: the spec (in the stack
    file's words, as `from_wire` gives it) and the job whose schema holds it."""

    spec: dict[str, Any]
    job: schema_io.Job
    kind: mapping_spec.ObjectKind

    @classmethod
    def of(cls, props: dict[str, Any]) -> _Managed:
        job = schema_io.Job(props["service_principal_id"], job_id_of(props["job_id"]))
        return cls(from_wire(props), job, props["kind"])

    @property
    def id(self) -> str:
        return f"{self.job.job_id}/{self.spec['sourceObject']}/{self.spec['targetObject']}"

    @property
    def name(self) -> str:
        return (
            f"the {self.spec['sourceObject']} -> {self.spec['targetObject']} attribute mappings "
            f"of job {self.job.job_id}"
        )


class ProvisioningAttributeMappingsProvider(ConfiguredProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The one check of the spec in the provider: problems name its keys as the stack file
        does (`scopingFilter[0][1].operator`), and the canonical form is what later calls get."""
        inputs = dict(news)
        inputs.setdefault("restart_on_change", False)
        found = failures(
            failure_for_service_principal(news.get("service_principal_id")),
            failure_for_job_id("job_id", news.get("job_id")),
        )
        kind = news.get("kind")
        if not isinstance(kind, str) or kind not in mapping_spec.MATCHING_TARGET:
            found.append(CheckFailure("kind", f"is {kind!r}; allowed: user or group"))
            return CheckResult(inputs, found)
        if not isinstance(inputs["restart_on_change"], bool):
            found.append(CheckFailure("restart_on_change", "must be true or false"))
        raw = from_wire(news)
        if contains_unknown(raw):  # anywhere inside, at a first preview: checked at up
            return CheckResult(inputs, found)
        spec, problems = mapping_spec.normalize(raw, kind)
        found += [CheckFailure(path, message) for path, message in problems]
        inputs.update(to_wire(spec))
        return CheckResult(inputs, found)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [
            prop
            for prop in _IDENTITY
            if is_unknown(news.get(prop)) or news.get(prop) != olds.get(prop)
        ]
        desired, recorded = from_wire(news), from_wire(olds)
        changed = (
            bool(replaces)
            or contains_unknown(desired)
            or desired.get("mode") != recorded.get("mode")
            or news.get("restart_on_change") != olds.get("restart_on_change")
            or bool(olds.get("restart_pending"))
            or bool(schema_edit.changes(desired, recorded))
        )
        return DiffResult(
            changes=changed, replaces=replaces, stables=[], delete_before_replace=True
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        managed = _Managed.of(props)
        return CreateResult(id_=managed.id, outs=self._converge(managed, props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        pending = bool(olds.get("restart_pending"))
        return UpdateResult(outs=self._converge(_Managed.of(news), news, pending))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        managed = _Managed.of(props)
        targets = props.get("managed_targets") or []
        # The desired spec's shape, rebuilt from state: which targets this resource manages.
        desired = {**managed.spec, "mappings": [{"target": target} for target in targets]}
        try:
            schema = schema_io.read_schema(GraphClient(self.connection().graph), managed.job)
        except ServiceError as error:
            if error.status == 404:
                return ReadResult(None, {})
            raise
        try:
            live = schema_edit.live_spec(schema, desired)
        except schema_edit.SchemaEditError as error:
            raise AttributeMappingError(f"reading {managed.name}: {error}") from None
        outs = _outputs(props, live, targets, bool(props.get("restart_pending")))
        inputs = {key: value for key, value in outs.items() if key not in _RECORDED_ONLY}
        return ReadResult(id_, outs, inputs=inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Puts back what this resource manages (its object mapping's attribute mappings,
        scoping filter, enabled switch and actions) as the job's template has it, and nothing
        else: the other object mapping belongs to the other resource."""
        managed = _Managed.of(props)
        job = managed.job
        source, target = managed.spec["sourceObject"], managed.spec["targetObject"]
        writer = schema_io.Writer.of(self.connection().graph)
        graph = writer.graph
        with job_schema_lock(job.service_principal_id, job.job_id):
            try:
                template = schema_io.template_schema(graph, job)
                schema = schema_io.read_schema(graph, job)
            except ServiceError as error:
                if error.status == 404:  # the job, and its schema, are already gone
                    return
                raise
            except schema_io.TemplateNotFound as error:
                raise AttributeMappingError(f"destroying {managed.name}: {error}") from None
            try:
                restored = schema_edit.restore_object_mapping(schema, template, source, target)
            except schema_edit.SchemaEditError as error:
                raise AttributeMappingError(f"destroying {managed.name}: {error}") from None
            if restored == schema:
                return
            try:
                schema_io.write_checked(
                    writer,
                    job,
                    restored,
                    schema,
                    lambda live: schema_edit.restore_differences(live, template, source, target),
                )
            except (schema_io.LostWrite, schema_io.UnconfirmedWrite) as error:
                raise AttributeMappingError(
                    f"destroying {managed.name}: {error}. {_OTHER_WRITER}"
                ) from None
            except (schema_io.MayStillLand, schema_io.WriteInFlight) as error:
                raise AttributeMappingError(
                    f"destroying {managed.name}: {error}. {_RERUN}"
                ) from None

    def _converge(
        self, managed: _Managed, props: dict[str, Any], pending: bool = False
    ) -> dict[str, Any]:
        """The checked spec applied: the check put it in canonical form, so it is used as
        `from_wire` gives it back, not normalized again. `pending`: a restart is still owed
        from an earlier write."""
        desired, job = managed.spec, managed.job
        writer = schema_io.Writer.of(self.connection().graph)
        graph = writer.graph
        with job_schema_lock(job.service_principal_id, job.job_id):
            schema = schema_io.read_schema(graph, job)
            updated = _edited(graph, managed, schema)
            live = schema if updated == schema else _written(writer, managed, schema, updated)
        # The component asks for restarts only while the stack wants the job running, so a
        # restart owed to a job since turned off is dropped with the flag.
        restart_pending = bool(props.get("restart_on_change")) and (updated != schema or pending)
        if restart_pending:
            try:
                # As the portal's "Restart provisioning": restart criteria left empty.
                graph.post(job.path("restart"), {"criteria": {}})
                restart_pending = False
            except ServiceError:
                pass  # recorded in the outputs; the next `up` restarts
        targets = [mapping["target"] for mapping in desired["mappings"]]
        return _outputs(props, schema_edit.live_spec(live, desired), targets, restart_pending)


def _edited(graph: GraphClient, managed: _Managed, schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the spec applied; targets checked against the schema and expressions
    parsed by Graph first, so a refusal writes nothing."""
    desired = managed.spec
    try:
        schema_targets.check_targets(schema, desired)
        to_parse = schema_edit.expressions_to_parse(schema, desired)
    except schema_edit.SchemaEditError as error:
        raise AttributeMappingError(f"{managed.name}: {error}") from None
    parsed: dict[str, dict[str, Any]] = {}
    for index, expression in to_parse:
        try:
            parsed[expression] = schema_io.parse_expression(graph, managed.job, expression)
        except (schema_io.ExpressionRejected, ServiceError) as error:
            raise AttributeMappingError(
                f"{managed.name}: mappings[{index}].expression {expression!r} was "
                f"refused by Graph's parser, so nothing was written: {error}"
            ) from None
    matching = mapping_spec.MATCHING_TARGET[managed.kind]
    try:
        return schema_edit.apply(schema, desired, matching, parsed)
    except schema_edit.SchemaEditError as error:
        raise AttributeMappingError(f"{managed.name}: {error}") from None


def _written(
    writer: schema_io.Writer, managed: _Managed, schema: dict[str, Any], updated: dict[str, Any]
) -> dict[str, Any]:
    """PUT the edited schema and read it back; what is live afterwards."""
    desired = managed.spec
    pending = schema_edit.changes(desired, schema_edit.live_spec(schema, desired))
    try:
        return schema_io.write_checked(
            writer,
            managed.job,
            updated,
            schema,
            lambda live: schema_edit.changes(desired, schema_edit.live_spec(live, desired)),
        )
    except schema_io.UnconfirmedWrite as error:
        raise AttributeMappingError(f"{managed.name}: {error}. {_OTHER_WRITER}") from None
    except schema_io.MayStillLand as error:
        raise AttributeMappingError(
            f"could not confirm {managed.name} ({'; '.join(pending)}): {error}. {_RERUN}"
        ) from None
    except schema_io.WriteInFlight as error:
        raise AttributeMappingError(
            f"did not change {managed.name} ({'; '.join(pending)}): {error}. {_RERUN}"
        ) from None
    except schema_io.LostWrite as error:
        raise AttributeMappingError(
            f"{managed.name} were changed by another writer while being applied: "
            f"{error}. {_OTHER_WRITER}"
        ) from None
    except ServiceError as error:
        if error.method == "PUT":
            raise AttributeMappingError(
                f"could not change {managed.name} ({'; '.join(pending)}); the live "
                f"schema was left as it was: {error}"
            ) from None
        raise AttributeMappingError(
            f"{managed.name}: the change ({'; '.join(pending)}) was written, but "
            f"reading it back to check it failed: {error}; run `pulumi up` again"
        ) from None


def _outputs(
    props: dict[str, Any], live: dict[str, Any], managed: list[str], restart_pending: bool
) -> dict[str, Any]:
    """Live state in the inputs' shape, plus the targets a merge manages (read needs them) and
    whether a restart is still owed."""
    return {
        "service_principal_id": props["service_principal_id"],
        "job_id": props["job_id"],
        "kind": props["kind"],
        "restart_on_change": bool(props.get("restart_on_change", False)),
        **to_wire(live),
        "managed_targets": managed,
        # Only while owed: state recorded before the flag existed reads back unchanged.
        **({"restart_pending": True} if restart_pending else {}),
    }


class ProvisioningAttributeMappings(
    pulumi.dynamic.Resource, module="asana", name="ProvisioningAttributeMappings"
):
    """The attribute mappings and scoping filter of one object mapping (users or groups)."""

    mappings: pulumi.Output[list[dict[str, Any]]]
    scoping_filter: pulumi.Output[list[list[dict[str, Any]]]]
    enabled: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        kind: str,
        spec: dict[str, Any],
        restart_on_change: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`spec` in the stack file's words (`mapping_spec`), each value an input."""
        props: dict[str, Any] = {
            "service_principal_id": service_principal_id,
            "job_id": job_id,
            "kind": kind,
            "restart_on_change": restart_on_change,
            **to_wire(spec),
            "managed_targets": None,
        }
        super().__init__(ProvisioningAttributeMappingsProvider(), resource_name, props, opts)
