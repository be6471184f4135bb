"""Property schemas of the served resources, and the bridge behaviour that follows from them.

A `Prop` carries what terraform-provider-azuread's schema says about one attribute (required,
optional, computed, default, ForceNew, Sensitive, validation) under its pulumi-azuread 6.11.1
name. From that, `ResourceSchema` does what pulumi-terraform-bridge does for every resource:
Check (defaults recorded in `__defaults`, validation failures as CheckFailures, sensitive values
marked secret), Diff (Terraform's comparison of configuration with state: unset optional values
equal empty ones, sets compare unordered, unset optional+computed values keep the state, a
change to a ForceNew property replaces), the inputs an import or refresh returns
(`ExtractInputsFromOutputs`), and which outputs are secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi.runtime.proto import provider_pb2

from tests.azuread_standin.validation import Validator
from tests.azuread_standin.wire import UNKNOWN, Secret, has_unknown, reveal

DEFAULTS_KEY = "__defaults"
"""The bridge's record of which inputs Check filled in from schema defaults."""

Kind = Literal["string", "bool", "list", "set", "map", "object", "objects"]


@dataclass(frozen=True)
class Prop:
    name: str
    kind: Kind
    required: bool = False
    optional: bool = False
    computed: bool = False
    force_new: bool = False
    default: Any = None
    sensitive: bool = False
    validators: tuple[Validator, ...] = ()
    fields: tuple[Prop, ...] = ()
    """The attributes of each object (`object`: a MaxItems=1 block, `objects`: a list)."""
    conflicts_with: tuple[str, ...] = ()
    description: str = ""

    @property
    def is_input(self) -> bool:
        return self.required or self.optional


@dataclass(frozen=True)
class DiffOutcome:
    changed: dict[str, int]
    """Property name -> `provider_pb2.PropertyDiff.Kind`."""
    replaces: list[str]
    stables: list[str]

    def response(self) -> provider_pb2.DiffResponse:
        detailed = {
            name: provider_pb2.PropertyDiff(kind=kind)
            for name, kind in sorted(self.changed.items())
        }
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if self.changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=self.replaces,
            stables=self.stables,
            deleteBeforeReplace=False,
            diffs=sorted(self.changed),
            detailedDiff=detailed,
            hasDetailedDiff=True,
        )


