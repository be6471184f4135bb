"""Our program against a bare one on the real Pulumi CLI, at several sizes (`make bench`).

For each number of group assignments, in one run against one local tenant (the emulator,
tests/e2e/tenant.py), in two ways of running the engine:

- as it runs by default, writing the whole state after every step (`--sizes`, by default 100
  and 1,000);
- with `PULUMI_SKIP_CHECKPOINTS=true`, writing the state once, at the end
  (`--skip-checkpoints-sizes`, by default 100, 1,000 and 5,000);

and two programs:

- ours: a stack of this project assigning that many groups (by object id);
- bare: `benchmarks/bare_assignments/`, the same `azuread.AppRoleAssignment`s to a service
  principal that already exists, and nothing else.

Each goes through `pulumi preview`, `pulumi up --skip-preview`, `pulumi refresh --preview-only
--expect-no-changes`, the drift check and `pulumi destroy --skip-preview`. The drift check is
ours as CI runs it (`python -m scripts.drift_check`); for bare, the same refresh, which is what
ours runs inside: its Graph requests against the refresh of our own stack say what the check
adds to the refresh of the same resources.
Ours and bare alternate, the one going first swapping at each operation, so a change in the
machine's load falls on both. For each run: wall time, CPU time of every process the CLI
started (benchmarks/processes.py), the program's peak memory, the Graph requests the local
tenant logged, and the load average before and after.

    python -m benchmarks.real_engine [--sizes 100,1000] [--skip-checkpoints-sizes 100,1000,5000]
                                     [--repeats 2] [--markdown docs/testing.md]
                                     [--json results.json] [--profile DIR]

`--markdown` rewrites only the scale section of that file (benchmarks/scale_report.py);
`--profile` also records the CLI's CPU profile (`pulumi --profiling`, read with `go tool pprof
-top`) and a py-spy profile of our program, into DIR (profiling slows the runs: the figures of a
profiled run are not comparable).

By default the engine writes the whole state at every step (its snapshot manager), so the time
of preview, up and destroy grows with the square of the number of resources, for both programs:
5,000 assignments take about 25 times as long as 1,000, hours on a small machine. With
`PULUMI_SKIP_CHECKPOINTS` (pulumi `pkg/backend/snapshot.go`, `unsafeServiceLoop`) the engine
keeps the state in memory and writes it when the run ends, so what grows with the assignments
is what each one costs the program, the engine and the provider, which is what a comparison of
two programs asks. It is a way to measure, not to deploy: a run killed before its end records
nothing it did (docs/testing.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import scale_report
from benchmarks.processes import Watched, watched_run
from rules.checkpoints import SKIP_CHECKPOINTS
from tests.e2e.engine import ROOT
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace

DEFAULT_SIZES = (100, 1000)
DEFAULT_SKIP_CHECKPOINTS_SIZES = (100, 1000, 5000)
EVERY_STEP, FINAL_ONLY = scale_report.EVERY_STEP, scale_report.FINAL_ONLY
CHECKPOINTS_ENV = {EVERY_STEP: {}, FINAL_ONLY: {SKIP_CHECKPOINTS: "true"}}
USER_ROLE = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
GALLERY_ASANA = "0f1d9c2e-7a4b-4c3e-9f1a-5b6d8e2c4a71"
STACK = "scale"
TIMEOUT_SECONDS = 4 * 3600.0


@dataclass
class Side:
    """One program (ours or bare) at one size: its workspace and the commands of each step."""

    program: str
    workspace: Workspace
    checkpoints: str

    def command(self, operation: str) -> list[str]:
        stack = ("--stack", STACK, "--non-interactive")
        if operation == "drift check" and self.program == "ours":
            return [sys.executable, "-m", "scripts.drift_check", "--stack", STACK]
        return {
            "preview": ["pulumi", "preview", *stack],
            "up": ["pulumi", "up", "--yes", "--skip-preview", *stack],
            "refresh": ["pulumi", "refresh", "--preview-only", "--expect-no-changes", *stack],
            "drift check": ["pulumi", "refresh", "--preview-only", "--expect-no-changes", *stack],
            "destroy": ["pulumi", "destroy", "--yes", "--skip-preview", *stack],
        }[operation]


def group_ids(count: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_OID, f"bench-group-{n}")) for n in range(count)]


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def cli_version(workspace: Workspace) -> str:
    return workspace.pulumi("version").stdout.strip()


def ours_at(
    base: Path, tenant: LocalTenant, groups: list[str], checkpoints: str = EVERY_STEP
) -> Side:
    workspace = Workspace(
        base / "ours", ca_bundle=tenant.ca_bundle, extra_env=CHECKPOINTS_ENV[checkpoints]
    )
    settings: dict[str, Any] = {
        f"{PROJECT}:appDisplayName": f"Asana (scale {len(groups)})",
        f"{PROJECT}:assignmentGroups": groups,
        f"{PROJECT}:notificationEmail": "identity-ops@contoso.com",
        **tenant.plain_settings(),
    }
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    return Side("ours", workspace, checkpoints)


def bare_at(
    base: Path, tenant: LocalTenant, groups: list[str], checkpoints: str = EVERY_STEP
) -> Side:
    app = tenant.emulator.instantiate_gallery_app(GALLERY_ASANA, f"Asana (bare {len(groups)})")
    workspace = Workspace(
        base / "bare",
        ca_bundle=tenant.ca_bundle,
        source=ROOT / "benchmarks" / "bare_assignments",
        linked=("__main__.py",),
        extra_env=CHECKPOINTS_ENV[checkpoints],
    )
    azuread = {k: v for k, v in tenant.plain_settings().items() if k.startswith("azuread:")}
    settings = {
        "bare-assignments:groupIds": groups,
        "bare-assignments:resourceObjectId": app["servicePrincipal"]["id"],
        "bare-assignments:appRoleId": USER_ROLE,
        **azuread,
    }
    workspace.create_stack(STACK, settings, {"azuread:clientSecret": tenant.client_secret})
    return Side("bare", workspace, checkpoints)


def measure(
    side: Side, operation: str, size: int, tenant: LocalTenant, profile: Path | None
) -> dict[str, Any]:
    """Run one step of one side, watched; fail on an unexpected exit code."""
    command = side.command(operation)
    program_profile = None
    if profile is not None:
        tag = f"{side.program}-{size}-{side.checkpoints}-{operation}".replace(" ", "-")
        if command[0] == "pulumi":
            command = ["pulumi", "--profiling", str(profile / f"cli-{tag}"), *command[1:]]
        program_profile = profile / f"program-{tag}.txt"
    load_before = load_average()
    before = tenant.emulator.count(service="graph")
    run: Watched = watched_run(
        command,
        cwd=side.workspace.project,
        env=side.workspace.env,
        timeout=TIMEOUT_SECONDS,
        profile=program_profile,
    )
    graph = tenant.emulator.count(service="graph") - before
    processes = [{"role": p.role, "cpu_seconds": p.cpu_seconds} for p in run.processes]
    result = {
        "size": size,
        "checkpoints": side.checkpoints,
        "program": side.program,
        "operation": operation,
        "seconds": round(run.seconds, 2),
        "cpu_seconds": round(run.tree_cpu_seconds, 2),
        "cpu_by_process": scale_report.seconds_by_process(processes),
        "program_peak_kib": run.peak_kib("program"),
        "graph_requests": graph,
        "load_average": [load_before, load_average()],
    }
    if run.exit_code != 0:
        result["error"] = failure(run, side.workspace.base)
        print(f"  {side.program:4} {operation:11} FAILED: {result['error']}", flush=True)
        tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-20:])
        print("    " + tail.replace("\n", "\n    "), flush=True)
        return result
    print(
        f"  {side.program:4} {operation:11} {run.seconds:7.1f} s  CPU {run.tree_cpu_seconds:7.1f} s"
        f"  Graph {graph:6}  program peak {run.peak_kib('program') / 1024:4.0f} MiB"
        f"  load {result['load_average'][0]:.2f}",
        flush=True,
    )
    return result


def failure(run: Watched, base: Path) -> str:
    """The CLI's own words for a failed run (its last `error:` line, the workspace's temporary
    path taken out), so the table can say why a size could not be measured."""
    lines = [line.strip() for line in (run.stdout + run.stderr).splitlines() if "error:" in line]
    said = lines[-1].split("error:", 1)[1].strip() if lines else f"exit code {run.exit_code}"
    return said.replace(str(base), "<workspace>")


def run_size(
    size: int,
    sides: Sequence[Side],
    tenant: LocalTenant,
    flip: bool,
    profile: Path | None,
    operations: Sequence[str] = scale_report.OPERATIONS,
) -> list[dict[str, Any]]:
    results = []
    for index, operation in enumerate(operations):
        order = list(sides) if (index % 2 == 0) != flip else list(reversed(sides))
        for side in order:
            results.append(measure(side, operation, size, tenant, profile))
        if any("error" in result for result in results):
            break  # the next steps need this one's stack
    return results


def parse_sizes(text: str) -> list[int]:
    """Sizes as given, each once, smallest first; an empty text is none (that way is skipped)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError("a comma-separated list of positive numbers, or none")
    return sorted({int(part) for part in parts})


