"""Who Entra's provisioning service keeps in Asana: the scope rules, as Microsoft documents
them, for one user or group at a time. Pure: values come in, verdicts go out.

A verdict is three-valued: True (in scope), False (out), None (cannot tell). Whenever Microsoft
is silent on a point that changes the answer, the answer is None, never a guess: each clause is
evaluated under every reading the documentation leaves open (regex anchored or not, a case rule
it does not state, several values meaning "any" or "all", a Boolean spelled "True" or "true"),
and only an answer all readings agree on is given. Clauses are then joined with three-valued
(Kleene) logic: AND within a filter group, OR across groups, so a False clause still decides a
group whose other clause cannot be told.

Sources (the project's api-facts.md, "Who is in provisioning scope", carries each rule):
SCOPING = https://learn.microsoft.com/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts
HOW = https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works
KNOWN = https://learn.microsoft.com/entra/identity/app-provisioning/known-issues
FILTER = https://learn.microsoft.com/graph/api/resources/synchronization-filter
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Verdict = bool | None
"""True in scope (or a clause holds), False not, None cannot tell."""

# ----- operators (SCOPING, "Create scoping filters", the list in page order) -----

DOCUMENTED_OPERATORS: tuple[str, ...] = (
    "&",
    "!&",
    "ENDS_WITH",
    "EQUALS",
    "Greater_Than",
    "Greater_Than_OR_EQUALS",
    "Includes",
    "IS FALSE",
    "IS NOT NULL",
    "IS NULL",
    "IS TRUE",
    "NOT EQUALS",
    "NOT REGEX MATCH",
    "REGEX MATCH",
)
"""Spelled as Learn spells them. A clause's operator must also be in the tenant's own
`filterOperators` list, exactly as the tenant spells it (FILTER: "must be a supported one");
the name is matched to Learn's ignoring case only (Learn mixes `ENDS_WITH`, `Includes`,
`IS TRUE`), never by turning spaces into underscores or back."""
UNARY = frozenset({"IS FALSE", "IS NOT NULL", "IS NULL", "IS TRUE"})
_BY_UPPER = {name.upper(): name for name in DOCUMENTED_OPERATORS}

SILENT: Mapping[str, str] = {
    "&": "Microsoft's page defines & only as 'the evaluated attribute exists in the input "
    "string value', which can be read several ways (azure-docs#74934)",
    "!&": "Microsoft's page defines !& only as 'does not exist in the input string value', "
    "which can be read several ways (azure-docs#74934)",
    "ENDS_WITH": "Microsoft does not say whether ENDS_WITH ignores case",
    "REGEX MATCH": "Microsoft documents neither the regex dialect nor whether a pattern must "
    "match the whole value (azure-docs#73627); the tool tries both",
    "NOT REGEX MATCH": "Microsoft documents neither the regex dialect nor whether a pattern "
    "must match the whole value (azure-docs#73627); the tool tries both",
    "Greater_Than": "Microsoft says both sides must be integers, but not how a String "
    "attribute holding digits is compared",
    "Greater_Than_OR_EQUALS": "Microsoft says both sides must be integers, but not how a "
    "String attribute holding digits is compared",
    "values": "Microsoft does not say whether several values in one clause mean any or all of them",
}
"""Where Microsoft is silent, by operator: said in the output for the clauses it affects."""

# ----- attributes -----

UNSUPPORTED_ATTRIBUTES: Mapping[str, str] = {
    "usertype": "userType is not supported in scoping filters (KNOWN, 'Unsupported scoping "
    "filters')",
    "manager": "manager is not supported in scoping filters (KNOWN)",
    "approleassignments": "appRoleAssignments is not supported in scoping filters (KNOWN)",
    "ismemberof": "IsMemberOf is not supported as a scoping filter (SCOPING)",
    "members": "a group's members cannot be used in a scoping filter (SCOPING)",
    "statushiredate": "date attributes are not supported in scoping filters (KNOWN)",
    "startdate": "date attributes are not supported in scoping filters (KNOWN)",
    "enddate": "date attributes are not supported in scoping filters (KNOWN)",
    "statusterminationdate": "date attributes are not supported in scoping filters (KNOWN)",
    "accountexpires": "date attributes are not supported in scoping filters (KNOWN)",
}
"""Attributes Microsoft lists as unusable in a scoping filter: a clause on one cannot be told."""
DATE_TYPES = frozenset({"datetime", "date"})

GRAPH_USER_PROPERTIES: Mapping[str, str] = {
    "objectid": "id",
    "accountenabled": "accountEnabled",
    "displayname": "displayName",
    "userprincipalname": "userPrincipalName",
    "mail": "mail",
    "mailnickname": "mailNickname",
    "givenname": "givenName",
    "surname": "surname",
    "jobtitle": "jobTitle",
    "department": "department",
    "companyname": "companyName",
    "employeeid": "employeeId",
    "employeetype": "employeeType",
    "city": "city",
    "country": "country",
    "state": "state",
    "postalcode": "postalCode",
    "streetaddress": "streetAddress",
    "officelocation": "officeLocation",
    "preferredlanguage": "preferredLanguage",
    "usagelocation": "usageLocation",
    "mobile": "mobilePhone",
    **{f"extensionattribute{n}": "onPremisesExtensionAttributes" for n in range(1, 16)},
}
"""Entra's source attribute names (the job schema's, lower-cased) and the Microsoft Graph user
property holding each; `extensionAttribute1`-`15` live in `onPremisesExtensionAttributes`
(https://learn.microsoft.com/graph/api/resources/onpremisesextensionattributes). An attribute
not listed is one this tool cannot read: a clause on it cannot be told."""
GRAPH_GROUP_PROPERTIES: Mapping[str, str] = {
    "objectid": "id",
    "displayname": "displayName",
    "description": "description",
    "mail": "mail",
    "mailnickname": "mailNickname",
}


def graph_property(attribute: str, kind: str = "User") -> str | None:
    """The Graph property to `$select` for a source attribute (None: not readable)."""
    table = GRAPH_USER_PROPERTIES if kind == "User" else GRAPH_GROUP_PROPERTIES
    return table.get(attribute.lower())


def graph_value(item: Mapping[str, Any], attribute: str, kind: str = "User") -> Any:
    """A source attribute's value in a Graph user or group as read with `$select`."""
    prop = graph_property(attribute, kind)
    if prop is None:
        return None
    value = item.get(prop)
    if prop == "onPremisesExtensionAttributes":
        extensions = value if isinstance(value, Mapping) else {}
        wanted = attribute.lower()
        return next((v for k, v in extensions.items() if k.lower() == wanted), None)
    return value


@dataclass(frozen=True)
class AttributeDef:
    """A source attribute as the job schema's source directory defines it."""

    name: str
    type: str
    multivalued: bool = False


@dataclass(frozen=True)
class OperatorDef:
    """An operator as the tenant's `filterOperators` lists it (filterOperatorSchema)."""

    name: str
    supported_types: frozenset[str] = frozenset()


def operators_from_graph(items: Iterable[Mapping[str, Any]]) -> dict[str, OperatorDef]:
    """The tenant's `filterOperators` answer, by name as the tenant spells it: in `name` as the
    resource page shows it, or in `id` as Graph's v1.0 metadata keys the entity."""
    found: dict[str, OperatorDef] = {}
    for item in items:
        name = item.get("name") or item.get("id")
        if isinstance(name, str) and name:
            types = frozenset(str(t).lower() for t in item.get("supportedAttributeTypes") or [])
            found[name] = OperatorDef(name, types)
    return found


def attributes_from_schema(
    schema: Mapping[str, Any], directory: str | None, object_name: str
) -> dict[str, AttributeDef]:
    """The source object's attributes (lower-cased names) from a job schema's directories:
    the directory the rule reads from, else the first that defines the object."""
    directories = [d for d in schema.get("directories") or [] if isinstance(d, Mapping)]
    if directory is not None:
        named = [d for d in directories if str(d.get("name", "")).lower() == directory.lower()]
        directories = named or directories
    for entry in directories:
        for obj in entry.get("objects") or []:
            if isinstance(obj, Mapping) and str(obj.get("name", "")).lower() == object_name.lower():
                return {
                    str(a["name"]).lower(): AttributeDef(
                        str(a["name"]), str(a.get("type") or "String"), bool(a.get("multivalued"))
                    )
                    for a in obj.get("attributes") or []
                    if isinstance(a, Mapping) and a.get("name")
                }
    return {}


# ----- clauses -----


@dataclass(frozen=True)
class Reading:
    """One way to read what Microsoft left open for a clause."""

    anchored: bool = False
    case_exact: bool = True
    all_values: bool = False
    true_text: str = "True"


@dataclass(frozen=True)
class Clause:
    """A scoping-filter clause, ready to evaluate. `problem` set: it cannot be told for anyone
    (why); `notes`: where Microsoft is silent on what it does."""

    text: str
    attribute: str
    operator: str
    values: tuple[str, ...]
    problem: str | None = None
    notes: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = (Reading(),)
    patterns: tuple[re.Pattern[str] | None, ...] = ()

    def holds(self, value: Any) -> Verdict:
        """Whether the clause holds for an attribute value (None: cannot tell)."""
        if self.problem is not None:
            return None
        operator = _BY_UPPER[self.operator.upper()]
        empty = value is None or value == "" or value == []
        if operator in ("IS NULL", "IS NOT NULL"):
            return empty == (operator == "IS NULL")
        if empty:
            return False  # SCOPING: "scoping filters return false" on a null or empty value
        outcomes = {self._under(operator, value, reading) for reading in self.readings}
        return outcomes.pop() if len(outcomes) == 1 else None

    def _under(self, operator: str, value: Any, reading: Reading) -> bool | None:
        if operator == "IS TRUE":
            return value is True
        if operator == "IS FALSE":
            return value is False
        if isinstance(value, bool):
            word = "True" if value else "False"
            text = word if reading.true_text == "True" else word.lower()
        else:
            text = str(value)
        checks = [self._one(operator, text, i, reading) for i in range(len(self.values))]
        if None in checks:
            return None
        return all(checks) if reading.all_values else any(checks)

    def _one(self, operator: str, text: str, index: int, reading: Reading) -> bool | None:
        target = self.values[index]
        if operator == "EQUALS":
            return text == target
        if operator == "NOT EQUALS":
            return text != target
        if operator == "Includes":
            return target in text  # ordinal, as .NET String.Contains
        if operator == "ENDS_WITH":
            if reading.case_exact:
                return text.endswith(target)
            return text.casefold().endswith(target.casefold())
        if operator in ("Greater_Than", "Greater_Than_OR_EQUALS"):
            if not (_INTEGER.fullmatch(text) and _INTEGER.fullmatch(target)):
                return None
            left, right = int(text), int(target)
            return left > right if operator == "Greater_Than" else left >= right
        pattern = self.patterns[index]
        if pattern is None:
            return None
        found = pattern.fullmatch(text) if reading.anchored else pattern.search(text)
        return (found is not None) == (operator == "REGEX MATCH")


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def compile_clause(
    raw: Mapping[str, Any],
    operators: Mapping[str, OperatorDef] | None,
    attributes: Mapping[str, AttributeDef] | None,
    kind: str = "User",
) -> Clause:
    """A Graph `filterClause` ({operatorName, sourceOperandName, targetOperand: {values}})
    judged against the tenant's operators and the source object's attributes (None: unknown,
    so any clause cannot be told)."""
    operator = str(raw.get("operatorName") or "")
    attribute = str(raw.get("sourceOperandName") or "")
    values = tuple(str(v) for v in ((raw.get("targetOperand") or {}).get("values") or []))
    shown = " ".join([attribute, operator, *(f"'{v}'" for v in values)]).strip()
    base = Clause(shown, attribute, operator, values)
    problem = _static_problem(operator, attribute, values, operators, attributes, kind)
    if problem is not None:
        return Clause(shown, attribute, operator, values, problem=problem)
    documented = _BY_UPPER[operator.upper()]
    definition = (attributes or {})[attribute.lower()]
    notes = [SILENT[documented]] if documented in SILENT else []
    dimensions: dict[str, list[Any]] = {}
    if documented in ("REGEX MATCH", "NOT REGEX MATCH"):
        dimensions["anchored"] = [False, True]
    if documented == "ENDS_WITH":
        dimensions["case_exact"] = [True, False]
    if len(values) > 1 and documented not in UNARY:
        dimensions["all_values"] = [False, True]
        notes.append(SILENT["values"])
    if definition.type.lower() == "boolean" and documented not in UNARY:
        dimensions["true_text"] = ["True", "true"]
        notes.append("Microsoft does not say how a Boolean compares with text ('True' or 'true')")
    readings = tuple(
        Reading(**dict(zip(dimensions, combo, strict=True)))
        for combo in itertools.product(*dimensions.values())
    ) or (Reading(),)
    patterns: tuple[re.Pattern[str] | None, ...] = ()
    if documented in ("REGEX MATCH", "NOT REGEX MATCH"):
        patterns = tuple(_pattern(v) for v in values)
        if None in patterns:
            notes.append("a pattern Python's re cannot read is never decided")
    return Clause(
        base.text,
        attribute,
        operator,
        values,
        notes=tuple(notes),
        readings=readings,
        patterns=patterns,
    )


def _pattern(value: str) -> re.Pattern[str] | None:
    try:
        return re.compile(value)
    except re.error:
        return None


def _static_problem(
    operator: str,
    attribute: str,
    values: Sequence[str],
    operators: Mapping[str, OperatorDef] | None,
    attributes: Mapping[str, AttributeDef] | None,
    kind: str,
) -> str | None:
    """Why a clause cannot be told for anyone, or None."""
    if operators is None:
        return "the tenant's list of filter operators could not be read"
    if operator not in operators:
        listed = ", ".join(sorted(operators)) or "none"
        return f"the tenant does not list the operator '{operator}' (it lists: {listed})"
    documented = _BY_UPPER.get(operator.upper())
    if documented is None:
        return f"Microsoft does not document what the operator '{operator}' does"
    if documented in ("&", "!&"):
        return SILENT[documented]
    lowered = attribute.lower()
    if lowered in UNSUPPORTED_ATTRIBUTES:
        return UNSUPPORTED_ATTRIBUTES[lowered]
    if attributes is None:
        return "the source object's attributes (the job schema) could not be read"
    definition = attributes.get(lowered)
    if definition is None:
        return f"'{attribute}' is not an attribute of the source {kind} in the job schema"
    if definition.multivalued:
        return f"'{attribute}' is multi-valued; filtering on one is not supported (SCOPING)"
    if definition.type.lower() in DATE_TYPES:
        return f"'{attribute}' is a date; date attributes are not supported (KNOWN)"
    types = operators[operator].supported_types
    if types and definition.type.lower() not in types:
        return (
            f"the tenant lists '{operator}' for {', '.join(sorted(types))} attributes, not "
            f"for {definition.type} ('{attribute}')"
        )
    if documented in ("IS TRUE", "IS FALSE") and definition.type.lower() != "boolean":
        return f"'{operator}' tests a Boolean; '{attribute}' is a {definition.type}"
    if documented.startswith("Greater_Than") and definition.type.lower() != "integer":
        return f"{SILENT[documented]} ('{attribute}' is a {definition.type})"
    if graph_property(attribute, kind) is None:
        return f"this tool cannot read '{attribute}' from Microsoft Graph"
    if documented in UNARY and values:
        return f"'{operator}' takes no value, but the clause has {len(values)}"
    if documented not in UNARY and not values:
        return f"'{operator}' needs a value, but the clause has none"
    return None


# ----- filters -----


@dataclass(frozen=True)
class FilterGroup:
    name: str
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class ScopingFilter:
    """An object mapping's `scope.groups` (OR of AND-groups); no groups: everyone passes.
    `problem`: the whole filter cannot be told (experimental filter sets in use)."""

    groups: tuple[FilterGroup, ...] = ()
    problem: str | None = None

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(c for g in self.groups for c in g.clauses)

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(c.attribute for c in self.clauses)

    def describe(self) -> str:
        if self.problem is not None:
            return f"cannot be read ({self.problem})"
        if not self.groups:
            return "none (everyone passes)"
        return " OR ".join("(" + " AND ".join(c.text for c in g.clauses) + ")" for g in self.groups)

    def evaluate(self, value_of: Callable[[str], Any]) -> tuple[Verdict, str | None]:
        """In or out, and the reason when out or undecided: the clause that failed, or the one
        that could not be told."""
        if self.problem is not None:
            return None, self.problem
        if not self.groups:
            return True, None
        unknown: str | None = None
        failed: str | None = None
        for group in self.groups:
            verdict, why = _group(group, value_of)
            if verdict is True:
                return True, None
            if verdict is None:
                unknown = unknown or why
            else:
                failed = failed or why
        if unknown is not None:
            return None, unknown
        return False, failed


def _group(group: FilterGroup, value_of: Callable[[str], Any]) -> tuple[Verdict, str]:
    unknown: str | None = None
    for clause in group.clauses:
        holds = clause.holds(value_of(clause.attribute))
        if holds is False:
            return False, f"filtered out by clause {clause.text}"
        if holds is None and unknown is None:
            why = clause.problem or "; ".join(clause.notes) or "undecided"
            unknown = f"clause {clause.text} cannot be told: {why}"
    if unknown is not None:
        return None, unknown
    return True, ""


def compile_filter(
    scope: Mapping[str, Any] | None,
    operators: Mapping[str, OperatorDef] | None,
    attributes: Mapping[str, AttributeDef] | None,
    kind: str = "User",
) -> ScopingFilter:
    """An objectMapping's `scope` (a Graph `filter`; None: no filter). Only `groups` is the
    filter "to use in most cases" (FILTER); the experimental `inputFilterGroups` and
    `categoryFilterGroups` are not documented enough to evaluate."""
    if not scope:
        return ScopingFilter()
    experimental = [n for n in ("inputFilterGroups", "categoryFilterGroups") if scope.get(n)]
    if experimental:
        return ScopingFilter(
            problem=f"the filter uses {' and '.join(experimental)}, which Microsoft marks "
            "experimental and does not document well enough to evaluate"
        )
    groups = []
    for index, group in enumerate(g for g in scope.get("groups") or [] if isinstance(g, Mapping)):
        clauses = tuple(
            compile_clause(c, operators, attributes, kind)
            for c in group.get("clauses") or []
            if isinstance(c, Mapping)
        )
        groups.append(FilterGroup(str(group.get("name") or f"group {index + 1}"), clauses))
    return ScopingFilter(tuple(groups))


def filter_from_spec(groups: Sequence[Sequence[Mapping[str, Any]]]) -> dict[str, Any] | None:
    """A stack's `scopingFilter` ([[{attribute, operator, values}]]) as the Graph `filter` the
    program writes (rules.schema_edit writes the same shape)."""
    if not groups:
        return None
    return {
        "groups": [
            {
                "name": f"Scoping group {index + 1}",
                "clauses": [
                    {
                        "operatorName": clause["operator"],
                        "sourceOperandName": clause["attribute"],
                        "targetOperand": {"values": list(clause.get("values") or [])},
                    }
                    for clause in group
                ],
            }
            for index, group in enumerate(groups)
        ]
    }


# ----- one side of the change: the configuration the service runs -----


@dataclass(frozen=True)
class Configuration:
    """What decides scope on one side of the change (the live tenant, or the stack)."""

    job: bool
    """A provisioning job exists (the stack provisions)."""
    running: bool
    """Provisioning Status On (schedule Active); Off is a pause."""
    sync_all: bool
    skip_out_of_scope_deletions: bool
    users_mapped: bool
    """The user object mapping is enabled."""
    user_filter: ScopingFilter
    groups_mapped: bool
    group_filter: ScopingFilter
    assigned_users: frozenset[str] = frozenset()
    """Object ids, lower-cased."""
    assigned_groups: Mapping[str, str] = field(default_factory=dict)
    """Object id (lower-cased) -> display name."""


NO_JOB = Configuration(
    job=False,
    running=False,
    sync_all=False,
    skip_out_of_scope_deletions=False,
    users_mapped=False,
    user_filter=ScopingFilter(),
    groups_mapped=False,
    group_filter=ScopingFilter(),
)


@dataclass(frozen=True)
class Decision:
    """Whether one user or group is in scope on one side, and why (or why not)."""

    verdict: Verdict
    reason: str


def user_decision(
    config: Configuration,
    user_id: str,
    account_enabled: Any,
    groups: Iterable[str],
    value_of: Callable[[str], Any],
) -> Decision:
    """Scope of a user: assigned directly or as an immediate member of an assigned group (HOW:
    nested groups are not read), or everyone with Sync all; an account that is disabled is
    never provisioned (HOW: IsSoftDeleted); then the scoping filter. `groups`: ids (lower-cased)
    of the groups the user is an immediate member of, among those either side assigns."""
    if not config.job:
        return Decision(False, "no provisioning job")
    if not config.users_mapped:
        return Decision(False, "the user mapping is turned off")
    if config.sync_all:
        how = "scope is all users and groups"
    elif user_id.lower() in config.assigned_users:
        how = "assigned directly"
    else:
        via = sorted(config.assigned_groups[g] for g in groups if g in config.assigned_groups)
        if not via:
            return Decision(False, "not assigned")
        how = f"assigned through group {', '.join(via)}"
    if account_enabled is False:
        return Decision(False, "account disabled")
    verdict, why = config.user_filter.evaluate(value_of)
    if verdict is True:
        return Decision(True, how)
    return Decision(verdict, why or "filtered out")


def group_decision(
    config: Configuration, group_id: str, value_of: Callable[[str], Any]
) -> Decision:
    """Scope of a group object (when group provisioning is on): assigned, or Sync all, then the
    group scoping filter."""
    if not config.job or not config.groups_mapped:
        return Decision(False, "group provisioning is off")
    if not config.sync_all and group_id.lower() not in config.assigned_groups:
        return Decision(False, "not assigned")
    verdict, why = config.group_filter.evaluate(value_of)
    if verdict is True:
        return Decision(True, "scope is all" if config.sync_all else "assigned")
    return Decision(verdict, why or "filtered out")


# ----- the change for one principal -----

GAINS = "gains"
LOSES = "loses"
NO_LONGER_MAINTAINED = "no longer maintained"
CANNOT_TELL = "cannot tell"


@dataclass(frozen=True)
class Change:
    """What the change does to one principal; None from `change` when nothing."""

    kind: str
    """GAINS, LOSES, NO_LONGER_MAINTAINED or CANNOT_TELL."""
    reason: str


def change(
    now: Decision, after: Decision, before: Configuration, later: Configuration
) -> Change | None:
    """Compare the two sides. Leaving scope disables the Asana account (HOW, incremental cycles
    7 and 8), unless SkipOutOfScopeDeletions is on or the job is gone (Delete job: "synchronized
    accounts are left as-is") or the user mapping is off: then the account is only no longer
    maintained. With the job paused, nothing happens until it resumes (the caller says so)."""
    if now.verdict is None or after.verdict is None:
        undecided = now if now.verdict is None else after
        side = "now" if now.verdict is None else "after the change"
        return Change(CANNOT_TELL, f"{side}: {undecided.reason}")
    if now.verdict == after.verdict:
        return None
    if after.verdict:
        return Change(GAINS, _gain_reason(now, after, before, later))
    reason = _loss_reason(now, after, before, later)
    if not later.job:
        return Change(NO_LONGER_MAINTAINED, f"{reason} (accounts are left as they are)")
    if not later.users_mapped:
        return Change(NO_LONGER_MAINTAINED, reason)
    if later.skip_out_of_scope_deletions:
        return Change(NO_LONGER_MAINTAINED, f"{reason}; SkipOutOfScopeDeletions is on")
    return Change(LOSES, reason)


def _gain_reason(
    now: Decision, after: Decision, before: Configuration, later: Configuration
) -> str:
    if not before.job:
        return f"{after.reason} (provisioning starts)"
    if later.sync_all and not before.sync_all:
        return "scope changed to all users and groups"
    if now.reason in ("not assigned", "account disabled"):
        return f"newly {after.reason}" if after.reason.startswith("assigned") else after.reason
    if now.reason.startswith("filtered out") or now.reason.startswith("clause"):
        return f"passes the new scoping filter ({after.reason})"
    return after.reason


def _loss_reason(
    now: Decision, after: Decision, before: Configuration, later: Configuration
) -> str:
    if not later.job:
        return "provisioning removed from the stack"
    if before.sync_all and not later.sync_all and after.reason == "not assigned":
        return "scope changed to assigned users and groups only"
    if after.reason == "not assigned":
        return f"no longer assigned (was {now.reason})"
    return after.reason
