"""Desired mappings are checked offline: one rule, one failing example, one message each."""

from __future__ import annotations

from typing import Any

import pytest

from rules import expressions
from rules.mapping_spec import GROUP_TARGETS, USER_TARGETS, normalize

ACTIVE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
USER_NAME = {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": 1}
ORGANIZATION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"

# (rule broken, spec for users, path named, words in the message)
INVALID: list[tuple[str, Any, str, str]] = [
    ("not an object", ["title"], "", "must be an object"),
    ("unknown setting", {"mapping": []}, "mapping", "is not a mapping setting"),
    ("unknown mode", {"mode": "replace"}, "mode", "allowed: merge or exact"),
    ("enabled not a boolean", {"enabled": "yes"}, "enabled", "true or false"),
    ("unknown action", {"actions": ["create", "purge"]}, "actions", "each of create"),
    ("no actions", {"actions": []}, "actions", "non-empty list"),
    ("mappings not a list", {"mappings": {"title": "jobTitle"}}, "mappings", "must be a list"),
    (
        "mapping without a source",
        {"mappings": [{"target": "title"}]},
        "mappings[0]",
        "exactly one source",
    ),
    (
        "mapping with two sources",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "constant": "x"}]},
        "mappings[0]",
        "exactly one source",
    ),
    (
        "unknown mapping field",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "flow": "Always"}]},
        "mappings[0].flow",
        "is not known",
    ),
    (
        "target Asana does not accept",
        {"mappings": [{"target": "nickName", "attribute": "mailNickname"}]},
        "mappings[0].target",
        "which Asana does not accept",
    ),
    (
        "given name Asana ignores",
        {"mappings": [{"target": "name.givenName", "attribute": "givenName"}]},
        "mappings[0].target",
        "map name.formatted instead",
    ),
    (
        "duplicate target",
        {
            "mappings": [
                {"target": "title", "attribute": "jobTitle"},
                {"target": "title", "attribute": "department"},
            ]
        },
        "mappings[1].target",
        "a second time",
    ),
    (
        "attribute name with spaces",
        {"mappings": [{"target": "title", "attribute": "job title"}]},
        "mappings[0].attribute",
        "an Entra attribute name",
    ),
    (
        "constant with a quote",
        {"mappings": [{"target": "title", "constant": 'say "hi"'}]},
        "mappings[0].constant",
        "without double quotes",
    ),
    (
        "unclosed attribute bracket",
        {"mappings": [{"target": "title", "expression": 'Join(" ", [givenName, [surname])'}]},
        "mappings[0].expression",
        "not a valid expression",
    ),
    (
        "unclosed quote",
        {"mappings": [{"target": "title", "expression": 'Append([jobTitle], ".x)'}]},
        "mappings[0].expression",
        "is not closed",
    ),
    (
        "unbalanced parenthesis",
        {"mappings": [{"target": "active", "expression": "Not([IsSoftDeleted]"}]},
        "mappings[0].expression",
        "is not closed",
    ),
    (
        "unknown function",
        {"mappings": [{"target": "title", "expression": "Capitalize([jobTitle])"}]},
        "mappings[0].expression",
        "not one of Entra's expression functions",
    ),
    (
        "function name in the wrong case",
        {"mappings": [{"target": "title", "expression": "toLower([jobTitle])"}]},
        "mappings[0].expression",
        "case-sensitive",
    ),
    (
        "unknown flow type",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "flowType": "Sometimes"}]},
        "mappings[0].flowType",
        "allowed: Always or ObjectAddOnly",
    ),
    (
        "matching on an attribute Asana cannot filter",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "matchingPriority": 1}]},
        "mappings[0].matchingPriority",
        "can only match users on userName",
    ),
    (
        "userName not the first matching attribute",
        {"mappings": [{**USER_NAME, "matchingPriority": 2}]},
        "mappings[0].matchingPriority",
        "must be 1 for userName",
    ),
    (
        "exact set without userName",
        {"mode": "exact", "mappings": [{"target": "active", "expression": ACTIVE}]},
        "mappings",
        "must map userName",
    ),
    (
        "scoping filter not a list of lists",
        {"scopingFilter": {"department": "Sales"}},
        "scopingFilter",
        "must be a list (OR)",
    ),
    (
        "unknown filter operator",
        {"scopingFilter": [[{"attribute": "department", "operator": "LIKE", "values": ["S%"]}]]},
        "scopingFilter[0][0].operator",
        "allowed: EQUALS, IS FALSE",
    ),
    (
        "unary operator with a value",
        {
            "scopingFilter": [
                [{"attribute": "accountEnabled", "operator": "IS TRUE", "values": ["x"]}]
            ]
        },
        "scopingFilter[0][0].values",
        "takes no value",
    ),
    (
        "binary operator without a value",
        {"scopingFilter": [[{"attribute": "department", "operator": "EQUALS", "values": []}]]},
        "scopingFilter[0][0].values",
        "needs 1 to",
    ),
    (
        "regular expression that does not compile",
        {"scopingFilter": [[{"attribute": "mail", "operator": "REGEX MATCH", "values": ["(a"]}]]},
        "scopingFilter[0][0].values",
        "is not a regular expression",
    ),
    ("empty clause group", {"scopingFilter": [[]]}, "scopingFilter[0]", "1 to 50 clauses"),
]


