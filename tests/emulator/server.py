"""HTTPS transport: a threaded HTTP/1.1 server on loopback that hands parsed requests to the
dispatcher and writes its answers, or drops the connection with a TCP reset when told to.

Everything here is about sockets and HTTP framing; no service logic lives in this module.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .dispatch import Dispatcher
from .messages import Request, Response, parse_body

HOST = "127.0.0.1"
IDLE_TIMEOUT_SECONDS = 30.0
"""How long a kept-alive connection may sit idle before its thread gives up on it."""

_logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Parses each request on a (possibly kept-alive) connection and writes the reply."""

    protocol_version = "HTTP/1.1"
    server_version = "asana-provisioning-emulator"
    timeout = IDLE_TIMEOUT_SECONDS
    disable_nagle_algorithm = True  # headers and body go out as two writes; don't stall 40 ms
    server: TlsServer
    connection: ssl.SSLSocket

    def setup(self) -> None:
        # The handshake runs here, in the connection's own thread, so a client that never
        # completes it cannot stall the accept loop.
        super().setup()
        self.connection.do_handshake()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(HTTPStatus.LENGTH_REQUIRED, "Send a Content-Length, not chunked")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.send_error(HTTPStatus.BAD_REQUEST, "Invalid Content-Length")
            return
        raw = self.rfile.read(length) if length > 0 else b""
        if len(raw) < length:
            # The client went away before its whole body arrived (a process killed between
            # sending its headers and its body): the message is incomplete, and a server
            # closes the connection without acting on it (RFC 9112 section 6.3: "If the sender
            # closes the connection ... before the indicated number of octets are received, the
            # recipient MUST consider the message to be incomplete and close the connection").
            # Handing it on would act on an empty body, as Graph never does.
            self.close_connection = True
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=self.headers,
            body=parse_body(raw, self.headers.get_content_type()),
            target=self.path,
        )
        response = self.server.dispatcher.dispatch(request)
        if response is None:
            self._drop_connection()
        else:
            self._write(response)

    def _write(self, response: Response) -> None:
        payload = response.payload()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            if payload:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.broken_body == "cut":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True  # an orderly close, short of the Content-Length
            return
        if response.broken_body == "garble":
            self.wfile.flush()
            # An application-data record (type 23, TLS 1.2 framing as TLS 1.3 also uses) of
            # zeros, written under the TLS layer: its authentication tag cannot check out.
            os.write(self.connection.fileno(), bytes([23, 3, 3, 0, 32]) + bytes(32))
            self.close_connection = True
            return
        if response.trickle_seconds <= 0:
            self.wfile.write(payload)
            return
        # One byte at a time; a client that gives up closes the connection, and the next
        # write fails (an OSError, which ends this connection's thread quietly).
        for index in range(len(payload)):
            if index:
                time.sleep(response.trickle_seconds)
            self.wfile.write(payload[index : index + 1])

    def _drop_connection(self) -> None:
        """Close with SO_LINGER 0 so the kernel sends RST instead of an orderly FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drops the file object's reference so close() really closes
        self.connection.close()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        _logger.debug("%s - %s", self.address_string(), format % args)


class TlsServer(ThreadingHTTPServer):
    """Serves HTTPS on a loopback port (ephemeral unless one is given) from daemon threads, so
    stopping never waits for a connection or a sleeping handler."""

    daemon_threads = True
    block_on_close = False
    dispatcher: Dispatcher

    def __init__(self, context: ssl.SSLContext, port: int = 0) -> None:
        super().__init__((HOST, port), _Handler)
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name (getfqdn), which can be slow.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def base_url(self) -> str:
        return f"https://{HOST}:{self.server_port}"

    def serve(self, dispatcher: Dispatcher) -> None:
        """Start answering requests with `dispatcher` in a background daemon thread."""
        self.dispatcher = dispatcher
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close the listener and cut every open (kept-alive) connection."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its own thread
                socket.socket.shutdown(connection, socket.SHUT_RDWR)

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """Connection-level failures (peer went away, TLS refused, idle timeout) are normal in
        fault tests; only unexpected exceptions deserve a traceback."""
        error = sys.exception()
        if isinstance(error, OSError):
            _logger.debug("connection from %s ended: %r", client_address, error)
        else:
            super().handle_error(request, client_address)
