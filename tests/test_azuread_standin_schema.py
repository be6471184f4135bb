"""The azuread stand-in's package schema is pulumi-azuread 6.11.1's, and its behaviour follows it.

`tests/fixtures/azuread-schema-6.11.1.json` is upstream's `schema.json` trimmed to the tokens
our program uses (source and trimming: `tests/fixtures/azuread-schema-6.11.1.md`). The stand-in
answers GetSchema with it (`tests/azuread_standin/schema_document.py`); these tests read the
answer through the plugin's gRPC server, as the engine does, and list every difference by JSON
path. The one difference allowed is the package's top-level `description` (it says STAND-IN).

The stand-in's own declarations (`Prop`: which properties exist, which are inputs, required,
secret, replace-on-change, their types and nested fields) drive Check, Diff and secret marking;
the second group of tests holds them to the same document, so the schema the engine sees and
the behaviour the stand-in shows cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from tests.azuread_standin import PLUGIN_VERSION
from tests.azuread_standin.functions import FUNCTIONS
from tests.azuread_standin.resources import RESOURCES
from tests.azuread_standin.schema import Prop
from tests.azuread_standin.schema_document import SCHEMA_FILE
from tests.azuread_standin_fixtures import StandinPlugin, plugin_environment

REAL = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
ALLOWED = {"$.description"}
"""Paths that may differ: the stand-in's package description (documented in its README)."""
TYPE_REF = "#/types/"


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    env = plugin_environment("")
    env.pop("SSL_CERT_FILE")
    with StandinPlugin(env) as plugin:
        assert plugin.call("GetPluginInfo", empty_pb2.Empty()).version == PLUGIN_VERSION
        answer = plugin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0))
    return json.loads(answer.schema)


