"""Small rules/ modules, each against the document that fixes it; expected values are written
from the documents, not computed by the code under test."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rules import (
    azuread_ids,
    expressions,
    identifiers,
    mapping_spec,
    pending,
    redaction,
    saml,
    schema_edit,
    schema_targets,
)
from rules import provisioning_scope as scope
from rules.header_values import header_value_problem
from rules.moments import graph_moment
from rules.schema_edit import SchemaEditError
from rules.tokens import MAX_TOKEN_LENGTH, token_problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2/1/2:abc", None),
        ("!~", None),  # the ends of visible ASCII (RFC 9110 section 5.5: VCHAR, %x21-7E)
        ("abc def", "has a space or line break"),
        ("abc\ndef", "has a space or line break"),
        ("abc\x00", "has a control character"),
        ("abc\x7f", "has a control character"),
    ],
    ids=["token", "visible ascii ends", "space", "line break", "nul", "del"],
)
def test_a_header_value_must_be_visible_ascii(value: str, problem: str | None):
    assert header_value_problem(value) == problem


def test_a_character_past_ascii_is_named_by_its_code_point_never_quoted():
    assert header_value_problem("abc\u2026") == (
        "has U+2026 (horizontal ellipsis, as a truncated copy leaves), which an HTTP header "
        "cannot carry: only visible ASCII characters are allowed"
    )
    assert header_value_problem("\u0410bc") == (
        "has U+0410 (cyrillic capital letter a), which an HTTP header cannot carry: only "
        "visible ASCII characters are allowed"
    )


def test_a_token_is_refused_when_empty_or_too_long_and_kept_at_the_limit():
    assert token_problem("  ") == "is empty"
    assert token_problem("a" * MAX_TOKEN_LENGTH) is None
    assert token_problem("a" * (MAX_TOKEN_LENGTH + 1)) == f"is over {MAX_TOKEN_LENGTH} characters"
    assert MAX_TOKEN_LENGTH == 4096


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2029-01-31T00:00:00Z", datetime(2029, 1, 31, tzinfo=UTC)),
        ("2029-01-31t00:00:00z", datetime(2029, 1, 31, tzinfo=UTC)),  # RFC 3339 5.6 NOTE
        (
            "2029-01-31T02:00:00+02:00",
            datetime(2029, 1, 31, 2, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2029-01-31T00:00:00", None),  # no time zone: not an Edm.DateTimeOffset
        ("not a date", None),
        (None, None),
    ],
)
def test_graph_moments_are_rfc3339_date_times_with_a_time_zone(value, expected):
    assert graph_moment(value) == expected


# --- rules/schema_edit.py: one object mapping of a synchronization schema, written as Graph's
# own resources spell it (Learn: synchronization-attributemapping, -attributemappingsource,
# -objectmapping, -filter; api-facts graph-synchronization §2). Every expected body below is
# written out from those pages, field by field.

ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_NAME = {
    "defaultValue": None,
    "exportMissingReferences": False,
    "flowBehavior": "FlowWhenChanged",
    "flowType": "Always",
    "matchingPriority": 1,
    "source": {
        "expression": "[userPrincipalName]",
        "name": "userPrincipalName",
        "parameters": [],
        "type": "Attribute",
    },
    "targetAttributeName": "userName",
}
TITLE = {
    "defaultValue": None,
    "exportMissingReferences": False,
    "flowBehavior": "FlowWhenChanged",
    "flowType": "Always",
    "matchingPriority": 0,
    "source": {
        "expression": "[jobTitle]",
        "name": "jobTitle",
        "parameters": [],
        "type": "Attribute",
    },
    "targetAttributeName": "title",
}
# What parseExpression returns for Join(" ", [givenName], [surname]) (Learn:
# synchronization-synchronizationschema-parseexpression, parsedExpression).
PARSED_JOIN = {
    "expression": 'Join(" ", [givenName], [surname])',
    "name": "Join",
    "parameters": [
        {"key": "separator", "value": {"expression": '" "', "name": " ", "parameters": [],
                                        "type": "Constant"}},
        {"key": "source", "value": {"expression": "[givenName]", "name": "givenName",
                                     "parameters": [], "type": "Attribute"}},
        {"key": "source", "value": {"expression": "[surname]", "name": "surname",
                                     "parameters": [], "type": "Attribute"}},
    ],
    "type": "Function",
}  # fmt: skip


def schema_with(object_mapping: dict) -> dict:
    return {
        "id": "asana",
        "version": "Date:2026-11-01",
        "directories": [{"name": "Asana", "objects": []}],
        "synchronizationRules": [
            {
                "name": "USER_OUTBOUND_USER",
                "objectMappings": [
                    {
                        "name": "Provision groups",
                        "sourceObjectName": "Group",
                        "targetObjectName": "Group",
                        "enabled": True,
                        "flowTypes": "Add, Update, Delete",
                        "attributeMappings": [],
                    },
                    object_mapping,
                ],
            }
        ],
    }


def live_users(**changes) -> dict:
    return {
        "name": "Provision Microsoft Entra ID Users",
        "sourceObjectName": "User",
        "targetObjectName": "User",
        "enabled": True,
        "flowTypes": "Add, Update, Delete",
        "attributeMappings": [dict(USER_NAME), dict(TITLE)],
        "scope": None,
        **changes,
    }


def desired(mode: str, mappings: list[dict], **extra) -> dict:
    spec = {
        "sourceObject": "User",
        "targetObject": "User",
        "mode": mode,
        "enabled": True,
        "actions": ["create", "update", "delete"],
        "mappings": [
            {"flowType": "Always", "matchingPriority": 0, **mapping} for mapping in mappings
        ],
    }
    return {**spec, **extra}


def test_new_mappings_are_written_as_graph_attribute_mappings_of_each_source_kind():
    spec = desired(
        "merge",
        [
            {"target": ENTERPRISE_USER + ":department", "attribute": "department"},
            {"target": ENTERPRISE_USER + ":organization", "constant": "Contoso (dev)"},
            {"target": "displayName", "expression": 'Join(" ", [givenName], [surname])',
             "defaultValue": "unknown"},
        ],
    )  # fmt: skip
    parsed = {'Join(" ", [givenName], [surname])': PARSED_JOIN}

    result = schema_edit.apply(schema_with(live_users()), spec, "userName", parsed)

    users = result["synchronizationRules"][0]["objectMappings"][1]
    assert users["attributeMappings"] == [
        USER_NAME,
        TITLE,
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "source": {"expression": "[department]", "name": "department", "parameters": [],
                       "type": "Attribute"},
            "targetAttributeName": ENTERPRISE_USER + ":department",
        },
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "source": {"expression": '"Contoso (dev)"', "name": "Contoso (dev)",
                       "parameters": [], "type": "Constant"},
            "targetAttributeName": ENTERPRISE_USER + ":organization",
        },
        {
            "defaultValue": "unknown",
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "source": PARSED_JOIN,
            "targetAttributeName": "displayName",
        },
    ]  # fmt: skip
    assert users["flowTypes"] == "Add, Update, Delete"
    assert (
        result["synchronizationRules"][0]["objectMappings"][0]
        == schema_with(live_users())["synchronizationRules"][0]["objectMappings"][0]
    )
    assert {k: v for k, v in result.items() if k != "synchronizationRules"} == {
        "id": "asana",
        "version": "Date:2026-11-01",
        "directories": [{"name": "Asana", "objects": []}],
    }


def test_an_exact_spec_drops_what_it_does_not_list_and_rewrites_only_what_changed():
    spec = desired(
        "exact",
        [
            {"target": "userName", "attribute": "mail", "matchingPriority": 1},
            {"target": "title", "attribute": "jobTitle", "flowType": "ObjectAddOnly"},
        ],
        actions=["create", "update"],
        enabled=False,
    )

    result = schema_edit.apply(schema_with(live_users()), spec, "userName")

    users = result["synchronizationRules"][0]["objectMappings"][1]
    assert users["enabled"] is False
    assert users["flowTypes"] == "Add, Update"
    assert users["attributeMappings"] == [
        {**USER_NAME, "source": {"expression": "[mail]", "name": "mail", "parameters": [],
                                 "type": "Attribute"}},
        {**TITLE, "flowType": "ObjectAddOnly"},
    ]  # fmt: skip


def test_a_scoping_filter_is_written_as_graph_filter_groups_named_in_order():
    spec = desired(
        "merge",
        [],
        scopingFilter=[
            [{"attribute": "department", "operator": "EQUALS", "values": ["Engineering"]}],
            [
                {"attribute": "accountEnabled", "operator": "IS TRUE", "values": []},
                {"attribute": "country", "operator": "NOT EQUALS", "values": ["FR", "DE"]},
            ],
        ],
    )

    result = schema_edit.apply(schema_with(live_users()), spec, "userName")

    assert result["synchronizationRules"][0]["objectMappings"][1]["scope"] == {
        "groups": [
            {
                "clauses": [
                    {"operatorName": "EQUALS", "sourceOperandName": "department",
                     "targetOperand": {"values": ["Engineering"]}},
                ],
                "name": "Scoping group 1",
            },
            {
                "clauses": [
                    {"operatorName": "IS TRUE", "sourceOperandName": "accountEnabled",
                     "targetOperand": {"values": []}},
                    {"operatorName": "NOT EQUALS", "sourceOperandName": "country",
                     "targetOperand": {"values": ["FR", "DE"]}},
                ],
                "name": "Scoping group 2",
            },
        ]
    }  # fmt: skip


def test_the_live_spec_reads_graph_fields_back_in_the_stack_files_words():
    live = live_users(
        enabled=False,
        flowTypes="Add,Update",
        scope={"groups": [{"name": "Pilot", "clauses": [
            {"operatorName": "EQUALS", "sourceOperandName": "department",
             "targetOperand": {"values": ["Asana Pilot"]}}]}]},
        attributeMappings=[
            dict(USER_NAME),
            {**TITLE, "flowType": "ObjectAddOnly", "defaultValue": "none"},
            {**TITLE, "targetAttributeName": "locale",
             "source": {"expression": '"en-GB"', "name": "en-GB", "parameters": [],
                        "type": "Constant"}},
            {**TITLE, "targetAttributeName": "displayName", "source": PARSED_JOIN},
        ],
    )  # fmt: skip
    wanted = desired("exact", [], scopingFilter=[])
    wanted["sourceObject"] = "urn:ietf:params:scim:schemas:core:2.0:User"  # the same object

    assert schema_edit.live_spec(schema_with(live), wanted) == {
        "sourceObject": "urn:ietf:params:scim:schemas:core:2.0:User",
        "targetObject": "User",
        "mode": "exact",
        "enabled": False,
        "actions": ["create", "update"],
        "mappings": [
            {"target": "userName", "attribute": "userPrincipalName", "flowType": "Always",
             "matchingPriority": 1},
            {"target": "title", "attribute": "jobTitle", "flowType": "ObjectAddOnly",
             "matchingPriority": 0, "defaultValue": "none"},
            {"target": "locale", "constant": "en-GB", "flowType": "Always", "matchingPriority": 0},
            {"target": "displayName", "expression": 'Join(" ", [givenName], [surname])',
             "flowType": "Always", "matchingPriority": 0},
        ],
        "scopingFilter": [
            [{"attribute": "department", "operator": "EQUALS", "values": ["Asana Pilot"]}]
        ],
    }  # fmt: skip


def test_a_merge_spec_reads_back_only_the_targets_it_manages_and_a_missing_mapping_is_on():
    live = live_users()
    del live["enabled"], live["flowTypes"]

    spec = schema_edit.live_spec(
        schema_with(live), desired("merge", [{"target": "TITLE", "attribute": "x"}])
    )

    assert spec["mappings"] == [
        {"target": "title", "attribute": "jobTitle", "flowType": "Always", "matchingPriority": 0}
    ]
    assert (spec["enabled"], spec["actions"]) == (True, ["create", "update", "delete"])
    assert "scopingFilter" not in spec


@pytest.mark.parametrize(
    ("matching", "other"), [(1.0, 0.0), (2**31 - 1, -(2**31))], ids=["doubles", "int32 ends"]
)
def test_matching_priority_is_written_as_graphs_int32(matching, other):
    """attributeMapping.matchingPriority is Int32; the engine hands every number as a double."""
    spec = desired(
        "merge",
        [{"target": "userName", "attribute": "mail"}, {"target": "title", "attribute": "mail"}],
    )
    spec["mappings"][0]["matchingPriority"] = matching
    spec["mappings"][1]["matchingPriority"] = other

    result = schema_edit.apply(schema_with(live_users()), spec, "userName")

    written = result["synchronizationRules"][0]["objectMappings"][1]["attributeMappings"]
    assert [m["matchingPriority"] for m in written] == [int(matching), int(other)]
    assert [type(m["matchingPriority"]) for m in written] == [int, int]


@pytest.mark.parametrize("priority", [1.5, 2**31, -(2**31) - 1])
def test_a_matching_priority_that_is_no_int32_is_refused(priority):
    spec = desired("merge", [{"target": "title", "attribute": "mail"}])
    spec["mappings"][0]["matchingPriority"] = priority

    with pytest.raises(schema_edit.SchemaEditError) as error:
        schema_edit.apply(schema_with(live_users()), spec, "userName")

    assert str(error.value) == f"matchingPriority {priority!r} is not a 32-bit whole number"


def test_restoring_puts_back_each_managed_field_of_the_template_and_removes_one_it_lacks():
    template = schema_with(live_users())
    live = schema_with(
        live_users(enabled=False, flowTypes="Add", scope={"groups": []},
                   attributeMappings=[dict(USER_NAME)])
    )  # fmt: skip
    del template["synchronizationRules"][0]["objectMappings"][1]["scope"]

    restored = schema_edit.restore_object_mapping(live, template, "User", "User")

    users = restored["synchronizationRules"][0]["objectMappings"][1]
    assert users["attributeMappings"] == [USER_NAME, TITLE]
    assert (users["enabled"], users["flowTypes"], users["scope"]) == (
        True,
        "Add, Update, Delete",
        None,
    )
    assert schema_edit.restore_differences(restored, template, "User", "User") == []


def test_changes_name_each_difference_for_a_person_reading_the_diff():
    live = {
        "enabled": True,
        "actions": ["create", "update", "delete"],
        "mappings": [
            {"target": "userName", "attribute": "userPrincipalName", "flowType": "Always",
             "matchingPriority": 1},
            {"target": "title", "attribute": "jobTitle", "flowType": "Always",
             "matchingPriority": 0},
        ],
        "scopingFilter": [],
    }  # fmt: skip
    wanted = {
        "mode": "exact",
        "enabled": False,
        "actions": ["create"],
        "mappings": [
            {"target": "USERNAME", "attribute": "userPrincipalName", "flowType": "Always",
             "matchingPriority": 1},
            {"target": "locale", "constant": "en", "flowType": "ObjectAddOnly",
             "matchingPriority": 0, "defaultValue": "x"},
        ],
        "scopingFilter": [[{"attribute": "department", "operator": "EQUALS",
                            "values": ["Sales"]}]],
    }  # fmt: skip

    assert schema_edit.changes(wanted, live) == [
        "enabled: true -> false",
        "actions: create, update, delete -> create",
        'locale: not mapped -> "en" flowType ObjectAddOnly defaultValue x',
        "title: [jobTitle] -> removed",
        "scoping filter: none -> (department EQUALS ['Sales'])",
    ]
    assert schema_edit.changes({**wanted, "actions": []}, {**live, "actions": []})[1:2] == [
        'locale: not mapped -> "en" flowType ObjectAddOnly defaultValue x'
    ]


# --- rules/provisioning_scope.py: who is in scope on each side and what the change does to
# them (docs/impact.md; Learn: "How Application Provisioning works" (HOW), "Scoping users or
# groups to be provisioned with scoping filters").


def configuration(**changes) -> scope.Configuration:
    base = {
        "job": True,
        "running": True,
        "sync_all": False,
        "skip_out_of_scope_deletions": False,
        "users_mapped": True,
        "user_filter": scope.ScopingFilter(),
        "groups_mapped": True,
        "group_filter": scope.ScopingFilter(),
        "assigned_users": frozenset({"u1"}),
        "assigned_groups": {"g1": "Asana Users"},
    }
    return scope.Configuration(**{**base, **changes})


DEPARTMENT_IS_SALES = scope.compile_filter(
    {"groups": [{"name": "Sales", "clauses": [
        {"operatorName": "EQUALS", "sourceOperandName": "department",
         "targetOperand": {"values": ["Sales"]}}]}]},
    scope.operators_from_graph([{"name": "EQUALS", "supportedAttributeTypes": ["String"]}]),
    {"department": scope.AttributeDef("department", "String")},
)  # fmt: skip


@pytest.mark.parametrize(
    ("config", "group_id", "department", "expected"),
    [
        (configuration(job=False), "g1", "Sales", (False, "group provisioning is off")),
        (configuration(groups_mapped=False), "g1", "Sales", (False, "group provisioning is off")),
        (configuration(), "g2", "Sales", (False, "not assigned")),
        (configuration(), "G1", "Sales", (True, "assigned")),
        (configuration(sync_all=True), "g2", "Sales", (True, "scope is all")),
        (
            configuration(group_filter=DEPARTMENT_IS_SALES),
            "g1",
            "Finance",
            (False, "filtered out by clause department EQUALS 'Sales'"),
        ),
        (configuration(group_filter=DEPARTMENT_IS_SALES), "g1", "Sales", (True, "assigned")),
    ],
    ids=["no job", "groups not mapped", "not assigned", "assigned", "sync all", "filtered",
         "passes"],
)  # fmt: skip
def test_a_group_is_in_scope_when_assigned_or_all_and_it_passes_the_group_filter(
    config, group_id, department, expected
):
    decision = scope.group_decision(config, group_id, {"department": department}.get)

    assert (decision.verdict, decision.reason) == expected


IN = scope.Decision(True, "assigned directly")
OUT = scope.Decision(False, "not assigned")


@pytest.mark.parametrize(
    ("now", "after", "later", "expected"),
    [
        (IN, IN, configuration(), None),
        (OUT, OUT, configuration(), None),
        (OUT, IN, configuration(), (scope.GAINS, "newly assigned directly")),
        (IN, OUT, configuration(), (scope.LOSES, "no longer assigned (was assigned directly)")),
        # HOW: out of scope disables the account, unless SkipOutOfScopeDeletions is on
        (
            IN,
            OUT,
            configuration(skip_out_of_scope_deletions=True),
            (scope.NO_LONGER_MAINTAINED,
             "no longer assigned (was assigned directly); SkipOutOfScopeDeletions is on"),
        ),
        # Deleting the job leaves synchronized accounts as they are
        (
            IN,
            scope.Decision(False, "no provisioning job"),
            configuration(job=False),
            (scope.NO_LONGER_MAINTAINED,
             "provisioning removed from the stack (accounts are left as they are)"),
        ),
        (
            IN,
            scope.Decision(False, "the user mapping is turned off"),
            configuration(users_mapped=False),
            (scope.NO_LONGER_MAINTAINED, "the user mapping is turned off"),
        ),
        (
            scope.Decision(None, "clause x cannot be told"),
            IN,
            configuration(),
            (scope.CANNOT_TELL, "now: clause x cannot be told"),
        ),
        (
            IN,
            scope.Decision(None, "clause y cannot be told"),
            configuration(),
            (scope.CANNOT_TELL, "after the change: clause y cannot be told"),
        ),
    ],
    ids=["stays in", "stays out", "gains", "loses", "skip deletions", "job deleted",
         "mapping off", "undecided now", "undecided after"],
)  # fmt: skip
def test_what_the_change_does_to_one_person(now, after, later, expected):
    result = scope.change(now, after, configuration(), later)

    assert (None if result is None else (result.kind, result.reason)) == expected


@pytest.mark.parametrize(
    ("now", "after", "before", "later", "reason"),
    [
        (
            OUT,
            IN,
            configuration(job=False),
            configuration(),
            "assigned directly (provisioning starts)",
        ),
        (
            OUT,
            scope.Decision(True, "scope is all users and groups"),
            configuration(),
            configuration(sync_all=True),
            "scope changed to all users and groups",
        ),
        (
            scope.Decision(False, "account disabled"),
            scope.Decision(True, "assigned through group Asana Users"),
            configuration(),
            configuration(),
            "newly assigned through group Asana Users",
        ),
        (
            scope.Decision(False, "filtered out by clause department EQUALS 'Sales'"),
            IN,
            configuration(),
            configuration(),
            "passes the new scoping filter (assigned directly)",
        ),
        (
            scope.Decision(False, "clause department EQUALS Sales"),
            IN,
            configuration(),
            configuration(),
            "passes the new scoping filter (assigned directly)",
        ),
        (
            scope.Decision(False, "the user mapping is turned off"),
            IN,
            configuration(),
            configuration(),
            "assigned directly",
        ),
    ],
    ids=["job created", "scope all", "enabled again", "filter", "clause", "mapping on"],
)  # fmt: skip
def test_why_someone_gains_asana(now, after, before, later, reason):
    result = scope.change(now, after, before, later)

    assert result is not None and (result.kind, result.reason) == (scope.GAINS, reason)


@pytest.mark.parametrize(
    ("now", "after", "before", "later", "reason"),
    [
        (
            scope.Decision(False, "account disabled"),
            scope.Decision(True, "scope is all users and groups"),
            configuration(sync_all=True),
            configuration(sync_all=True),
            "scope is all users and groups",
        ),
        (
            scope.Decision(
                False, "filtered out by clause extensionAttribute1 NOT EQUALS 'no longer employed'"
            ),
            IN,
            configuration(),
            configuration(),
            "passes the new scoping filter (assigned directly)",
        ),
    ],
    ids=["enabled again under sync all", "a clause whose value says no longer"],
)
def test_newly_is_said_only_of_an_assignment_and_only_after_an_unassigned_or_disabled_account(
    now, after, before, later, reason
):
    """Someone who was assigned all along but filtered out is not "newly assigned", whatever
    words the clause that filtered them out holds; under Sync all nobody is "newly" anything."""
    result = scope.change(now, after, before, later)

    assert result is not None and (result.kind, result.reason) == (scope.GAINS, reason)


def test_leaving_sync_all_names_the_scope_change():
    result = scope.change(IN, OUT, configuration(sync_all=True), configuration())

    assert result is not None
    assert (result.kind, result.reason) == (
        scope.LOSES,
        "scope changed to assigned users and groups only",
    )


def test_source_attributes_come_from_the_directory_the_rule_reads():
    schema = {
        "directories": [
            {"name": "Asana", "objects": [{"name": "User", "attributes": [{"name": "title"}]}]},
            {"name": "Azure Active Directory", "objects": [
                {"name": "Group", "attributes": [{"name": "displayName"}]},
                {"name": "User", "attributes": [
                    {"name": "department", "type": "String"},
                    {"name": "proxyAddresses", "type": "String", "multivalued": True},
                    {"name": "accountEnabled", "type": "Boolean"},
                    {"type": "String"},
                ]},
            ]},
        ]
    }  # fmt: skip

    found = scope.attributes_from_schema(schema, "azure active directory", "user")

    assert found == {
        "department": scope.AttributeDef("department", "String", False),
        "proxyaddresses": scope.AttributeDef("proxyAddresses", "String", True),
        "accountenabled": scope.AttributeDef("accountEnabled", "Boolean", False),
    }
    assert scope.attributes_from_schema(schema, None, "User") == {
        "title": scope.AttributeDef("title", "String", False)
    }
    assert scope.attributes_from_schema(schema, "Elsewhere", "User") == {
        "title": scope.AttributeDef("title", "String", False)
    }
    assert scope.attributes_from_schema(schema, None, "Device") == {}


def test_a_filter_describes_itself_as_the_portal_lists_it():
    assert scope.ScopingFilter().describe() == "none (everyone passes)"
    assert DEPARTMENT_IS_SALES.describe() == "(department EQUALS 'Sales')"
    assert scope.ScopingFilter(problem="experimental").describe() == (
        "cannot be read (experimental)"
    )


# --- small helpers, against the formats Graph documents


def test_a_job_reference_is_a_job_id_or_the_azuread_resource_id_ending_in_one():
    job = "asana.0a1b2c3d4e5f40718293a4b5c6d7e8f9.6f5e4d3c-2b1a-4098-8765-43210fedcba9"
    resource = f"/servicePrincipals/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/synchronization/jobs/{job}"

    assert identifiers.is_job_reference(job) and identifiers.is_job_reference(resource)
    assert identifiers.job_id_of(resource) == job
    assert identifiers.job_id_of(job) == job
    assert not identifiers.is_job_reference("a job/with a slash")
    assert not identifiers.is_job_reference(None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", True),
        ("9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A", True),
        ("9f8e7d6c5b4a43928170-6f5e4d3c2b1a", False),
        ("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1", False),
        (42, False),
    ],
)
def test_a_guid_is_8_4_4_4_12_hex_digits(value, expected):
    assert identifiers.is_guid(value) is expected


def test_a_mapping_spec_read_back_without_a_matching_priority_is_left_as_it_is():
    """State written before matchingPriority was filled in holds mappings without one."""
    old = {"mappings": [{"target": "title", "attribute": "jobTitle"}]}

    assert mapping_spec.from_wire(old) == {
        "mappings": [{"target": "title", "attribute": "jobTitle"}]
    }


def test_the_redaction_digest_is_twelve_hex_digits_of_sha256():
    assert redaction.digest("s3cret") == hashlib.sha256(b"s3cret").hexdigest()[:12]


def test_a_spec_crosses_the_engine_as_the_resources_properties_and_back_with_whole_numbers():
    spec = {
        "sourceObject": "User",
        "targetObject": "User",
        "mode": "merge",
        "enabled": True,
        "actions": ["create"],
        "mappings": [{"target": "userName", "attribute": "mail", "matchingPriority": 1}],
        "scopingFilter": [],
    }
    wire = {
        "source_object": "User",
        "target_object": "User",
        "mode": "merge",
        "enabled": True,
        "actions": ["create"],
        "mappings": [{"target": "userName", "attribute": "mail", "matchingPriority": 1}],
        "scoping_filter": [],
    }

    assert mapping_spec.to_wire(spec) == wire
    engine = {**wire, "mappings": [{**wire["mappings"][0], "matchingPriority": 1.0}, "odd"]}
    back = mapping_spec.from_wire(engine)
    assert back == {**spec, "mappings": [spec["mappings"][0], "odd"]}
    assert type(back["mappings"][0]["matchingPriority"]) is int
    assert mapping_spec.from_wire({"mappings": [{"matchingPriority": 1.5}]}) == {
        "mappings": [{"matchingPriority": 1.5}]
    }


@pytest.mark.parametrize(
    ("expression", "name"),
    [
        ('Join(" ", [givenName], [surname])', "Join"),
        ('  Switch([IsSoftDeleted], , "False", "True")', "Switch"),
        ("[mail]", None),
        ('"constant"', None),
        ("Join", None),
        ("Now(", "Now"),
    ],
    ids=["function call", "leading spaces", "attribute", "constant", "name alone",
         "a call not yet closed"],
)  # fmt: skip
def test_the_outer_function_of_an_expression(expression, name):
    """A call is a function name followed by its opening parenthesis; the arguments and the
    closing parenthesis are `validate`'s concern, not this reading's."""
    assert expressions.outer_function(expression) == name


def test_the_canonical_expression_drops_only_the_spaces_between_tokens():
    """Spaces between tokens are insignificant (functions-for-customizing-application-data:
    `Join(" ", [givenName], [surname])`); those inside a string constant are the value, and an
    attribute keeps its square brackets, so the canonical form is still an expression."""
    assert (
        expressions.canonical('Join(" ",  [givenName] , [surname])')
        == 'Join(" ",[givenName],[surname])'
    )
    switch = ' Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    assert expressions.canonical(switch) == 'Switch([IsSoftDeleted],,"False","True","True","False")'


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("Sales", "'Sales'"),
        ("O'Brien's team", "'O''Brien''s team'"),
        ("''", "''''''"),  # each of the two quotes doubled, inside the enclosing pair
    ],
    ids=["plain", "apostrophes", "only apostrophes"],
)
def test_an_odata_string_literal_doubles_each_single_quote(value, literal):
    """OData ABNF: string = SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE, where
    SQUOTE-in-string = SQUOTE SQUOTE (https://learn.microsoft.com/graph/filter-query-parameter:
    "escape single quotes by doubling them")."""
    assert identifiers.odata_string(value) == literal


def test_the_target_attributes_are_those_of_the_target_directorys_object():
    schema = {
        "directories": [
            {"name": "Azure Active Directory", "objects": [
                {"name": "User", "attributes": [{"name": "mail"}]}]},
            {"name": "Asana", "objects": [
                {"name": "Group", "attributes": [{"name": "members"}]},
                {"name": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": [
                    {"name": "userName"}, {"name": "title"}, "not an attribute"]},
            ]},
        ],
        "synchronizationRules": [{
            "sourceDirectoryName": "Azure Active Directory",
            "targetDirectoryName": "asana",
            "objectMappings": [{"sourceObjectName": "User",
                                "targetObjectName": "urn:ietf:params:scim:schemas:core:2.0:User"}],
        }],
    }  # fmt: skip

    assert schema_targets.target_attributes(schema, "User", "User") == ["userName", "title"]
    rule = schema["synchronizationRules"][0]
    with pytest.raises(SchemaEditError) as no_directory:
        schema_targets.target_attributes(
            {**schema, "synchronizationRules": [{**rule, "targetDirectoryName": "Slack"}]},
            "User",
            "User",
        )
    assert str(no_directory.value) == (
        "the job's schema does not describe its target directory 'Slack' (it describes: "
        "Asana, Azure Active Directory), so the mapping targets cannot be checked"
    )
    other = {"sourceObjectName": "User", "targetObjectName": "Person"}
    with pytest.raises(SchemaEditError) as no_object:
        schema_targets.target_attributes(
            {**schema, "synchronizationRules": [{**rule, "objectMappings": [other]}]},
            "User",
            "Person",
        )
    assert str(no_object.value) == (
        "the target directory 'asana' in the job's schema has no object 'Person', so the "
        "mapping targets cannot be checked"
    )


# --- rules/redaction.py: each spelling a service may echo a secret in, written out by hand
# (JSON: RFC 8259 section 7; Python's repr; percent-encoding: RFC 3986 section 2.1).

ODD_SECRET = "a'b\"c\\d/e f\u00e9"


@pytest.mark.parametrize(
    "spelling",
    [
        "a'b\\\"c\\\\d/e f\\u00e9",  # JSON (json.dumps escapes " \ and non-ASCII)
        "a'b\\\"c\\\\d\\/e f\\u00e9",  # JSON with the optional \/ escape
        "a\\'b\"c\\\\d/e f\u00e9",  # Python repr, single-quoted (the text holds a ")
        "a%27b%22c%5Cd%2Fe%20f%C3%A9",  # percent-encoded, "/" included (a path segment)
        "a%27b%22c%5Cd/e%20f%C3%A9",  # percent-encoded, "/" kept (a path)
        "a%27b%22c%5Cd%2Fe+f%C3%A9",  # form-encoded: space as "+"
    ],
    ids=["json", "json with escaped slash", "repr", "percent", "percent path", "form"],
)
def test_each_escaped_spelling_of_a_secret_is_removed_whole(spelling: str):
    assert redaction.redact(f"<{spelling}>", [ODD_SECRET]) == f"<{redaction.REDACTED}>"


def test_a_secret_holding_only_an_apostrophe_is_removed_in_its_repr_spelling_too():
    """repr picks double quotes for a text holding only an apostrophe and escapes it when
    the text is quoted with single quotes, as in a repr of a larger value."""
    assert redaction.redact("<it\\'s-secret>", ["it's-secret"]) == f"<{redaction.REDACTED}>"


def test_a_secret_in_its_double_quoted_repr_is_removed_whole():
    """repr writes a text holding an apostrophe (and no double quote) between double quotes,
    the apostrophe as it is and a control character as \\x01; JSON would write \\u0001."""
    secret = "it's\x01-secret"
    message = 'refused "it\'s\\x01-secret"'  # what f"refused {secret!r}" prints

    assert redaction.redact(message, [secret]) == f'refused "{redaction.REDACTED}"'


def test_the_leaves_of_a_structured_secret_are_collected_up_to_a_bound():
    """At most 10,000 items of the value are visited, containers included: a list of 20,000
    strings gives the first 9,999 the walk reaches."""
    value = [f"leaf-{n:05d}" for n in range(20_000)]

    leaves = redaction.string_leaves(value)

    assert len(leaves) == 9_999
    assert set(leaves) == {f"leaf-{n:05d}" for n in range(20_000 - 9_999, 20_000)}


def test_a_custom_key_identifier_that_is_not_strict_base64_names_no_thumbprint():
    """Edm.Binary is base64 (RFC 4648); a value with other characters is not one, even if a
    lenient decoder would skip them and find 20 bytes."""
    digest = bytes(range(20))
    strict = base64.b64encode(digest).decode()

    assert saml.thumbprint_of_key_identifier(strict) == digest.hex().upper()
    assert saml.thumbprint_of_key_identifier("!" + strict) == ""
    assert saml.thumbprint_of_key_identifier(None) == ""


def test_certificate_dates_are_given_back_in_utc_whatever_the_machines_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert saml.utc_rfc3339("2029-01-31T02:00:00+02:00") == "2029-01-31T00:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_days_until_counts_from_now_when_no_moment_is_given():
    in_ten_days = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert 9.9 < saml.days_until(in_ten_days) <= 10


# --- rules/pending.py: Pulumi's state export and import file, as Pulumi documents them
# (https://www.pulumi.com/docs/iac/guides/migration/import/#import-file-schema).

STACK_URN = "urn:pulumi:dev::asana-provisioning::pulumi:pulumi:Stack::asana-provisioning-dev"
COMPONENT_URN = (
    "urn:pulumi:dev::asana-provisioning::asana-provisioning:index:AsanaEnterpriseApp::asana"
)
PROVIDER_URN = "urn:pulumi:dev::asana-provisioning::pulumi:providers:azuread::default_6_11_1"


def child_urn(resource_type: str, name: str) -> str:
    """A child of the component, as the engine writes its URN (urn.go: the parent's type, `$`,
    the child's type, then the name)."""
    return (
        "urn:pulumi:dev::asana-provisioning::asana-provisioning:index:AsanaEnterpriseApp"
        f"${resource_type}::{name}"
    )


def test_the_import_file_names_parents_and_providers_through_the_name_table():
    app = pending.PendingOperation(
        "creating",
        child_urn("azuread:index/applicationFromTemplate:ApplicationFromTemplate", "asana-app"),
        "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
        {},
        parent=COMPONENT_URN,
        provider=f"{PROVIDER_URN}::0f1e2d3c-4b5a-4697-8877-665544332211",
    )
    job = pending.PendingOperation(
        "creating",
        child_urn("azuread:index/synchronizationJob:SynchronizationJob", "asana-job"),
        "azuread:index/synchronizationJob:SynchronizationJob",
        {},
        parent=COMPONENT_URN,
        provider=f"{PROVIDER_URN}::0f1e2d3c-4b5a-4697-8877-665544332211",
    )
    orphan = pending.PendingOperation(
        "creating", "urn:pulumi:dev::asana-provisioning::random:index:Id::x", "random:index:Id", {}
    )

    assert pending.import_file([(app, "/app/1"), (job, "/job/2"), (orphan, "3")]) == {
        "nameTable": {"parent0": COMPONENT_URN, "provider1": PROVIDER_URN},
        "resources": [
            {
                "type": "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
                "name": "asana-app",
                "id": "/app/1",
                "parent": "parent0",
                "provider": "provider1",
            },
            {
                "type": "azuread:index/synchronizationJob:SynchronizationJob",
                "name": "asana-job",
                "id": "/job/2",
                "parent": "parent0",
                "provider": "provider1",
            },
            {"type": "random:index:Id", "name": "x", "id": "3"},
        ],
    }


@pytest.mark.parametrize(
    ("reference", "urn"),
    [
        (f"{PROVIDER_URN}::0f1e2d3c-4b5a-4697-8877-665544332211", PROVIDER_URN),
        ("not-a-urn::id", "not-a-urn::id"),
        ("", None),
        (None, None),
    ],
    ids=["urn and id", "no urn", "empty", "none"],
)
def test_a_provider_reference_is_its_urn_and_its_id(reference, urn):
    assert pending.provider_urn(reference) == urn


def test_secret_inputs_of_a_pending_create_are_read_from_plaintext_and_marked_secret():
    sig = pending.SECRET_SIGNATURE
    export = {
        "version": 3,
        "deployment": {
            "resources": [],
            "pending_operations": [
                {
                    "type": "creating",
                    "resource": {
                        "urn": f"{STACK_URN}::t",
                        "type": "pulumi-python:dynamic:Resource",
                        "inputs": {
                            "plain": "p",
                            "shown": {sig: "1b47061264138c4ac30d75fd1eb44270",
                                      "plaintext": "\"s\""},
                            "hidden": {sig: "1b47061264138c4ac30d75fd1eb44270",
                                       "ciphertext": "v1:abc"},
                            "broken": {sig: "1b47061264138c4ac30d75fd1eb44270",
                                       "plaintext": "{not json"},
                        },
                    },
                }
            ],
        },
    }  # fmt: skip

    (operation,) = pending.pending_operations(export)

    assert dict(operation.inputs) == {"plain": "p", "shown": "s", "hidden": None, "broken": None}
    assert operation.secret_inputs == frozenset({"shown", "hidden", "broken"})


def test_the_resources_a_state_export_records_are_read_with_their_urn_type_and_id():
    export = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": STACK_URN, "type": "pulumi:pulumi:Stack"},  # no id: not a cloud object
                {"urn": f"{STACK_URN}::a", "type": "azuread:index/group:Group", "id": "g-1"},
                {"urn": f"{STACK_URN}::b", "id": 42},
                {"id": "no-urn"},
                "not a resource",
            ]
        },
    }

    assert pending.state_resources(export) == [
        pending.StateResource(f"{STACK_URN}::a", "azuread:index/group:Group", "g-1"),
        pending.StateResource(f"{STACK_URN}::b", "", "42"),
    ]
    assert pending.state_resources({"version": 3, "deployment": {}}) == []