@dataclass(frozen=True)
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ResourceSchema:
    token: str
    description: str
    props: tuple[Prop, ...]

    def prop(self, name: str) -> Prop:
        for prop in self.props:
            if prop.name == name:
                return prop
        raise KeyError(name)

    @property
    def inputs(self) -> tuple[Prop, ...]:
        return tuple(prop for prop in self.props if prop.is_input)

    def check(self, news: Mapping[str, Any]) -> CheckOutcome:
        inputs: dict[str, Any] = {}
        defaults: list[str] = []
        failures: list[tuple[str, str]] = []
        for prop in self.inputs:
            value = news.get(prop.name)
            if value is None:
                if prop.default is not None:
                    inputs[prop.name] = prop.default
                    defaults.append(prop.name)
                elif prop.required:
                    failures.append(
                        (
                            prop.name,
                            f'Missing required argument. The argument "{prop.name}" is '
                            "required, but no definition was found.",
                        )
                    )
                continue
            value = _nested_defaults(prop, value)
            inputs[prop.name] = value
            if not has_unknown(value):
                failures.extend(validate_value(prop, prop.name, reveal(value)))
        for prop in self.inputs:
            for other in prop.conflicts_with:
                if _is_set(inputs.get(prop.name)) and _is_set(inputs.get(other)):
                    failures.append(
                        (
                            prop.name,
                            f'"{prop.name}": conflicts with {other}',
                        )
                    )
        inputs[DEFAULTS_KEY] = defaults
        return CheckOutcome(self.mark_secrets(inputs), failures)

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffOutcome:
        changed: dict[str, int] = {}
        for prop in self.inputs:
            new = news.get(prop.name)
            if new is None and prop.computed:
                continue  # optional+computed and unset: the state's value stands
            old = olds.get(prop.name)
            if not has_unknown(new) and _equal(prop, old, new):
                continue
            changed[prop.name] = _diff_kind(prop, old, new)
        replaces = sorted(name for name in changed if self.prop(name).force_new)
        stables = sorted(
            prop.name for prop in self.props if prop.force_new and prop.name not in replaces
        )
        return DiffOutcome(changed, replaces, stables)

    def mark_secrets(self, values: dict[str, Any]) -> dict[str, Any]:
        """Sensitive attributes (and sensitive fields of objects) become secrets."""
        marked = dict(values)
        for prop in self.props:
            if prop.name not in marked or marked[prop.name] is None:
                continue
            marked[prop.name] = _mark(prop, marked[prop.name])
        return marked

    def outputs(self, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        """State as the engine records it: every attribute, Sensitive ones (at any depth)
        secret, and an output whose input of the same name was secret as a whole made secret
        as a whole; nothing else."""
        values = {prop.name: state.get(prop.name) for prop in self.props}
        marked = self.mark_secrets(values)
        return {name: annotate_secrets(value, inputs.get(name)) for name, value in marked.items()}

    def preview(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """What a create would produce, for `pulumi preview`: inputs as given, computed
        attributes unknown."""
        state: dict[str, Any] = {}
        for prop in self.props:
            value = inputs.get(prop.name)
            if value is None and prop.computed:
                value = UNKNOWN
            state[prop.name] = value
        return self.outputs(state, inputs)

    def import_inputs(self, outputs: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs an import returns: input attributes that are set and not their default,
        required ones always, and of two conflicting attributes the first by name."""
        inputs: dict[str, Any] = {}
        for prop in sorted(self.inputs, key=lambda item: item.name):
            value = outputs.get(prop.name)
            if value is None:
                continue
            if not prop.required and _is_default_or_zero(prop, reveal(value)):
                continue
            if any(other in inputs for other in prop.conflicts_with):
                continue
            inputs[prop.name] = value
        inputs[DEFAULTS_KEY] = []
        return inputs

    def refresh_inputs(
        self, old_inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The inputs a refresh returns: the old inputs' keys with the live values."""
        inputs: dict[str, Any] = {}
        for name in old_inputs:
            if name == DEFAULTS_KEY:
                continue
            if name in outputs and outputs[name] is not None:
                inputs[name] = outputs[name]
        return inputs

    def input_values(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Known input values without secret markers, for building Graph requests."""
        return {prop.name: reveal(inputs.get(prop.name)) for prop in self.inputs}


def annotate_secrets(output: Any, given: Any) -> Any:
    """Where the input of the same name was secret, the output is secret.

    The real plugin does not do this itself: pulumi-terraform-bridge marks outputs secret only
    where the upstream schema says Sensitive (`pkg/tfbridge/secrets.go` `MarkSchemaSecrets`,
    `MakeTerraformResult` in Create/Read/Update), and the engine then marks an output secret
    when the input of the same name is secret as a whole (pulumi/pulumi
    `pkg/resource/deploy/step_executor.go`: "If an input secret is potentially leaked as an
    output, preemptively mark it as secret"; only top-level, only `in.IsSecret()`). The stand-in
    returns what the engine records, so its tests see it: a secret nested inside an input list
    or object does not make anything secret, and no other output (say `principalDisplayName`
    beside a secret `principalObjectId`) becomes secret."""
    if output is None or isinstance(output, Secret) or not isinstance(given, Secret):
        return output
    return Secret(output)


def _nested_defaults(prop: Prop, value: Any) -> Any:
    """Schema defaults of the fields of a block, filled in where the configuration leaves
    them out, as Terraform reads a block (e.g. `features.visibleToUsers`, default true)."""
    has_defaults = any(field_prop.default is not None for field_prop in prop.fields)
    if prop.kind not in ("object", "objects") or not has_defaults:
        return value
    if isinstance(value, Secret) or has_unknown(value):
        return value

    def fill(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        filled = dict(item)
        for field_prop in prop.fields:
            if field_prop.default is not None and filled.get(field_prop.name) is None:
                filled[field_prop.name] = field_prop.default
        return filled

    if prop.kind == "object":
        return fill(value)
    return [fill(item) for item in value] if isinstance(value, list) else value


def validate_value(prop: Prop, name: str, value: Any) -> list[tuple[str, str]]:
    reason = _type_error(prop, name, value)
    if reason:
        return [(name, reason)]
    failures: list[tuple[str, str]] = []
    for validator in prop.validators:
        reason = validator(name, value)
        if reason:
            failures.append((name, reason))
    if prop.kind in ("object", "objects"):
        items = [value] if prop.kind == "object" else value
        for index, item in enumerate(items):
            path = name if prop.kind == "object" else f"{name}[{index}]"
            for field_prop in prop.fields:
                field_value = item.get(field_prop.name)
                if field_value is None:
                    if field_prop.required:
                        failures.append(
                            (
                                f"{path}.{field_prop.name}",
                                f'Missing required argument. The argument "{field_prop.name}" '
                                "is required, but no definition was found.",
                            )
                        )
                    continue
                failures.extend(
                    validate_value(field_prop, f"{path}.{field_prop.name}", field_value)
                )
    return failures


def _type_error(prop: Prop, name: str, value: Any) -> str | None:
    expected: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "bool": bool,
        "list": list,
        "set": list,
        "map": dict,
        "object": dict,
        "objects": list,
    }
    if not isinstance(value, expected[prop.kind]):
        return f'"{name}": expected {prop.kind}, got {type(value).__name__}'
    if prop.kind in ("list", "set") and not all(isinstance(item, str) for item in value):
        return f'"{name}": expected a list of strings'
    if prop.kind == "objects" and not all(isinstance(item, dict) for item in value):
        return f'"{name}": expected a list of objects'
    return None


def _mark(prop: Prop, value: Any) -> Any:
    if value is UNKNOWN or isinstance(value, Secret):
        return value
    if prop.sensitive:
        return Secret(value)
    if not prop.fields:
        return value
    if prop.kind == "object" and isinstance(value, dict):
        return _mark_object(prop.fields, value)
    if prop.kind == "objects" and isinstance(value, list):
        return [
            _mark_object(prop.fields, item) if isinstance(item, dict) else item for item in value
        ]
    return value


def _mark_object(fields: Iterable[Prop], value: dict[str, Any]) -> dict[str, Any]:
    marked = dict(value)
    for field_prop in fields:
        if marked.get(field_prop.name) is not None:
            marked[field_prop.name] = _mark(field_prop, marked[field_prop.name])
    return marked


def _is_set(value: Any) -> bool:
    return _normal(reveal(value)) is not None


def _normal(value: Any, kind: str = "") -> Any:
    """Terraform's view of a value: empty strings, lists, maps, objects and false are unset."""
    if value is None or value == "" or value is False or value == [] or value == {}:
        return None
    if isinstance(value, dict):
        normal = {key: _normal(item) for key, item in value.items()}
        return {key: item for key, item in normal.items() if item is not None} or None
    if isinstance(value, list):
        items = [_normal(item) for item in value]
        if kind == "set":
            return tuple(sorted(items, key=repr))
        return tuple(items)
    return value


def _equal(prop: Prop, old: Any, new: Any) -> bool:
    return _normal(reveal(old), prop.kind) == _normal(reveal(new), prop.kind)


def _diff_kind(prop: Prop, old: Any, new: Any) -> int:
    kinds = provider_pb2.PropertyDiff
    if not _is_set(old):
        return kinds.ADD_REPLACE if prop.force_new else kinds.ADD
    if not has_unknown(new) and not _is_set(new):
        return kinds.DELETE_REPLACE if prop.force_new else kinds.DELETE
    return kinds.UPDATE_REPLACE if prop.force_new else kinds.UPDATE


def _is_default_or_zero(prop: Prop, value: Any) -> bool:
    if prop.default is not None and value == prop.default:
        return True
    return _normal(value, prop.kind) is None