@pytest.mark.parametrize(
    ("raw", "path", "words"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_each_rule_has_a_failing_example_and_a_message(raw, path: str, words: str):
    _, problems = normalize(raw, "user")

    assert [p for p in problems if p[0] == path and words in p[1]], problems


def test_groups_match_on_display_name_only():
    _, problems = normalize(
        {"mappings": [{"target": "members", "attribute": "members", "matchingPriority": 1}]},
        "group",
    )

    assert problems == [
        ("mappings[0].matchingPriority", "must be 0: Asana can only match groups on displayName")
    ]


def test_a_group_target_must_be_one_asana_teams_have():
    _, problems = normalize({"mappings": [{"target": "title", "attribute": "jobTitle"}]}, "group")

    assert problems and problems[0][0] == "mappings[0].target"


def test_defaults_are_filled_in():
    spec, problems = normalize({"mappings": [{"target": "title", "attribute": "jobTitle"}]}, "user")

    assert problems == []
    assert spec == {
        "sourceObject": "User",
        "targetObject": "User",
        "mode": "merge",
        "enabled": True,
        "actions": ["create", "update", "delete"],
        "mappings": [
            {
                "target": "title",
                "attribute": "jobTitle",
                "flowType": "Always",
                "matchingPriority": 0,
            }
        ],
    }


def test_an_expression_that_is_only_an_attribute_or_a_string_is_stored_as_one():
    spec, _ = normalize(
        {
            "mappings": [
                {"target": "title", "expression": "[jobTitle]"},
                {"target": ORGANIZATION, "expression": '"Contoso"'},
            ]
        },
        "user",
    )

    assert [{k: m[k] for k in ("attribute", "constant") if k in m} for m in spec["mappings"]] == [
        {"attribute": "jobTitle"},
        {"constant": "Contoso"},
    ]


@pytest.mark.parametrize(
    "expression",
    [
        ACTIVE,
        'Join(" ", [givenName], [surname])',
        'Replace([preferredLanguage], "-", , , "_", , )',
        "Mid([userPrincipalName], 1, 8)",
        "Coalesce([mail],[userPrincipalName])",
        "SingleAppRoleAssignment([appRoleAssignments])",
        'Switch(IsPresent([jobTitle]), "DefaultValue", "True", [jobTitle])',
        "Now()",
    ],
)
def test_documented_example_expressions_are_accepted(expression: str):
    expressions.validate(expression)


def test_the_offline_target_list_is_microsofts_current_asana_table():
    """The Asana tutorial's table (03/25/2025), which the emulator's template also maps."""
    from tests.test_emulator_asana_schema import TUTORIAL_GROUP_TARGETS, TUTORIAL_USER_TARGETS

    assert USER_TARGETS == TUTORIAL_USER_TARGETS
    assert GROUP_TARGETS == TUTORIAL_GROUP_TARGETS
    for target in ('emails[type eq "work"].value', "preferredLanguage"):
        _, problems = normalize({"mappings": [{"target": target, "attribute": "mail"}]}, "user")
        assert [path for path, _ in problems] == ["mappings[0].target"], target


def _user_name(priority: Any) -> dict[str, Any]:
    return {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": priority}


def _to_lower_of_length(length: int) -> str:
    """`ToLower([jobTitle])` padded with spaces to `length` characters."""
    return "ToLower(" + " " * (length - len("ToLower([jobTitle])")) + "[jobTitle])"


def _clause(**fields: Any) -> dict[str, Any]:
    return {"scopingFilter": [[{"attribute": "department", "operator": "EQUALS", **fields}]]}


MAPPING_KEYS = "attribute, constant, defaultValue, expression, flowType, matchingPriority, target"
SETTINGS = "actions, enabled, mappings, mode, scopingFilter, sourceObject, targetObject"
WHOLE = "must be a whole number from 0 to 100"
CLAUSE_SHAPE = "must be an object with attribute, operator and values"

# (rule broken, spec, kind, every problem normalize reports: the path as the stack file spells it
# in docs/mappings.md, and the whole message a user reads after `userMappings.`)
EXACTLY: list[tuple[str, Any, str, list[tuple[str, str]]]] = [
    (
        "not an object",
        ["title"],
        "user",
        [("", "must be an object with mappings, mode, enabled, actions, scopingFilter")],
    ),
    (
        "unknown setting",
        {"mapping": []},
        "user",
        [("mapping", f"is not a mapping setting; known: {SETTINGS}")],
    ),
    (
        "empty source object",
        {"sourceObject": ""},
        "user",
        [("sourceObject", "must be an object name such as User or Group")],
    ),
    (
        "source object not text",
        {"sourceObject": 42},
        "user",
        [("sourceObject", "must be an object name such as User or Group")],
    ),
    (
        "target object starting with a digit",
        {"targetObject": "2User"},
        "user",
        [("targetObject", "must be an object name such as User or Group")],
    ),
    (
        "target object not text",
        {"targetObject": ["User"]},
        "group",
        [("targetObject", "must be an object name such as User or Group")],
    ),
    (
        "no actions",
        {"actions": []},
        "user",
        [("actions", "must be a non-empty list of: create, update, delete")],
    ),
    (
        "mappings not a list",
        {"mappings": {"title": "jobTitle"}},
        "user",
        [("mappings", "must be a list of attribute mappings")],
    ),
    (
        "mapping not an object",
        {"mappings": ["title"]},
        "user",
        [("mappings[0]", "must be an object with target and a source")],
    ),
    (
        "unknown mapping field",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "flow": "Always"}]},
        "user",
        [("mappings[0].flow", f"is not known; known: {MAPPING_KEYS}")],
    ),
    (
        "mapping without a source",
        {"mappings": [{"target": "title"}]},
        "user",
        [("mappings[0]", "needs exactly one source: attribute, constant or expression")],
    ),
    (
        "empty target",
        {"mappings": [{"target": "", "attribute": "jobTitle"}]},
        "user",
        [("mappings[0].target", "must name an Asana attribute")],
    ),
    (
        "target not text",
        {"mappings": [{"target": 7, "attribute": "jobTitle"}]},
        "user",
        [("mappings[0].target", "must name an Asana attribute")],
    ),
    (
        "user target on a team",
        {"mappings": [{"target": "title", "attribute": "jobTitle"}]},
        "group",
        [
            (
                "mappings[0].target",
                "is 'title', which Asana does not accept; allowed: displayName, members",
            )
        ],
    ),
    (
        "matching priority true",
        {"mappings": [_user_name(True)]},
        "user",
        [("mappings[0].matchingPriority", WHOLE)],
    ),
    (
        "matching priority a fraction",
        {"mappings": [_user_name(1.5)]},
        "user",
        [("mappings[0].matchingPriority", WHOLE)],
    ),
    (
        "matching priority words",
        {"mappings": [_user_name("first")]},
        "user",
        [("mappings[0].matchingPriority", WHOLE)],
    ),
    (
        "matching priority above 100",
        {"mappings": [_user_name(101)]},
        "user",
        [("mappings[0].matchingPriority", WHOLE)],
    ),
    (
        "matching priority 100 is a number but not userName's",
        {"mappings": [_user_name(100)]},
        "user",
        [("mappings[0].matchingPriority", "must be 1 for userName")],
    ),
    (
        "default value not text",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "defaultValue": 5}]},
        "user",
        [("mappings[0].defaultValue", "must be text of at most 1024 characters")],
    ),
    (
        "default value too long",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "defaultValue": "x" * 1025}]},
        "user",
        [("mappings[0].defaultValue", "must be text of at most 1024 characters")],
    ),
    (
        "attribute not text",
        {"mappings": [{"target": "title", "attribute": 5}]},
        "user",
        [("mappings[0].attribute", "must be text")],
    ),
    (
        "expression longer than 4096 characters",
        {"mappings": [{"target": "title", "expression": _to_lower_of_length(4097)}]},
        "user",
        [("mappings[0].expression", "must be text")],
    ),
    (
        "constant with a backslash",
        {"mappings": [{"target": "title", "constant": "Sales\\EMEA"}]},
        "user",
        [("mappings[0].constant", "must be text without double quotes or backslashes")],
    ),
    (
        "constant too long",
        {"mappings": [{"target": "title", "constant": "x" * 1025}]},
        "user",
        [("mappings[0].constant", "must be text without double quotes or backslashes")],
    ),
    (
        "clause with an unknown field",
        _clause(values=["Sales"], negate=True),
        "user",
        [("scopingFilter[0][0]", CLAUSE_SHAPE)],
    ),
    (
        "clause not an object",
        {"scopingFilter": [[5]]},
        "user",
        [("scopingFilter[0][0]", CLAUSE_SHAPE)],
    ),
    (
        "clause attribute with a space",
        _clause(attribute="job title", values=["Sales"]),
        "user",
        [("scopingFilter[0][0].attribute", "must be an Entra attribute name")],
    ),
    (
        "clause values one text",
        _clause(values="Sales"),
        "user",
        [("scopingFilter[0][0].values", "must be a list of text values")],
    ),
    (
        "clause value a number",
        _clause(values=[5]),
        "user",
        [("scopingFilter[0][0].values", "must be a list of text values")],
    ),
    (
        "clause value too long",
        _clause(values=["x" * 1025]),
        "user",
        [("scopingFilter[0][0].values", "must be a list of text values")],
    ),
]


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [case[1:] for case in EXACTLY],
    ids=[case[0] for case in EXACTLY],
)
def test_a_bad_setting_gets_exactly_one_message_naming_its_path(
    raw: Any, kind: str, expected: list[tuple[str, str]]
):
    _, problems = normalize(raw, kind)

    assert problems == expected


