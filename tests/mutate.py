"""`make mutate`: mutation testing of rules/, providers/, clients/ and the adoption and
drift-report logic, each against the fast unit tests that cover it; writes docs/mutation.md.

    python -m tests.mutate                  # every group, then docs/mutation.md
    python -m tests.mutate --group rules    # one group (the others' last results are kept)
    python -m tests.mutate --group adoption-and-drift-report
    python -m tests.mutate --report         # docs/mutation.md from the last results, no run

The tool is mutmut (pinned in requirements-dev.txt). Each group runs in a work folder of its
own, `.mutation/<group>/` (ignored by git): a copy of the committed tree (HEAD, so commit
first), whose pyproject.toml gets a `[tool.mutmut]` section naming the group's modules and
test files. mutmut keeps its results there, so a second run is incremental: it re-tests the
mutants of functions whose source changed and keeps the other verdicts; this script also sends
every mutant that was not killed back for another try, so a new test can kill it. One worker
by default (`--max-children 1`): the machines have 2 cores, shared. Many tests of clients/ and
providers/ mostly wait (for a deadline, a Retry-After, a provider process), so there
`--max-children 2` checks about twice as many mutants in the same time; each worker runs its
own pytest, and the tests share no files. tests/mutation_hits.py lets mutmut see what the
providers run in their own process.

Each group's score is killed / (mutants - those judged equivalent), a timeout counting as
killed. The mutants judged equivalent (no test can tell them from the original) are listed,
each with why, in docs/testing.md under "Mutants judged equivalent"; this script reads them
from there. docs/mutation.md records the SHA-256 of every module it was computed on, and
tests/test_mutation_results.py fails when a module has changed since: re-run `make mutate`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
REPORT = ROOT / "docs" / "mutation.md"
PYTEST_TIMEOUT_SECONDS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
    "ini_options"
]["timeout"]
"""pytest-timeout's limit on one test (pyproject.toml): a test it ends has hung."""
EQUIVALENTS_DOC = ROOT / "docs" / "testing.md"
EQUIVALENTS_HEADING = "### Mutants judged equivalent"
SOURCES_MARKER = "mutation-sources:"


@dataclass(frozen=True)
class Group:
    """Modules mutated together, and the unit test files that cover them (never e2e)."""

    name: str
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    target: float
    timeout_multiplier: float = 10.0
    """mutmut ends a mutant's tests after (their measured time + 1 s) x this, in wall time (and
    twice that in CPU time), and counts it killed. Lower multipliers (3 and 4) turned survivors
    into "timeouts" on a loaded machine: a surviving mutant runs every test, a killed one stops
    at the first failure, so the slow ones were the survivors (found by applying them by hand).
    10 leaves room for a load of 4 on 2 cores; mutmut's default, 15, lets each mutant that
    loops forever burn minutes. A change here makes mutmut check every timeout again."""


GROUPS = (
    Group(
        "rules",
        ("rules",),
        (
            "tests/test_bounds.py",
            "tests/test_mapping_spec.py",
            "tests/test_schema_edit.py",
            "tests/test_schema_targets.py",
            "tests/test_provisioning_scope.py",
            "tests/test_redaction.py",
            "tests/test_saml_rules.py",
            "tests/test_urls.py",
            "tests/test_settings.py",
            "tests/test_recover.py",
            "tests/test_checkpoints_rule.py",
            "tests/test_lookup_requests_rule.py",
            "tests/test_urns_rule.py",
            "tests/test_rules_facts.py",
            "tests/test_expression_rules.py",
            "tests/test_header_and_name_rules.py",
        ),
        0.90,
    ),
    Group(
        "providers",
        ("providers",),
        (
            "tests/test_asana_token_provider.py",
            "tests/test_attribute_mappings_provider.py",
            "tests/test_provisioning_template_provider.py",
            "tests/test_saml_signing_provider.py",
            "tests/test_unmanaged_owners_provider.py",
            "tests/test_instantiated_app_duplicates.py",
            "tests/test_schema_lock.py",
            "tests/test_inputs_fail_cleanly.py",
            "tests/test_providers_offline.py",
        ),
        0.90,
    ),
    Group(
        "clients",
        ("clients",),
        (
            "tests/test_http_clients.py",
            "tests/test_request_deadlines.py",
            "tests/test_unexpected_replies.py",
            "tests/test_connection_settings.py",
            "tests/test_attribute_mappings_provider.py",
            "tests/test_impact.py",
            "tests/test_clients_offline.py",
            "tests/test_pulumi_cli.py",
        ),
        0.80,
    ),
    Group(
        "adoption and drift report",
        ("tools/adoption.py", "scripts/drift_report.py"),
        ("tests/test_adopt.py", "tests/test_adoption_unit.py", "tests/test_drift_report.py"),
        0.0,
    ),
)
KILLED = {"killed", "timeout"}
NOT = "not checked"