def test_a_missing_object_mapping_names_the_ones_the_schema_has():
    schema = schema_with(live_users())

    with pytest.raises(SchemaEditError) as error:
        schema_edit.object_mapping(schema, "Contact", "User")

    assert str(error.value) == (
        "the schema has no object mapping from Contact to User; it has: Group -> Group, "
        "User -> User"
    )
    twice = schema_with(live_users())
    twice["synchronizationRules"][0]["objectMappings"].append(live_users())
    with pytest.raises(SchemaEditError) as error:
        schema_edit.object_mapping(twice, "User", "User")
    assert str(error.value).startswith("the schema has 2 object mapping from User to User;")
    with pytest.raises(SchemaEditError) as error:
        schema_edit.object_mapping({}, "User", "User")
    assert str(error.value).endswith("it has: none")


@pytest.mark.parametrize(
    ("graph", "spec"),
    [
        (USER_NAME, {"target": "userName", "attribute": "userPrincipalName",
                     "flowType": "Always", "matchingPriority": 1}),
        ({"targetAttributeName": "locale", "source": {"type": "Constant", "name": "en"},
          "flowType": "ObjectAddOnly", "defaultValue": "x"},
         {"target": "locale", "constant": "en", "flowType": "ObjectAddOnly",
          "matchingPriority": 0, "defaultValue": "x"}),
        ({"targetAttributeName": "displayName", "source": PARSED_JOIN, "matchingPriority": None},
         {"target": "displayName", "expression": 'Join(" ", [givenName], [surname])',
          "flowType": "Always", "matchingPriority": 0}),
        ({"targetAttributeName": "title", "source": {"name": "jobTitle"}},
         {"target": "title", "attribute": "jobTitle", "flowType": "Always",
          "matchingPriority": 0}),
    ],
    ids=["attribute", "constant", "expression", "type left out"],
)  # fmt: skip
def test_a_graph_attribute_mapping_in_the_stack_files_words(graph, spec):
    assert schema_edit.canonical_mapping(graph) == spec


