"""Internal consistency of the Asana template schema the emulator serves.

Product code does read-modify-write on this document. If the fixture itself named a target
attribute its directory lacks, or a source attribute Entra does not define, tests built on it
would pass against a schema the real service would reject; these checks keep it honest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulator.asana_schema import asana_template_schema

Json = dict[str, Any]

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The user target attributes of the Asana tutorial (graph-synchronization.md §3.1), verbatim.
TUTORIAL_USER_TARGETS = {
    "userName",
    "active",
    "name.formatted",
    "title",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:manager",
    'addresses[type eq "work"].country',
    'addresses[type eq "work"].region',
    'addresses[type eq "work"].locality',
    'phoneNumbers[type eq "work"].value',
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:costCenter",
    f"{ENTERPRISE}:organization",
    f"{ENTERPRISE}:division",
}
TUTORIAL_GROUP_TARGETS = {"displayName", "members"}
MAPPING_FIELDS = {
    "defaultValue",
    "exportMissingReferences",
    "flowBehavior",
    "flowType",
    "matchingPriority",
    "source",
    "targetAttributeName",
}
SOURCE_FIELDS = {"expression", "name", "parameters", "type"}


@pytest.fixture
def schema() -> Json:
    return asana_template_schema()


def the_rule(schema: Json) -> Json:
    """The template has exactly one rule; every check below is about it."""
    (rule,) = schema["synchronizationRules"]
    return rule


def directory(schema: Json, name: str) -> Json:
    (found,) = [d for d in schema["directories"] if d["name"] == name]
    return found


def object_definition(schema: Json, directory_name: str, object_name: str) -> Json:
    (found,) = [o for o in directory(schema, directory_name)["objects"] if o["name"] == object_name]
    return found


def attribute_names(definition: Json) -> set[str]:
    return {attribute["name"] for attribute in definition["attributes"]}


def object_mapping(schema: Json, source_object: str) -> Json:
    rule = the_rule(schema)
    (found,) = [m for m in rule["objectMappings"] if m["sourceObjectName"] == source_object]
    return found


def sources(source: Json | None) -> Iterator[Json]:
    """A source and, depth first, every source nested in its function parameters."""
    if source is None:
        return
    yield source
    for parameter in source["parameters"]:
        yield from sources(parameter["value"])


def all_mappings(schema: Json) -> Iterator[tuple[Json, Json]]:
    for mapping in the_rule(schema)["objectMappings"]:
        for attribute_mapping in mapping["attributeMappings"]:
            yield mapping, attribute_mapping


def test_rule_points_at_directories_and_objects_that_exist(schema: Json) -> None:
    """A rule naming a directory or object the schema lacks is rejected by the service."""
    rule = the_rule(schema)
    names = {d["name"] for d in schema["directories"]}
    assert {rule["sourceDirectoryName"], rule["targetDirectoryName"]} == names
    for mapping in rule["objectMappings"]:
        object_definition(schema, rule["sourceDirectoryName"], mapping["sourceObjectName"])
        object_definition(schema, rule["targetDirectoryName"], mapping["targetObjectName"])


def test_every_target_attribute_is_defined_on_the_target_object(schema: Json) -> None:
    """Mapping to an attribute the target object does not define would never be exported."""
    target_directory = the_rule(schema)["targetDirectoryName"]
    for mapping, attribute_mapping in all_mappings(schema):
        definition = object_definition(schema, target_directory, mapping["targetObjectName"])
        assert attribute_mapping["targetAttributeName"] in attribute_names(definition)


def test_every_attribute_source_is_defined_on_the_entra_object(schema: Json) -> None:
    """Nested sources count too: Switch and Join read attributes through their parameters."""
    source_directory = the_rule(schema)["sourceDirectoryName"]
    for mapping, attribute_mapping in all_mappings(schema):
        defined = attribute_names(
            object_definition(schema, source_directory, mapping["sourceObjectName"])
        )
        for source in sources(attribute_mapping["source"]):
            if source["type"] == "Attribute":
                assert source["name"] in defined, attribute_mapping["targetAttributeName"]


def test_the_mappings_cover_exactly_the_tutorial_attributes(schema: Json) -> None:
    """The template maps every attribute Microsoft documents for Asana, and nothing else."""
    user = object_mapping(schema, "User")
    group = object_mapping(schema, "Group")
    assert {m["targetAttributeName"] for m in user["attributeMappings"]} == TUTORIAL_USER_TARGETS
    assert {m["targetAttributeName"] for m in group["attributeMappings"]} == TUTORIAL_GROUP_TARGETS
    assert len(user["attributeMappings"]) == len(TUTORIAL_USER_TARGETS)
    assert user["enabled"] and group["enabled"]


@pytest.mark.parametrize(
    ("source_object", "target"), [("User", "userName"), ("Group", "displayName")]
)
def test_exactly_one_matching_attribute_per_object(
    schema: Json, source_object: str, target: str
) -> None:
    """Asana filters users only on userName and groups only on displayName."""
    matching = [
        m
        for m in object_mapping(schema, source_object)["attributeMappings"]
        if m["matchingPriority"]
    ]
    assert [(m["targetAttributeName"], m["matchingPriority"]) for m in matching] == [(target, 1)]


def test_every_mapping_and_source_carries_all_fields(schema: Json) -> None:
    """Code that round-trips the document must see (and keep) every field the service sends."""
    for _, attribute_mapping in all_mappings(schema):
        assert set(attribute_mapping) == MAPPING_FIELDS
        for source in sources(attribute_mapping["source"]):
            assert set(source) == SOURCE_FIELDS


def test_function_and_constant_sources_are_encoded_like_the_service(schema: Json) -> None:
    """Expression and parsed form must agree, or an edit keyed on one corrupts the other."""
    for _, attribute_mapping in all_mappings(schema):
        for source in sources(attribute_mapping["source"]):
            if source["type"] == "Function":
                assert source["expression"].startswith(f"{source['name']}(")
                assert source["parameters"]
            elif source["type"] == "Constant":
                assert source["expression"] == f'"{source["name"]}"'
                assert source["parameters"] == []
            else:
                assert source["expression"] == f"[{source['name']}]"


def test_reference_attributes_name_objects_in_their_directory(schema: Json) -> None:
    """manager and members resolve to objects; a dangling reference breaks reference export."""
    for definition in schema["directories"]:
        objects = {o["name"] for o in definition["objects"]}
        for obj in definition["objects"]:
            for attribute in obj["attributes"]:
                referenced = {r["referencedObjectName"] for r in attribute["referencedObjects"]}
                if attribute["type"] == "Reference":
                    assert referenced and referenced <= objects, attribute["name"]
                else:
                    assert not referenced, attribute["name"]


def test_document_survives_a_json_round_trip(schema: Json) -> None:
    """The emulator sends it as JSON; nothing may be lost or changed on the way."""
    assert json.loads(json.dumps(schema)) == schema


def test_each_call_returns_an_independent_copy() -> None:
    """Editing one job's schema must never change the template or another caller's copy."""
    first = asana_template_schema()
    second = asana_template_schema()
    assert first == second
    assert first is not second
    the_rule(first)["objectMappings"][0]["attributeMappings"].clear()
    first["directories"][0]["objects"][0]["attributes"][0]["name"] = "changed"
    assert asana_template_schema() == second
    assert the_rule(second)["objectMappings"][0]["attributeMappings"]