def parse_operations(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in scale_report.OPERATIONS]
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(f"steps among {', '.join(scale_report.OPERATIONS)}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.real_engine", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
        help="numbers of group assignments, the engine writing the state at every step "
        "(default: %(default)s; '' for none)",
    )  # fmt: skip
    parser.add_argument(
        "--skip-checkpoints-sizes", type=parse_sizes,
        default=list(DEFAULT_SKIP_CHECKPOINTS_SIZES),
        help="numbers of group assignments with PULUMI_SKIP_CHECKPOINTS=true, the state written "
        "once at the end (default: %(default)s; '' for none)",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=1, help="runs of each size (default: 1)")
    parser.add_argument(
        "--operations", type=parse_operations, default=list(scale_report.OPERATIONS),
        help="which steps, in order (default: %(default)s); refresh, drift check, destroy need up",
    )  # fmt: skip
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE",
        help="rewrite the scale section of FILE (docs/testing.md) with the results",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the measurements here")
    parser.add_argument(
        "--from-json", type=Path, metavar="FILE",
        help="measure nothing: write the tables of an earlier --json FILE (with --markdown)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="also profile the CLI (pprof) and our program (py-spy) into DIR",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.sizes and not args.skip_checkpoints_sizes:
        build_parser().error("nothing to measure: --sizes and --skip-checkpoints-sizes are empty")
    if args.from_json is not None:
        data = json.loads(args.from_json.read_text(encoding="utf-8"))
        return report(data, None, args.markdown)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    started = datetime.now(UTC)
    tenant = LocalTenant.start()
    runs: list[dict[str, Any]] = []
    try:
        plan = [(EVERY_STEP, size) for size in args.sizes] + [
            (FINAL_ONLY, size) for size in args.skip_checkpoints_sizes
        ]
        groups = group_ids(max(size for _, size in plan))
        print(f"Seeding {len(groups):,} groups in the local tenant …", flush=True)
        for n, group_id in enumerate(groups):
            tenant.emulator.add_group(f"Bench group {n}", group_id=group_id)
        version = ""
        flip = False
        for repeat in range(args.repeats):
            for checkpoints, size in plan:
                folder = base / f"{size}-{checkpoints.replace(' ', '-')}-{repeat}"
                sides = [
                    ours_at(folder, tenant, groups[:size], checkpoints),
                    bare_at(folder, tenant, groups[:size], checkpoints),
                ]
                version = version or cli_version(sides[0].workspace)
                print(
                    f"{size:,} assignments, state written {scale_report.WRITTEN[checkpoints]} "
                    f"(run {repeat + 1} of {args.repeats}):",
                    flush=True,
                )
                runs += run_size(size, sides, tenant, flip, args.profile, args.operations)
                flip = not flip
    finally:
        tenant.stop()
    data = {
        "cli": version,
        "cores": os.cpu_count(),
        "repeats": args.repeats,
        "measured": started.strftime("%Y-%m-%d"),
        "runs": runs,
    }
    return report(data, args.json, args.markdown)


def report(data: dict[str, Any], json_path: Path | None, markdown: Path | None) -> int:
    print()
    print(scale_report.render(data))
    if json_path is not None:
        json_path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if markdown is not None:
        scale_report.rewrite(markdown, data)
        print(f"wrote the scale section of {markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
