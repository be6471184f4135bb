"""Every operation of every dynamic provider with the fault on the Graph token request.

The token request (azure-identity's client-secret credential, `POST
/{tenant}/oauth2/v2.0/token`) goes through the same session as every call: each attempt bounded
as a whole by httpTimeoutSeconds, retried within retryBudgetSeconds
(tests/test_request_deadlines.py measures both). Here each operation meets each fault there:
it ends in a clear error naming the token request, with no secret in it and nothing changed,
or succeeds; a rerun converges.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Tenant
from tests.emulator import Emulator, Fault
from tests.engine import ProviderError, ProviderServer
from tests.fault_subjects import (
    MATRIX_BUDGET_SECONDS,
    MATRIX_RETRIES,
    MATRIX_TIMEOUT_SECONDS,
    OPERATIONS,
    SUBJECT_IDS,
    SUBJECTS,
    Subject,
    assert_converged,
    matrix_provider,
    perform,
    snapshot,
)
from tests.reporting import record, table

TOKEN_PATH = r"/oauth2/v2\.0/token$"
ALWAYS = 20
FAULTS: dict[str, tuple[Fault, int]] = {
    "429 Retry-After 8, over the budget (always)": (Fault.status(429, retry_after=8), ALWAYS),
    "503 (once)": (Fault.status(503), 1),
    "503 (always)": (Fault.status(503), ALWAYS),
    # A POST whose reply was lost is not sent again (azure-core's own retry policy does not
    # either), so these fail the first time: always would read the same.
    "slower than timeout (once)": (Fault.slow(1.5), 1),
    "trickled past timeout (once)": (Fault.trickle(0.5), 1),
    "connection reset (once)": (Fault.reset(), 1),
}
TABLE = table(
    "Token-endpoint faults (the fault is on the Graph token request, not on the operation's)",
    module=__name__,
    cases=len(SUBJECTS) * len(OPERATIONS) * len(FAULTS),
    about=f"""
    The same operations, with the fault on the identity platform's token endpoint (the
    request azure-identity's client-secret credential sends) instead of on the operation's
    own requests: once (the first token request) or always. Graph first answers the
    operation's first request 401, as it does when the token the process holds is no longer
    accepted, so the provider asks for a new token and meets the fault. The token request
    goes through the same session as every call: each attempt is bounded as a whole by the
    {MATRIX_TIMEOUT_SECONDS} s timeout, and a 429 or 503 is retried ({MATRIX_RETRIES} retry)
    within the {MATRIX_BUDGET_SECONDS} s budget, while a Retry-After beyond the budget is one
    request and an error at once. A token request whose reply was lost (slow, trickled,
    reset) is not sent again: it is a POST, which azure-core's own retry policy does not
    repeat either, so the first such fault fails the operation. "Clear error, nothing
    changed": the operation failed naming the token request ("could not get a token") and
    why, with no secret in it; nothing changed, and a rerun converged. "No token request":
    the operation talks only to Asana (the token resource checks the Asana token) and never
    asks Entra for one. "No request made": the operation sends nothing.
    """,
)


@pytest.fixture(scope="module")
def matrix_server(emulator_session: Emulator, tenant: Tenant) -> Iterator[ProviderServer]:
    with matrix_provider(emulator_session, tenant) as server:
        yield server


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("subject", SUBJECTS, ids=SUBJECT_IDS)
def test_a_fault_on_the_token_endpoint_ends_the_operation_cleanly_and_a_rerun_converges(
    emulator: Emulator,
    tenant: Tenant,
    matrix_server: ProviderServer,
    subject: Subject,
    operation: str,
    fault: str,
):
    resource, first, second = subject.arrange(matrix_server, emulator, tenant, operation)
    before_state = snapshot(emulator)
    before_requests = len(emulator.requests)
    # Graph no longer accepts the token the process holds: the provider asks for a new one.
    emulator.inject(Fault.status(401), service="graph", times=1)
    injected, times = FAULTS[fault]
    emulator.inject(injected, service="token", path=TOKEN_PATH, times=times)

    try:
        perform(operation, resource, first, second)
        outcome = "ok"
    except ProviderError as error:
        message = error.details.strip().splitlines()[-1]
        assert f"could not get a token for {emulator.graph_url}/.default" in message, message
        assert tenant.client_secret not in error.details
        assert snapshot(emulator) == before_state
        outcome = "clear error, nothing changed"
    if emulator.pending_faults() == 1 + times:  # no Graph request, so no token request
        assert outcome == "ok"
        made = len(emulator.requests) > before_requests
        outcome = "no token request" if made else "no request made"
    emulator.clear_faults()
    if outcome.startswith("clear error"):
        perform(operation, resource, first, second)
    assert_converged(operation, resource)
    record(TABLE, f"{subject.name} {operation}", fault, outcome)