def differences(expected: Any, actual: Any, path: str = "$") -> Iterator[str]:
    """Every JSON path where `actual` differs from `expected`: a missing or extra key, another
    value or type, another list length."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}.{key}" if re.fullmatch(r"\w+", key) else f"{path}[{key!r}]"
            if key not in actual:
                yield f"{where}: missing"
            elif key not in expected:
                yield f"{where}: not in pulumi-azuread {PLUGIN_VERSION}"
            else:
                yield from differences(expected[key], actual[key], where)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield f"{path}: {len(actual)} items, expected {len(expected)}"
            return
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            yield from differences(left, right, f"{path}[{index}]")
    elif type(expected) is not type(actual) or expected != actual:
        yield f"{path}: {_short(actual)}, expected {_short(expected)}"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ----- the served document -----


def test_differences_are_listed_by_json_path() -> None:
    expected = {"a": {"b": [1, {"secret": True}]}, "c": "x"}
    actual = {"a": {"b": [1, {}]}, "c": "y", "d": 1}
    assert list(differences(expected, actual)) == [
        "$.a.b[1].secret: missing",
        '$.c: "y", expected "x"',
        f"$.d: not in pulumi-azuread {PLUGIN_VERSION}",
    ]


def test_served_schema_equals_pulumi_azuread_6_11_1_for_every_token_we_use(
    served: dict[str, Any],
) -> None:
    real = {**REAL, "version": PLUGIN_VERSION}  # generate.go embeds the release's version
    found = [
        difference
        for difference in differences(real, served)
        if difference.split(":")[0] not in ALLOWED
    ]
    assert found == [], "\n".join(found)
    assert "STAND-IN" in served["description"]


def test_served_schema_serves_exactly_the_implemented_resources_and_functions(
    served: dict[str, Any],
) -> None:
    assert sorted(served["resources"]) == sorted(RESOURCES)
    assert sorted(served["functions"]) == sorted(FUNCTIONS)


def test_every_referenced_type_is_served(served: dict[str, Any]) -> None:
    referenced = _refs([served["resources"], served["functions"], served["types"]])
    assert referenced <= set(served["types"])
    assert set(served["types"]) <= referenced


def test_synchronization_credential_values_are_secret_and_features_deprecated(
    served: dict[str, Any],
) -> None:
    credential = served["types"][
        "azuread:index/SynchronizationSecretCredential:SynchronizationSecretCredential"
    ]
    assert credential["properties"]["value"]["secret"] is True
    sp = served["resources"]["azuread:index/servicePrincipal:ServicePrincipal"]
    assert "featureTags" in sp["inputProperties"]["features"]["deprecationMessage"]
    assert sp["stateInputs"]["properties"]["features"]["items"] == {
        "$ref": "#/types/azuread:index/ServicePrincipalFeature:ServicePrincipalFeature"
    }


def token_to_python_module(schema: Mapping[str, Any], token: str) -> str:
    """The Python module a token's class is generated in.

    pulumi/pulumi `pkg/codegen/schema/schema.go` `TokenToModule`: the token's middle part is
    matched against `meta.moduleFormat` (default `(.*)`) and the first group is the module;
    `pkg/codegen/python/gen.go` then puts module `index` at the package's top level (and maps
    others through `language.python.moduleNameOverrides`, else lower-cases them)."""
    module = token.split(":")[1]
    pattern = schema.get("meta", {}).get("moduleFormat", "(.*)")
    match = re.fullmatch(pattern, module)
    if match and match.groups():
        module = match.group(1)
    if module == "index":
        return ""
    overrides = schema.get("language", {}).get("python", {}).get("moduleNameOverrides", {})
    return overrides.get(module, module.lower())


def test_pulumi_import_generates_azuread_service_principal_at_the_package_top_level(
    served: dict[str, Any],
) -> None:
    # What `pulumi import` printed before, from a schema without `meta.moduleFormat`:
    # `azuread.index.serviceprincipal.ServicePrincipal(...)`.
    minimal = {"name": "azuread"}
    token = "azuread:index/servicePrincipal:ServicePrincipal"
    assert token_to_python_module(minimal, token) == "index/serviceprincipal"
    for token in [*served["resources"], *served["functions"]]:
        assert token_to_python_module(served, token) == "", token


# ----- the stand-in's declarations agree with the document -----


def _refs(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, Mapping):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(TYPE_REF):
            found.add(ref[len(TYPE_REF) :])
        for item in value.values():
            found |= _refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= _refs(item)
    return found


def prop_disagreements(prop: Prop, spec: Mapping[str, Any], path: str) -> Iterator[str]:
    """Where a `Prop` (kind, secret, nested fields and their required/secret/kind) disagrees
    with its property in the schema. Replace-on-change is compared by the caller: it is an
    input's attribute only."""
    if bool(spec.get("secret")) != prop.sensitive:
        yield f"{path}: sensitive={prop.sensitive}, schema secret={spec.get('secret', False)}"
    shapes = {
        "string": {"type": "string"},
        "bool": {"type": "boolean"},
        "list": {"type": "array", "items": {"type": "string"}},
        "set": {"type": "array", "items": {"type": "string"}},
        "map": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    if prop.kind in shapes:
        shape = {key: spec.get(key) for key in ("type", "items", "additionalProperties")}
        expected = {key: None for key in shape} | shapes[prop.kind]
        if shape != expected:
            yield f"{path}: kind {prop.kind}, schema {_short(shape)}"
        return
    ref = (spec.get("items") or {}).get("$ref") if prop.kind == "objects" else spec.get("$ref")
    is_list = spec.get("type") == "array"
    if not isinstance(ref, str) or is_list != (prop.kind == "objects"):
        yield f"{path}: kind {prop.kind}, schema {_short(spec)}"
        return
    object_type = REAL["types"][ref[len(TYPE_REF) :]]
    properties = object_type["properties"]
    names = {field.name for field in prop.fields}
    if names != set(properties):
        yield f"{path}: fields {sorted(names)}, schema {sorted(properties)}"
    required = set(object_type.get("required", []))
    for field in prop.fields:
        if field.name not in properties:
            continue
        if field.required != (field.name in required):
            yield f"{path}.{field.name}: required={field.required}, schema {sorted(required)}"
        yield from prop_disagreements(field, properties[field.name], f"{path}.{field.name}")


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_resource_declarations_agree_with_the_schema(token: str) -> None:
    declared = RESOURCES[token].schema
    real = REAL["resources"][token]
    found: list[str] = []
    props = {prop.name: prop for prop in declared.props}
    inputs = {prop.name: prop for prop in declared.inputs}
    if set(props) != set(real["properties"]):
        found.append(f"properties {sorted(props)}, schema {sorted(real['properties'])}")
    if set(inputs) != set(real["inputProperties"]):
        found.append(f"inputs {sorted(inputs)}, schema {sorted(real['inputProperties'])}")
    required = sorted(prop.name for prop in declared.props if prop.required)
    if required != sorted(real.get("requiredInputs", [])):
        found.append(f"required {required}, schema {real.get('requiredInputs', [])}")
    for name, prop in props.items():
        if name in real["properties"]:
            found.extend(prop_disagreements(prop, real["properties"][name], f"{name}"))
        if name in inputs and name in real["inputProperties"]:
            spec = real["inputProperties"][name]
            found.extend(prop_disagreements(prop, spec, f"inputs.{name}"))
            if prop.force_new != bool(spec.get("willReplaceOnChanges")):
                found.append(f"inputs.{name}: force_new={prop.force_new}, schema otherwise")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("token", sorted(FUNCTIONS))
def test_function_declarations_agree_with_the_schema(token: str) -> None:
    declared = FUNCTIONS[token].schema
    real = REAL["functions"][token]
    found: list[str] = []
    args = real.get("inputs", {}).get("properties", {})
    outputs = real["outputs"]["properties"]
    if {prop.name for prop in declared.args} != set(args):
        found.append(f"args {[prop.name for prop in declared.args]}, schema {sorted(args)}")
    if {prop.name for prop in declared.outputs} != set(outputs):
        found.append(
            f"outputs {[prop.name for prop in declared.outputs]}, schema {sorted(outputs)}"
        )
    for prop in declared.args:
        if prop.name in args:
            found.extend(prop_disagreements(prop, args[prop.name], f"inputs.{prop.name}"))
    # Output declarations carry names only (their kind drives nothing: Invoke returns what the
    # function builds); none is secret in the schema, and none may be declared so.
    for prop in declared.outputs:
        if prop.sensitive != bool(outputs.get(prop.name, {}).get("secret")):
            found.append(f"outputs.{prop.name}: sensitive={prop.sensitive}, schema otherwise")
    required_args = sorted(prop.name for prop in declared.args if prop.required)
    if required_args != sorted(real.get("inputs", {}).get("required", [])):
        found.append(f"required args {required_args}, schema otherwise")
    assert found == [], "\n".join(found)
