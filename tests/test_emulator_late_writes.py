"""The emulator's late write (`Fault.late`): the service holds the request without a reply,
acts on it seconds later, after the client gave up and read the state from before, and never
answers; a late write whose test is over (the emulator was reset) never lands."""

from __future__ import annotations

import threading
import time
from email.message import Message

import pytest
import requests

from tests.conftest import SERVICE_PRINCIPAL_ID
from tests.emulator import Emulator, Fault
from tests.emulator.client import GraphTestClient
from tests.emulator.dispatch import Dispatcher
from tests.emulator.faults import LATE_MAX_SECONDS, FaultQueue
from tests.emulator.messages import Request, Response
from tests.emulator.requestlog import RequestLog

TENANT = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
CLIENT = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
SCHEMA_PATH = r"/jobs/[^/]+/schema$"


def wait_until_landed(emulator: Emulator, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while emulator.late_writes_held():
        assert time.monotonic() < deadline, "the late write was still held"
        time.sleep(0.05)


@pytest.fixture
def graph(emulator: Emulator) -> GraphTestClient:
    return GraphTestClient(emulator, TENANT, CLIENT, "late-writes-secret")


@pytest.fixture
def schema_url(emulator: Emulator) -> str:
    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    return f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/jobs/{job}/schema"


def edited(graph: GraphTestClient, schema_url: str) -> dict:
    schema = graph.get(schema_url).json()
    schema["synchronizationRules"][0]["objectMappings"][0]["enabled"] = False
    return schema


def put_schema(graph: GraphTestClient, schema_url: str, body: dict, timeout: float) -> None:
    requests.put(
        graph.emulator.base_url + schema_url,
        json=body,
        headers={"Authorization": f"Bearer {graph.token}"},
        verify=graph.emulator.ca_bundle_path,
        timeout=timeout,
    )


def user_mapping_enabled(graph: GraphTestClient, schema_url: str) -> bool:
    return graph.get(schema_url).json()["synchronizationRules"][0]["objectMappings"][0]["enabled"]


def test_a_late_write_lands_after_the_client_gave_up_and_read_the_old_state(
    emulator: Emulator, graph: GraphTestClient, schema_url: str
):
    body = edited(graph, schema_url)
    emulator.inject(Fault.late(1.5), service="graph", method="PUT", path=SCHEMA_PATH)
    sent = time.monotonic()

    with pytest.raises(requests.exceptions.ReadTimeout):
        put_schema(graph, schema_url, body, timeout=0.5)
    read_before_landing = user_mapping_enabled(graph, schema_url)
    wait_until_landed(emulator, 5)

    assert read_before_landing is True  # the client's read-back saw nothing
    assert time.monotonic() - sent >= 1.5
    assert user_mapping_enabled(graph, schema_url) is False  # then the write landed
    puts = [r for r in emulator.requests if r.method == "PUT"]
    assert [(r.status, r.fault) for r in puts] == [(0, "late")]  # and no reply was ever sent


def test_a_late_write_never_answers_even_a_patient_client(
    emulator: Emulator, graph: GraphTestClient, schema_url: str
):
    """Unlike `Fault.slow`, which answers once it acted: the connection is dropped."""
    body = edited(graph, schema_url)
    emulator.inject(Fault.late(0.3), service="graph", method="PUT", path=SCHEMA_PATH)

    with pytest.raises(requests.exceptions.ConnectionError):
        put_schema(graph, schema_url, body, timeout=5)

    assert user_mapping_enabled(graph, schema_url) is False


def test_a_request_whose_token_graph_refuses_is_answered_at_once_and_the_next_is_held(
    emulator: Emulator, graph: GraphTestClient, schema_url: str
):
    """Graph checks the token as a request arrives: a stale one is never held."""
    body = edited(graph, schema_url)
    emulator.inject(Fault.late(0.5), service="graph", method="PUT", path=SCHEMA_PATH)
    stale = requests.put(
        graph.emulator.base_url + schema_url,
        json=body,
        headers={"Authorization": "Bearer not-a-token-graph-issued"},
        verify=graph.emulator.ca_bundle_path,
        timeout=5,
    )

    assert stale.status_code == 401
    assert emulator.pending_faults() == 1  # still queued for the next accepted write
    with pytest.raises(requests.exceptions.ConnectionError):
        put_schema(graph, schema_url, body, timeout=5)
    assert user_mapping_enabled(graph, schema_url) is False


class _Recording:
    """A service that records what it handled."""

    def __init__(self) -> None:
        self.handled: list[str] = []

    def serves(self, path: str) -> bool:
        return True

    def handle(self, request: Request) -> Response:
        self.handled.append(request.path)
        return Response(204, None)

    def fault_response(self, status: int, request: Request) -> Response:
        return Response(status, None)

    def loggable_body(self, body: object | None) -> object | None:
        return body


def test_a_late_write_held_when_the_emulator_is_reset_never_lands():
    service = _Recording()
    faults = FaultQueue(["svc"])
    dispatcher = Dispatcher({"svc": service}, faults, RequestLog(), threading.RLock())
    faults.inject(Fault.late(0.3), service="svc", times=2)
    request = Request("PUT", "/thing", {}, Message(), {"a": 1})

    held = threading.Thread(target=dispatcher.dispatch, args=(request,))
    held.start()
    deadline = time.monotonic() + 2
    while dispatcher.late_writes_held() == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    dispatcher.forget_late_writes()  # what Emulator.reset does
    held.join(timeout=2)
    landed = dispatcher.dispatch(request)  # a late write sent after the reset still lands

    assert not held.is_alive()
    assert landed is None  # no reply
    assert service.handled == ["/thing"]
    assert dispatcher.late_writes_held() == 0


def test_late_is_bounded():
    with pytest.raises(ValueError):
        Fault.late(0)
    with pytest.raises(ValueError):
        Fault.late(LATE_MAX_SECONDS + 1)
