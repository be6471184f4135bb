"""Who a change gains or loses Asana: the live tenant read through Graph (the app's assignments,
the job's status, secrets, schema and filter operators), the stack's settings as the program
would declare them, and rules/provisioning_scope.py deciding each user and group on both sides.

Reads stream (clients/directory.py): group members a page at a time, each user decided when
first seen; what is kept per user is its group membership and two verdicts, and names only for
the lists the report prints. Every request the scan sends is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clients.directory import DirectoryReader
from clients.http import ServiceError
from rules.identifiers import is_guid
from rules.provisioning_scope import (
    CANNOT_TELL,
    GAINS,
    LOSES,
    NO_JOB,
    NO_LONGER_MAINTAINED,
    AttributeDef,
    Configuration,
    Decision,
    OperatorDef,
    attributes_from_schema,
    change,
    compile_filter,
    filter_from_spec,
    graph_property,
    graph_value,
    group_decision,
    operators_from_graph,
    user_decision,
)
from tools.impact_report import DEFAULT_LIMIT, Entry, Guardrail, Report, Side

BASE_USER_PROPERTIES = ("id", "displayName", "userPrincipalName", "accountEnabled")


@dataclass(frozen=True)
class Desired:
    """What the stack declares that decides scope (components.settings, as the program reads
    it)."""

    provisions: bool
    running: bool = True
    sync_all: bool = False
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    user_mappings: Mapping[str, Any] | None = None
    group_mappings: Mapping[str, Any] | None = None
    max_access_loss: int | None = None


@dataclass(frozen=True)
class Target:
    """The deployed app and job (None: the stack has not been deployed)."""

    service_principal_id: str
    job_id: str | None


@dataclass
class Live:
    """The tenant as it is: what the job runs with, and what the after side inherits."""

    config: Configuration = NO_JOB
    user_scope: Mapping[str, Any] | None = None
    group_scope: Mapping[str, Any] | None = None
    users_mapped: bool = True
    groups_mapped: bool = True
    skip_out_of_scope_deletions: bool = False
    operators: Mapping[str, OperatorDef] | None = None
    user_attributes: Mapping[str, AttributeDef] | None = None
    group_attributes: Mapping[str, AttributeDef] | None = None
    group_names: dict[str, str] = field(default_factory=dict)


def _object_mapping(rule: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for mapping in rule.get("objectMappings") or []:
        if isinstance(mapping, Mapping) and str(mapping.get("sourceObjectName", "")).lower() == (
            kind.lower()
        ):
            return mapping
    return None


def read_live(reader: DirectoryReader, target: Target | None, problems: list[str]) -> Live:
    """The live configuration; what cannot be read goes to `problems`."""
    live = Live()
    if target is None:
        return live
    sp = target.service_principal_id
    assigned_users: set[str] = set()
    for item in reader.assignments(sp):
        principal = str(item.get("principalId", "")).lower()
        if item.get("principalType") == "User":
            assigned_users.add(principal)
        elif item.get("principalType") == "Group":
            live.group_names[principal] = str(item.get("principalDisplayName") or principal)
    if target.job_id is None:
        return live  # the stack does not provision: no job decides anyone's account
    try:
        job = reader.job(sp, target.job_id)
    except ServiceError as error:
        if error.status != 404:
            raise
        problems.append(f"the stack's provisioning job {target.job_id} is gone from the tenant")
        return live
    secrets = reader.secrets(sp)
    schema = reader.schema(sp, target.job_id)
    try:
        live.operators = operators_from_graph(reader.filter_operators(sp, target.job_id))
    except ServiceError as error:
        problems.append(f"the tenant's filter operators could not be read: {error}")
    rules = [r for r in schema.get("synchronizationRules") or [] if isinstance(r, Mapping)]
    rule = rules[0] if rules else {}
    directory = rule.get("sourceDirectoryName")
    live.user_attributes = attributes_from_schema(schema, directory, "User") or None
    live.group_attributes = attributes_from_schema(schema, directory, "Group") or None
    users = _object_mapping(rule, "User")
    groups = _object_mapping(rule, "Group")
    live.user_scope = (users or {}).get("scope")
    live.group_scope = (groups or {}).get("scope")
    live.users_mapped = bool(users and users.get("enabled", True))
    live.groups_mapped = bool(groups and groups.get("enabled", True))
    live.skip_out_of_scope_deletions = secrets.get("SkipOutOfScopeDeletions", "").lower() == "true"
    live.config = Configuration(
        job=True,
        running=(job.get("schedule") or {}).get("state") == "Active",
        sync_all=secrets.get("SyncAll", "").lower() == "true",
        skip_out_of_scope_deletions=live.skip_out_of_scope_deletions,
        users_mapped=live.users_mapped,
        user_filter=compile_filter(live.user_scope, live.operators, live.user_attributes),
        groups_mapped=live.groups_mapped,
        group_filter=compile_filter(
            live.group_scope, live.operators, live.group_attributes, "Group"
        ),
        assigned_users=frozenset(assigned_users),
        assigned_groups=dict(live.group_names),
    )
    return live


def _mapping_scope(
    spec: Mapping[str, Any] | None, live_scope: Mapping[str, Any] | None, live_enabled: bool
) -> tuple[Mapping[str, Any] | None, bool]:
    """The scope and enabled switch the program leaves on an object mapping: a stack's
    `scopingFilter` replaces the live filter's groups (rules.schema_edit); without one the
    live filter stays."""
    if spec is None:
        return live_scope, live_enabled
    scope = live_scope
    if "scopingFilter" in spec:
        scope = filter_from_spec(spec["scopingFilter"] or [])
    return scope, bool(spec.get("enabled", True))


def resolve_desired(
    reader: DirectoryReader,
    desired: Desired,
    live: Live,
    select: list[str],
    problems: list[str],
) -> tuple[Configuration, dict[str, dict[str, Any]]]:
    """The after side, with the stack's groups and users looked up as the program looks them
    up (object id, or display name / user principal name), and the users assigned directly."""
    groups: dict[str, str] = {}
    for reference in desired.groups:
        found = reader.group(reference, (), by_id=is_guid(reference))
        if len(found) != 1:
            why = "no group" if not found else f"{len(found)} groups"
            problems.append(f"assignmentGroups names {reference!r}, and the tenant has {why} by it")
            continue
        groups[str(found[0]["id"]).lower()] = str(found[0].get("displayName") or reference)
    direct: dict[str, dict[str, Any]] = {}
    for reference in desired.users:
        user = reader.user(reference, select)
        if user is None:
            problems.append(f"assignmentUsers names {reference!r}, and the tenant has no such user")
            continue
        direct[str(user["id"]).lower()] = user
    user_scope, users_mapped = _mapping_scope(
        desired.user_mappings, live.user_scope, live.users_mapped
    )
    group_scope, groups_mapped = _mapping_scope(
        desired.group_mappings, live.group_scope, live.groups_mapped
    )
    after = Configuration(
        job=desired.provisions,
        running=desired.running,
        sync_all=desired.sync_all,
        skip_out_of_scope_deletions=live.skip_out_of_scope_deletions,
        users_mapped=users_mapped,
        user_filter=compile_filter(user_scope, live.operators, live.user_attributes),
        groups_mapped=groups_mapped,
        group_filter=compile_filter(group_scope, live.operators, live.group_attributes, "Group"),
        assigned_users=frozenset(direct),
        assigned_groups=groups,
    )
    return after, direct


@dataclass
class _Seen:
    """What is kept of a user between the group pages: membership, and the user itself."""

    groups: set[str]
    user: dict[str, Any]


def scan(
    reader: DirectoryReader,
    stack: str,
    target: Target | None,
    desired: Desired,
    *,
    limit: int | None = DEFAULT_LIMIT,
    progress: Callable[[str], None] = lambda _: None,
    verdicts: dict[str, tuple[bool | None, bool | None]] | None = None,
) -> Report:
    """Both sides, every user and group either side could hold, and the report. `verdicts`,
    when given, receives each user's (now, after) verdict by object id (for tests)."""
    problems: list[str] = []
    progress("reading the app's assignments, provisioning job, secrets and schema")
    live = read_live(reader, target, problems)
    now = live.config
    if target is None:
        problems_note = "the stack has no outputs yet (not deployed): nobody has Asana through it"
        live_note = [problems_note]
    else:
        live_note = []
    select = list(BASE_USER_PROPERTIES)
    probe = compile_filter(
        filter_from_spec((desired.user_mappings or {}).get("scopingFilter") or []),
        live.operators,
        live.user_attributes,
    )
    for attribute in {*now.user_filter.attributes, *probe.attributes}:
        prop = graph_property(attribute)
        if prop is not None and prop not in select:
            select.append(prop)
    progress("looking up the stack's groups and users")
    after, direct = resolve_desired(reader, desired, live, select, problems)
    report = Report(
        stack,
        now=_side(now, live.group_names, 0),
        after=_side(after, dict(after.assigned_groups), 0),
        limit=limit,
    )
    report.notes += live_note
    clauses = (*now.user_filter.clauses, *after.user_filter.clauses)
    report.notes += sorted({f"{c.text}: {note}" for c in clauses for note in c.notes})
    in_now = in_after = 0

    def decide(user: Mapping[str, Any], groups: Iterable[str]) -> None:
        nonlocal in_now, in_after
        user_id = str(user.get("id", "")).lower()
        member_of = list(groups)

        def value_of(attribute: str) -> Any:
            return graph_value(user, attribute)

        enabled = user.get("accountEnabled")
        before = user_decision(now, user_id, enabled, member_of, value_of)
        later = user_decision(after, user_id, enabled, member_of, value_of)
        in_now += before.verdict is True
        in_after += later.verdict is True
        if verdicts is not None:
            verdicts[user_id] = (before.verdict, later.verdict)
        if later.reason == "account disabled" and before.reason != "account disabled":
            report.assigned_but_disabled += 1
        found = change(before, later, now, after)
        if found is not None:
            entry = Entry(
                "user",
                user_id,
                str(user.get("displayName") or ""),
                str(user.get("userPrincipalName") or ""),
                found.reason,
            )
            report.add(entry, found.kind)

    relevant_groups: dict[str, str] = {}
    if not now.sync_all:
        relevant_groups.update(now.assigned_groups)
    if not after.sync_all:
        relevant_groups.update(after.assigned_groups)
    seen: dict[str, _Seen] = {}
    sync_all = (now.job and now.sync_all) or (after.job and after.sync_all)
    for group_id, name in relevant_groups.items():
        for page in reader.user_members(group_id, name, select):
            for user in page:
                user_id = str(user.get("id", "")).lower()
                if user_id in seen:
                    seen[user_id].groups.add(group_id)
                else:
                    seen[user_id] = _Seen({group_id}, _trim(user, select))
    for user_id, user in direct.items():
        seen.setdefault(user_id, _Seen(set(), _trim(user, select)))
    for user_id in now.assigned_users - seen.keys():
        user = reader.user(user_id, select)
        if user is not None:
            seen[user_id] = _Seen(set(), _trim(user, select))
    if sync_all:
        progress("reading every user (scope is all users on one side)")
        for page in reader.all_users(select):
            for user in page:
                user_id = str(user.get("id", "")).lower()
                known = seen.pop(user_id, None)
                decide(user, known.groups if known else ())
    for known in seen.values():
        decide(known.user, known.groups)
    seen.clear()
    _scan_groups(reader, report, now, after, live)
    report.now = _side(now, live.group_names, in_now)
    report.after = _side(after, dict(after.assigned_groups), in_after)
    report.problems += problems
    losing = report.counts[LOSES] + report.group_counts[LOSES]
    report.guardrail = Guardrail(desired.max_access_loss, losing, report.undecided)
    report.requests = reader.requests
    return report