def slug(group: Group) -> str:
    return re.sub(r"[^a-z0-9]+", "-", group.name).strip("-")


def modules_of(group: Group, root: Path = ROOT) -> list[str]:
    """The group's .py files, relative to `root`, sorted."""
    found: list[str] = []
    for source in group.sources:
        path = root / source
        if path.is_dir():
            found += [str(p.relative_to(root)) for p in path.rglob("*.py")]
        elif path.is_file():
            found.append(source)
    return sorted(found)


def source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def sync_committed_tree(work: Path) -> None:
    """Make `work` hold HEAD's files; a file is rewritten only when its bytes changed, so mutmut
    (which compares modification times) regenerates only changed modules' mutants."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    wanted: set[Path] = set()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            target = work / member.name
            wanted.add(target)
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(member.mode)
    for path in sorted(work.rglob("*"), reverse=True):
        relative = path.relative_to(work)
        if relative.parts[0] == "mutants" or "__pycache__" in relative.parts:
            continue
        if path.is_file() and path not in wanted:
            path.unlink()


def mutmut_section(group: Group, work: Path) -> str:
    tops = sorted(
        p.name
        for p in work.iterdir()
        if p.name not in {"mutants", "tests", "pyproject.toml", *group.sources}
    )
    config = {
        "source_paths": list(group.sources),
        "also_copy": tops,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "tests.mutation_hits"],
        "pytest_add_cli_args_test_selection": list(group.tests),
        "use_git_change_detection": False,
        "timeout_multiplier": group.timeout_multiplier,
    }
    lines = ["", "# Written by tests/mutate.py in this work folder only.", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    return "\n".join(lines) + "\n"


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def meta_files(work: Path, group: Group) -> list[Path]:
    return [work / "mutants" / f"{module}.meta" for module in modules_of(group, work)]


def retry_unkilled(work: Path, group: Group) -> int:
    """Send every mutant that was not killed back to be tested again (a test added since may
    kill it), but those judged equivalent: no test can kill them, and each would run all its
    tests again for nothing. Killed mutants (a timeout counts) keep their verdict while their
    function is unchanged; mutmut tests a changed function's mutants again by itself."""
    judged = equivalents()
    return reset_verdicts(
        work, group, lambda status: status not in KILLED, keep=lambda key: key in judged
    )


def reset_verdicts(
    work: Path,
    group: Group,
    wanted: Callable[[str], bool],
    keep: Callable[[str], bool] = lambda _key: False,
    hung: bool = False,
) -> int:
    """Forget each verdict whose status is `wanted` (unless `keep` holds for its mutant), and
    with `hung` each "killed" that pytest-timeout ended, so mutmut tests that mutant again."""
    reset = 0
    for meta in meta_files(work, group):
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        durations = data.get("durations_by_key", {})
        for key, code in data["exit_code_by_key"].items():
            if code is None or keep(key):
                continue
            ended_by_pytest_timeout = (durations.get(key) or 0) >= PYTEST_TIMEOUT_SECONDS - 1
            if wanted(status_of(code)) or (hung and ended_by_pytest_timeout):
                data["exit_code_by_key"][key] = None
                reset += 1
        meta.write_text(json.dumps(data))
    return reset


