"""`python -m tests.emulator`: the local tenant on its own, as a developer starts it."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.emulator import Emulator
from tests.emulator.__main__ import build_parser, main, template_of
from tests.emulator.asana_schema import asana_template_schema
from tests.emulator.seeding import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_GROUPS,
    DEMO_SCIM_TOKEN,
    DEMO_SERVICE_PRINCIPAL_ID,
    DEMO_TENANT_ID,
    DEMO_USERS,
)

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30.0
SERVING = "serving; press Ctrl-C to stop"


@dataclass
class Standalone:
    process: subprocess.Popen[str]
    lines: list[str]

    @property
    def printed(self) -> dict[str, str]:
        """The `name: value` lines it printed before serving."""
        pairs = (line.split(":", 1) for line in self.lines if ": " in line)
        return {name.strip(): value.strip() for name, value in pairs}

    @property
    def base_url(self) -> str:
        return self.printed["base URL"]

    @property
    def ca_bundle(self) -> str:
        return self.printed["CA bundle"]


def run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until_serving(process: subprocess.Popen[str]) -> list[str]:
    """Its lines up to the serving line, within STARTUP_SECONDS (a reader thread, so a silent
    process cannot block the test)."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []])
    reader.daemon = True
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left).rstrip("\n")
        except queue.Empty:
            break
        if line == SERVING:
            return seen
        seen.append(line)
    raise AssertionError(f"no {SERVING!r} within {STARTUP_SECONDS} s; printed: {seen}")


@pytest.fixture
def start() -> Iterator[Callable[..., Standalone]]:
    processes: list[subprocess.Popen[str]] = []

    def started(*args: str) -> Standalone:
        process = run(*args)
        processes.append(process)
        return Standalone(process, read_until_serving(process))

    yield started
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def stop(standalone: Standalone, signum: int) -> None:
    standalone.process.send_signal(signum)
    assert standalone.process.wait(timeout=10) == 0
    assert not Path(standalone.ca_bundle).exists()  # its CA is deleted when it stops


def token(
    base_url: str, ca_bundle: str, tenant: str, client: str, secret: str
) -> requests.Response:
    form = {
        "client_id": client,
        "client_secret": secret,
        "grant_type": "client_credentials",
        "scope": f"{base_url}/.default",
    }
    return requests.post(
        f"{base_url}/{tenant}/oauth2/v2.0/token", data=form, verify=ca_bundle, timeout=10
    )


