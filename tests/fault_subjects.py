"""What the fault matrices share (tests/test_fault_matrix*.py): the providers put through their
operations, the provider process with the matrices' short timeouts, what counts as a clear
error, and the late writes (`Fault.late`) and how to wait for them to land."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.provisioning_template import ProvisioningTemplateProvider
from tests.conftest import SERVICE_PRINCIPAL_ID, Tenant, server_environment, stack_config
from tests.emulator import Emulator, Fault
from tests.engine import EngineResource, ProviderServer, Secret

MATRIX_RETRIES = 1
MATRIX_BUDGET_SECONDS = 4
MATRIX_TIMEOUT_SECONDS = 1

LATE_SECONDS = 5.0
"""How long after it came a late write lands: past the timeout, the reads that follow a lost
reply and the window after a second send (one timeout each), with room for a busy machine."""
LATER_SECONDS = 3.0
"""The same for every later write, sent at least two timeouts after the first: it too lands
after the operation has given up, and the run waits less for it."""
WRITES = ("PUT", "POST", "PATCH", "DELETE")

OPERATIONS = ("create", "read", "update", "delete")
CLEAR_WORDS = (
    "HTTP 4",
    "HTTP 5",
    "timed out",
    "did not finish within",
    "lost the connection",
    "throttled",
    "not JSON",
    "stops short",
    "empty body",
    "a redirect to another host",
)
"""An error names what went wrong in one of these words (with the service and the request)."""


def matrix_provider(emulator: Emulator, tenant: Tenant) -> ProviderServer:
    """A provider process with the matrices' settings: short timeouts, one retry, a small
    budget, to keep the run short (the caller closes it)."""
    server = ProviderServer(env=server_environment(emulator))
    server.configure(
        stack_config(
            emulator,
            tenant,
            httpTimeoutSeconds=str(MATRIX_TIMEOUT_SECONDS),
            maxRetries=str(MATRIX_RETRIES),
            retryBudgetSeconds=str(MATRIX_BUDGET_SECONDS),
        )
    )
    return server


@dataclass(frozen=True)
class Subject:
    """How to put one provider through create, read, update and delete."""

    name: str
    service: str
    make: Callable[[ProviderServer], EngineResource]
    first: Callable[[Emulator, Tenant], dict[str, Any]]
    second: Callable[[Emulator, Tenant], dict[str, Any]]

    def inputs(
        self, emulator: Emulator, tenant: Tenant, operation: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The inputs the resource is made with, and those the operation applies."""
        first = self.first(emulator, tenant)
        return first, self.second(emulator, tenant) if operation == "update" else first

    def arrange(
        self, server: ProviderServer, emulator: Emulator, tenant: Tenant, operation: str
    ) -> tuple[EngineResource, dict[str, Any], dict[str, Any]]:
        """The resource as the operation finds it (made, unless the operation makes it), the
        inputs it was made with, and those the operation applies."""
        resource = self.make(server)
        first, second = self.inputs(emulator, tenant, operation)
        if operation != "create":
            resource.up(first)
        return resource, first, second


def token_inputs(emulator: Emulator, token: str) -> dict[str, Any]:
    return {"token": Secret(token), "scim_base_url": emulator.scim_base_url}


def rotated(emulator: Emulator, tenant: Tenant) -> dict[str, Any]:
    token = tenant.asana_token[:-3] + "abc"
    emulator.add_scim_token(token)
    return token_inputs(emulator, token)


