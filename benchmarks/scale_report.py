"""The scale section of docs/testing.md, written from what `benchmarks.real_engine` measured.

The section holds the tables and, in an HTML comment, the measurements they were written from,
so `tests/test_scale_report.py` can check that the section is exactly what `render` writes from
its own data: the figures are never typed by hand, and a hand edit to a figure fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

BEGIN = "<!-- scale:begin: written by python -m benchmarks.real_engine --markdown; do not edit -->"
END = "<!-- scale:end -->"
DATA = re.compile(r"^<!-- scale-data: (?P<json>.*) -->$", re.MULTILINE)
OPERATIONS = ("preview", "up", "refresh", "drift check", "destroy")
PROCESSES = ("cli", "program", "azuread plugin", "dynamic providers")
# How the engine wrote the state in a run: after every step (its default), or once at the end
# (PULUMI_SKIP_CHECKPOINTS=true). A run recorded before the second existed is the first.
EVERY_STEP, FINAL_ONLY = "every step", "final only"
WRITTEN = {EVERY_STEP: "after every step", FINAL_ONLY: "once, at the end"}
# Issue #24's targets: preview and up within TARGET_RATIO of bare at each of TARGET_SIZES; the
# drift check at the first size making no more Graph requests than a refresh of the same stack.
TARGET_RATIO = 1.10
TARGET_SIZES = (1000, 5000)
TARGET_OPERATIONS = ("preview", "up")


class SectionMissing(ValueError):
    """The document has no scale section (or its markers are out of order)."""


def checkpoints_of(run: Mapping[str, Any]) -> str:
    return run.get("checkpoints", EVERY_STEP)


def modes(data: Mapping[str, Any]) -> list[str]:
    """The ways the engine wrote the state in these runs, the default first."""
    present = {checkpoints_of(run) for run in data["runs"]}
    return [mode for mode in (EVERY_STEP, FINAL_ONLY) if mode in present]


def of_mode(data: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """The same measurements, only the runs in which the engine wrote the state that way."""
    return {**data, "runs": [run for run in data["runs"] if checkpoints_of(run) == mode]}


def _runs(data: Mapping[str, Any], size: int, program: str, operation: str) -> list[dict]:
    return [
        run
        for run in data["runs"]
        if run["size"] == size and run["program"] == program and run["operation"] == operation
    ]


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _ratio(ours: float, bare: float) -> str:
    return f"{ours / bare:.2f}x" if bare > 0 else "n/a"


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f}" if kib else "-"


def sizes(data: Mapping[str, Any]) -> list[int]:
    return sorted({run["size"] for run in data["runs"]})


def main_table(data: Mapping[str, Any]) -> list[str]:
    lines = [
        "| assignments | operation | ours (s) | bare (s) | time ours / bare | CPU ours / bare "
        "| Graph requests ours / bare | program peak memory ours / bare (MiB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes(data):
        for operation in OPERATIONS:
            ours, bare = (_runs(data, size, p, operation) for p in ("ours", "bare"))
            if not ours or not bare:
                continue
            if any("error" in r for r in ours + bare):
                said = [
                    "failed" if any("error" in r for r in runs) else "ok" for runs in (ours, bare)
                ]
                lines.append(f"| {size:,} | {operation} | {said[0]} | {said[1]} | | | | |")
                continue
            seconds = [_mean(r["seconds"] for r in runs) for runs in (ours, bare)]
            cpu = [_mean(r["cpu_seconds"] for r in runs) for runs in (ours, bare)]
            graph = [_mean(r["graph_requests"] for r in runs) for runs in (ours, bare)]
            peak = [max(r["program_peak_kib"] for r in runs) for runs in (ours, bare)]
            lines.append(
                f"| {size:,} | {operation} | {seconds[0]:.1f} | {seconds[1]:.1f} "
                f"| {_ratio(*seconds)} | {_ratio(*cpu)} "
                f"| {_thousands(graph[0])} / {_thousands(graph[1])} "
                f"| {_mib(peak[0])} / {_mib(peak[1])} |"
            )
    return lines


def growth_table(data: Mapping[str, Any]) -> list[str]:
    """Seconds per 1,000 assignments at each size that ran without failure: the same figure at
    every size is a cost linear in the assignments; a figure that rises with size is not."""
    measured = measured_sizes(data)
    if len(measured) < 2:
        return []
    columns = [(program, size) for program in ("ours", "bare") for size in measured]
    header = " | ".join(f"{program} at {size:,}" for program, size in columns)
    lines = [f"| seconds per 1,000 assignments | {header} |", "|---|" + "---:|" * len(columns)]
    for operation in OPERATIONS:
        cells = []
        for program, size in columns:
            runs = _runs(data, size, program, operation)
            cells.append(f"{_mean(r['seconds'] for r in runs) * 1000 / size:.1f}" if runs else "")
        if any(cells):
            lines.append(f"| {operation} | " + " | ".join(cells) + " |")
    return lines


def failures(data: Mapping[str, Any]) -> list[str]:
    """Each failure, in the CLI's words (once, however many repeats failed the same way)."""
    lines = [
        f"- {run['size']:,} assignments, {WRITTEN[checkpoints_of(run)]}, {run['program']}, "
        f"{run['operation']}: {run['error']}"
        for run in data["runs"]
        if "error" in run
    ]
    return list(dict.fromkeys(lines))