# --- scoping filters read from Graph: the tenant's filterOperators
# (synchronization-synchronizationschema-filteroperators: filterOperatorSchema name and
# supportedAttributeTypes) and each clause's problems.

USER_ATTRIBUTES = {
    "department": scope.AttributeDef("department", "String"),
    "accountenabled": scope.AttributeDef("accountEnabled", "Boolean"),
}


def test_the_tenants_operators_are_read_by_name_or_id_with_their_types_lower_cased():
    found = scope.operators_from_graph(
        [
            {"name": "EQUALS", "supportedAttributeTypes": ["String", "Integer"]},
            {"id": "IS TRUE", "supportedAttributeTypes": ["Boolean"]},
            {"name": "", "id": ""},
            {"supportedAttributeTypes": ["String"]},
        ]
    )

    assert found == {
        "EQUALS": scope.OperatorDef("EQUALS", frozenset({"string", "integer"})),
        "IS TRUE": scope.OperatorDef("IS TRUE", frozenset({"boolean"})),
    }


def clause_problem(operator, attribute, values, operators, attributes=USER_ATTRIBUTES):
    raw = {"operatorName": operator, "sourceOperandName": attribute,
           "targetOperand": {"values": values}}  # fmt: skip
    return scope.compile_clause(raw, operators, attributes, "User").problem


