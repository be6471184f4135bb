"""An HTTPS proxy on 127.0.0.1 that answers for one public host from the emulator.

Some product paths reach a documented public URL, e.g. Asana's SCIM base URL when a state holds
none. Tests must never leave the machine, and the product has no switch to point such a URL
elsewhere, nor should it. What it does honour is the standard proxy environment: `requests`
sends an `https://` request through `HTTPS_PROXY` with an HTTP `CONNECT host:443` (RFC 9110
section 9.3.6) and then verifies TLS for that host against `REQUESTS_CA_BUNDLE`. This proxy
accepts the `CONNECT` for its one host only, presents a certificate for that host from its own
throw-away CA (trusted only by the process under test), and relays each request it then reads to
the emulator, over TLS verified with the emulator's CA. The method and target of every request
line are recorded (`CONNECT app.asana.com:443`), so a test can tell where the product meant to go.

One request per tunnel (`Connection: close`); every socket has a timeout and the accept loop
polls a stop flag, so nothing here waits without bound.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from types import TracebackType

import trustme

_TIMEOUT_SECONDS = 10.0
_MAX_HEAD_BYTES = 64 * 1024
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class InterceptingProxy:
    """Answers `CONNECT host:443` for `host` from the HTTPS server at `upstream` (host, port)."""

    def __init__(self, host: str, upstream: tuple[str, int], upstream_ca_path: str) -> None:
        self.host = host
        self.requested: list[str] = []
        self._upstream = upstream
        self._authority = trustme.CA()
        self._server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._authority.issue_cert(host).configure_cert(self._server_context)
        self._client_context = ssl.create_default_context(cafile=upstream_ca_path)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="intercepting-proxy", daemon=True)

    @property
    def url(self) -> str:
        """The value for `HTTPS_PROXY`."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def ca_pem(self) -> str:
        """The CA whose certificate this proxy presents for `host`."""
        return self._authority.cert_pem.bytes().decode("ascii")

    def __enter__(self) -> InterceptingProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=_TIMEOUT_SECONDS)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            client.settimeout(_TIMEOUT_SECONDS)
            head = _read_head(client)
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            self.requested.append(" ".join(request_line.split(" ")[:2]))
            if self.requested[-1] != f"CONNECT {self.host}:443":
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with self._server_context.wrap_socket(client, server_side=True) as inner:
                self._relay(inner)

    def _relay(self, inner: ssl.SSLSocket) -> None:
        """Reads one request from the tunnel, asks the upstream, writes its answer back."""
        head = _read_head(inner)
        if not head:
            return
        text, _, body = head.partition(b"\r\n\r\n")
        request_line, *header_lines = text.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
        while len(body) < length:
            chunk = inner.recv(length - len(body))
            if not chunk:
                break
            body += chunk
        host, port = self._upstream
        upstream = http.client.HTTPSConnection(
            host, port, context=self._client_context, timeout=_TIMEOUT_SECONDS
        )
        try:
            upstream.request(method, target, body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        finally:
            upstream.close()
        lines = [f"HTTP/1.1 {response.status} {response.reason}"]
        lines += [f"{k}: {v}" for k, v in kept]
        lines += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
        inner.sendall("\r\n".join(lines).encode("latin-1") + payload)


def _read_head(sock: socket.socket) -> bytes:
    """Bytes up to and including the blank line ending an HTTP head (and any that follow)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_HEAD_BYTES:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