def _scan_groups(
    reader: DirectoryReader, report: Report, now: Configuration, after: Configuration, live: Live
) -> None:
    """Groups as Asana teams, where group provisioning is on on either side."""
    if not (now.job and now.groups_mapped) and not (after.job and after.groups_mapped):
        return
    attributes = {*now.group_filter.attributes, *after.group_filter.attributes}
    select = [p for a in attributes if (p := graph_property(a, "Group")) is not None]
    if (now.sync_all and now.job) or (after.sync_all and after.job):
        groups: Iterable[Mapping[str, Any]] = (
            g for page in reader.all_groups(select) for g in page
        )
    else:
        ids = {**now.assigned_groups, **after.assigned_groups}
        if attributes:
            groups = [g for gid in ids for g in reader.group(gid, select, by_id=True)]
        else:
            groups = [{"id": gid, "displayName": name} for gid, name in ids.items()]
    for group in groups:
        group_id = str(group.get("id", "")).lower()

        def value_of(attribute: str, g: Mapping[str, Any] = group) -> Any:
            return graph_value(g, attribute, "Group")

        before = group_decision(now, group_id, value_of)
        later = group_decision(after, group_id, value_of)
        found = change(before, later, now, after)
        if found is None:
            continue
        kind = found.kind
        reason = found.reason
        if kind == LOSES:
            kind = NO_LONGER_MAINTAINED  # Asana teams are not deleted over SCIM
            reason = f"{reason} (the Asana team stays; Asana teams are not deleted over SCIM)"
        report.add(Entry("group", group_id, str(group.get("displayName") or ""), "", reason), kind)


def _trim(user: Mapping[str, Any], select: list[str]) -> dict[str, Any]:
    return {key: user.get(key) for key in select}


def _side(config: Configuration, names: Mapping[str, str], in_scope: int) -> Side:
    return Side(
        job=config.job,
        running=config.running,
        sync_all=config.sync_all,
        user_filter=config.user_filter.describe(),
        groups=tuple(sorted(names.values())),
        users=len(config.assigned_users),
        users_in_scope=in_scope,
    )


__all__ = ["CANNOT_TELL", "GAINS", "Decision", "Desired", "Target", "scan"]