def test_a_clause_the_tenant_or_the_schema_cannot_support_says_why():
    operators = scope.operators_from_graph(
        [{"name": "EQUALS", "supportedAttributeTypes": ["String"]},
         {"name": "IS TRUE", "supportedAttributeTypes": ["Boolean", "String"]}]
    )  # fmt: skip

    assert clause_problem("EQUALS", "department", ["x"], None) == (
        "the tenant's list of filter operators could not be read"
    )
    assert clause_problem("REGEX MATCH", "department", ["x"], operators) == (
        "the tenant does not list the operator 'REGEX MATCH' (it lists: EQUALS, IS TRUE)"
    )
    assert clause_problem("REGEX MATCH", "department", ["x"], {}) == (
        "the tenant does not list the operator 'REGEX MATCH' (it lists: none)"
    )
    assert clause_problem("EQUALS", "department", ["x"], operators, None) == (
        "the source object's attributes (the job schema) could not be read"
    )
    assert clause_problem("EQUALS", "accountEnabled", ["x"], operators) == (
        "the tenant lists 'EQUALS' for string attributes, not for Boolean ('accountEnabled')"
    )
    assert clause_problem("IS TRUE", "department", [], operators) == (
        "'IS TRUE' tests a Boolean; 'department' is a String"
    )
    assert clause_problem("EQUALS", "department", ["Sales"], operators) is None