# (limit, spec for users at it): each limit is inclusive, as its message says ("at most").
AT_THE_LIMIT: list[tuple[str, dict[str, Any]]] = [
    (
        "default value of 1024 characters",
        {"mappings": [{"target": "title", "attribute": "jobTitle", "defaultValue": "x" * 1024}]},
    ),
    ("constant of 1024 characters", {"mappings": [{"target": "title", "constant": "x" * 1024}]}),
    (
        "expression of 4096 characters",
        {"mappings": [{"target": "title", "expression": _to_lower_of_length(4096)}]},
    ),
    (
        "50 filter groups",
        {
            "scopingFilter": [
                [{"attribute": "department", "operator": "EQUALS", "values": [f"D{n}"]}]
                for n in range(50)
            ]
        },
    ),
    (
        "50 clauses in a group",
        {
            "scopingFilter": [
                [
                    {"attribute": "department", "operator": "NOT EQUALS", "values": [f"D{n}"]}
                    for n in range(50)
                ]
            ]
        },
    ),
    ("100 values", _clause(values=[f"D{n}" for n in range(100)])),
    ("filter value of 1024 characters", _clause(values=["x" * 1024])),
]


@pytest.mark.parametrize(
    "raw", [case[1] for case in AT_THE_LIMIT], ids=[case[0] for case in AT_THE_LIMIT]
)
def test_a_value_at_its_limit_is_accepted_as_written(raw: dict[str, Any]):
    spec, problems = normalize(raw, "user")

    assert problems == []
    if "scopingFilter" in raw:
        assert spec["scopingFilter"] == raw["scopingFilter"]
    for mapping, written in zip(spec["mappings"], raw.get("mappings", []), strict=True):
        assert {key: mapping[key] for key in written} == written


