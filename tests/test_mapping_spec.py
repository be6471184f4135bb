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
