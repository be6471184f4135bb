"""The network guard behind the bad-input matrix's "no HTTP request" sees a request when
there is one: in this process and in a child Python process alike (tests/network_guard.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.network_guard import armed_in, attempts_in, guarded_env, refused_connections


def test_a_request_in_this_process_is_refused_and_recorded():
    with refused_connections() as attempts, pytest.raises(requests.ConnectionError):
        requests.get("https://graph.microsoft.com/v1.0/servicePrincipals", timeout=5)

    assert attempts and attempts[0].startswith("lookup 'graph.microsoft.com'")


def test_a_connection_to_an_address_is_refused_and_recorded_too():
    """A caller that skips the lookup (an IP address given to the socket itself)."""
    with (
        refused_connections() as attempts,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(OSError, match="network guard"),
    ):
        sock.connect(("127.0.0.1", 9))

    assert attempts == ["connect ('127.0.0.1', 9)"]


def test_a_request_in_a_child_python_is_recorded_in_the_log(tmp_path: Path):
    log = tmp_path / "attempts.log"
    script = "import requests\ntry:\n    requests.get('https://app.asana.com/api/1.0/scim/Users', timeout=5)\nexcept requests.ConnectionError:\n    pass\n"  # noqa: E501

    subprocess.run([sys.executable, "-c", script], env=guarded_env(log), check=True, timeout=60)

    assert armed_in(log)
    assert [a.split(" (pid")[0] for a in attempts_in(log)] == ["lookup 'app.asana.com':443"]