@pytest.mark.parametrize(
    ("text", "enabled"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False)],
    ids=["true", "True", "TRUE", "false", "False"],
)
def test_enabled_given_as_text_reads_as_the_boolean_it_spells(text: str, enabled: bool):
    """`pulumi config set` stores text; YAML writers spell booleans in any case."""
    spec, problems = normalize({"enabled": text}, "user")

    assert problems == []
    assert spec["enabled"] is enabled


def test_a_refused_setting_reads_as_its_documented_default():
    """docs/mappings.md: mode merge, enabled true, all three actions, objects User (or Group)."""
    spec, problems = normalize(
        {
            "sourceObject": "",
            "targetObject": 3,
            "mode": "replace",
            "enabled": "yes",
            "actions": "create",
        },
        "group",
    )

    assert [path for path, _ in problems] == [
        "sourceObject",
        "targetObject",
        "mode",
        "enabled",
        "actions",
    ]
    assert spec == {
        "sourceObject": "Group",
        "targetObject": "Group",
        "mode": "merge",
        "enabled": True,
        "actions": ["create", "update", "delete"],
        "mappings": [],
    }


def test_a_matching_priority_given_as_text_is_the_int32_graph_stores():
    spec, problems = normalize({"mappings": [_user_name("1")]}, "user")

    assert problems == []
    assert spec["mappings"][0]["matchingPriority"] == 1
    assert type(spec["mappings"][0]["matchingPriority"]) is int