def test_a_filter_with_experimental_filter_sets_cannot_be_read_and_groups_are_named():
    for sets in ({"inputFilterGroups": [{}]}, {"categoryFilterGroups": [{}]}):
        problem = scope.compile_filter({"groups": [], **sets}, {}, {}).problem
        assert problem == (
            f"the filter uses {next(iter(sets))}, which Microsoft marks experimental and does "
            "not document well enough to evaluate"
        )
    both = {"inputFilterGroups": [{}], "categoryFilterGroups": [{}]}
    assert scope.compile_filter(both, {}, {}).problem.startswith(
        "the filter uses inputFilterGroups and categoryFilterGroups, which"
    )
    named = scope.compile_filter(
        {"groups": [{"name": "Pilot", "clauses": []}, {"clauses": []}]}, {}, {}
    )
    assert [g.name for g in named.groups] == ["Pilot", "group 2"]


def test_graph_values_of_users_and_groups_including_extension_attributes():
    user = {"id": "u1", "department": "Sales",
            "onPremisesExtensionAttributes": {"extensionAttribute3": "contractor"}}  # fmt: skip

    assert scope.graph_property("objectId") == "id"
    assert scope.graph_property("department") == "department"
    assert scope.graph_property("department", "Group") is None
    assert scope.graph_value(user, "ExtensionAttribute3") == "contractor"
    assert scope.graph_value(user, "extensionAttribute4") is None
    assert scope.graph_value({"onPremisesExtensionAttributes": None}, "extensionAttribute3") is None
    assert scope.graph_value({"id": "g1", "department": "x"}, "department", "Group") is None


