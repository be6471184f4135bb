"""Microsoft's own Graph v1.0 models (msgraph-sdk, kiota) as the judge of a JSON body.

`assert_graph_body(model, body)` parses `body` into the msgraph-sdk model with kiota's JSON
parse node, the way the SDK reads Graph's answers, and fails when

* a property is unknown to the model (it lands in `additional_data`, at any depth; `@odata.*`
  annotations are ignored), or
* a value does not have the declared type: the parsed model is written back with kiota's
  JsonSerializationWriter and compared with the original value by value, so a 1.0 where Graph
  declares Int32, a string where it declares a list, an unknown enum member or a malformed
  GUID or timestamp (all of which kiota drops or rejects) are caught. A difference only in
  notation is accepted: timestamps, durations and GUIDs are compared as values, Binary as bytes.

`model` is a msgraph-sdk class or a type name ("servicePrincipal",
"microsoft.graph.servicePrincipal", "#microsoft.graph.servicePrincipal"), or one of the
`ACTIONS` keys for action and PUT request bodies ("applicationTemplate.instantiate", ...), or
`ERROR` ("error") for Graph's error envelope. A
collection answer ({"value": [...], "@odata.nextLink": ...}) is checked item by item when the
model has no `value` property; pass `collection=False/True` to decide explicitly.

What msgraph-sdk cannot judge, and how this helper copes:
* Flags enums (objectMapping.flowTypes, directoryDefinition.discoverabilities): Graph writes
  them as "Add, Update, Delete"; kiota parses that but cannot write it back, so such a value is
  checked member by member against the enum instead of by round trip.
* `GET .../synchronization/secrets` has no response model in the SDK: check it with
  `collection=True` as a collection of "synchronizationSecretKeyStringValuePair" (the pair has
  a `value` property of its own, so the collection cannot be recognised by itself; the key is
  an enum, so unknown keys fail).
* Beta-only properties (`samlMetadataUrl` of a servicePrincipal, which the azuread provider
  reads from /beta) are unknown to the v1.0 models: do not judge beta bodies with them.
* Open types (`OPEN_TYPES`: detailsInfo) may carry any property.
* Enum members named after a Python keyword (provisioningStepType `import`, msgraph-sdk's
  `Import_`) are dropped by kiota's name lookup; such a value is accepted when it is a member.
* Nulls are not type-checked (kiota reads null as "unset" for every type), and a property the
  model declares but Graph would not return by default is not noticed.
"""

from __future__ import annotations

import base64
import binascii
import enum
import importlib
import json
import keyword
import re
import uuid
from datetime import datetime
from typing import Any