def test_it_serves_the_seeded_demo_tenant_on_a_free_loopback_port_until_interrupted(start):
    emulator = start("--port", "0")
    base, ca = emulator.base_url, emulator.ca_bundle
    assert base.startswith("https://127.0.0.1:") and int(base.rsplit(":", 1)[1]) > 0

    signed_in = token(base, ca, DEMO_TENANT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    assert signed_in.status_code == 200, signed_in.text
    graph = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    templates = requests.get(
        f"{base}/v1.0/servicePrincipals/{DEMO_SERVICE_PRINCIPAL_ID}/synchronization/templates",
        headers=graph, verify=ca, timeout=10,
    )  # fmt: skip
    user = next(iter(DEMO_USERS))
    users = requests.get(
        f"{base}/v1.0/users", params={"$filter": f"userPrincipalName eq '{user}'"},
        headers=graph, verify=ca, timeout=10,
    )  # fmt: skip
    group = next(iter(DEMO_GROUPS))
    groups = requests.get(
        f"{base}/v1.0/groups", params={"$filter": f"displayName eq '{group}'"},
        headers=graph, verify=ca, timeout=10,
    )  # fmt: skip
    scim = requests.get(
        f"{base}/api/1.0/scim/Users",
        headers={"Authorization": f"Bearer {DEMO_SCIM_TOKEN}"}, verify=ca, timeout=10,
    )  # fmt: skip
    stop(emulator, signal.SIGINT)

    (template,) = templates.json()["value"]
    assert template["schema"] == asana_template_schema()  # the realistic one, not an empty one
    assert [u["userPrincipalName"] for u in users.json()["value"]] == [user]
    assert [g["displayName"] for g in groups.json()["value"]] == [group]
    assert scim.status_code == 200


def test_it_prints_how_to_point_the_product_at_it_without_a_secret(start):
    emulator = start()
    text = "\n".join(emulator.lines)
    stop(emulator, signal.SIGTERM)

    ca, host = emulator.ca_bundle, emulator.base_url.removeprefix("https://")
    assert f"REQUESTS_CA_BUNDLE={ca}" in text and f"SSL_CERT_FILE={ca}" in text
    assert f"azuread:metadataHost {host}" in text
    assert f"ARM_TENANT_ID={DEMO_TENANT_ID}" in text and f"ARM_CLIENT_ID={DEMO_CLIENT_ID}" in text
    assert DEMO_CLIENT_SECRET not in text and DEMO_SCIM_TOKEN not in text


def test_empty_starts_without_the_seed(start):
    emulator = start("--empty")
    base, ca = emulator.base_url, emulator.ca_bundle

    signed_in = token(base, ca, DEMO_TENANT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    scim = requests.get(
        f"{base}/api/1.0/scim/Users",
        headers={"Authorization": f"Bearer {DEMO_SCIM_TOKEN}"}, verify=ca, timeout=10,
    )  # fmt: skip
    stop(emulator, signal.SIGINT)

    assert signed_in.status_code in (400, 401) and "access_token" not in signed_in.text
    assert scim.status_code == 401
    assert "ARM_CLIENT_ID" not in "\n".join(emulator.lines)


def test_a_port_in_use_is_a_one_line_error():
    with Emulator.start() as busy:
        port = busy.base_url.rsplit(":", 1)[1]
        process = run("--port", port)
        out, err = process.communicate(timeout=STARTUP_SECONDS)

    assert process.returncode == 1
    assert err.strip().splitlines() == [
        f"python -m tests.emulator: error: cannot listen on 127.0.0.1:{port}: "
        "Address already in use"
    ]
    assert out == ""


def test_emulator_start_listens_on_the_port_given():
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with Emulator.start(port) as emulator:
        assert emulator.base_url == f"https://127.0.0.1:{port}"
        response = requests.get(
            f"{emulator.base_url}/api/1.0/scim/Users", verify=emulator.ca_bundle_path, timeout=10
        )
    assert response.status_code == 401


def test_a_bad_template_schema_path_is_a_one_line_error_not_a_traceback(tmp_path: Path):
    missing = tmp_path / "no-such-schema.json"
    process = run("--template-schema", str(missing))
    out, err = process.communicate(timeout=STARTUP_SECONDS)

    assert process.returncode == 2
    assert err.strip().splitlines() == [
        f"python -m tests.emulator: error: --template-schema '{missing}': No such file or directory"
    ]
    assert out == ""


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
        ("[]", "a synchronizationSchema JSON object is needed, not a list"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_a_template_schema_that_is_not_a_json_object_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, problem: str
):
    schema = tmp_path / "schema.json"
    if isinstance(content, bytes):
        schema.write_bytes(content)
    else:
        schema.write_text(content)

    assert main(["--template-schema", str(schema)]) == 2

    assert capsys.readouterr().err == (
        f"python -m tests.emulator: error: --template-schema '{schema}': {problem}\n"
    )


def test_a_folder_as_template_schema_is_refused(tmp_path: Path, capsys):
    assert main(["--template-schema", str(tmp_path)]) == 2

    assert capsys.readouterr().err.endswith(f"'{tmp_path}': Is a directory\n")


def test_a_template_schema_file_replaces_the_realistic_schema(tmp_path: Path):
    schema = {"directories": [], "synchronizationRules": [{"id": "mine"}]}
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))

    args = build_parser().parse_args(["--template-schema", str(path), "--template-id", "t1"])
    default = template_of(build_parser().parse_args([]))

    assert template_of(args) == {"id": "t1", "factoryTag": "asana", "schema": schema}
    assert default["schema"] == asana_template_schema()


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_port_out_of_range_is_refused(port: str, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--port", port])

    assert exit_.value.code == 2
    assert f"argument --port: '{port}' is not a port number from 0 to 65535" in (
        capsys.readouterr().err
    )