def test_a_new_filter_keeps_the_live_groups_names_and_the_experimental_filter_sets():
    live_scope = {
        "groups": [{"name": "Pilot", "clauses": []}],
        "inputFilterGroups": [{"name": "kept", "clauses": []}],
    }
    spec = desired(
        "merge",
        [],
        scopingFilter=[
            [{"attribute": "department", "operator": "EQUALS", "values": ["A"]}],
            [{"attribute": "department", "operator": "EQUALS", "values": ["B"]}],
        ],
    )

    result = schema_edit.apply(schema_with(live_users(scope=live_scope)), spec, "userName")

    written = result["synchronizationRules"][0]["objectMappings"][1]["scope"]
    assert [g["name"] for g in written["groups"]] == ["Pilot", "Scoping group 2"]
    assert written["inputFilterGroups"] == [{"name": "kept", "clauses": []}]
    cleared = schema_edit.apply(
        schema_with(live_users(scope=live_scope)),
        desired("merge", [], scopingFilter=[]),
        "userName",
    )
    kept = cleared["synchronizationRules"][0]["objectMappings"][1]["scope"]
    assert kept == {"groups": [], "inputFilterGroups": [{"name": "kept", "clauses": []}]}
    category = {"groups": [{"name": "Pilot", "clauses": []}], "categoryFilterGroups": [{}]}
    emptied = schema_edit.apply(
        schema_with(live_users(scope=category)), desired("merge", [], scopingFilter=[]), "userName"
    )
    assert emptied["synchronizationRules"][0]["objectMappings"][1]["scope"] == {
        "groups": [],
        "categoryFilterGroups": [{}],
    }


