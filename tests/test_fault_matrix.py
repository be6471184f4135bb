"""Every operation of every dynamic provider under every fault the emulator can inject.

Each case ends one of two ways: the operation succeeds within the retry budget, or it fails
with a clear error (the service, the status, the transport failure, or what was wrong with a
reply we did not expect: not JSON, cut short, empty, a redirect) and the emulator's state is
as before, or, when the service acted but its reply came after the timeout, exactly what the
operation wanted (never a partial change). Either way, running it again without the fault
converges. The outcomes are
recorded as a table, printed at the end of the run and written to docs/reliability.md by
`make docs` (tests/reporting.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.provisioning_template import ProvisioningTemplateProvider
from tests.conftest import SERVICE_PRINCIPAL_ID, Tenant, server_environment, stack_config
from tests.emulator import Emulator, Fault
from tests.engine import EngineResource, ProviderError, ProviderServer, Secret
from tests.reporting import record, table

GRAPH_ERROR = {"error": {"code": "BadRequest", "message": "The request is invalid."}}
ASANA_ERROR = {"errors": [{"message": "Bad request"}]}


MATRIX_RETRIES = 1
MATRIX_BUDGET_SECONDS = 4
MATRIX_TIMEOUT_SECONDS = 1


@pytest.fixture(scope="module")
def matrix_server(emulator_session: Emulator, tenant: Tenant) -> Iterator[ProviderServer]:
    """One provider process for the whole matrix: short timeouts, one retry, a small budget."""
    with ProviderServer(env=server_environment(emulator_session)) as server:
        server.configure(
            stack_config(
                emulator_session,
                tenant,
                httpTimeoutSeconds=str(MATRIX_TIMEOUT_SECONDS),
                maxRetries=str(MATRIX_RETRIES),
                retryBudgetSeconds=str(MATRIX_BUDGET_SECONDS),
            )
        )
        yield server


@dataclass(frozen=True)
class Subject:
    """How to put one provider through create, read, update and delete."""

    name: str
    service: str
    make: Callable[[ProviderServer], EngineResource]
    first: Callable[[Emulator, Tenant], dict[str, Any]]
    second: Callable[[Emulator, Tenant], dict[str, Any]]


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
FAULTS: dict[str, Callable[[str], Fault]] = {
    "429 Retry-After 1": lambda _service: Fault.status(429, retry_after=1),
    "503": lambda _service: Fault.status(503),
    "500": lambda _service: Fault.status(500),
    "connection reset": lambda _service: Fault.reset(),
    "reply slower than timeout": lambda _service: Fault.slow(1.5),
    # Every byte in time for a per-read timeout; the whole reply is not.
    "reply trickled past timeout": lambda _service: Fault.trickle(0.5),
    "400 with error body": lambda service: Fault.status(
        400, body=GRAPH_ERROR if service == "graph" else ASANA_ERROR
    ),
    # Replies we do not expect: the service did not act, and its answer is unusable.
    "200 not JSON": lambda _service: Fault.reply(
        b"<html><body>Service Unavailable</body></html>", content_type="text/html"
    ),
    "200 truncated JSON": lambda _service: Fault.reply(b'{"value": [{"id": "asa'),
    "200 empty body": lambda _service: Fault.reply(b""),
    "redirect to another host": lambda _service: Fault.redirect("https://attacker.invalid/x"),
}
OPERATIONS = ("create", "read", "update", "delete")
TIMES = {"once": 1, "always": 20}
TABLE = table(
    "Fault matrix (once: the first request of the operation fails; always: every request does)",
    module=__name__,
    cases=len(SUBJECTS) * len(OPERATIONS) * len(FAULTS) * len(TIMES),
    about=f"""
    Every operation of every dynamic provider, through the engine harness (the SDK's own
    provider server over gRPC), with each fault the local tenant injects: once (the operation's
    first request) and always (every request; {MATRIX_RETRIES} retry and a
    {MATRIX_BUDGET_SECONDS} s retry budget, to keep the run short). Every cell was also checked
    to converge when run again without the fault. "Change applied whole": the service acted
    and its reply came after the {MATRIX_TIMEOUT_SECONDS} s timeout, so the client reports an
    error while the live state is exactly the wanted one, never half of it. "Reply trickled
    past timeout": the service answers, but its body comes one byte every 0.5 s; the request
    is cut off at the {MATRIX_TIMEOUT_SECONDS} s deadline, which bounds each request as a
    whole (connect, send and the entire reply), not each read. "No request made":
    the operation sends nothing (deleting the token or the template lookup), so no fault can
    reach it. The last four faults are replies we do not expect, served instead of the
    service's answer (the service does not act): a 200 that is not JSON (an HTML page), JSON
    cut short, an empty body and a redirect to another host; each ends in an error naming the
    service, the request's path and what was wrong with the reply (a redirect is never
    followed, so never reported as a rejected token).
    """,
)
REPLY_FAULTS = ("200 not JSON", "200 truncated JSON", "200 empty body", "redirect to another host")
SERVICE_NAMES = {"graph": "Microsoft Graph ", "scim": "Asana SCIM "}
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


def snapshot(emulator: Emulator) -> Any:
    jobs = emulator.jobs(SERVICE_PRINCIPAL_ID)
    return [emulator.schema(SERVICE_PRINCIPAL_ID, job["id"]) for job in jobs], jobs


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


@pytest.mark.parametrize("times", list(TIMES.values()), ids=list(TIMES))
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.name for s in SUBJECTS])
def test_an_operation_under_a_fault_succeeds_or_fails_cleanly_and_a_rerun_converges(
    emulator: Emulator,
    tenant: Tenant,
    matrix_server: ProviderServer,
    subject: Subject,
    operation: str,
    fault: str,
    times: int,
):
    resource = subject.make(matrix_server)
    first = subject.first(emulator, tenant)
    second = subject.second(emulator, tenant) if operation == "update" else first
    if operation != "create":
        resource.up(first)
    before_state = snapshot(emulator)
    before_requests = emulator.count(service=subject.service)
    emulator.inject(FAULTS[fault](subject.service), service=subject.service, times=times)

    try:
        perform(operation, resource, first, second)
        outcome = "ok"
    except ProviderError as error:
        message = error.details.strip().splitlines()[-1]
        assert any(word in message for word in CLEAR_WORDS), message
        if fault in REPLY_FAULTS:  # named with the service and the request's path
            assert SERVICE_NAMES[subject.service] in message and " /" in message, message
        assert tenant.asana_token not in error.details
        outcome = "clear error, nothing changed"
        if snapshot(emulator) != before_state:
            # The service acted, then the reply came too late: the change is whole, not partial.
            outcome = "clear error, change applied whole"
    sent = emulator.count(service=subject.service) - before_requests
    if sent == 0:
        outcome = "no request made"

    emulator.clear_faults()
    after_error = snapshot(emulator)
    if outcome.startswith("clear error"):
        perform(operation, resource, first, second)
        if outcome.endswith("applied whole"):
            assert snapshot(emulator) == after_error, "the failed run left a partial change"
    if operation == "delete":
        assert resource.id is None
    else:
        assert resource.id is not None and not resource.refresh().drift
    column = f"{fault} ({'once' if times == 1 else 'always'})"
    record(TABLE, f"{subject.name} {operation}", column, outcome)