def two_templates(emulator: Emulator, tag: str) -> dict[str, Any]:
    emulator.set_templates(
        SERVICE_PRINCIPAL_ID,
        [
            {"id": "asana", "factoryTag": "asana", "schema": {}},
            {"id": "asana.preview", "factoryTag": "asanapreview", "schema": {}},
        ],
    )
    return {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": tag}


def mapping_inputs(emulator: Emulator, source: str) -> dict[str, Any]:
    """The job to edit: the one job of the service principal, created on first use."""
    jobs = emulator.jobs(SERVICE_PRINCIPAL_ID)
    job = jobs[0]["id"] if jobs else emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    return {
        "service_principal_id": SERVICE_PRINCIPAL_ID,
        "job_id": job,
        "kind": "user",
        "source_object": "User",
        "target_object": "User",
        "mappings": [{"target": "title", "attribute": source}],
    }


SUBJECTS = [
    Subject(
        "AsanaServiceAccountToken",
        "scim",
        lambda server: EngineResource(
            server,
            AsanaServiceAccountTokenProvider(),
            "asana:ServiceAccountToken",
            "token",
            secret_inputs=frozenset({"token"}),
        ),
        lambda emulator, tenant: token_inputs(emulator, tenant.asana_token),
        rotated,
    ),
    Subject(
        "ProvisioningTemplate",
        "graph",
        lambda server: EngineResource(
            server, ProvisioningTemplateProvider(), "asana:ProvisioningTemplate", "tpl"
        ),
        lambda emulator, _tenant: two_templates(emulator, "asana"),
        lambda emulator, _tenant: two_templates(emulator, "asanapreview"),
    ),
    Subject(
        "ProvisioningAttributeMappings",
        "graph",
        lambda server: EngineResource(
            server, ProvisioningAttributeMappingsProvider(), "asana:Mappings", "maps"
        ),
        lambda emulator, _tenant: mapping_inputs(emulator, "department"),
        lambda emulator, _tenant: mapping_inputs(emulator, "jobTitle"),
    ),
]
SUBJECT_IDS = [subject.name for subject in SUBJECTS]


def snapshot(emulator: Emulator) -> Any:
    """The service principal's jobs and their schemas, as they are live."""
    jobs = emulator.jobs(SERVICE_PRINCIPAL_ID)
    return [emulator.schema(SERVICE_PRINCIPAL_ID, job["id"]) for job in jobs], jobs


def live(emulator: Emulator) -> Any:
    """`snapshot` without the schemas' version, which Graph bumps on every write."""
    schemas, jobs = snapshot(emulator)
    return [{k: v for k, v in schema.items() if k != "version"} for schema in schemas], jobs


def versions(emulator: Emulator) -> list[Any]:
    """The schemas' versions: each write that lands sets a new one."""
    schemas, _jobs = snapshot(emulator)
    return [schema.get("version") for schema in schemas]


def perform(
    operation: str, resource: EngineResource, first: dict[str, Any], second: dict[str, Any]
) -> None:
    if operation == "create":
        resource.up(first)
    elif operation == "read":
        resource.refresh()
    elif operation == "update":
        resource.up(second)
    elif operation == "delete":
        resource.destroy()


def assert_converged(operation: str, resource: EngineResource) -> None:
    """The operation's end state: a deleted resource is gone; any other exists and a refresh
    finds it as recorded."""
    if operation == "delete":
        assert resource.id is None
    else:
        assert resource.id is not None and not resource.refresh().drift


def matrix_column(fault: str, times: int) -> str:
    """The matrix column of a fault injected once (times 1) or on every request."""
    return f"{fault} ({'once' if times == 1 else 'always'})"


def writes(emulator: Emulator, service: str) -> int:
    """How many writes (PUT, POST, PATCH, DELETE) `service` has answered or dropped."""
    return sum(emulator.count(service=service, method=method) for method in WRITES)


def inject_late(emulator: Emulator, times: int, **where: str) -> None:
    """The next `times` requests matching `where` land late: the first `LATE_SECONDS` after
    it came, the others `LATER_SECONDS` after."""
    emulator.inject(Fault.late(LATE_SECONDS), times=1, **where)
    if times > 1:
        emulator.inject(Fault.late(LATER_SECONDS), times=times - 1, **where)


def wait_for_landing(emulator: Emulator) -> None:
    """Until every late write held has landed."""
    deadline = time.monotonic() + LATE_SECONDS + 5
    while emulator.late_writes_held():
        assert time.monotonic() < deadline, "a late write was still held"
        time.sleep(0.05)