from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node import JsonParseNode
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph.generated.application_templates.item.instantiate.instantiate_post_request_body import (
    InstantiatePostRequestBody,
)
from msgraph.generated.models.details_info import DetailsInfo
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.service_principals.item.add_token_signing_certificate.add_token_signing_certificate_post_request_body import (  # noqa: E501
    AddTokenSigningCertificatePostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.provision_on_demand.provision_on_demand_post_request_body import (  # noqa: E501
    ProvisionOnDemandPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.restart.restart_post_request_body import (  # noqa: E501
    RestartPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.schema.parse_expression.parse_expression_post_request_body import (  # noqa: E501
    ParseExpressionPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.validate_credentials.validate_credentials_post_request_body import (  # noqa: E501
    ValidateCredentialsPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.secrets.secrets_put_request_body import (  # noqa: E501
    SecretsPutRequestBody,
)

ACTIONS: dict[str, type[Parsable]] = {
    "applicationTemplate.instantiate": InstantiatePostRequestBody,
    "servicePrincipal.addTokenSigningCertificate": AddTokenSigningCertificatePostRequestBody,
    "synchronization.secrets": SecretsPutRequestBody,
    "synchronizationJob.restart": RestartPostRequestBody,
    "synchronizationJob.validateCredentials": ValidateCredentialsPostRequestBody,
    "synchronizationJob.provisionOnDemand": ProvisionOnDemandPostRequestBody,
    "synchronizationSchema.parseExpression": ParseExpressionPostRequestBody,
}
"""Request bodies of actions (and of PUT secrets), which have no entity type of their own."""

ERROR = "error"
"""The name of Graph's error envelope ({"error": {"code", "message", "innerError"}})."""

OPEN_TYPES: tuple[type[Parsable], ...] = (DetailsInfo,)
"""Graph's open types, whose properties are whatever the service puts there (detailsInfo: the
`details` of provisioning steps, identities and systems in the provisioning logs); their
`additional_data` is not a problem."""

_COLLECTION_KEYS = frozenset(
    ["@odata.context", "@odata.nextLink", "@odata.count", "@odata.deltaLink", "value"]
)


def graph_model(model: str | type[Parsable]) -> type[Parsable]:
    """The msgraph-sdk class for a type name such as "servicePrincipal"."""
    if not isinstance(model, str):
        return model
    if model in ACTIONS:
        return ACTIONS[model]
    if model == ERROR:
        return ODataError
    name = model.removeprefix("#").removeprefix("microsoft.graph.")
    module_name = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    try:
        module = importlib.import_module(f"msgraph.generated.models.{module_name}")
        found: type[Parsable] = getattr(module, name[0].upper() + name[1:])
    except (ImportError, AttributeError):
        raise ValueError(f"msgraph-sdk has no model named {model!r}") from None
    return found


def assert_graph_body(
    model: str | type[Parsable], body: object, *, collection: bool | None = None
) -> None:
    """Fail with every problem found if `body` is not a valid Graph v1.0 `model`."""
    problems = graph_body_problems(model, body, collection=collection)
    if problems:
        cls = graph_model(model)
        raise AssertionError(f"not a valid {cls.__name__}:\n  " + "\n  ".join(problems))


def graph_body_problems(
    model: str | type[Parsable], body: object, *, collection: bool | None = None
) -> list[str]:
    """The problems `assert_graph_body` reports (empty when the body is valid)."""
    cls = graph_model(model)
    if collection is None:
        collection = (
            isinstance(body, dict)
            and isinstance(body.get("value"), list)
            and "value" not in cls().get_field_deserializers()
        )
    if not collection:
        return _object_problems(cls, body, "$")
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        return ["$: a collection answer is an object with a 'value' array"]
    problems = [f"$.{key}: not part of a collection answer" for key in set(body) - _COLLECTION_KEYS]
    if "@odata.count" in body and type(body["@odata.count"]) is not int:
        problems.append("$.@odata.count: not an integer")
    for index, item in enumerate(body["value"]):
        problems += _object_problems(cls, item, f"$.value[{index}]")
    return problems


def _object_problems(cls: type[Parsable], body: object, path: str) -> list[str]:
    if not isinstance(body, dict):
        return [f"{path}: expected a JSON object, got {type(body).__name__}"]
    raw = json.dumps(body).encode()
    try:
        parsed = JsonParseNodeFactory().get_root_parse_node("application/json", raw)
        instance = parsed.get_object_value(cls)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return [f"{path}: kiota could not parse it: {error!r}"]
    problems: list[str] = []
    declared_type = body.get("@odata.type")
    expected_type = "#microsoft.graph." + type(instance).__name__[0].lower()
    expected_type += type(instance).__name__[1:]
    if declared_type is not None and declared_type != expected_type:
        problems.append(f"{path}: @odata.type {declared_type!r} is not a {cls.__name__}")
    _unknown_properties(instance, path, problems)
    writer = JsonSerializationWriter()
    writer.write_object_value(None, instance)
    written = json.loads(writer.get_serialized_content())
    _compare(body, written, instance, path, problems)
    return problems


def _unknown_properties(instance: object, path: str, problems: list[str]) -> None:
    """Every `additional_data` key that is not an OData annotation, at any depth."""
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            _unknown_properties(item, f"{path}[{index}]", problems)
        return
    if not isinstance(instance, Parsable):
        return
    extra = getattr(instance, "additional_data", None) or {}
    if isinstance(instance, OPEN_TYPES):
        extra = {}
    for key in extra:
        if "@odata." not in key:
            problems.append(f"{path}.{key}: not a property of {type(instance).__name__}")
    for name, value in vars(instance).items():
        if name != "additional_data":
            _unknown_properties(value, f"{path}.{name}", problems)


def _compare(original: Any, written: Any, parsed: Any, path: str, problems: list[str]) -> None:
    """`written` must hold every non-null value of `original`, in the same type."""
    if original is None:
        return
    if isinstance(original, dict):
        if not isinstance(written, dict):
            problems.append(f"{path}: an object where the model declares {_kind(written)}")
            return
        for key, value in original.items():
            if "@odata." in key:
                continue
            if written.get(key) is None and _mangled_enum_value(parsed, key, value):
                continue
            attribute = getattr(parsed, _snake(key), None)
            _compare(value, written.get(key), attribute, f"{path}.{key}", problems)
        return
    if isinstance(original, list):
        if not isinstance(written, list) or len(written) != len(original):
            problems.append(f"{path}: the array did not survive (declared {_kind(written)})")
            return
        parsed_items = parsed if isinstance(parsed, list) else [None] * len(original)
        for index, item in enumerate(original):
            _compare(item, written[index], parsed_items[index], f"{path}[{index}]", problems)
        return
    if written is None:
        if not _flags_enum_value(original, parsed):
            problems.append(f"{path}: {original!r} is not of the declared type (dropped)")
        return
    if not _same_scalar(original, written):
        problems.append(f"{path}: {original!r} came back as {written!r}")


def _same_scalar(original: Any, written: Any) -> bool:
    if isinstance(original, bool) or isinstance(written, bool):
        return original is written
    if isinstance(original, int | float):
        if isinstance(original, float) and not isinstance(written, float):
            return False
        return isinstance(written, int | float) and original == written
    if not isinstance(original, str) or not isinstance(written, str):
        return False
    return (
        original == written
        or any(_equal(original, written, parse) for parse in (_as_uuid, _as_datetime, _as_bytes))
        or _same_duration(original, written)
    )


def _equal(original: str, written: str, parse: Any) -> bool:
    try:
        return bool(parse(original) == parse(written))
    except (ValueError, TypeError, binascii.Error):
        return False


def _as_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def _as_datetime(value: str) -> datetime:
    parsed = JsonParseNode(value).get_datetime_value()
    if parsed is None:
        raise ValueError(value)
    return parsed


def _as_bytes(value: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value):
        raise ValueError(value)
    return base64.b64decode(value, validate=True)


def _same_duration(original: str, written: str) -> bool:
    """kiota writes a timedelta as Python's str() of it, not as ISO 8601."""
    try:
        parsed = JsonParseNode(original).get_timedelta_value()
    except ValueError:
        return False
    return parsed is not None and str(parsed) == written


def _flags_enum_value(original: Any, parsed: Any) -> bool:
    """A comma-separated flags value kiota read (as a list of members) but cannot write."""
    if not isinstance(original, str) or not isinstance(parsed, list) or not parsed:
        return False
    members = [token.strip() for token in original.split(",")]
    return all(isinstance(p, enum.Enum) for p in parsed) and [p.value for p in parsed] == members


def _mangled_enum_value(parent: Any, key: str, value: Any) -> bool:
    """A member of an enum whose Python name kiota mangled (`Import_ = "import"` of
    provisioningStepType, because `import` is a keyword): kiota looks members up by name, so
    it drops the value Graph sends, but the value is valid."""
    if not isinstance(value, str) or parent is None:
        return False
    annotation = next(
        (
            klass.__annotations__.get(_snake(key))
            for klass in type(parent).__mro__
            if _snake(key) in getattr(klass, "__annotations__", {})
        ),
        None,
    )
    found = re.fullmatch(r"Optional\[(\w+)\]", str(annotation or ""))
    try:
        enum_class = graph_model(found[1]) if found else None
    except ValueError:
        return False
    if not (isinstance(enum_class, type) and issubclass(enum_class, enum.Enum)):
        return False
    members = {member.value: member.name for member in enum_class}
    return (
        value in members
        and members[value].endswith("_")
        and keyword.iskeyword(members[value][:-1].lower())
    )


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
