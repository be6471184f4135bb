"""The scope rules (rules/provisioning_scope.py), table by table against Microsoft's pages:
each row is one documented rule, or one place where Microsoft is silent and the answer must be
"cannot tell" (None)."""

from __future__ import annotations

from typing import Any

import pytest

from rules.provisioning_scope import (
    CANNOT_TELL,
    DOCUMENTED_OPERATORS,
    GAINS,
    LOSES,
    NO_JOB,
    NO_LONGER_MAINTAINED,
    AttributeDef,
    Configuration,
    Decision,
    ScopingFilter,
    attributes_from_schema,
    change,
    compile_clause,
    compile_filter,
    filter_from_spec,
    graph_value,
    operators_from_graph,
    user_decision,
)
from tests.emulator.asana_schema import asana_template_schema

OPERATORS = operators_from_graph({"name": name} for name in DOCUMENTED_OPERATORS)
ATTRIBUTES = {
    "department": AttributeDef("department", "String"),
    "mail": AttributeDef("mail", "String"),
    "accountenabled": AttributeDef("accountEnabled", "Boolean"),
    "extensionattribute1": AttributeDef("extensionAttribute1", "String"),
    "employeeid": AttributeDef("employeeId", "Integer"),
    "proxyaddresses": AttributeDef("proxyAddresses", "String", multivalued=True),
    "employeehiredate": AttributeDef("employeeHireDate", "DateTime"),
    "usertype": AttributeDef("userType", "String"),
    "customthing": AttributeDef("customThing", "String"),
}


def clause(attribute: str, operator: str, *values: str) -> dict[str, Any]:
    return {
        "sourceOperandName": attribute,
        "operatorName": operator,
        "targetOperand": {"values": list(values)},
    }


def holds(attribute: str, operator: str, values: tuple[str, ...], value: Any) -> Any:
    return compile_clause(clause(attribute, operator, *values), OPERATORS, ATTRIBUTES).holds(value)


# (attribute, operator, values, the user's value, verdict): what SCOPING documents, or None
# where it is silent and the readings disagree.
DOCUMENTED = [
    # EQUALS / NOT EQUALS: exact, case-sensitive
    ("department", "EQUALS", ("Sales",), "Sales", True),
    ("department", "EQUALS", ("Sales",), "sales", False),
    ("department", "NOT EQUALS", ("Sales",), "Engineering", True),
    ("department", "NOT EQUALS", ("Sales",), "Sales", False),
    # the page-level note: filters return false on a null or empty value ...
    ("department", "EQUALS", ("Sales",), None, False),
    ("department", "NOT EQUALS", ("Sales",), None, False),
    ("department", "NOT EQUALS", ("Sales",), "", False),
    ("department", "Includes", ("al",), None, False),
    ("department", "REGEX MATCH", (".*",), None, False),
    ("department", "NOT REGEX MATCH", ("^X",), None, False),  # documented for this one too
    ("accountEnabled", "IS TRUE", (), None, False),
    # ... except where the operator is about emptiness itself
    ("department", "IS NULL", (), None, True),
    ("department", "IS NULL", (), "", True),
    ("department", "IS NULL", (), "Sales", False),
    ("department", "IS NOT NULL", (), "Sales", True),
    ("department", "IS NOT NULL", (), None, False),
    # Includes: ordinal String.Contains, case-sensitive
    ("department", "Includes", ("ale",), "Sales", True),
    ("department", "Includes", ("ALE",), "Sales", False),
    # IS TRUE / IS FALSE on a Boolean
    ("accountEnabled", "IS TRUE", (), True, True),
    ("accountEnabled", "IS TRUE", (), False, False),
    ("accountEnabled", "IS FALSE", (), False, True),
    # Greater_Than on integers
    ("employeeId", "Greater_Than", ("10",), "11", True),
    ("employeeId", "Greater_Than", ("10",), "10", False),
    ("employeeId", "Greater_Than_OR_EQUALS", ("10",), "10", True),
    ("employeeId", "Greater_Than", ("10",), "ten", None),  # not an integer: undocumented
    # REGEX MATCH: where anchoring does not matter the answer is given ...
    ("department", "REGEX MATCH", ("^Sal.*$",), "Sales", True),
    ("department", "REGEX MATCH", ("^Eng",), "Sales", False),
    ("mail", "REGEX MATCH", (r".*\@contoso.com",), "ada@contoso.com", True),
    ("department", "NOT REGEX MATCH", ("^Eng",), "Sales", True),
    # ... where it does (Microsoft is silent), it is not
    ("department", "REGEX MATCH", ("Sal",), "Sales", None),
    ("department", "NOT REGEX MATCH", ("Sal",), "Sales", None),
    ("department", "REGEX MATCH", ("([1-9][0-9])",), "1234", None),
    # ENDS_WITH: case rule unstated
    ("mail", "ENDS_WITH", ("@contoso.com",), "ada@contoso.com", True),
    ("mail", "ENDS_WITH", ("@contoso.com",), "ada@fabrikam.com", False),
    ("mail", "ENDS_WITH", ("@contoso.com",), "ada@Contoso.com", None),
    # several values in one clause: any or all is undocumented
    ("department", "EQUALS", ("Sales", "Legal"), "Sales", None),
    ("department", "EQUALS", ("Sales", "Legal"), "HR", False),
    ("department", "NOT EQUALS", ("Sales", "Legal"), "HR", True),
    # a Boolean compared with text: its spelling is undocumented, either way round
    ("accountEnabled", "EQUALS", ("True",), True, None),
    ("accountEnabled", "EQUALS", ("true",), True, None),
    ("accountEnabled", "EQUALS", ("False",), False, None),
    # a Boolean value of an attribute the schema types as text: .NET's Boolean.ToString
    # spelling, "True" (https://learn.microsoft.com/dotnet/api/system.boolean.tostring)
    ("mail", "EQUALS", ("True",), True, True),
    # extension attributes are ordinary strings
    ("extensionAttribute1", "EQUALS", ("Contractor",), "Contractor", True),
]


