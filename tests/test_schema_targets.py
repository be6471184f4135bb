"""Targets are checked against the job's own schema: the target object of the object mapping,
in the directory its rule targets."""

from __future__ import annotations

from typing import Any

import pytest

from rules import schema_targets
from rules.mapping_spec import normalize
from rules.schema_edit import SchemaEditError
from tests.emulator.asana_schema import asana_template_schema

ORGANIZATION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"


def spec(kind: str, *targets: str) -> dict[str, Any]:
    raw = {"mappings": [{"target": target, "attribute": "mail"} for target in targets]}
    checked, problems = normalize(raw, kind)  # type: ignore[arg-type]
    assert problems == []
    return checked


def test_the_target_objects_attributes_come_from_the_target_directory():
    schema = asana_template_schema()

    assert set(schema_targets.target_attributes(schema, "Group", "Group")) == {
        "id",
        "displayName",
        "members",
    }
    assert ORGANIZATION in schema_targets.target_attributes(schema, "User", "User")


def test_targets_the_object_has_pass():
    schema_targets.check_targets(asana_template_schema(), spec("user", "title", ORGANIZATION))
    schema_targets.check_targets(asana_template_schema(), spec("group", "members"))


def test_a_missing_target_names_itself_and_lists_what_there_is():
    schema = asana_template_schema()
    asana = next(d for d in schema["directories"] if d["name"] == "Asana")
    group_object = asana["objects"][1]
    group_object["attributes"] = [a for a in group_object["attributes"] if a["name"] != "members"]

    with pytest.raises(SchemaEditError) as failure:
        schema_targets.check_targets(schema, spec("group", "members"))

    assert str(failure.value) == (
        "mappings[0].target 'members' is not an attribute of "
        "urn:ietf:params:scim:schemas:core:2.0:Group in the job's schema; its attributes are: "
        "displayName, id"
    )


def test_a_schema_without_its_target_directory_cannot_be_checked_and_says_so():
    schema = asana_template_schema()
    schema["synchronizationRules"][0]["targetDirectoryName"] = "Asana (renamed)"

    with pytest.raises(SchemaEditError, match="does not describe its target directory"):
        schema_targets.check_targets(schema, spec("user", "title"))


def test_every_missing_target_is_named_and_the_attributes_are_listed_whatever_their_case():
    """An admin may add attributes in the portal's schema editor, capitalised as they like; the
    list a reader looks a name up in is alphabetical regardless of case."""
    schema = asana_template_schema()
    asana = next(d for d in schema["directories"] if d["name"] == "Asana")
    group_object = asana["objects"][1]
    group_object["attributes"] = [{"name": "id"}, {"name": "Office"}, {"name": "externalId"}]

    with pytest.raises(SchemaEditError) as failure:
        schema_targets.check_targets(schema, {"sourceObject": "Group", "targetObject": "Group",
            "mappings": [{"target": "displayName"}, {"target": "members"}]})  # fmt: skip

    assert str(failure.value) == (
        "mappings[0].target 'displayName', mappings[1].target 'members' is not an attribute of "
        "urn:ietf:params:scim:schemas:core:2.0:Group in the job's schema; its attributes are: "
        "externalId, id, Office"
    )


def test_a_schema_describing_no_directory_says_it_describes_none():
    schema = {**asana_template_schema(), "directories": []}

    with pytest.raises(SchemaEditError) as failure:
        schema_targets.target_attributes(schema, "User", "User")

    assert "(it describes: none)" in str(failure.value)
