"""`make mutate` checks a timeout again when the time limit it was reached under has changed,
and a survivor again unless it was judged equivalent.

A timeout counts as killed; one reached under a lower limit may be a survivor that only ran
slowly (tests/mutate.py says why), so a changed limit must not keep it. mutmut resets timeouts
itself only when it finds its previous settings, which a change of the group's tests removes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tests import mutate
from tests.mutate import GROUPS, STATUS, Group, recheck_timeouts, retry_unkilled


def code_of(status: str) -> int:
    return next(code for code, name in STATUS.items() if name == status)


def seeded(work: Path) -> tuple[Group, Path]:
    group = replace(GROUPS[0], sources=("rules/bounds.py",))
    (work / "rules").mkdir(parents=True)
    (work / "rules" / "bounds.py").write_text("")
    meta = work / "mutants" / "rules" / "bounds.py.meta"
    meta.parent.mkdir(parents=True)
    verdicts = {
        "rules.bounds.x_a__mutmut_1": code_of("timeout"),
        "rules.bounds.x_a__mutmut_2": code_of("killed"),
        "rules.bounds.x_a__mutmut_3": code_of("survived"),
        "rules.bounds.x_a__mutmut_4": None,
    }
    meta.write_text(json.dumps({"exit_code_by_key": verdicts}))
    return group, meta


def test_timeouts_are_tested_again_when_the_time_limit_changes_and_only_then(tmp_path: Path):
    group, meta = seeded(tmp_path)

    assert recheck_timeouts(tmp_path, group) == 1
    after = json.loads(meta.read_text())["exit_code_by_key"]
    assert after == {
        "rules.bounds.x_a__mutmut_1": None,
        "rules.bounds.x_a__mutmut_2": code_of("killed"),
        "rules.bounds.x_a__mutmut_3": code_of("survived"),
        "rules.bounds.x_a__mutmut_4": None,
    }

    after["rules.bounds.x_a__mutmut_1"] = code_of("timeout")
    meta.write_text(json.dumps({"exit_code_by_key": after}))
    assert recheck_timeouts(tmp_path, group) == 0, "the same limit keeps its timeouts"

    raised = replace(group, timeout_multiplier=group.timeout_multiplier * 2)
    assert recheck_timeouts(tmp_path, raised) == 1


def test_survivors_are_tested_again_but_not_those_judged_equivalent(tmp_path: Path, monkeypatch):
    """A survivor runs all its tests; one judged equivalent in docs/testing.md cannot be killed,
    so running it again would only cost time."""
    group, meta = seeded(tmp_path)
    verdicts = json.loads(meta.read_text())["exit_code_by_key"]
    verdicts["rules.bounds.x_a__mutmut_5"] = code_of("survived")
    meta.write_text(json.dumps({"exit_code_by_key": verdicts}))
    monkeypatch.setattr(mutate, "equivalents", lambda: {"rules.bounds.x_a__mutmut_5": "why"})

    assert retry_unkilled(tmp_path, group) == 1
    after = json.loads(meta.read_text())["exit_code_by_key"]
    assert after["rules.bounds.x_a__mutmut_3"] is None
    assert after["rules.bounds.x_a__mutmut_5"] == code_of("survived")
    assert after["rules.bounds.x_a__mutmut_1"] == code_of("timeout")
