"""`make mutate` checks a timeout again when the time limit it was reached under has changed,
and a survivor again unless it was judged equivalent.

A timeout counts as killed; one reached under a lower limit may be a survivor that only ran
slowly (tests/mutate.py says why), so a changed limit must not keep it. mutmut resets timeouts
itself only when it finds its previous settings, which a change of the group's tests removes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def test_a_change_of_harness_checks_again_every_hang_and_nothing_else(tmp_path: Path):
    """A hang may have come from the harness rather than the mutant (tests/mutation_hits.py
    says which): after a change of harness, timeouts and the tests pytest-timeout ended are
    tested again, while a failure within the limit stays a kill."""
    group, meta = seeded(tmp_path)
    data = json.loads(meta.read_text())
    data["exit_code_by_key"]["rules.bounds.x_a__mutmut_5"] = code_of("killed")
    data["durations_by_key"] = {
        "rules.bounds.x_a__mutmut_2": 0.4,
        "rules.bounds.x_a__mutmut_5": mutate.PYTEST_TIMEOUT_SECONDS + 0.2,
    }
    meta.write_text(json.dumps(data))
    recorded = tmp_path / "mutants" / "timeout-multiplier.txt"
    recorded.write_text(f"{group.timeout_multiplier!r}; the harness of before")

    assert recheck_timeouts(tmp_path, group) == 2
    after = json.loads(meta.read_text())["exit_code_by_key"]
    assert (after["rules.bounds.x_a__mutmut_1"], after["rules.bounds.x_a__mutmut_5"]) == (
        None,
        None,
    )
    assert after["rules.bounds.x_a__mutmut_2"] == code_of("killed")
    assert recheck_timeouts(tmp_path, group) == 0


def test_a_session_forked_from_one_that_ran_a_program_under_mocks_does_not_hang(tmp_path: Path):
    """mutmut forks each mutant's pytest from a process that ran the tests already; with
    tests/mutation_hits.py loaded, such a session still runs a program under Pulumi's mocks
    (which hands its calls to the loop's executor) instead of waiting for threads the fork
    left behind."""
    script = tmp_path / "fork.py"
    script.write_text(
        "import os, sys, pytest\n"
        "args = ['-q', '-p', 'no:cacheprovider', '-p', 'tests.mutation_hits', '--timeout', '60',\n"
        "        'tests/test_inputs_fail_cleanly.py', '-k', 'ellipsis and not delete']\n"
        "assert pytest.main(args) == 0\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(int(pytest.main(args)))\n"
        "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(mutate.ROOT)}
    env.pop("MUTATION_CHILD_HITS", None)

    done = subprocess.run(
        [sys.executable, str(script)], cwd=mutate.ROOT, env=env, capture_output=True, timeout=240
    )

    assert done.returncode == 0, done.stdout.decode()[-2000:]


def test_every_product_cache_is_emptied_before_each_test():
    """A forked mutant session must build its sessions and credentials with the mutant, not
    reuse what the statistics run built with the code as written (tests/mutation_hits.py)."""
    from clients.http import HttpPolicy, shared_session
    from tests.mutation_hits import clear_product_caches

    first = shared_session(HttpPolicy())
    assert shared_session(HttpPolicy()) is first

    cleared = clear_product_caches()

    assert cleared >= 3  # shared_session, shared_credential, the token session
    assert shared_session(HttpPolicy()) is not first


def test_the_test_map_is_made_again_when_a_test_or_the_harness_plugin_changes(tmp_path: Path):
    group = replace(GROUPS[0], tests=("tests/test_a.py",))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a(): pass\n")
    plugin = tmp_path / mutate.HARNESS_PLUGIN
    plugin.write_text("# the plugin\n")

    assert mutate.refresh_test_map(tmp_path, group) is True
    assert mutate.refresh_test_map(tmp_path, group) is False
    plugin.write_text("# the plugin, changed\n")
    assert mutate.refresh_test_map(tmp_path, group) is True
    (tmp_path / "tests" / "test_a.py").write_text("def test_a(): assert True\n")
    assert mutate.refresh_test_map(tmp_path, group) is True
