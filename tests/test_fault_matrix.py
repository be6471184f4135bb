"""Every operation of every dynamic provider under every fault the emulator can inject, but the
error page echoing the request's headers (`Fault.reflect`: tests/test_secrets_never_leak.py).

Each case ends one of two ways: the operation succeeds within the retry budget, or it fails with
a clear error (the service, the status, the transport failure, or what was wrong with a reply we
did not expect: not JSON, cut short, empty, a redirect) and the emulator's state is as before.
Either way, running it again without the fault converges. A write that landed but whose reply
came after the timeout (`Fault.hold`) or never (`Fault.after`) is confirmed by reading the state
back, never sent again. A write whose reply never comes and which lands seconds later
(`Fault.late`) never changes what its operation, or the rerun, reported. The outcomes are
recorded as a table, printed at the end of the run and written to docs/reliability.md by `make
docs` (tests/reporting.py); tests/test_fault_matrix_one_job.py and test_fault_matrix_token.py
add the late writes on one job and the faults of the token endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import Tenant
from tests.emulator import Emulator, Fault
from tests.engine import ProviderError, ProviderServer
from tests.fault_subjects import (
    CLEAR_WORDS,
    LATE_SECONDS,
    LATER_SECONDS,
    MATRIX_BUDGET_SECONDS,
    MATRIX_RETRIES,
    MATRIX_TIMEOUT_SECONDS,
    OPERATIONS,
    SUBJECT_IDS,
    SUBJECTS,
    WRITES,
    Subject,
    assert_converged,
    inject_late,
    live,
    matrix_column,
    matrix_provider,
    perform,
    snapshot,
    versions,
    wait_for_landing,
    writes,
)
from tests.reporting import record, table

GRAPH_ERROR = {"error": {"code": "BadRequest", "message": "The request is invalid."}}
ASANA_ERROR = {"errors": [{"message": "Bad request"}]}


@pytest.fixture(scope="module")
def matrix_server(emulator_session: Emulator, tenant: Tenant) -> Iterator[ProviderServer]:
    """One provider process for the whole matrix."""
    with matrix_provider(emulator_session, tenant) as server:
        yield server


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
TIMES = {"once": 1, "always": 20}
HELD_REPLY_SECONDS = MATRIX_TIMEOUT_SECONDS + 1.0
"""How long a landed write's reply is held: past the client's timeout, whatever the load."""
LANDED: dict[str, Callable[[], Fault]] = {
    "write landed, reply after timeout": lambda: Fault.hold(HELD_REPLY_SECONDS),
    "write landed, connection dropped": lambda: Fault.after(None),
}
"""The service acts on the write, then its reply comes too late or never."""
LATE = "write lands late"
TABLE = table(
    "Fault matrix (once: the first request of the operation fails; always: every request does)",
    module=__name__,
    cases=len(SUBJECTS) * len(OPERATIONS) * (len(FAULTS) + len(LANDED) + 1) * len(TIMES),
    about=f"""
    Every operation of every dynamic provider, through the engine harness (the SDK's own
    provider server over gRPC), with each fault the local tenant injects (but the error page
    echoing a request's headers, which is the secret-leak scan's,
    tests/test_secrets_never_leak.py): once (the operation's first request) and always (every
    request; {MATRIX_RETRIES} retry and a {MATRIX_BUDGET_SECONDS} s retry budget, to keep the
    run short). Every cell was also checked to converge when run again without the fault. Every
    "clear error, nothing changed" cell was checked to have left the live state exactly as it
    was before. "Reply trickled past timeout": the service answers, but its body comes one byte
    every 0.5 s; the request is cut off at the {MATRIX_TIMEOUT_SECONDS} s deadline, which bounds
    each request as a whole (connect, send and the entire reply), not each read. It reaches
    every operation through its first request (a read); a write's reply has no body to trickle
    (Graph answers the schema PUT 204 No Content), so a write whose reply comes late is the last
    two columns'. "No request made": the operation sends nothing (deleting the token or the
    template lookup), so no fault can reach it. The next four faults are replies we do not
    expect, served instead of the service's answer (the service does not act): a 200 that is not
    JSON (an HTML page), JSON cut short, an empty body and a redirect to another host; each ends
    in an error naming the service, the request's path and what was wrong with the reply (a
    redirect is never followed, so never reported as a rejected token). "Write landed, reply
    after timeout": the operation's first write (once) or every write (always: PUT, POST, PATCH
    or DELETE) lands at once, and its reply is held {HELD_REPLY_SECONDS:g} s, past the
    {MATRIX_TIMEOUT_SECONDS} s timeout; "write landed, connection dropped": the same, but once
    it has acted the service drops the connection without a reply. "Ok, confirmed by reading
    back": the client, not knowing whether the write landed, read the state back, found its
    change there whole and reported success without sending the write again (one write in the
    request log), and a refresh found no drift. "Write lands late": the operation's first write
    (once) or every write (always: PUT, POST, PATCH or DELETE) is held without any reply and
    lands {LATE_SECONDS:g} s after it came (a later send {LATER_SECONDS:g} s after), after the
    client gave up and read the schema back, and after the operation had ended (checked in every
    cell); once everything had landed, the live state was still exactly what the operation, or
    its rerun, had reported, and a refresh found no drift. "Ok, sent again": the first send got
    no reply and the schema stayed as read for a timeout's length, so the same document was sent
    once more, confirmed by reading it back, and watched for another timeout's length; the late
    first copy, the same document, changed nothing. "Clear error, may still land; rerun ok":
    neither send was answered nor seen landing, and the error says the write may still land
    (never that nothing changed); the rerun, with both copies still held, wrote the same
    document, and their landing changed nothing. "No write made": the operation only reads.
    """,
)
REPLY_FAULTS = ("200 not JSON", "200 truncated JSON", "200 empty body", "redirect to another host")
SERVICE_NAMES = {"graph": "Microsoft Graph ", "scim": "Asana SCIM "}


@pytest.mark.parametrize("times", list(TIMES.values()), ids=list(TIMES))
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("subject", SUBJECTS, ids=SUBJECT_IDS)
def test_an_operation_under_a_fault_succeeds_or_fails_cleanly_and_a_rerun_converges(
    emulator: Emulator,
    tenant: Tenant,
    matrix_server: ProviderServer,
    subject: Subject,
    operation: str,
    fault: str,
    times: int,
):
    resource, first, second = subject.arrange(matrix_server, emulator, tenant, operation)
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
        assert snapshot(emulator) == before_state, "a failed operation changed something"
        outcome = "clear error, nothing changed"
    sent = emulator.count(service=subject.service) - before_requests
    if sent == 0:
        outcome = "no request made"

    emulator.clear_faults()
    if outcome.startswith("clear error"):
        perform(operation, resource, first, second)
    assert_converged(operation, resource)
    column = matrix_column(fault, times)
    record(TABLE, f"{subject.name} {operation}", column, outcome)


@pytest.mark.parametrize("times", list(TIMES.values()), ids=list(TIMES))
@pytest.mark.parametrize("fault", list(LANDED))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("subject", SUBJECTS, ids=SUBJECT_IDS)
def test_a_write_that_landed_but_answered_too_late_is_confirmed_by_reading_never_sent_again(
    emulator: Emulator,
    tenant: Tenant,
    matrix_server: ProviderServer,
    subject: Subject,
    operation: str,
    fault: str,
    times: int,
):
    """The operation's first write (once) or every write (always) lands at once and its reply
    comes after the client's timeout, or never. The client cannot tell a write that landed from one
    that did not by its reply, so it must read: it finds its change live, whole, and reports
    success; sending it again blind, or reporting an error for a change that is live, fails."""
    resource, first, second = subject.arrange(matrix_server, emulator, tenant, operation)
    before = live(emulator)
    before_writes = writes(emulator, subject.service)
    logged = len(emulator.requests)
    kind = LANDED[fault]().kind
    for method in WRITES:
        emulator.inject(LANDED[fault](), service=subject.service, method=method, times=times)

    perform(operation, resource, first, second)  # a ProviderError fails the case

    sent = writes(emulator, subject.service) - before_writes
    held = [request for request in emulator.requests[logged:] if request.fault == kind]
    emulator.clear_faults()
    column = matrix_column(fault, times)
    if sent == 0:
        assert live(emulator) == before
        record(TABLE, f"{subject.name} {operation}", column, "no write made")
        return
    assert len(held) == 1, f"{len(held)} writes met the fault: it did not reach the write"
    assert sent == 1, f"{sent} writes: a write that had landed was sent again"
    assert live(emulator) != before, "the operation's change is not live"
    assert_converged(operation, resource)
    record(TABLE, f"{subject.name} {operation}", column, "ok, confirmed by reading back")


@pytest.mark.parametrize("times", list(TIMES.values()), ids=list(TIMES))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("subject", SUBJECTS, ids=SUBJECT_IDS)
def test_a_write_landing_late_never_changes_what_its_operation_reported(
    emulator: Emulator,
    tenant: Tenant,
    matrix_server: ProviderServer,
    subject: Subject,
    operation: str,
    times: int,
):
    """The operation's first write (once) or every write (always) is held without a reply
    and lands seconds later, after the client gave up and read the state back, and after the
    operation ended. What the operation reported, or its rerun, is still true once it landed."""
    resource, first, second = subject.arrange(matrix_server, emulator, tenant, operation)
    before = live(emulator)
    before_writes = writes(emulator, subject.service)
    for method in ("PUT", "POST", "PATCH", "DELETE"):
        inject_late(emulator, times, service=subject.service, method=method)

    try:
        perform(operation, resource, first, second)
        failure = None
    except ProviderError as error:
        failure = error.details.strip().splitlines()[-1]
        assert any(word in failure for word in CLEAR_WORDS), failure
        assert tenant.asana_token not in error.details
    held = emulator.late_writes_held()
    sent = writes(emulator, subject.service) - before_writes + held
    emulator.clear_faults()
    column = matrix_column(LATE, times)
    if sent == 0:
        assert failure is None and live(emulator) == before
        record(TABLE, f"{subject.name} {operation}", column, "no write made")
        return
    assert held, "a late write landed before the operation ended"
    assert sent == 2, f"{sent} writes: a write whose reply was lost is sent once more at most"
    if failure is None:
        assert held == 1
        outcome = "ok, sent again"
    else:
        assert held == 2 and "may still" in failure and "left as it was" not in failure, failure
        assert live(emulator) == before, "the failed operation changed something"
        perform(operation, resource, first, second)  # the rerun, with the late writes held
        assert emulator.late_writes_held(), "a late write landed before the rerun ended"
        outcome = "clear error, may still land; rerun ok"
    reported, reported_versions = live(emulator), versions(emulator)

    wait_for_landing(emulator)

    assert versions(emulator) != reported_versions, "the late write did not land"
    assert live(emulator) == reported, "a late write changed what was reported"
    assert_converged(operation, resource)
    record(TABLE, f"{subject.name} {operation}", column, outcome)