@pytest.mark.parametrize(("attribute", "operator", "values", "value", "expected"), DOCUMENTED)
def test_each_operator_answers_as_microsoft_documents_or_not_at_all(
    attribute, operator, values, value, expected
):
    assert holds(attribute, operator, values, value) is expected


# Clauses that cannot be told for anyone, and the words that say why.
NEVER_TOLD = [
    (clause("userType", "EQUALS", "Guest"), "userType is not supported"),
    (clause("manager", "IS NOT NULL"), "manager is not supported"),
    (clause("proxyAddresses", "Includes", "smtp"), "multi-valued"),
    (clause("employeeHireDate", "Greater_Than", "1"), "date"),
    (clause("nosuchAttribute", "EQUALS", "x"), "not an attribute of the source User"),
    (clause("customThing", "EQUALS", "x"), "cannot read 'customThing'"),
    (clause("department", "NOT_EQUALS", "x"), "does not list the operator 'NOT_EQUALS'"),
    (clause("department", "&", "x"), "can be read several ways"),
    (clause("department", "!&", "x"), "can be read several ways"),
    (clause("department", "IS TRUE"), "tests a Boolean"),
    (clause("department", "IS FALSE"), "tests a Boolean"),
    (clause("department", "Greater_Than", "3"), "must be integers"),
    (clause("department", "EQUALS"), "needs a value"),
]


@pytest.mark.parametrize(("raw", "why"), NEVER_TOLD)
def test_clauses_microsoft_does_not_support_or_define_cannot_be_told(raw, why):
    compiled = compile_clause(raw, OPERATORS, ATTRIBUTES)

    assert compiled.holds("anything") is None
    assert compiled.holds(None) is None
    assert why in (compiled.problem or "")


def test_operators_are_spelled_as_the_tenant_lists_them_and_matched_to_learn_ignoring_case():
    tenant = operators_from_graph([{"name": "GREATER_THAN"}, {"name": "EQUALS"}])

    upper = compile_clause(clause("employeeId", "GREATER_THAN", "3"), tenant, ATTRIBUTES)
    learn = compile_clause(clause("employeeId", "Greater_Than", "3"), tenant, ATTRIBUTES)

    assert upper.holds("4") is True
    assert "does not list the operator 'Greater_Than'" in (learn.problem or "")


def test_an_operator_the_tenant_lists_but_microsoft_does_not_document_cannot_be_told():
    tenant = operators_from_graph([{"name": "CONTAINS_ANY"}])

    compiled = compile_clause(clause("department", "CONTAINS_ANY", "x"), tenant, ATTRIBUTES)

    assert "does not document" in (compiled.problem or "")


