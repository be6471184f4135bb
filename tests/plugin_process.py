"""A provider plugin process started the way the engine starts one: it prints its gRPC port on
its first line of output, and is ended when the caller is done with it."""

from __future__ import annotations

import select
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
from pulumi.runtime.proto import provider_pb2_grpc

START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


class PluginProcess:
    """One plugin process and a ResourceProvider stub connected to it."""

    def __init__(
        self, command: Sequence[str], *, cwd: Path, env: Mapping[str, str], name: str
    ) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed in close())
        self._channel: grpc.Channel | None = None
        self._process = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=self._stderr
        )
        port = self._read_port(name)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)

    def _read_port(self, name: str) -> int:
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = self._process.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"{name} did not print its port: {self.stderr_text()}")
        return int(line)

    def stderr_text(self) -> str:
        """What the process wrote to standard error so far (kept after close)."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Close the channel and end the process: asked to stop, then killed if it will not."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