@pytest.mark.parametrize(
    ("flow_types", "actions"),
    [
        ("Add, Update, Delete", ["create", "update", "delete"]),
        ("Delete,Add", ["create", "delete"]),
        ("", ["create", "update", "delete"]),
        (None, ["create", "update", "delete"]),
        ("Update, Frobnicate", ["update"]),
    ],
    ids=["all", "two unspaced", "empty", "missing", "unknown word"],
)
def test_graphs_flow_types_read_as_the_stack_files_actions(flow_types, actions):
    live = live_users(flowTypes=flow_types)

    spec = schema_edit.live_spec(schema_with(live), desired("merge", []))

    assert spec["actions"] == actions


def test_changes_describe_filters_and_empty_action_lists():
    live = {"enabled": True, "actions": [], "mappings": [], "scopingFilter": [
        [{"attribute": "a", "operator": "EQUALS", "values": ["1"]},
         {"attribute": "b", "operator": "IS TRUE", "values": []}],
        [{"attribute": "c", "operator": "EQUALS", "values": ["2"]}]]}  # fmt: skip
    wanted = {"mode": "merge", "enabled": True, "actions": ["create"], "mappings": [],
              "scopingFilter": []}  # fmt: skip

    assert schema_edit.changes(wanted, live) == [
        "actions: none -> create",
        "scoping filter: (a EQUALS ['1'] AND b IS TRUE []) OR (c EQUALS ['2']) -> none",
    ]


