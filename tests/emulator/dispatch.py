"""Request dispatch: pick the service for a path, apply injected faults, log, then answer.

This is the only place that knows about all services at once; the transport below it knows
nothing about services, and the services above it know nothing about faults or the log.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Mapping
from typing import Protocol

from .faults import Fault, FaultQueue
from .messages import Request, Response
from .reflection import exact_reply, reflecting_reply
from .requestlog import RecordedRequest, RequestLog, without_client_secret

UNROUTED = "unknown"
"""Service name logged for paths that no emulated service serves."""


class Backend(Protocol):
    """What an emulated service offers the dispatcher."""

    def serves(self, path: str) -> bool:
        """Whether this service owns the URL path."""
        ...

    def handle(self, request: Request) -> Response:
        """Answer a request; called with the emulator's state lock held."""
        ...

    def fault_response(self, status: int, request: Request) -> Response:
        """The service's own error reply for an injected status."""
        ...

    def loggable_body(self, body: object | None) -> object | None:
        """The request body as it may be kept in the request log."""
        ...


class Dispatcher:
    """Turns a request into a response, or into None when the connection must be dropped."""

    def __init__(
        self,
        backends: Mapping[str, Backend],
        faults: FaultQueue,
        log: RequestLog,
        state_lock: threading.RLock,
    ) -> None:
        self._backends = backends
        self._faults = faults
        self._log = log
        self._state_lock = state_lock
        self._closing = threading.Event()
        self._generation = 0  # bumped by forget_late_writes; guarded by the state lock
        self._late_lock = threading.Lock()
        self._late_held = 0

    def close(self) -> None:
        """Wake requests that sleep in a slow or late fault so that they drop out instead of
        answering or acting."""
        self._closing.set()

    def forget_late_writes(self) -> None:
        """Late writes still held never land (the emulator was reset: their test is over)."""
        with self._state_lock:
            self._generation += 1

    def late_writes_held(self) -> int:
        """How many late writes are held right now, neither landed nor forgotten."""
        with self._late_lock:
            return self._late_held

    def dispatch(self, request: Request) -> Response | None:
        ticket = self._log.open()
        service = self._service_for(request.path)
        if service is None:
            response = Response(
                404, {"error": {"code": "NotFound", "message": "No emulated service at this path."}}
            )
            body = without_client_secret(request.body)  # e.g. a token request sent astray
            self._record(ticket, UNROUTED, request, body, response.status, None)
            return response
        backend = self._backends[service]
        logged_body = backend.loggable_body(request.body)
        refused = self._refusal(backend, request)
        fault = self._faults.take(
            service,
            request.method,
            request.path,
            request.query,
            request.body,
            unless=lambda queued: queued.kind == "late" and refused is not None,
        )
        if fault is not None and fault.kind == "reset":
            self._record(ticket, service, request, logged_body, 0, fault)
            return None
        if fault is not None and fault.kind == "slow" and self._closing.wait(fault.seconds):
            self._record(ticket, service, request, logged_body, 0, fault)
            return None
        if fault is not None and fault.kind == "hold":
            with self._state_lock:
                response = backend.handle(request)  # the write lands and is logged at once
            self._record(ticket, service, request, logged_body, response.status, fault)
            return None if self._closing.wait(fault.seconds) else response
        if fault is not None and fault.kind == "late":
            self._land_late(backend, request, fault)
            self._record(ticket, service, request, logged_body, 0, fault)
            return None
        if fault is not None and fault.kind == "after":
            with self._state_lock:
                backend.handle(request)  # the write lands; its reply is lost
            if fault.code is None:
                self._record(ticket, service, request, logged_body, 0, fault)
                return None
            response = self._injected_status(backend, fault, request)
        elif fault is not None and fault.kind == "status":
            response = self._injected_status(backend, fault, request)
        elif fault is not None and fault.kind == "reply":
            response = exact_reply(fault)
        elif fault is not None and fault.kind == "reflect":
            response = reflecting_reply(fault, request)
        else:
            with self._state_lock:
                response = backend.handle(request)
            if fault is not None and fault.kind == "trickle":
                response = dataclasses.replace(response, trickle_seconds=fault.seconds)
            if fault is not None and fault.kind in ("cut", "garble"):
                response = dataclasses.replace(response, broken_body=fault.kind)
        self._record(ticket, service, request, logged_body, response.status, fault)
        return response

    def _refusal(self, backend: Backend, request: Request) -> Response | None:
        """What a service that checks credentials as a request arrives (`refusal`, as Graph
        has) answers one it does not accept; None when it accepts it or checks nothing."""
        refusal = getattr(backend, "refusal", None)
        if refusal is None:
            return None
        with self._state_lock:
            return refusal(request)

    def _land_late(self, backend: Backend, request: Request, fault: Fault) -> None:
        """Hold the request `fault.seconds` (no reply), then act on it, unless the emulator
        was reset or is closing meanwhile; the caller then drops the connection."""
        with self._state_lock:
            generation = self._generation
        with self._late_lock:
            self._late_held += 1
        try:
            if self._closing.wait(fault.seconds):
                return
            with self._state_lock:
                if generation == self._generation:
                    backend.handle(request)  # the write lands now; nobody hears of it
        finally:
            with self._late_lock:
                self._late_held -= 1

    def _service_for(self, path: str) -> str | None:
        return next(
            (name for name, backend in self._backends.items() if backend.serves(path)), None
        )

    @staticmethod
    def _injected_status(backend: Backend, fault: Fault, request: Request) -> Response:
        assert fault.code is not None  # guaranteed by Fault.status and by the caller of after
        response = backend.fault_response(fault.code, request)
        headers = dict(response.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        body = response.body if fault.body is None else copy.deepcopy(fault.body)
        return dataclasses.replace(response, body=body, headers=headers)

    def _record(
        self,
        ticket: int,
        service: str,
        request: Request,
        body: object | None,
        status: int,
        fault: Fault | None,
    ) -> None:
        record = RecordedRequest(
            service=service,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            status=status,
            body=copy.deepcopy(body),
            fault=None if fault is None else fault.kind,
        )
        self._log.close(ticket, record)
