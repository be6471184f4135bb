"""The scale section of docs/testing.md is what `benchmarks.real_engine` wrote from its own
measurements (no figure typed by hand), and the watcher that measures a CLI run sees what its
processes cost."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from benchmarks import scale_report
from benchmarks.processes import role, watched_run

TESTING_MD = Path(__file__).resolve().parent.parent / "docs" / "testing.md"


def run(program: str, operation: str, seconds: float, cpu: float, graph: int, **more) -> dict:
    return {
        "size": more.get("size", 1000),
        "program": program,
        "operation": operation,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "cpu_by_process": more.get("by_process", {"cli": cpu / 2, "program": cpu / 4}),
        "program_peak_kib": more.get("peak", 0),
        "graph_requests": graph,
        "load_average": more.get("load", [1.0, 2.0]),
    }


DATA = {
    "cli": "v3.276.0",
    "cores": 2,
    "repeats": 1,
    "measured": "2026-12-03",
    "runs": [
        run("ours", "preview", 33.0, 30.0, 1001, peak=145408),
        run("bare", "preview", 30.0, 24.0, 0, peak=120832),
        run("ours", "up", 120.0, 100.0, 4036),
        run("bare", "up", 100.0, 80.0, 3000, load=[3.5, 1.5]),
    ],
}


def test_the_scale_section_of_testing_md_is_what_the_benchmark_wrote_from_its_measurements():
    document = TESTING_MD.read_text(encoding="utf-8")

    written = scale_report.section(document)

    assert written == scale_report.render(scale_report.data_of(document))


def test_each_row_gives_both_times_and_their_ratios_from_the_measurements():
    text = scale_report.render(DATA)

    assert "| 1,000 | preview | 33.0 | 30.0 | 1.10x | 1.25x | 1,001 / 0 | 142 / 118 |" in text
    assert "| 1,000 | up | 120.0 | 100.0 | 1.20x | 1.25x | 4,036 / 3,000 | - / - |" in text
    assert "load average (1 min) over the runs 1.00 to 3.50, mean 1.75" in text
    assert "| preview | 15.0 / 12.0 | 7.5 / 6.0 | 0.0 / 0.0 | 0.0 / 0.0 |" in text


def test_a_figure_typed_into_the_section_no_longer_matches_its_measurements():
    document = "intro\n" + scale_report.render(DATA) + "\nafter\n"
    typed = document.replace("| 1.20x |", "| 1.05x |")

    assert scale_report.section(typed) != scale_report.render(scale_report.data_of(typed))


def test_rewriting_replaces_the_section_and_nothing_else(tmp_path: Path):
    path = tmp_path / "testing.md"
    old = {**DATA, "runs": DATA["runs"][:2]}
    path.write_text("# Tests\n\nbefore\n\n" + scale_report.render(old) + "\n\nafter\n")

    scale_report.rewrite(path, DATA)

    assert path.read_text() == "# Tests\n\nbefore\n\n" + scale_report.render(DATA) + "\n\nafter\n"


def test_a_document_without_the_section_is_refused(tmp_path: Path):
    path = tmp_path / "testing.md"
    path.write_text("# Tests\n")

    with pytest.raises(scale_report.SectionMissing):
        scale_report.rewrite(path, DATA)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pulumi up --stack scale", "cli"),
        ("/x/.tools/bin/pulumi-language-python 127.0.0.1:1", "language host"),
        ("/x/python /x/pulumi-language-python-exec --monitor a __main__.py", "program"),
        (
            "/x/python /x/pulumi-language-python-launch --path /x/pulumi-language-python-exec "
            "--monitor a .",
            "program",
        ),
        (
            "/x/python -u /x/pulumi-language-python-launch --module pulumi.policy 127.0.0.1:1 "
            "/x/policies",
            "policy pack",
        ),
        ("/x/.venv/bin/python -u -m tests.azuread_standin 127.0.0.1:1", "azuread plugin"),
        ("/x/.venv/bin/python -u -m pulumi.dynamic 127.0.0.1:1", "dynamic providers"),
        ("/x/.venv/bin/python -m scripts.drift_check --stack scale", "other"),
    ],
)
def test_each_process_of_a_run_is_told_by_its_command_line(command: str, expected: str):
    assert role(command) == expected


def test_the_watcher_sees_the_cpu_time_and_peak_memory_of_the_processes_of_its_run(
    tmp_path: Path,
):
    # Busy for about 0.4 s of CPU, holding about 60 MiB at its peak, then exits.
    busy = (
        "import time\nblock = bytearray(60 * 1024 * 1024)\nend = time.process_time() + 0.4\n"
        "while time.process_time() < end:\n    pass\n"
    )
    env = {**os.environ, "PULUMI_HOME": str(tmp_path)}

    watched = watched_run([sys.executable, "-c", busy], cwd=tmp_path, env=env, timeout=60)

    assert watched.exit_code == 0
    assert watched.tree_cpu_seconds >= 0.4
    (process,) = watched.processes
    assert process.cpu_seconds > 0
    assert process.peak_kib >= 60 * 1024


def test_a_size_that_failed_is_shown_failed_with_the_clis_words_and_left_out_of_the_cpu_table():
    failed = {"error": "fork/exec <workspace>/project/.venv/bin/python: argument list too long"}
    data = {
        **DATA,
        "runs": [
            *DATA["runs"],
            {**run("ours", "preview", 0.1, 0.1, 0, size=5000), **failed},
            {**run("bare", "preview", 0.1, 0.1, 0, size=5000), **failed},
        ],
    }

    text = scale_report.render(data)

    assert "| 5,000 | preview | failed | failed | | | | |" in text
    assert f"- 5,000 assignments, after every step, ours, preview: {failed['error']}" in text
    assert "| 1,000 assignments | cli ours / bare |" in text


def final_only(result: dict) -> dict:
    return {**result, "checkpoints": scale_report.FINAL_ONLY}


def test_runs_of_each_way_of_writing_the_state_get_their_own_headed_tables():
    quick = [
        final_only(run("ours", "up", 12.0, 10.0, 4036)),
        final_only(run("bare", "up", 10.0, 9.0, 3000)),
    ]
    text = scale_report.render({**DATA, "runs": [*DATA["runs"], *quick]})

    default, skipped = text.split(scale_report.HEADINGS[scale_report.FINAL_ONLY])
    assert scale_report.HEADINGS[scale_report.EVERY_STEP] in default
    assert "| 1,000 | up | 120.0 | 100.0 | 1.20x |" in default
    assert "| 1,000 | up | 12.0 | 10.0 | 1.20x | 1.11x |" in skipped
    assert "| 1,000 | up | 120.0" not in skipped


def test_runs_recorded_before_there_were_two_ways_are_the_engines_default_and_unheaded():
    text = scale_report.render(DATA)

    assert scale_report.modes(DATA) == [scale_report.EVERY_STEP]
    assert not any(heading in text for heading in scale_report.HEADINGS.values())


def test_seconds_per_thousand_assignments_show_whether_time_grows_linearly():
    runs = [
        final_only(run("ours", "up", 13.0, 1, 0, size=1000)),
        final_only(run("bare", "up", 10.0, 1, 0, size=1000)),
        final_only(run("ours", "up", 65.0, 1, 0, size=5000)),
        final_only(run("bare", "up", 75.0, 1, 0, size=5000)),
    ]

    lines = scale_report.growth_table({**DATA, "runs": runs})

    assert lines[0] == (
        "| seconds per 1,000 assignments | ours at 1,000 | ours at 5,000 | bare at 1,000 "
        "| bare at 5,000 |"
    )
    assert lines[2] == "| up | 13.0 | 13.0 | 10.0 | 15.0 |"


def test_a_single_size_has_no_growth_to_show():
    assert scale_report.growth_table(DATA) == []


def paired(size: int, operation: str, *seconds: tuple[float, float]) -> list[dict]:
    """Runs of ours and bare, alternating as the benchmark runs them, one pair per repeat."""
    return [
        run(program, operation, taken, 1.0, 0, size=size)
        for ours, bare in seconds
        for program, taken in (("ours", ours), ("bare", bare))
    ]


def test_a_target_is_met_only_when_every_run_is_within_it():
    data = {**DATA, "repeats": 2, "runs": paired(1000, "up", (10.5, 10.0), (11.2, 10.0))}

    rows = scale_report.target_rows(data, scale_report.EVERY_STEP)

    assert rows == [
        "| up of 1,000 within 1.10x of bare | after every step | 1.085x (1.050x, 1.120x) | no |"
    ]


def test_a_run_just_over_the_target_is_not_rounded_into_it():
    data = {**DATA, "runs": paired(5000, "preview", (11.04, 10.0))}

    assert scale_report.target_rows(data, scale_report.EVERY_STEP) == [
        "| preview of 5,000 within 1.10x of bare | after every step | 1.104x | no |"
    ]


def test_runs_within_the_target_meet_it_in_the_way_the_engine_ran():
    runs = [final_only(r) for r in paired(1000, "preview", (10.0, 10.0), (10.9, 10.0))]

    text = scale_report.render({**DATA, "repeats": 2, "runs": runs})

    assert (
        "| preview of 1,000 within 1.10x of bare | once, at the end | 1.045x (1.000x, 1.090x) "
        "| yes |"
    ) in text


def test_the_drift_check_may_ask_graph_no_more_than_a_refresh_of_the_same_stack():
    def requests(check: int) -> list[str]:
        runs = [
            run("ours", "refresh", 5.0, 1.0, 1010),
            run("bare", "refresh", 5.0, 1.0, 1000),
            run("ours", "drift check", 7.0, 1.0, check),
            run("bare", "drift check", 5.0, 1.0, 1000),
        ]
        return scale_report.target_rows({**DATA, "runs": runs}, scale_report.EVERY_STEP)

    row = "| drift check of 1,000: Graph requests no more than a refresh of the same stack "
    assert requests(1010) == [row + "| after every step | 1,010 against 1,010 | yes |"]
    assert requests(1011) == [row + "| after every step | 1,011 against 1,010 | no |"]


def test_sizes_the_issue_sets_no_target_for_or_that_failed_are_not_judged():
    failed = {"error": "argument list too long"}
    runs = [
        *paired(100, "up", (3.0, 1.0)),
        {**run("ours", "up", 0.1, 0.1, 0, size=5000), **failed},
        {**run("bare", "up", 0.1, 0.1, 0, size=5000), **failed},
    ]

    data = {**DATA, "runs": runs}

    assert scale_report.target_table(data) == []
    assert "targets" not in scale_report.render(data)
