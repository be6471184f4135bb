"""The access impact preview predicts what the provisioning service then does.

For random directories (departments, job titles, extension attributes, disabled accounts,
guests, nested groups), random assignments, scopes and scoping filters (every operator the
tenant lists, on supported and unsupported attributes), the tool's "now" set is who the local
tenant's cycle has active in Asana, and its "after" set is who the next cycle leaves active once
the change is applied. The local tenant's cycle (tests/emulator/scoping.py, source_objects.py)
is an implementation of its own, not rules/provisioning_scope.py. Users the tool says it cannot
tell are left out of the comparison: for them the service's answer depends on what Microsoft
does not document, and the tool must not guess it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clients.credentials import shared_credential
from rules.provisioning_scope import DOCUMENTED_OPERATORS, UNARY
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import Emulator
from tests.impact_tenant import impact_tenant
from tools.impact_scan import Desired, scan

ATTRIBUTES = ("department",) * 4 + ("jobTitle", "accountEnabled", "extensionAttribute1", "userType")
"""Weighted towards department, so that most clauses decide something."""
OPERATORS = DOCUMENTED_OPERATORS + ("EQUALS", "NOT EQUALS") * 5 + ("Includes", "ENDS_WITH") * 2
VALUES = ("Sales", "sales", "Sales", "Engineering", "Sa", "^Sa.*$", "Ops", "Staff", "12", "True")

people = st.lists(
    st.fixed_dictionaries(
        {
            "department": st.sampled_from(["Sales", "Engineering", "Sales Ops", "sales", "", None]),
            "job_title": st.sampled_from(["Engineer", "12", None]),
            "account_enabled": st.booleans(),
            "user_type": st.sampled_from(["Member", "Guest"]),
            "extension": st.sampled_from(["Staff", "Contractor", None]),
        }
    ),
    min_size=1,
    max_size=7,
)
clauses = st.builds(
    lambda attribute, operator, values: {
        "attribute": attribute,
        "operator": operator,
        "values": [] if operator in UNARY else values,
    },
    st.sampled_from(ATTRIBUTES),
    st.sampled_from(OPERATORS),
    st.one_of(
        *[st.lists(st.sampled_from(VALUES), min_size=1, max_size=1)] * 4,
        st.lists(st.sampled_from(VALUES), min_size=2, max_size=2, unique=True),
    ),
)
filters = st.one_of(
    st.none(), st.lists(st.lists(clauses, min_size=1, max_size=2), min_size=1, max_size=2)
)


@st.composite
def sides(draw: st.DrawFn, users: int, groups: int) -> dict[str, Any]:
    return {
        "groups": draw(st.sets(st.integers(0, groups - 1))),
        "users": draw(st.sets(st.integers(0, users - 1), max_size=2)),
        "sync_all": draw(st.booleans()),
        "filter": draw(filters),
        "running": draw(st.booleans()),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    directory = draw(people)
    count = len(directory)
    groups = draw(
        st.lists(st.sets(st.integers(0, count - 1)), min_size=1, max_size=3)
    )  # members of each group
    nested = draw(st.booleans())
    now = draw(sides(count, len(groups)))
    now["running"] = True
    return {
        "people": directory,
        "groups": groups,
        "nested": nested,
        "now": now,
        "after": draw(sides(count, len(groups))),
        "skip": draw(st.booleans()),
    }


def desired(side: dict[str, Any], group_ids: list[str], user_ids: list[str]) -> Desired:
    mappings = None if side["filter"] is None else {"scopingFilter": side["filter"]}
    return Desired(
        provisions=True,
        running=side["running"],
        sync_all=side["sync_all"],
        groups=tuple(group_ids[i] for i in sorted(side["groups"])),
        users=tuple(user_ids[i] for i in sorted(side["users"])),
        user_mappings=mappings,
    )


def person(department: str | None, enabled: bool = True, kind: str = "Member") -> dict[str, Any]:
    return {
        "department": department,
        "job_title": None,
        "account_enabled": enabled,
        "user_type": kind,
        "extension": None,
    }


def side(groups: set[int], clause: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    base = {"groups": groups, "users": set(), "sync_all": False, "running": True}
    return {**base, "filter": None if clause is None else [[clause]], **changes}


def plain(attribute: str, operator: str, *values: str) -> dict[str, Any]:
    return {"attribute": attribute, "operator": operator, "values": list(values)}


TEAM = [person("sales"), person("Sales"), person(None), person("Sales", enabled=False)]
TEAM += [person("Sales Ops", kind="Guest")]


def scenario(now: dict[str, Any], after: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base = {"people": TEAM, "groups": [{0, 1, 2, 3}, {4}], "nested": True, "skip": False}
    return {**base, "now": now, "after": after, **changes}


@example(  # EQUALS is case-sensitive; a disabled account is never provisioned
    scenario=scenario(side({0}, plain("department", "EQUALS", "Sales")), side({0}, None))
)
@example(  # a null value fails NOT EQUALS; the nested group's guest is not read
    scenario=scenario(side({1}, None), side({1}, plain("department", "NOT EQUALS", "Sales")))
)
@example(  # leaving with SkipOutOfScopeDeletions: still active, no longer maintained
    scenario=scenario(side({0}, None), side({0}, plain("department", "IS NULL")), skip=True)
)
@example(  # scope all, then paused: nothing changes until it resumes
    scenario=scenario(side(set(), None), side(set(), None, sync_all=True, running=False))
)
@example(  # scope all: everyone enabled, the guest too
    scenario=scenario(
        side({0}, None), side(set(), plain("department", "Includes", "ales"), sync_all=True)
    )
)
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_the_after_set_is_what_the_next_cycle_provisions(
    trust_emulator: Emulator, tenant: Tenant, scenario: dict[str, Any]
) -> None:
    emu = trust_emulator
    emu.reset()
    shared_credential.cache_clear()
    emu.register_app(TENANT_ID, CLIENT_ID, tenant.client_secret)
    emu.add_scim_token(tenant.asana_token)
    t = impact_tenant(emu, tenant.client_secret, tenant.asana_token)
    user_ids = [
        emu.add_user(
            f"user{i}@contoso.com"
            if p["user_type"] == "Member"
            else f"g{i}_x.com#EXT#@contoso.com",
            f"User {i}",
            department=p["department"],
            job_title=p["job_title"],
            account_enabled=p["account_enabled"],
            user_type=p["user_type"],
            extension_attributes={"extensionAttribute1": p["extension"]},
        )
        for i, p in enumerate(scenario["people"])
    ]
    group_ids: list[str] = []
    for i, members in enumerate(scenario["groups"]):
        inner = group_ids[-1:] if scenario["nested"] else []
        group_ids.append(
            emu.add_group(f"Group {i}", members=[user_ids[m] for m in sorted(members)] + inner)
        )
    upn = {user_id: emu.directory_object(user_id)["userPrincipalName"] for user_id in user_ids}
    by_name = {name.lower(): user_id for user_id, name in upn.items()}

    def active() -> set[str]:
        return {by_name[name.lower()] for name in t.active_in_asana()}

    now = desired(scenario["now"], group_ids, user_ids)
    t.apply(now)
    t.cycle()
    provisioned_now = active()
    emu.set_secrets(
        t.sp, {**emu.secrets(t.sp), "SkipOutOfScopeDeletions": str(scenario["skip"]).lower()}
    )
    after = desired(scenario["after"], group_ids, user_ids)
    verdicts: dict[str, tuple[bool | None, bool | None]] = {}

    report = scan(t.reader(), "prop", t.target, after, limit=None, verdicts=verdicts)

    t.apply(after)
    if after.running:
        t.cycle()
    provisioned_after = active()
    for user_id in user_ids:
        was, will = verdicts.get(user_id.lower(), (False, False))
        if was is not None:
            assert (user_id in provisioned_now) is was, (upn[user_id], "now", report.problems)
        if was is None or will is None:
            continue
        if not after.running:
            expected = user_id in provisioned_now  # a pause: nothing changes
        elif was and not will and scenario["skip"]:
            expected = True  # left as it is: no longer maintained, still active
        else:
            expected = will
        assert (user_id in provisioned_after) is expected, (upn[user_id], scenario)
