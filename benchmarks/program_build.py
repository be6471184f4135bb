"""How long the program takes to build under Pulumi's mocks, next to bare azuread resources.

Run with `make bench`. For 10, 100 and 1,000 group assignments the table shows the program's
build time (settings, component, every resource) and the time to register the same number of
bare `azuread.AppRoleAssignment` resources under the same mocks, in the same run.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable

import pulumi_azuread as azuread

from tests.program import run_program

TOKEN_KEY = "asana-provisioning:asanaToken"


def group_ids(count: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_OID, f"group-{n}")) for n in range(count)]


def program_config(count: int) -> dict[str, str]:
    return {
        "asana-provisioning:assignmentGroups": json.dumps(group_ids(count)),
        TOKEN_KEY: "2/1/2:benchmark-token",
    }


def bare_assignments(count: int) -> Callable[[], None]:
    def main() -> None:
        for group in group_ids(count):
            azuread.AppRoleAssignment(
                f"bare-{group}",
                app_role_id="18d14569-c3bd-439b-9a66-3a2aee01d14f",
                principal_object_id=group,
                resource_object_id="9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
            )

    return main


def timed(run: Callable[[], object], repeats: int) -> float:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def main() -> None:
    print("| assignments | program (s) | bare AppRoleAssignments (s) | ratio |")
    print("|---:|---:|---:|---:|")
    for count in (10, 100, 1000):
        repeats = 5 if count < 1000 else 3
        config = program_config(count)

        def program(config: dict[str, str] = config) -> None:
            run = run_program(config, {TOKEN_KEY})
            assert run.error is None, run.error

        def bare(count: int = count) -> None:
            run = run_program({}, set(), main=bare_assignments(count))
            assert run.error is None, run.error

        program_time, bare_time = timed(program, repeats), timed(bare, repeats)
        print(
            f"| {count} | {program_time:.2f} | {bare_time:.2f} | {program_time / bare_time:.2f}x |"
        )


if __name__ == "__main__":
    main()