def test_the_tenant_s_supported_attribute_types_are_honoured():
    tenant = operators_from_graph([{"name": "EQUALS", "supportedAttributeTypes": ["Integer"]}])

    compiled = compile_clause(clause("department", "EQUALS", "x"), tenant, ATTRIBUTES)

    assert "not for String" in (compiled.problem or "")


def test_every_attribute_type_the_tenant_lists_for_an_operator_is_named():
    tenant = operators_from_graph(
        [{"name": "EQUALS", "supportedAttributeTypes": ["Integer", "Boolean"]}]
    )

    compiled = compile_clause(clause("department", "EQUALS", "x"), tenant, ATTRIBUTES)

    assert compiled.problem == (
        "the tenant lists 'EQUALS' for boolean, integer attributes, not for String ('department')"
    )


def test_a_group_filter_reads_the_groups_own_properties():
    """A group's description is a Graph group property (Graph v1.0 group resource); a user
    has none."""
    attributes = {"description": AttributeDef("description", "String")}
    raw = {"groups": [{"name": "g", "clauses": [clause("description", "EQUALS", "Asana")]}]}

    group_filter = compile_filter(raw, OPERATORS, attributes, "Group")
    user_filter = compile_filter(raw, OPERATORS, attributes, "User")

    assert group_filter.evaluate(lambda name: "Asana") == (True, None)
    assert user_filter.evaluate(lambda name: "Asana")[0] is None
    assert "cannot read 'description'" in (user_filter.clauses[0].problem or "")