HARNESS_PLUGIN = "tests/mutation_hits.py"
HARNESS = "a fresh asyncio loop per session"
"""What a change of tests/mutation_hits.py may alter: each hang is checked again when this
changes. A hang under the harness of before (a forked session inheriting a loop whose executor
had lost its threads) said nothing about the mutant."""


def recheck_timeouts(work: Path, group: Group) -> int:
    """Send every timeout back to be tested again when the group's time limit has changed since
    it was reached, and every hang too (a timeout, or a test pytest-timeout ended) when the
    harness has. mutmut does the first itself only when it finds its previous settings, which
    `refresh_test_map` removes together with the test map."""
    recorded = work / "mutants" / "timeout-multiplier.txt"
    limit = f"{group.timeout_multiplier!r}; {HARNESS}"
    previous = recorded.read_text() if recorded.exists() else ""
    if previous == limit:
        return 0
    harness_changed = not previous.endswith(f"; {HARNESS}")
    reset = reset_verdicts(work, group, lambda status: status == "timeout", hung=harness_changed)
    recorded.parent.mkdir(parents=True, exist_ok=True)
    recorded.write_text(limit)
    return reset


def refresh_test_map(work: Path, group: Group) -> bool:
    """Forget mutmut's map of which test calls which function when a test file of the group has
    changed since it was made. mutmut 3 collects the map again only for test names it has not
    seen, so a test that starts calling another function (a helper of an existing test, a
    new assertion) would stay unknown there, and that function's mutants would be reported
    "no tests" instead of being run. Returns whether it was forgotten."""
    fingerprint = hashlib.sha256()
    for test in (*group.tests, HARNESS_PLUGIN):  # the plugin changes what the map records
        fingerprint.update(test.encode() + b"\0" + (work / test).read_bytes())
    recorded = work / "mutants" / "tests.sha256"  # outside mutants/, the sync removes it
    stats = work / "mutants" / "mutmut-stats.json"
    if recorded.exists() and recorded.read_text() == fingerprint.hexdigest():
        return False
    stats.unlink(missing_ok=True)
    recorded.parent.mkdir(parents=True, exist_ok=True)
    recorded.write_text(fingerprint.hexdigest())
    return True


def run_mutmut(command: list[str], work: Path, env: dict[str, str], minutes: float | None) -> int:
    """mutmut in a session of its own, stopped (it and every mutant it forked) after `minutes`:
    each verdict is saved as it is reached, so a stopped run loses nothing and the next one
    goes on with the mutants not checked yet."""
    process = subprocess.Popen(command, cwd=work, env=env, start_new_session=True)
    try:
        return process.wait(timeout=None if minutes is None else minutes * 60)
    except subprocess.TimeoutExpired:
        print(f"== stopping after {minutes} min; the next run goes on from here", flush=True)
        for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        return 0


