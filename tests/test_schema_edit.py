"""Pure schema logic: changes land only where the spec points, everything else is untouched."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from rules import schema_edit
from rules.mapping_spec import normalize
from tests.emulator.asana_schema import asana_template_schema
from tests.emulator.expression_parser import parse

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
ACTIVE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'


def user_spec(**raw: Any) -> dict[str, Any]:
    spec, problems = normalize(raw, "user")
    assert problems == []
    return spec


def group_spec(**raw: Any) -> dict[str, Any]:
    spec, problems = normalize(raw, "group")
    assert problems == []
    return spec


def user_mapping(schema: dict[str, Any]) -> dict[str, Any]:
    return schema_edit.object_mapping(schema, "User", "User")


def without_user_mapping_entry(schema: dict[str, Any], target: str) -> dict[str, Any]:
    """The schema with one attribute mapping taken out, to compare the rest exactly."""
    result = copy.deepcopy(schema)
    mapping = user_mapping(result)
    mapping["attributeMappings"] = [
        m for m in mapping["attributeMappings"] if m["targetAttributeName"] != target
    ]
    return result


@pytest.fixture
def schema() -> dict[str, Any]:
    document = asana_template_schema()
    # Fields we do not know must survive every edit, at every level.
    document["x-future-field"] = {"kept": True}
    document["synchronizationRules"][0]["x-rule-extra"] = [1, 2, 3]
    user_mapping(document)["x-mapping-extra"] = "kept"
    return document


def test_round_trip_without_changes_is_identical(schema):
    unchanged = schema_edit.apply(schema, user_spec(), "userName")

    assert unchanged == schema
    assert json.dumps(unchanged, sort_keys=True) == json.dumps(schema, sort_keys=True)


def test_the_live_template_as_an_exact_spec_round_trips(schema):
    live = schema_edit.live_spec(
        schema,
        user_spec(
            mode="exact",
            mappings=[
                {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": 1}
            ],
        ),
    )
    spec = user_spec(mode="exact", mappings=live["mappings"])

    assert schema_edit.apply(schema, spec, "userName") == schema
    assert len(spec["mappings"]) == 14
    assert schema_edit.changes(spec, live) == []


def parsed_by_graph(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """What parseExpression answers (the emulator's parser) for each expression to write."""
    return {text: parse(text) for _, text in schema_edit.expressions_to_parse(schema, spec)}


def test_changing_one_mapping_touches_nothing_else(schema):
    spec = user_spec(mappings=[{"target": "title", "expression": 'Coalesce([jobTitle], "Staff")'}])

    changed = schema_edit.apply(schema, spec, "userName", parsed_by_graph(schema, spec))

    assert without_user_mapping_entry(changed, "title") == without_user_mapping_entry(
        schema, "title"
    )
    (title,) = [
        m for m in user_mapping(changed)["attributeMappings"] if m["targetAttributeName"] == "title"
    ]
    assert title["source"] == {
        "expression": 'Coalesce([jobTitle], "Staff")',
        "name": "Coalesce",
        "parameters": [
            {"key": "source", "value": source("Attribute", "[jobTitle]", "jobTitle")},
            {"key": "source", "value": source("Constant", '"Staff"', "Staff")},
        ],
        "type": "Function",
    }
    assert title["flowBehavior"] == "FlowWhenChanged"
    assert [m["targetAttributeName"] for m in user_mapping(changed)["attributeMappings"]] == [
        m["targetAttributeName"] for m in user_mapping(schema)["attributeMappings"]
    ]


def source(kind: str, expression: str, name: str) -> dict[str, Any]:
    return {"expression": expression, "name": name, "parameters": [], "type": kind}


def test_only_new_or_changed_expressions_are_sent_to_the_parser(schema):
    spec = user_spec(
        mappings=[
            {"target": "active", "expression": ACTIVE},  # as the template has it
            {"target": "title", "expression": "ToUpper([jobTitle])"},
            {"target": "name.formatted", "expression": 'Join(" ", [givenName], [surname])'},
        ]
    )

    assert schema_edit.expressions_to_parse(schema, spec) == [(1, "ToUpper([jobTitle])")]


def test_an_expression_not_parsed_first_is_not_written(schema):
    spec = user_spec(mappings=[{"target": "title", "expression": "ToUpper([jobTitle])"}])

    with pytest.raises(schema_edit.SchemaEditError, match="was not parsed by Graph first"):
        schema_edit.apply(schema, spec, "userName")


def test_a_matching_priority_that_came_through_the_engine_is_written_as_an_integer(schema):
    spec = group_spec(
        mappings=[{"target": "displayName", "attribute": "mailNickname", "matchingPriority": 1}]
    )
    spec["mappings"][0]["matchingPriority"] = 1.0  # what the engine's Struct hands back

    changed = schema_edit.apply(schema, spec, "displayName")

    group = schema_edit.object_mapping(changed, "Group", "Group")
    assert type(group["attributeMappings"][0]["matchingPriority"]) is int


def test_an_unchanged_function_mapping_keeps_its_parsed_parameters(schema):
    before = next(
        m for m in user_mapping(schema)["attributeMappings"] if m["targetAttributeName"] == "active"
    )
    spec = user_spec(
        mappings=[
            {
                "target": "active",
                "expression": 'Switch([IsSoftDeleted],,"False","True","True","False")',
            }
        ]
    )

    after = schema_edit.apply(schema, spec, "userName")

    assert after == schema
    assert before["source"]["parameters"], "the template's Switch is stored parsed"


def test_merge_adds_a_mapping_and_keeps_the_templates_others(schema):
    division = f"{ENTERPRISE}division"
    live = without_user_mapping_entry(schema, division)
    spec = user_spec(mappings=[{"target": division, "attribute": "companyName"}])

    changed = schema_edit.apply(live, spec, "userName")

    targets = [m["targetAttributeName"] for m in user_mapping(changed)["attributeMappings"]]
    assert targets[:-1] == [
        m["targetAttributeName"] for m in user_mapping(live)["attributeMappings"]
    ]
    assert user_mapping(changed)["attributeMappings"][-1] == {
        "defaultValue": None,
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": "Always",
        "matchingPriority": 0,
        "source": source("Attribute", "[companyName]", "companyName"),
        "targetAttributeName": division,
    }


def test_exact_makes_the_listed_mappings_the_whole_set(schema):
    spec = user_spec(
        mode="exact",
        mappings=[
            {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": 1},
            {"target": "active", "expression": ACTIVE},
            {"target": "title", "attribute": "jobTitle"},
        ],
    )

    changed = schema_edit.apply(schema, spec, "userName")

    assert [m["targetAttributeName"] for m in user_mapping(changed)["attributeMappings"]] == [
        "userName",
        "active",
        "title",
    ]
    assert schema_edit.object_mapping(changed, "Group", "Group") == schema_edit.object_mapping(
        schema, "Group", "Group"
    )
    removed = [
        c for c in schema_edit.changes(spec, schema_edit.live_spec(schema, spec)) if "removed" in c
    ]
    assert len(removed) == 11


def test_a_scoping_filter_is_added_changed_and_removed(schema):
    sales = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]
    added = schema_edit.apply(schema, user_spec(scopingFilter=sales), "userName")
    assert user_mapping(added)["scope"] == {
        "groups": [
            {
                "clauses": [
                    {
                        "operatorName": "EQUALS",
                        "sourceOperandName": "department",
                        "targetOperand": {"values": ["Sales"]},
                    }
                ],
                "name": "Scoping group 1",
            }
        ]
    }

    either = [*sales, [{"attribute": "jobTitle", "operator": "IS NOT NULL", "values": []}]]
    changed = schema_edit.apply(added, user_spec(scopingFilter=either), "userName")
    assert [g["name"] for g in user_mapping(changed)["scope"]["groups"]] == [
        "Scoping group 1",
        "Scoping group 2",
    ]
    assert schema_edit.live_spec(changed, user_spec(scopingFilter=[]))["scopingFilter"] == either

    removed = schema_edit.apply(changed, user_spec(scopingFilter=[]), "userName")
    assert user_mapping(removed)["scope"] is None
    assert without_scope(removed) == without_scope(schema)


def without_scope(schema: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(schema)
    user_mapping(result)["scope"] = None
    return result


def test_an_unmanaged_scoping_filter_is_left_alone(schema):
    user_mapping(schema)["scope"] = {"groups": [{"name": "hand made", "clauses": []}]}

    assert schema_edit.apply(schema, user_spec(), "userName") == schema


def test_experimental_filter_sets_survive_a_filter_change(schema):
    user_mapping(schema)["scope"] = {
        "groups": [],
        "inputFilterGroups": [{"name": "x", "clauses": []}],
    }
    sales = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]

    changed = schema_edit.apply(schema, user_spec(scopingFilter=sales), "userName")

    assert user_mapping(changed)["scope"]["inputFilterGroups"] == [{"name": "x", "clauses": []}]


def test_disabling_and_narrowing_actions_changes_only_those_fields(schema):
    changed = schema_edit.apply(
        schema, user_spec(enabled=False, actions=["create", "update"]), "userName"
    )

    assert user_mapping(changed)["enabled"] is False
    assert user_mapping(changed)["flowTypes"] == "Add, Update"
    user_mapping(changed).update(enabled=True, flowTypes=user_mapping(schema)["flowTypes"])
    assert changed == schema


def test_group_mappings_are_found_by_their_short_names(schema):
    spec = group_spec(
        mappings=[{"target": "displayName", "attribute": "mailNickname", "matchingPriority": 1}]
    )

    changed = schema_edit.apply(schema, spec, "displayName")

    group = schema_edit.object_mapping(
        changed, "Group", "urn:ietf:params:scim:schemas:core:2.0:Group"
    )
    assert group["attributeMappings"][0]["source"]["name"] == "mailNickname"
    assert user_mapping(changed) == user_mapping(schema)


def test_a_missing_object_mapping_lists_what_there_is(schema):
    with pytest.raises(schema_edit.SchemaEditError, match="no object mapping from Contact to User"):
        schema_edit.apply(schema, user_spec(sourceObject="Contact"), "userName")


def test_a_live_second_matching_attribute_is_refused(schema):
    title = next(
        m for m in user_mapping(schema)["attributeMappings"] if m["targetAttributeName"] == "title"
    )
    title["matchingPriority"] = 2

    with pytest.raises(schema_edit.SchemaEditError, match="would match on userName, title"):
        schema_edit.apply(schema, user_spec(), "userName")


def test_changes_name_each_difference(schema):
    spec = user_spec(
        enabled=False,
        mappings=[
            {"target": "title", "attribute": "department"},
            {"target": f"{ENTERPRISE}organization", "constant": "Contoso (dev)"},
            {"target": "active", "expression": ACTIVE},
        ],
        scopingFilter=[[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]],
    )

    found = schema_edit.changes(spec, schema_edit.live_spec(schema, spec))

    assert found == [
        "enabled: true -> false",
        "title: [jobTitle] -> [department]",
        f'{ENTERPRISE}organization: "Contoso" -> "Contoso (dev)"',
        "scoping filter: none -> (department EQUALS ['Sales'])",
    ]


def test_expression_spacing_is_not_a_change(schema):
    spaced = user_spec(mappings=[{"target": "active", "expression": ACTIVE.replace(", ", " ,  ")}])

    assert schema_edit.changes(spaced, schema_edit.live_spec(schema, spaced)) == []


def test_restoring_one_object_mapping_leaves_the_other_and_the_rest_alone(schema):
    users = user_spec(
        mappings=[{"target": "title", "attribute": "department"}],
        scopingFilter=[[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]],
    )
    groups = group_spec(
        enabled=False,
        mappings=[{"target": "displayName", "attribute": "mailNickname", "matchingPriority": 1}],
    )
    changed = schema_edit.apply(schema_edit.apply(schema, users, "userName"), groups, "displayName")
    group_name = "urn:ietf:params:scim:schemas:core:2.0:Group"
    template = asana_template_schema()

    restored = schema_edit.restore_object_mapping(changed, template, "Group", group_name)

    assert user_mapping(restored) == user_mapping(changed)
    assert schema_edit.restore_differences(restored, template, "Group", "Group") == []
    assert schema_edit.restore_differences(changed, template, "Group", "Group") == [
        "attributeMappings",
        "enabled",
    ]
    group = schema_edit.object_mapping(restored, "Group", "Group")
    assert group["metadata"] == schema_edit.object_mapping(changed, "Group", "Group")["metadata"]
    assert restored["x-future-field"] == {"kept": True}


def live_title(schema: dict[str, Any]) -> dict[str, Any]:
    return next(
        m for m in user_mapping(schema)["attributeMappings"] if m["targetAttributeName"] == "title"
    )


def test_a_second_matching_attribute_the_spec_sets_to_zero_stops_matching(schema):
    """Asana matches users on userName alone; a live title that also matches (priority 2) is
    written back to 0 when the spec says so, and the change says what it was."""
    live_title(schema)["matchingPriority"] = 2
    spec = user_spec(mappings=[{"target": "title", "attribute": "jobTitle", "matchingPriority": 0}])

    changed = schema_edit.apply(schema, spec, "userName")

    assert live_title(changed)["matchingPriority"] == 0
    assert schema_edit.changes(spec, schema_edit.live_spec(schema, spec)) == [
        "title: [jobTitle] matchingPriority 2 -> [jobTitle]"
    ]


def test_a_default_value_alone_is_a_change_and_is_written(schema):
    """attributeMapping.defaultValue: the value used when the source is null."""
    spec = user_spec(
        mappings=[{"target": "title", "attribute": "jobTitle", "defaultValue": "Staff"}]
    )

    changed = schema_edit.apply(schema, spec, "userName")

    assert live_title(changed)["defaultValue"] == "Staff"
    live_title(changed)["defaultValue"] = None
    assert changed == schema
    assert schema_edit.changes(spec, schema_edit.live_spec(schema, spec)) == [
        "title: [jobTitle] -> [jobTitle] defaultValue Staff"
    ]


def test_a_change_to_an_expression_shows_the_expression(schema):
    spec = user_spec(mappings=[{"target": "title", "expression": "ToUpper([jobTitle])"}])

    assert schema_edit.changes(spec, schema_edit.live_spec(schema, spec)) == [
        "title: [jobTitle] -> ToUpper([jobTitle])"
    ]


def test_an_unchanged_scoping_filter_is_no_change(schema):
    sales = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]
    filtered = schema_edit.apply(schema, user_spec(scopingFilter=sales), "userName")

    for spec in (user_spec(scopingFilter=sales), user_spec(scopingFilter=[])):
        live = filtered if spec["scopingFilter"] else schema
        assert schema_edit.changes(spec, schema_edit.live_spec(live, spec)) == []