def test_a_clause_missing_its_operator_or_attribute_is_shown_as_written_and_never_told():
    no_operator = {"sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}
    no_attribute = {"operatorName": "EQUALS", "targetOperand": {"values": ["Sales"]}}

    without_operator = compile_clause(no_operator, OPERATORS, ATTRIBUTES)
    without_attribute = compile_clause(no_attribute, OPERATORS, ATTRIBUTES)

    assert without_operator.text.split() == ["department", "'Sales'"]
    assert without_operator.holds("Sales") is None
    assert "does not list the operator ''" in (without_operator.problem or "")
    assert without_attribute.text == "EQUALS 'Sales'"
    assert without_attribute.holds("Sales") is None
    assert "'' is not an attribute" in (without_attribute.problem or "")


REGEX_SILENCE = (
    "Microsoft documents neither the regex dialect nor whether a pattern must match the whole "
    "value (azure-docs#73627); the tool tries both"
)
VALUES_SILENCE = (
    "Microsoft does not say whether several values in one clause mean any or all of them"
)
BOOLEAN_SILENCE = "Microsoft does not say how a Boolean compares with text ('True' or 'true')"
UNREADABLE_PATTERN = "a pattern Python's re cannot read is never decided"


def test_each_silence_a_clause_depends_on_is_noted_once():
    def notes(*args: str) -> tuple[str, ...]:
        return compile_clause(clause(*args), OPERATORS, ATTRIBUTES).notes

    assert notes("department", "EQUALS", "Sales", "Legal") == (VALUES_SILENCE,)
    assert notes("accountEnabled", "EQUALS", "True") == (BOOLEAN_SILENCE,)
    assert notes("department", "REGEX MATCH", "^Sal") == (REGEX_SILENCE,)
    assert notes("department", "REGEX MATCH", "(Sal") == (REGEX_SILENCE, UNREADABLE_PATTERN)


def test_a_clause_that_cannot_be_told_says_why_in_the_filter_s_reason():
    ends_with = scope([clause("mail", "ENDS_WITH", "@contoso.com")])
    unreadable = scope([clause("department", "REGEX MATCH", "(Sal")])
    unsupported = scope([UNKNOWN])

    assert ends_with.evaluate(lambda name: "ada@Contoso.com") == (
        None,
        "clause mail ENDS_WITH '@contoso.com' cannot be told: "
        "Microsoft does not say whether ENDS_WITH ignores case",
    )
    assert unreadable.evaluate(lambda name: "Sales") == (
        None,
        f"clause department REGEX MATCH '(Sal' cannot be told: {REGEX_SILENCE}; "
        f"{UNREADABLE_PATTERN}",
    )
    assert unsupported.evaluate(lambda name: "Member") == (
        None,
        "clause userType EQUALS 'Member' cannot be told: userType is not supported in scoping "
        "filters (KNOWN, 'Unsupported scoping filters')",
    )


def test_a_filter_names_every_attribute_it_reads_even_one_it_cannot_tell():
    assert scope([UNKNOWN, SALES], [ENABLED]).attributes == {
        "userType",
        "department",
        "accountEnabled",
    }


def test_a_filter_is_described_as_its_groups_ored_and_their_clauses_anded():
    assert scope([SALES, ENABLED], [LEGAL]).describe() == (
        "(department EQUALS 'Sales' AND accountEnabled IS TRUE) OR (department EQUALS 'Legal')"
    )


def test_unreadable_operator_list_or_schema_means_cannot_tell():
    assert compile_clause(clause("department", "EQUALS", "x"), None, ATTRIBUTES).problem
    assert compile_clause(clause("department", "EQUALS", "x"), OPERATORS, None).problem


def test_silent_points_are_named_on_the_clauses_they_affect():
    regex = compile_clause(clause("department", "REGEX MATCH", "x"), OPERATORS, ATTRIBUTES)
    equals = compile_clause(clause("department", "EQUALS", "x"), OPERATORS, ATTRIBUTES)

    assert any("anchor" in note or "whole value" in note for note in regex.notes)
    assert equals.notes == ()


def scope(*groups: list[dict[str, Any]]) -> ScopingFilter:
    return compile_filter(
        {"groups": [{"name": f"g{i}", "clauses": g} for i, g in enumerate(groups)]},
        OPERATORS,
        ATTRIBUTES,
    )


SALES = clause("department", "EQUALS", "Sales")
LEGAL = clause("department", "EQUALS", "Legal")
UNKNOWN = clause("userType", "EQUALS", "Member")
ENABLED = clause("accountEnabled", "IS TRUE")


# (filter, user, verdict): AND within a group, OR across groups (SCOPING; Graph filterGroup),
# with Kleene logic for what cannot be told.
FILTERS = [
    (scope(), {"department": None}, True),  # no filter: everyone
    (scope([SALES, ENABLED]), {"department": "Sales", "accountEnabled": True}, True),
    (scope([SALES, ENABLED]), {"department": "Sales", "accountEnabled": False}, False),
    (scope([SALES], [LEGAL]), {"department": "Legal"}, True),
    (scope([SALES], [LEGAL]), {"department": "HR"}, False),
    (scope([UNKNOWN, SALES]), {"department": "HR"}, False),  # a false clause decides
    (scope([UNKNOWN, SALES]), {"department": "Sales"}, None),
    (scope([UNKNOWN], [SALES]), {"department": "Sales"}, True),  # a true group decides
    (scope([UNKNOWN], [SALES]), {"department": "HR"}, None),
]


@pytest.mark.parametrize(("compiled", "user", "expected"), FILTERS)
def test_filter_groups_are_anded_within_and_ored_across(compiled, user, expected):
    verdict, _ = compiled.evaluate(lambda name: user.get(name))

    assert verdict is expected


def test_a_failed_filter_names_the_clause():
    verdict, why = scope([SALES]).evaluate(lambda name: "HR")

    assert verdict is False
    assert why == "filtered out by clause department EQUALS 'Sales'"


def test_experimental_filter_sets_cannot_be_told():
    compiled = compile_filter({"inputFilterGroups": [{"clauses": [SALES]}]}, OPERATORS, ATTRIBUTES)

    assert compiled.evaluate(lambda name: "Sales")[0] is None


def test_a_stack_filter_becomes_the_graph_filter_the_program_writes():
    spec = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]

    assert filter_from_spec(spec) == {"groups": [{"name": "Scoping group 1", "clauses": [SALES]}]}
    assert filter_from_spec([]) is None


def test_the_job_schema_gives_the_source_attributes_and_their_types():
    attributes = attributes_from_schema(asana_template_schema(), "Azure Active Directory", "User")

    assert attributes["accountenabled"].type == "Boolean"
    assert attributes["department"].type == "String"
    assert "usertype" not in attributes  # KNOWN: userType is not a source attribute


def test_extension_attributes_are_read_from_on_premises_extension_attributes():
    user = {"onPremisesExtensionAttributes": {"extensionAttribute3": "Contractor"}}

    assert graph_value(user, "extensionAttribute3") == "Contractor"
    assert graph_value(user, "extensionAttribute4") is None