def run_group(
    group: Group, minutes: float | None = None, retry: bool = True, children: int = 1
) -> float:
    work = WORK / slug(group)
    work.mkdir(parents=True, exist_ok=True)
    print(f"== {group.name}: syncing {work.relative_to(ROOT)} with HEAD", flush=True)
    sync_committed_tree(work)
    write_if_changed(
        work / "pyproject.toml", (ROOT / "pyproject.toml").read_text() + mutmut_section(group, work)
    )
    if refresh_test_map(work, group):
        print(f"== {group.name}: its tests changed; mutmut maps which test calls what again")
    timeouts = recheck_timeouts(work, group)
    if timeouts:
        print(f"== {group.name}: its time limit changed; {timeouts} timeout(s) are tested again")
    again = retry_unkilled(work, group) if retry else 0
    if again:
        print(f"== {group.name}: {again} mutant(s) not killed last time are tested again")
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("MUTANT_UNDER_TEST", None)
    mutmut = Path(sys.executable).parent / "mutmut"
    command = [str(mutmut), "run", "--max-children", str(children)]
    print(f"== {group.name}: {' '.join(command)} ({len(group.tests)} test files)", flush=True)
    returncode = run_mutmut(command, work, env, minutes)
    seconds = time.monotonic() - started
    print(f"== {group.name}: mutmut exited {returncode} after {seconds:.0f} s", flush=True)
    if returncode != 0:
        raise SystemExit(f"mutmut failed for {group.name}; see its output above")
    timings = WORK / "timings.json"
    recorded = json.loads(timings.read_text()) if timings.exists() else {}
    recorded[group.name] = round(seconds)
    timings.write_text(json.dumps(recorded, indent=1))
    return seconds


STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    None: "not checked",
}


def status_of(code: int | None) -> str:
    return STATUS.get(code, "suspicious" if code is not None else "not checked")


def equivalents() -> dict[str, str]:
    """Mutant name -> why, from the table in docs/testing.md."""
    text = EQUIVALENTS_DOC.read_text()
    if EQUIVALENTS_HEADING not in text:
        return {}
    section = text.split(EQUIVALENTS_HEADING, 1)[1].split("\n#", 1)[0]
    found = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|\s*(.+?)\s*\|\s*$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


DIFF_SCRIPT = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
for path, name in json.loads(sys.stdin.read()):
    try:
        diff = get_diff_for_mutant(name, path=path)
    except Exception as error:  # the report still lists the mutant
        diff = f"(no diff: {error})"
    out[name] = [l for l in diff.splitlines() if l[:1] in "+-" and l[:3] not in ("+++", "---")]