def measured_sizes(data: Mapping[str, Any]) -> list[int]:
    """The sizes at which no run failed."""
    failed = {run["size"] for run in data["runs"] if "error" in run}
    return [size for size in sizes(data) if size not in failed]


def process_table(data: Mapping[str, Any]) -> list[str]:
    """CPU seconds of each process at the largest size measured: where the time goes."""
    size = max(measured_sizes(data))
    header = " | ".join(f"{name} ours / bare" for name in PROCESSES)
    lines = [
        f"| {size:,} assignments | {header} |",
        "|---|" + "---:|" * len(PROCESSES),
    ]
    for operation in OPERATIONS:
        ours, bare = (_runs(data, size, p, operation) for p in ("ours", "bare"))
        if not ours or not bare:
            continue
        cells = []
        for name in PROCESSES:
            a, b = (
                _mean(r["cpu_by_process"].get(name, 0.0) for r in runs) for runs in (ours, bare)
            )
            cells.append(f"{a:.1f} / {b:.1f}")
        lines.append(f"| {operation} | " + " | ".join(cells) + " |")
    return lines


def run_ratios(ours: Sequence[Mapping[str, Any]], bare: Sequence[Mapping[str, Any]]) -> list[float]:
    """Ours' time over bare's for each run of one step: the n-th run of ours against the n-th
    of bare, which ran next to it (the two alternate), so a change in load falls on both."""
    return [
        a["seconds"] / b["seconds"] for a, b in zip(ours, bare, strict=True) if b["seconds"] > 0
    ]


def _met(met: bool) -> str:
    return "yes" if met else "no"


def target_rows(data: Mapping[str, Any], mode: str) -> list[str]:
    """Each target these runs of one mode measured, and whether every run met it: one run
    within and another over is not met."""
    runs = of_mode(data, mode)
    measured = measured_sizes(runs)
    rows = []
    for size in (s for s in TARGET_SIZES if s in measured):
        for operation in TARGET_OPERATIONS:
            ours, bare = (_runs(runs, size, p, operation) for p in ("ours", "bare"))
            ratios = run_ratios(ours, bare)
            if not ratios:
                continue
            each = f" ({', '.join(f'{r:.3f}x' for r in ratios)})" if len(ratios) > 1 else ""
            mean = _mean(r["seconds"] for r in ours) / _mean(r["seconds"] for r in bare)
            rows.append(
                f"| {operation} of {size:,} within {TARGET_RATIO:.2f}x of bare | {WRITTEN[mode]} "
                f"| {mean:.3f}x{each} | {_met(all(r <= TARGET_RATIO for r in ratios))} |"
            )
    size = TARGET_SIZES[0]
    check, refresh = (_runs(runs, size, "ours", op) for op in ("drift check", "refresh"))
    if size in measured and check and refresh:
        asked = max(r["graph_requests"] for r in check)
        floor = min(r["graph_requests"] for r in refresh)
        rows.append(
            f"| drift check of {size:,}: Graph requests no more than a refresh of the same stack "
            f"| {WRITTEN[mode]} | {_thousands(asked)} against {_thousands(floor)} "
            f"| {_met(asked <= floor)} |"
        )
    return rows


