"""engine/bin/langhost_environment.py: what the executor and the policy-pack launcher read from
the language host's pipe (engine/langhost/environment.go). Under the real CLI:
tests/e2e/test_language_host.py, a configuration of 5,000 object ids."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "engine" / "bin" / "langhost_environment.py"
VARIABLE = "LANGHOST_ENVIRONMENT_FD"
"""The name engine/langhost/environment.go gives the descriptor (environmentDescriptorVariable)."""


@pytest.fixture
def module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("langhost_environment", SCRIPT)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in (VARIABLE, "PULUMI_CONFIG", "LANGHOST_TEST_OTHER"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    for name in ("PULUMI_CONFIG", "LANGHOST_TEST_OTHER"):
        os.environ.pop(name, None)


def pipe_holding(payload: bytes) -> int:
    """A pipe's read end with `payload` written into it as the host does: from another thread,
    as it is read (a pipe buffers 64 KiB on Linux), then closed."""
    reader, writer = os.pipe()

    def write() -> None:
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)

    threading.Thread(target=write, daemon=True).start()
    return reader


def test_the_hosts_variables_land_in_the_environment_and_the_pipe_is_closed(
    module: ModuleType, clean_environment: pytest.MonkeyPatch
):
    ids = [f"{n:08x}-0000-4000-8000-{n:012x}" for n in range(5000)]
    config = json.dumps({"proj:groups": json.dumps(ids)})
    assert len(config) > 128 * 1024  # more than one environment string may hold at execve
    reader = pipe_holding(json.dumps({"PULUMI_CONFIG": config}).encode())
    clean_environment.setenv(VARIABLE, str(reader))

    module.receive_environment()

    assert os.environ["PULUMI_CONFIG"] == config
    assert VARIABLE not in os.environ  # nothing the program starts inherits a stale descriptor
    with pytest.raises(OSError):
        os.fstat(reader)


def test_without_the_descriptor_the_environment_is_left_as_it_is(
    module: ModuleType, clean_environment: pytest.MonkeyPatch
):
    clean_environment.setenv("PULUMI_CONFIG", '{"proj:a": "1"}')

    module.receive_environment()

    assert os.environ["PULUMI_CONFIG"] == '{"proj:a": "1"}'


@pytest.mark.parametrize(
    "payload",
    [b'["PULUMI_CONFIG"]', b'{"PULUMI_CONFIG": 1}', b'{"LANGHOST_TEST_OTHER": null}'],
    ids=["a list", "a number", "a null"],
)
def test_anything_but_an_object_of_strings_is_refused_naming_the_variable(
    module: ModuleType, clean_environment: pytest.MonkeyPatch, payload: bytes
):
    clean_environment.setenv(VARIABLE, str(pipe_holding(payload)))

    with pytest.raises(SystemExit, match=VARIABLE):
        module.receive_environment()

    assert "LANGHOST_TEST_OTHER" not in os.environ