def test_one_bad_mapping_does_not_stop_the_others_being_checked():
    spec, problems = normalize(
        {
            "mappings": [
                "title",
                {"target": "title", "attribute": "jobTitle"},
                {"target": "title", "attribute": "department"},
                {"target": "active", "expression": "Capitalize([IsSoftDeleted])"},
                {"target": ORGANIZATION, "constant": "Contoso"},
            ]
        },
        "user",
    )

    assert [path for path, _ in problems] == [
        "mappings[0]",
        "mappings[2].target",
        "mappings[3].expression",
    ]
    assert [m["target"] for m in spec["mappings"]] == ["title", ORGANIZATION]


def test_a_refused_mapping_is_left_out_and_does_not_claim_its_target():
    spec, problems = normalize(
        {
            "mappings": [
                {"target": "title", "attribute": "job title"},
                {"target": "title", "attribute": "jobTitle"},
            ]
        },
        "user",
    )

    assert [path for path, _ in problems] == ["mappings[0].attribute"]
    assert [(m["target"], m["attribute"]) for m in spec["mappings"]] == [("title", "jobTitle")]


def test_one_bad_filter_group_does_not_stop_the_others_being_checked():
    spec, problems = normalize(
        {
            "scopingFilter": [
                [],
                [{"attribute": "job title", "operator": "IS NOT NULL"}],
                [{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}],
            ]
        },
        "user",
    )

    assert [path for path, _ in problems] == ["scopingFilter[0]", "scopingFilter[1][0].attribute"]
    assert spec["scopingFilter"][-1] == [
        {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}
    ]


def test_a_unary_operator_needs_no_values_key():
    """filterOperators: IS TRUE and the other unary operators take no value."""
    spec, problems = normalize(
        {"scopingFilter": [[{"attribute": "accountEnabled", "operator": "IS TRUE"}]]}, "user"
    )

    assert problems == []
    assert spec["scopingFilter"] == [
        [{"attribute": "accountEnabled", "operator": "IS TRUE", "values": []}]
    ]


@pytest.mark.parametrize(
    "expression",
    ['"Sales\\\\EMEA"', '"Contoso \\"EMEA\\""', '"' + "x" * 2000 + '"'],
    ids=["escaped backslash", "escaped quotes", "longer than a constant"],
)
def test_a_string_expression_a_constant_could_not_hold_stays_an_expression(expression: str):
    """Microsoft's expression reference escapes a quote in a string constant with a backslash
    (`"Company name: \\"Contoso\\""`): such a string means its unescaped text, so storing it
    as a constant with its backslashes would change the value; it stays the expression, which
    Entra reads. So does a string longer than a `constant` setting may be."""
    spec, problems = normalize(
        {"mappings": [{"target": "title", "expression": expression}]}, "user"
    )

    assert problems == []
    assert spec["mappings"][0].get("expression") == expression
    assert "constant" not in spec["mappings"][0]


def test_a_string_expression_as_long_as_a_constant_may_be_is_stored_as_the_constant():
    longest = "x" * 1024  # a constant's bound, as docs/mappings.md gives it

    spec, problems = normalize(
        {"mappings": [{"target": "title", "expression": f'"{longest}"'}]}, "user"
    )

    assert problems == []
    assert spec["mappings"][0].get("constant") == longest


def test_an_expression_that_is_a_lone_number_keeps_the_number():
    spec, problems = normalize({"mappings": [{"target": "title", "expression": "42"}]}, "user")

    assert problems == []
    mapping = spec["mappings"][0]
    assert mapping.get("expression", mapping.get("constant")) == "42"


def test_two_hundred_mappings_are_each_checked_and_more_are_refused_whole():
    title = {"target": "title", "attribute": "jobTitle"}

    _, at_the_limit = normalize({"mappings": [title] * 200}, "user")
    _, over = normalize({"mappings": [title] * 201}, "user")

    assert at_the_limit == [
        (f"mappings[{n}].target", "maps 'title' a second time") for n in range(1, 200)
    ]
    assert over == [("mappings", "has 201 entries; at most 200")]