def target_table(data: Mapping[str, Any]) -> list[str]:
    """Issue #24's targets as these runs measured them, in each way the engine ran."""
    rows = [row for mode in modes(data) for row in target_rows(data, mode)]
    if not rows:
        return []
    return [
        "Issue #24's targets as these runs measured them (time ours / bare, and each run's when "
        "there were several; met only when every run is):",
        "",
        "| target | the engine writes the state | measured | met |",
        "|---|---|---:|---|",
        *rows,
        "",
    ]


def load_line(data: Mapping[str, Any]) -> str:
    loads = [value for run in data["runs"] for value in run["load_average"]]
    return (
        f"Machine: {data['cores']} cores, shared; load average (1 min) over the runs "
        f"{min(loads):.2f} to {max(loads):.2f}, mean {_mean(loads):.2f}. Pulumi "
        f"{data['cli']}, the azuread stand-in for both programs, one local tenant; "
        f"{data['repeats']} run(s) of each, ours and bare alternating "
        f"(measured {data['measured']})."
    )


HEADINGS = {
    EVERY_STEP: "**The engine as it runs by default, writing the whole state after every step.**",
    FINAL_ONLY: "**With `PULUMI_SKIP_CHECKPOINTS=true`: the engine writes the state once, at "
    "the end**, so what grows with the assignments is the programs', the engine's and the "
    "provider's work for each (a way to measure, not to deploy).",
}


def mode_part(data: Mapping[str, Any], mode: str, headed: bool) -> list[str]:
    """The tables of the runs in one mode: times and ratios, growth, CPU by process."""
    runs = of_mode(data, mode)
    parts = [*([HEADINGS[mode], ""] if headed else []), *main_table(runs), ""]
    growth = growth_table(runs)
    if growth:
        parts += [*growth, ""]
    if measured_sizes(runs):
        parts += [
            "CPU seconds by process (the CLI is the engine; the program is `__main__.py` under "
            "the language host; our providers are `pulumi.dynamic`):",
            "",
            *process_table(runs),
            "",
        ]
    return parts


def render(data: Mapping[str, Any]) -> str:
    """The whole section, markers included, from the measurements alone."""
    present = modes(data)
    parts = [BEGIN, "", load_line(data), "", *target_table(data)]
    for mode in present:
        parts += mode_part(data, mode, headed=present != [EVERY_STEP])
    if failed := failures(data):
        parts += ["Runs that failed:", "", *failed, ""]
    parts += [
        f"<!-- scale-data: {json.dumps(data, sort_keys=True, separators=(',', ':'))} -->",
        END,
    ]
    return "\n".join(parts)


def section(document: str) -> str:
    """The scale section of `document`, markers included."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise SectionMissing(f"no section between {BEGIN!r} and {END!r}")
    return document[start : end + len(END)]


def data_of(text: str) -> dict[str, Any]:
    """The measurements a section was written from."""
    found = DATA.search(section(text))
    if found is None:
        raise SectionMissing("the scale section has no scale-data comment")
    return json.loads(found.group("json"))


def rewrite(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the section of the document at `path` (only that) with one written from `data`."""
    document = path.read_text(encoding="utf-8")
    old = section(document)
    path.write_text(document.replace(old, render(data), 1), encoding="utf-8")


def seconds_by_process(processes: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """CPU seconds per kind of process (several processes of one kind add up)."""
    totals: dict[str, float] = {}
    for process in processes:
        totals[process["role"]] = totals.get(process["role"], 0.0) + process["cpu_seconds"]
    return {name: round(value, 2) for name, value in sorted(totals.items())}