def test_actions_missing_from_the_live_flow_types_are_added(schema):
    """objectMapping.flowTypes "Add, Update" (no Delete): the spec's three actions write all
    three back."""
    user_mapping(schema)["flowTypes"] = "Add, Update"

    changed = schema_edit.apply(schema, user_spec(), "userName")

    assert user_mapping(changed)["flowTypes"] == "Add, Update, Delete"


def test_a_disabled_object_mapping_is_enabled_and_an_absent_switch_left_absent(schema):
    """An objectMapping without `enabled` is enabled (its default); enabling it writes nothing."""
    user_mapping(schema)["enabled"] = False
    enabled = schema_edit.apply(schema, user_spec(enabled=True), "userName")
    del user_mapping(schema)["enabled"]
    absent = schema_edit.apply(schema, user_spec(enabled=True), "userName")

    assert user_mapping(enabled)["enabled"] is True
    assert absent == schema


def test_a_mapping_left_matching_on_nothing_is_refused(schema):
    user_name = next(
        m
        for m in user_mapping(schema)["attributeMappings"]
        if m["targetAttributeName"] == "userName"
    )
    user_name["matchingPriority"] = 0

    with pytest.raises(schema_edit.SchemaEditError) as refused:
        schema_edit.apply(schema, user_spec(), "userName")

    assert str(refused.value) == (
        "the User -> User mapping would match on nothing; Asana can only match on userName"
    )


def test_the_written_schema_shares_nothing_with_the_parser_answers_or_the_template(schema):
    """Both come back as copies: changing the result later changes neither input."""
    spec = user_spec(mappings=[{"target": "title", "expression": 'Coalesce([jobTitle], "Staff")'}])
    parsed = parsed_by_graph(schema, spec)
    answers = copy.deepcopy(parsed)
    template = asana_template_schema()
    template_copy = copy.deepcopy(template)

    changed = schema_edit.apply(schema, spec, "userName", parsed)
    live_title(changed)["source"]["parameters"].clear()
    restored = schema_edit.restore_object_mapping(changed, template, "User", "User")
    user_mapping(restored)["attributeMappings"][0]["source"]["name"] = "changed later"

    assert parsed == answers
    assert template == template_copy


def test_a_restored_field_the_live_mapping_lacks_is_taken_from_the_template(schema):
    del user_mapping(schema)["scope"]
    template = asana_template_schema()
    template_mapping = schema_edit.object_mapping(template, "User", "User")
    template_mapping["scope"] = {"groups": [{"name": "Scoping group 1", "clauses": []}]}

    restored = schema_edit.restore_object_mapping(schema, template, "User", "User")

    assert user_mapping(restored)["scope"] == template_mapping["scope"]