print(json.dumps(out))
"""


def diffs(work: Path, wanted: list[tuple[str, str]]) -> dict[str, list[str]]:
    if not wanted:
        return {}
    result = subprocess.run(
        [sys.executable, "-c", DIFF_SCRIPT],
        cwd=work,
        input=json.dumps(wanted),
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(result.stdout) if result.returncode == 0 else {}


@dataclass
class ModuleResult:
    path: str
    hash: str
    counts: Counter
    unkilled: dict[str, str]  # mutant name -> status


def group_results(group: Group) -> list[ModuleResult] | None:
    work = WORK / slug(group)
    if not (work / "mutants").exists():
        return None
    results = []
    for module in modules_of(group, work):
        meta = work / "mutants" / f"{module}.meta"
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        statuses = {name: status_of(code) for name, code in codes.items()}
        results.append(
            ModuleResult(
                module,
                source_hash(work / module),
                Counter(statuses.values()),
                {n: s for n, s in statuses.items() if s not in KILLED},
            )
        )
    return results


def score(results: list[ModuleResult], equivalent: dict[str, str]) -> tuple[int, int, int, int]:
    """(killed, counted, equivalent, not checked): counted is the mutants checked so far, less
    those judged equivalent; a run stopped by --minutes leaves some not checked."""
    total = sum(sum(r.counts.values()) for r in results)
    unchecked = sum(r.counts["not checked"] for r in results)
    killed = sum(r.counts["killed"] + r.counts["timeout"] for r in results)
    judged = sum(
        1 for r in results for name, s in r.unkilled.items() if name in equivalent and s != NOT
    )
    return killed, total - unchecked - judged, judged, unchecked


def percent(killed: int, counted: int) -> str:
    return f"{100 * killed / counted:.1f}%" if counted else "n/a"


def render() -> str:
    equivalent = equivalents()
    timings_path = WORK / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    lines = [
        "# Mutation testing",
        "",
        "<!-- Generated by `make mutate` (python -m tests.mutate); do not edit by hand.",
        "tests/test_mutation_results.py fails when a module below has changed since. -->",
        "",
        "Each group's modules are mutated by [mutmut](https://pypi.org/project/mutmut/) and every",
        "mutant is run against the group's unit tests (only the tests that call the mutated",
        "function). Score: mutants killed (a timeout counts) over all mutants but those judged",
        "equivalent in [testing.md](testing.md#mutants-judged-equivalent), among those checked:",
        "a run given `--minutes` stops there and the next run checks the rest. `make mutate`",
        "runs outside `.ci/run` (it takes long); how it works is in `tests/mutate.py`.",
        "",
        "| group | target | mutants | not checked yet | killed | equivalent | not killed |"
        " score | last run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    sources: dict[str, str] = {}
    details: list[str] = []
    for group in GROUPS:
        results = group_results(group)
        if results is None:
            lines.append(f"| {group.name} | | | | | | | not run | |")
            continue
        killed, counted, judged, unchecked = score(results, equivalent)
        total = counted + judged + unchecked
        target = f"{group.target:.0%}" if group.target else "none"
        seconds = timings.get(group.name)
        ran = f"{seconds} s" if seconds is not None else ""
        lines.append(
            f"| {group.name} | {target} | {total} | {unchecked} | {killed} | {judged} | "
            f"{counted - killed} | {percent(killed, counted)} | {ran} |"
        )
        details += [
            "",
            f"## {group.name}",
            "",
            "Tests: " + ", ".join(f"`{t}`" for t in group.tests) + ".",
            "",
            "| module | mutants | not checked yet | killed | not killed | score |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        work = WORK / slug(group)
        wanted = [(r.path, n) for r in results for n, st in r.unkilled.items() if st != NOT]
        shown = diffs(work, wanted)
        survivors: list[str] = []
        for r in results:
            sources[r.path] = r.hash
            mine_killed, mine_counted, _, mine_unchecked = score([r], equivalent)
            details.append(
                f"| `{r.path}` | {sum(r.counts.values())} | {mine_unchecked} | {mine_killed} | "
                f"{mine_counted - mine_killed} | {percent(mine_killed, mine_counted)} |"
            )
            for name, status in sorted(r.unkilled.items()):
                if name in equivalent or status == NOT:
                    continue
                change = " / ".join(
                    f"`{line.strip()[:90]}`" for line in shown.get(name, [])[:2]
                ).replace("|", "\\|")
                survivors.append(f"| `{name}` | {status} | {change} |")
        if survivors:
            details += ["", "Not killed:", "", "| mutant | status | change |", "|---|---|---|"]
            details += survivors
    lines += details
    lines += [
        "",
        f"<!-- {SOURCES_MARKER} {json.dumps(sources, sort_keys=True)} -->",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutate", description=__doc__)
    parser.add_argument("--group", choices=[slug(g) for g in GROUPS], action="append")
    parser.add_argument("--report", action="store_true", help="only write docs/mutation.md")
    parser.add_argument(
        "--minutes",
        type=float,
        help="stop each group after this long; its mutants not checked yet are checked by the "
        "next run (the report counts them apart)",
    )
    parser.add_argument(
        "--keep-survivors",
        action="store_true",
        help="do not test again the mutants not killed last time (only changed functions and "
        "mutants not checked yet run): a quick refresh after a small change",
    )
    parser.add_argument(
        "--max-children",
        type=int,
        default=1,
        choices=range(1, 9),
        metavar="N",
        help="mutants tested at once per group (1 to 8; default 1)",
    )
    args = parser.parse_args(argv)
    if shutil.which("git") is None:
        raise SystemExit("git is needed (the work folders hold the committed tree)")
    if not args.report:
        chosen = [g for g in GROUPS if not args.group or slug(g) in args.group]
        started = time.monotonic()
        for group in chosen:
            run_group(
                group, args.minutes, retry=not args.keep_survivors, children=args.max_children
            )
        print(f"== all: {time.monotonic() - started:.0f} s", flush=True)
    REPORT.write_text(render())
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