def config(**changes: Any) -> Configuration:
    base = {
        "job": True,
        "running": True,
        "sync_all": False,
        "skip_out_of_scope_deletions": False,
        "users_mapped": True,
        "user_filter": ScopingFilter(),
        "groups_mapped": True,
        "group_filter": ScopingFilter(),
        "assigned_users": frozenset(),
        "assigned_groups": {},
    }
    return Configuration(**{**base, **changes})


STAFF = {"g-staff": "All Staff"}


# (configuration, user id, accountEnabled, immediate groups, verdict, reason)
USERS = [
    (
        config(assigned_groups=STAFF),
        "u1",
        True,
        ["g-staff"],
        True,
        "assigned through group All Staff",
    ),
    (config(assigned_groups=STAFF), "u1", True, [], False, "not assigned"),  # nested: not given
    (config(assigned_users=frozenset({"u1"})), "U1", True, [], True, "assigned directly"),
    (config(assigned_groups=STAFF), "u1", False, ["g-staff"], False, "account disabled"),
    (config(sync_all=True), "u9", True, [], True, "scope is all users and groups"),
    (config(sync_all=True), "u9", False, [], False, "account disabled"),
    (NO_JOB, "u1", True, ["g-staff"], False, "no provisioning job"),
    (
        config(users_mapped=False, sync_all=True),
        "u1",
        True,
        [],
        False,
        "the user mapping is turned off",
    ),
]


def test_a_user_in_two_assigned_groups_is_assigned_through_both():
    teams = {"g-staff": "All Staff", "g-sales": "Sales Team"}

    decision = user_decision(
        config(assigned_groups=teams), "u1", True, ["g-staff", "g-sales"], lambda name: None
    )

    assert decision == Decision(True, "assigned through group All Staff, Sales Team")


def test_an_assigned_user_the_filter_leaves_out_or_cannot_tell_gets_the_filter_s_reason():
    filtered = config(assigned_users=frozenset({"u1"}), user_filter=scope([SALES]))
    undecided = config(assigned_users=frozenset({"u1"}), user_filter=scope([UNKNOWN]))

    out = user_decision(filtered, "u1", True, [], {"department": "HR"}.get)
    unknown = user_decision(undecided, "u1", True, [], {"department": "HR"}.get)

    assert out == Decision(False, "filtered out by clause department EQUALS 'Sales'")
    assert unknown.verdict is None
    assert unknown.reason.startswith("clause userType EQUALS 'Member' cannot be told")


@pytest.mark.parametrize(("configuration", "user", "enabled", "groups", "verdict", "why"), USERS)
def test_a_user_is_in_scope_by_immediate_assignment_or_sync_all_and_only_when_enabled(
    configuration, user, enabled, groups, verdict, why
):
    decision = user_decision(configuration, user, enabled, groups, lambda name: None)

    assert (decision.verdict, decision.reason) == (verdict, why)


IN = Decision(True, "assigned through group All Staff")
OUT = Decision(False, "filtered out by clause department EQUALS 'Sales'")
UNASSIGNED = Decision(False, "not assigned")


@pytest.mark.parametrize(
    ("now", "after", "before", "later", "kind"),
    [
        (IN, IN, config(), config(), None),
        (IN, OUT, config(), config(), LOSES),
        (IN, OUT, config(), config(skip_out_of_scope_deletions=True), NO_LONGER_MAINTAINED),
        (IN, Decision(False, "no provisioning job"), config(), NO_JOB, NO_LONGER_MAINTAINED),
        (UNASSIGNED, IN, config(), config(), GAINS),
        (IN, Decision(None, "clause x cannot be told"), config(), config(), CANNOT_TELL),
    ],
)
def test_leaving_scope_loses_asana_unless_deletions_are_skipped_or_the_job_is_gone(
    now, after, before, later, kind
):
    found = change(now, after, before, later)

    assert (found.kind if found else None) == kind


def test_reasons_say_why_someone_enters_or_leaves():
    gained = change(UNASSIGNED, IN, config(), config())
    lost = change(IN, UNASSIGNED, config(), config())
    to_all = change(
        UNASSIGNED, Decision(True, "scope is all users and groups"), config(), config(sync_all=True)
    )

    assert gained is not None and gained.reason == "newly assigned through group All Staff"
    assert lost is not None and lost.reason.startswith("no longer assigned")
    assert to_all is not None and to_all.reason == "scope changed to all users and groups"