# --- the azuread provider's import ids, as its documentation's "Import" sections write them
# (terraform-provider-azuread v3.9.0, docs/resources/*.md).

APP_ID = "00000000-0000-0000-0000-000000000000"
SP_ID = "11111111-1111-1111-1111-111111111111"


def test_the_azuread_import_ids_have_the_documented_shapes():
    assert azuread_ids.application_from_template("t", APP_ID, SP_ID) == (
        f"/applicationTemplates/t/instantiate/{APP_ID}/{SP_ID}"
    )
    assert azuread_ids.service_principal(SP_ID) == f"/servicePrincipals/{SP_ID}"
    assert azuread_ids.application(APP_ID) == f"/applications/{APP_ID}"
    # base64 of "https://app.asana.com/", written out (RFC 4648 standard alphabet, padded)
    assert azuread_ids.identifier_uri(APP_ID, "https://app.asana.com/") == (
        f"/applications/{APP_ID}/identifierUris/aHR0cHM6Ly9hcHAuYXNhbmEuY29tLw=="
    )
    assert azuread_ids.redirect_uris(APP_ID, "Web") == f"/applications/{APP_ID}/redirectUris/Web"
    assert azuread_ids.token_signing_certificate(SP_ID, "k") == (
        f"{SP_ID}/tokenSigningCertificate/k"
    )
    assert (
        azuread_ids.app_role_assignment(SP_ID, "a")
        == f"/servicePrincipals/{SP_ID}/appRoleAssignedTo/a"
    )
    assert azuread_ids.application_owner(APP_ID, "o") == f"/applications/{APP_ID}/owners/o"
    assert azuread_ids.synchronization_job(SP_ID, "j") == (
        f"/servicePrincipals/{SP_ID}/synchronization/jobs/j"
    )


@pytest.mark.parametrize(
    "reference",
    [f"/servicePrincipals/{SP_ID}", f"/servicePrincipals/{SP_ID}/", SP_ID, f"/a/b/{SP_ID}"],
    ids=["path", "trailing slash", "bare", "deeper"],
)
def test_an_object_id_is_the_last_segment_of_a_reference(reference):
    assert azuread_ids.object_id_of(reference) == SP_ID


def test_a_pending_operation_keeps_its_kind_type_parent_and_provider():
    export = {"deployment": {"pending_operations": [
        {"type": "creating", "resource": {
            "urn": child_urn("azuread:index/group:Group", "x"), "type": "azuread:index/group:Group",
            "parent": COMPONENT_URN, "provider": f"{PROVIDER_URN}::id"}},
        {"resource": {"urn": child_urn("azuread:index/group:Group", "y")}},
    ]}}  # fmt: skip

    first, second = pending.pending_operations(export)

    assert (first.kind, first.type, first.parent, first.provider, first.is_create) == (
        "creating",
        "azuread:index/group:Group",
        COMPONENT_URN,
        f"{PROVIDER_URN}::id",
        True,
    )
    assert (second.kind, second.type, second.parent, second.provider, second.name) == (
        "",
        "",
        None,
        None,
        "y",
    )


@pytest.mark.parametrize(
    ("export", "message"),
    [
        ({"deployment": {"pending_operations": [{"type": "creating"}]}},
         "a pending operation has no resource URN"),
        ({"deployment": {"pending_operations": ["creating"]}},
         "a pending operation has no resource URN"),
        ({"deployment": {"pending_operations": [{"resource": {"urn": 7}}]}},
         "a pending operation has no resource URN"),
        ({"version": 3}, "the stack export has no `deployment` object"),
        ([], "the stack export has no `deployment` object"),
    ],
    ids=["no resource", "not an object", "urn not text", "no deployment", "not an object"],
)  # fmt: skip
def test_an_export_that_is_not_a_deployment_is_unreadable(export, message):
    with pytest.raises(pending.StateUnreadable) as error:
        pending.pending_operations(export)

    assert str(error.value) == message
