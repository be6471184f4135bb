"""What one more assignment costs the program, counted under Pulumi's mocks, not timed.

Under the real CLI the engine writes the whole state at every step (docs/testing.md, "Scale"), so
every registration, invoke, output and dependency the program adds per assignment is paid again at
each checkpoint. The program runs at two sizes and the difference, divided by the difference in
assignments, must be exactly what one assignment needs: its own `AppRoleAssignment` (with the
service principal as its one dependency: `appRoleId` and `resourceObjectId` come from it, but it is
named in `dependencies` only) with one frame above the event loop's in the stack trace its record
keeps, its id in one of the directory requests that check object ids (`rules.lookups`: fifteen per
request), its entry in the stack's `assignedPrincipals` output, for a user its name in the
component's `userAssignments` output, and nothing else: no provider's inputs grow with it (the
engine gives a dynamic provider's *default* instance the whole stack configuration, group object ids
included, so ours runs under an explicit one). And declaring many assignments does not hold back the
service principal's registration, which every one of them waits on.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pulumi_azuread as azuread
import pytest
from pulumi.output import UNKNOWN

import tests.program as program
from components.asana_app import without_dependencies
from rules.lookups import lookup_requests
from tests.program import AzureAdMocks, ProgramRun, run_program

TOKEN_KEY = "asana-provisioning:asanaToken"
COMPONENT = "asana-provisioning:index:AsanaEnterpriseApp"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
SMALL, LARGE = 10, 100
PROGRAM_FILES = tuple(
    (program.PROJECT_ROOT / part).as_uri() for part in ("__main__.py", "components/")
)
EVENT_LOOP_FILES = Path(asyncio.__file__).parent.as_uri() + "/"


@dataclass(frozen=True)
class Work:
    """Everything the program asks of the engine that could grow with the assignments."""

    registrations: int
    invokes: int
    lookup_requests: int
    """Directory requests checking object ids (`components.principal_lookup`)."""
    ids_looked_up: int
    """Ids sent in those requests."""
    dependency_references: int
    """URNs in `dependencies` and `propertyDependencies`, over all registrations."""
    program_frames: int
    """Frames of the program's own files (`__main__.py`, components/) in the stack traces the
    SDK sends with each registration, which the engine keeps in state."""
    frames_on_the_loop: int
    """Frames in those stack traces above the event loop's own: the code that declared the
    resource, down to the task the loop runs. Those below (asyncio's, then what runs the loop:
    the language host's executor, or `_sync_await` here) are the same for every resource."""
    stack_output_values: int
    component_input_values: int
    component_output_values: int
    provider_input_values: int
    """Inputs of the providers the program declares, which the state keeps twice (inputs and
    outputs) at every checkpoint."""

    def __sub__(self, other: Work) -> Work:
        return Work(*(a - b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def per(self, count: int) -> dict[str, float]:
        return {f.name: getattr(self, f.name) / count for f in fields(self)}


class CountingMocks(AzureAdMocks):
    """The mocks, counting every invoke."""

    calls: ClassVar[Counter[str]] = Counter()

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        CountingMocks.calls[args.token] += 1
        return super().call(args)


class CountingDirectory(program.EveryIdExists):
    """The directory the program checks object ids in, counting requests and ids."""

    def __init__(self) -> None:
        self.requests = 0
        self.ids = 0

    def existing_ids(self, collection: str, ids: Sequence[str]) -> list[str]:
        self.requests += 1
        self.ids += len(ids)
        return super().existing_ids(collection, ids)


@pytest.fixture(autouse=True)
def counting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(program, "AzureAdMocks", CountingMocks)


def leaves(value: Any) -> int:
    """Scalar values in a (nested) output or input."""
    if isinstance(value, dict):
        return sum(leaves(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(leaves(item) for item in value)
    return 1


def principals(kind: str, count: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_OID, f"{kind}-{n}")) for n in range(count)]


def frames_on_the_loop(stack_trace: Sequence[str]) -> int:
    """The frames before the first of asyncio's (the trace starts at the declaring line)."""
    return next(
        (n for n, uri in enumerate(stack_trace) if uri.startswith(EVENT_LOOP_FILES)),
        len(stack_trace),
    )


def work_of(groups: int, users: int) -> Work:
    CountingMocks.calls = Counter()
    directory = CountingDirectory()
    config = {
        "asana-provisioning:assignmentGroups": json.dumps(principals("group", groups)),
        "asana-provisioning:assignmentUsers": json.dumps(principals("user", users)),
        TOKEN_KEY: "2/1/2:work-per-assignment",
    }
    run: ProgramRun = run_program(config, {TOKEN_KEY}, directory=lambda: directory)
    assert run.error is None, run.error
    component = run.one(COMPONENT)
    return Work(
        registrations=len(run.resources),
        invokes=sum(CountingMocks.calls.values()),
        lookup_requests=directory.requests,
        ids_looked_up=directory.ids,
        dependency_references=sum(
            len(r.dependencies) + sum(len(urns) for urns in r.property_dependencies.values())
            for r in run.resources
        ),
        program_frames=sum(
            1 for r in run.resources for uri in r.stack_trace if uri.startswith(PROGRAM_FILES)
        ),
        frames_on_the_loop=sum(frames_on_the_loop(r.stack_trace) for r in run.resources),
        stack_output_values=leaves(run.outputs),
        component_input_values=leaves(component.inputs) if component.inputs else 0,
        component_output_values=leaves(component.outputs or {}),
        provider_input_values=sum(
            leaves(r.inputs) for r in run.resources if r.type.startswith("pulumi:providers:")
        ),
    )


ONE_ASSIGNMENT = {
    "registrations": 1,  # its AppRoleAssignment
    "invokes": 0,
    # Its id rides in a request with fourteen others.
    "lookup_requests": (len(lookup_requests(range(LARGE))) - len(lookup_requests(range(SMALL))))
    / (LARGE - SMALL),
    "ids_looked_up": 1,
    "dependency_references": 1,  # the service principal, in `dependencies` only
    # The line in components/ that declares it, in a task of its own, and nothing between it
    # and the event loop: not __main__.py's entry point, not the SDK's `run_in_stack` that
    # awaits it (`AsanaEnterpriseApp._declare_assignments`).
    "program_frames": 1,
    "frames_on_the_loop": 1,
    "stack_output_values": 3,  # assignedPrincipals: kind, reference, objectId
    "component_input_values": 0,
    "component_output_values": 0,  # a group is not in userAssignments
    "provider_input_values": 0,
}
ONE_USER_ASSIGNMENT = {**ONE_ASSIGNMENT, "component_output_values": 1}  # in userAssignments


@pytest.mark.parametrize(
    ("sizes", "each"),
    [(((SMALL, 0), (LARGE, 0)), ONE_ASSIGNMENT), (((0, SMALL), (0, LARGE)), ONE_USER_ASSIGNMENT)],
    ids=["groups by object id", "users by object id"],
)
def test_each_assignment_costs_one_registration_one_dependency_reference_and_no_invoke(
    sizes: tuple[tuple[int, int], tuple[int, int]], each: dict[str, int]
):
    small, large = (work_of(*size) for size in sizes)

    assert (large - small).per(LARGE - SMALL) == each


def test_the_program_invokes_two_functions_whatever_the_number_of_principals():
    work_of(LARGE, LARGE)

    assert dict(CountingMocks.calls) == {
        "azuread:index/getApplicationTemplate:getApplicationTemplate": 1,
        "azuread:index/getApplication:getApplication": 1,
    }


def test_an_input_without_dependencies_keeps_its_value_its_secrecy_and_its_unknown_ness():
    async def check() -> list[tuple[Any, ...]]:
        async def ready(value: Any) -> Any:
            return value

        seen = []
        for value, known, secret in (("a value", True, True), (UNKNOWN, False, False)):
            source = pulumi.Output(
                {object()}, ready(value), ready(known), ready(secret)
            )  # any resource: only carried, never looked at
            kept = without_dependencies(source)
            seen.append(
                (
                    await kept.resources(),
                    await kept.future(with_unknowns=True),
                    await kept.is_known(),
                    await kept.is_secret(),
                )
            )
        return seen

    loop = asyncio.new_event_loop()  # not asyncio.run: it unsets the loop the mocks' tests use
    try:
        seen = loop.run_until_complete(check())
    finally:
        loop.close()
    assert seen == [(set(), "a value", True, True), (set(), UNKNOWN, False, False)]


def test_the_service_principal_reaches_the_engine_while_the_assignments_are_declared(
    monkeypatch: pytest.MonkeyPatch,
):
    """Every assignment waits on the service principal, whose registration the SDK sends from
    a task that runs only when the event loop has a turn: declared in one block, the
    assignments held it until the last of them was built
    (`AsanaEnterpriseApp._declare_assignments`)."""
    timeline: list[str] = []
    received = program.RecordingMonitor.RegisterResource

    class Built(azuread.AppRoleAssignment):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            timeline.append("assignment built")
            super().__init__(*args, **kwargs)

    def recorded(monitor: program.RecordingMonitor, request: Any) -> Any:
        timeline.append(f"received {request.type}")  # from the SDK's executor threads
        return received(monitor, request)

    monkeypatch.setattr(azuread, "AppRoleAssignment", Built)
    monkeypatch.setattr(program.RecordingMonitor, "RegisterResource", recorded)

    work_of(LARGE, 0)

    principal = timeline.index(f"received {SERVICE_PRINCIPAL}")
    last_built = len(timeline) - 1 - timeline[::-1].index("assignment built")
    assert timeline.count("assignment built") == LARGE
    assert principal < last_built
