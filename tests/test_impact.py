"""The access impact preview against the local tenant: tools.impact_scan reads Graph the way
it would read Entra, and each change a pull request can make is named, counted and explained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rules.provisioning_scope import CANNOT_TELL, GAINS, LOSES, NO_LONGER_MAINTAINED
from tests.conftest import Tenant
from tests.emulator import Emulator
from tests.impact_tenant import ImpactTenant, impact_tenant
from tools.impact_report import CANNOT, GUARDRAIL, NOBODY, SOMEONE, render_markdown, render_text
from tools.impact_scan import Desired, scan

SALES = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]


@pytest.fixture
def directory(trust_emulator: Emulator, tenant: Tenant) -> Iterator[tuple[ImpactTenant, dict]]:
    """Staff (Ada Sales, Bob Eng, Dan disabled, Gus a guest in Sales) assigned; Cy in a group
    nested in Staff; Eve in no group; Fay in Contractors (not assigned)."""
    emu = trust_emulator
    t = impact_tenant(emu, tenant.client_secret, tenant.asana_token)
    ids = {
        "ada": emu.add_user("ada@contoso.com", "Ada", department="Sales"),
        "bob": emu.add_user("bob@contoso.com", "Bob", department="Engineering"),
        "cy": emu.add_user("cy@contoso.com", "Cy", department="Sales"),
        "dan": emu.add_user("dan@contoso.com", "Dan", department="Sales", account_enabled=False),
        "eve": emu.add_user("eve@contoso.com", "Eve", department="Sales"),
        "fay": emu.add_user("fay@contoso.com", "Fay", department="Sales"),
        "gus": emu.add_user(
            "gus_fabrikam.com#EXT#@contoso.com", "Gus", department="Sales", user_type="Guest"
        ),
    }
    ids["inner"] = emu.add_group("Inner", members=[ids["cy"]])
    ids["staff"] = emu.add_group(
        "Staff", members=[ids["ada"], ids["bob"], ids["dan"], ids["gus"], ids["inner"]]
    )
    ids["contractors"] = emu.add_group("Contractors", members=[ids["fay"]])
    t.assign(ids["staff"], "Group")
    yield t, ids


def names(report, kind: str, of: str = "user") -> set[str]:
    return {entry.name for entry in report.entries[kind] if entry.kind == of}


def desired(ids: dict, **changes) -> Desired:
    base = {"provisions": True, "groups": (ids["staff"],), "user_mappings": None}
    return Desired(**{**base, **changes})


def test_nothing_changed_nobody_is_affected_in_one_line(directory):
    t, ids = directory

    report = scan(t.reader(), "dev", t.target, desired(ids))

    assert report.status == NOBODY
    assert report.now.users_in_scope == 3  # Ada, Bob, Gus: immediate, enabled members
    assert render_markdown(report).count("\n") == 1


def test_adding_a_group_gains_its_immediate_members_only(directory):
    t, ids = directory

    report = scan(
        t.reader(), "dev", t.target, desired(ids, groups=(ids["staff"], ids["contractors"]))
    )

    assert report.status == SOMEONE
    assert names(report, GAINS) == {"Fay"}
    assert report.entries[GAINS][0].reason == "newly assigned through group Contractors"
    assert names(report, GAINS, of="group") == {"Contractors"}  # group provisioning is on


def test_assigning_the_nested_group_gains_its_member_because_nesting_is_not_read(directory):
    t, ids = directory

    report = scan(t.reader(), "dev", t.target, desired(ids, groups=(ids["staff"], ids["inner"])))

    assert names(report, GAINS) == {"Cy"}


def test_removing_a_user_loses_them_asana(directory):
    t, ids = directory
    t.assign(ids["eve"], "User")

    report = scan(t.reader(), "dev", t.target, desired(ids))

    assert names(report, LOSES) == {"Eve"}
    assert report.entries[LOSES][0].reason == "no longer assigned (was assigned directly)"


def test_a_filter_change_names_the_clause_that_drops_each_user(directory):
    t, ids = directory

    report = scan(t.reader(), "dev", t.target, desired(ids, user_mappings={"scopingFilter": SALES}))

    assert names(report, LOSES) == {"Bob"}
    assert report.entries[LOSES][0].reason == "filtered out by clause department EQUALS 'Sales'"
    assert "Gus" not in names(report, LOSES)  # a guest member is provisioned like anyone


def test_scope_all_gains_everyone_enabled_but_never_a_disabled_account(directory):
    t, ids = directory

    report = scan(t.reader(), "dev", t.target, desired(ids, sync_all=True))

    assert names(report, GAINS) == {"Cy", "Eve", "Fay"}
    assert {e.reason for e in report.entries[GAINS]} == {"scope changed to all users and groups"}
    assert "Dan" not in names(report, GAINS)


def test_provisioning_off_is_a_pause_and_says_what_happens_when_it_resumes(directory):
    t, ids = directory

    report = scan(
        t.reader(),
        "dev",
        t.target,
        desired(ids, running=False, user_mappings={"scopingFilter": SALES}),
    )

    assert report.paused
    assert names(report, LOSES) == {"Bob"}
    assert "lose Asana when provisioning resumes" in report.headline()
    assert "nobody loses an account while it is off" in render_text(report)


def test_with_skip_out_of_scope_deletions_leavers_are_no_longer_maintained(directory):
    t, ids = directory
    t.emu.set_secrets(t.sp, {**t.emu.secrets(t.sp), "SkipOutOfScopeDeletions": "true"})

    report = scan(t.reader(), "dev", t.target, desired(ids, user_mappings={"scopingFilter": SALES}))

    assert names(report, NO_LONGER_MAINTAINED) == {"Bob"}
    assert report.counts[LOSES] == 0


def test_a_filter_on_user_type_cannot_be_told_and_says_why(directory):
    t, ids = directory
    guests_out = [[{"attribute": "userType", "operator": "EQUALS", "values": ["Member"]}]]

    report = scan(
        t.reader(), "dev", t.target, desired(ids, user_mappings={"scopingFilter": guests_out})
    )

    assert report.status == CANNOT
    assert report.counts[CANNOT_TELL] == 3
    assert "userType is not supported" in report.entries[CANNOT_TELL][0].reason


def test_regex_anchoring_is_named_where_it_matters(directory):
    t, ids = directory
    regex = [[{"attribute": "department", "operator": "REGEX MATCH", "values": ["Sal"]}]]

    report = scan(t.reader(), "dev", t.target, desired(ids, user_mappings={"scopingFilter": regex}))

    assert names(report, LOSES) == {"Bob"}  # "Engineering" matches "Sal" neither way
    assert names(report, CANNOT_TELL) == {"Ada", "Gus"}
    assert any("whole value" in note for note in report.notes)


def test_the_guardrail_fails_when_more_would_lose_asana_than_allowed(directory):
    t, ids = directory

    within = scan(
        t.reader(),
        "dev",
        t.target,
        desired(ids, user_mappings={"scopingFilter": SALES}, max_access_loss=1),
    )
    beyond = scan(t.reader(), "dev", t.target, desired(ids, groups=(), max_access_loss=1))
    unset = scan(t.reader(), "dev", t.target, desired(ids, groups=()))

    assert within.status == SOMEONE
    assert beyond.status == GUARDRAIL
    assert "FAILED: 3 would lose Asana; maxAccessLoss allows 1" in render_text(beyond)
    assert unset.status == SOMEONE
    assert "warning: 3 would lose Asana and maxAccessLoss is not set" in render_text(unset)


def test_names_are_capped_but_counts_are_whole(directory):
    t, ids = directory

    report = scan(t.reader(), "dev", t.target, desired(ids, groups=()), limit=1)

    assert report.counts[LOSES] == 3 and len(report.entries[LOSES]) == 1
    assert "… and 2 more (--all lists everyone)" in render_text(report)


def test_reads_are_frugal_selected_typed_and_in_pages_of_999(directory):
    t, ids = directory
    before = len(t.emu.requests)

    report = scan(t.reader(), "dev", t.target, desired(ids, user_mappings={"scopingFilter": SALES}))

    sent = t.emu.requests[before:]
    members = [r for r in sent if r.path.endswith("/members/microsoft.graph.user")]
    assert len(members) == 1
    query = members[0].query
    assert query["$top"] == "999" and query["$count"] == "true"
    assert set(query["$select"].split(",")) == {
        "id", "displayName", "userPrincipalName", "accountEnabled", "department"
    }  # fmt: skip
    assert report.requests == len([r for r in sent if r.path.startswith("/v1.0/")])
