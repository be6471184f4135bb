"""One CLI run, watched: the wall time, the CPU time of each process it started, the peak memory
of the program process, and (on request) a py-spy profile of the program.

The real CLI starts the language host, which starts the program (`pulumi-language-python-exec`),
and the resource plugins (the azuread stand-in, `pulumi.dynamic` for our providers). A thread
reads `/proc` every `POLL_SECONDS` for every process whose environment carries the run's
`PULUMI_HOME` (each CLI run has its own, so nothing else is counted), and keeps per process the
last CPU time (`utime + stime` of `/proc/PID/stat`) and peak resident memory (`VmHWM` of
`/proc/PID/status`, the kernel's own high-water mark, so a peak between two reads is not
missed; only what grows in the last `POLL_SECONDS` before the process exits is). The CLI's own
total, itself and every process it waited for, comes from `os.wait4`.

With `profile`, py-spy (pinned in requirements-dev.txt) is attached to the program process as
soon as it appears (`py-spy record --pid`, raw collapsed stacks), so the profile is of the
program as the real engine drives it, not of a copy under mocks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

POLL_SECONDS = 0.25
TICKS = os.sysconf("SC_CLK_TCK")
PY_SPY = Path(sys.executable).parent / "py-spy"
PY_SPY_RATE = 100
"""Samples a second; py-spy's default."""


def role(command: str) -> str:
    """What a process of the run is, from its command line. The program and a policy pack run
    under the language host's launcher (`pulumi-language-python-launch`), so what it starts
    decides, before the host's own name."""
    if "pulumi-language-python-exec" in command:
        return "program"
    if "pulumi.policy" in command:
        return "policy pack"
    if "pulumi-language-python" in command:
        return "language host"
    if "tests.azuread_standin" in command:
        return "azuread plugin"
    if "pulumi.dynamic" in command:
        return "dynamic providers"
    if command.split(" ", 1)[0].endswith("pulumi"):
        return "cli"
    return "other"


@dataclass
class Seen:
    """One process of the run, as last read."""

    pid: int
    command: str
    cpu_seconds: float = 0.0
    peak_kib: int = 0

    @property
    def role(self) -> str:
        return role(self.command)


@dataclass
class Watched:
    """What one CLI run cost."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    tree_cpu_seconds: float
    """The CLI's own CPU time and that of every process it waited for (`os.wait4`)."""
    processes: list[Seen] = field(default_factory=list)
    profile: Path | None = None

    def cpu(self, of_role: str) -> float:
        return sum(p.cpu_seconds for p in self.processes if p.role == of_role)

    def peak_kib(self, of_role: str) -> int:
        return max((p.peak_kib for p in self.processes if p.role == of_role), default=0)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # gone meanwhile, or not ours to read
        return None


def _cpu_seconds(stat: bytes) -> float:
    # Fields after the command (which may hold spaces) are split from its closing parenthesis.
    fields = stat.rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _start_ticks(stat: bytes) -> int:
    return int(stat.rsplit(b")", 1)[1].split()[19])


def _uptime_ticks() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * TICKS)


def _peak_kib(status: bytes) -> int:
    for line in status.splitlines():
        if line.startswith(b"VmHWM:"):
            return int(line.split()[1])
    return 0


class _Watcher(threading.Thread):
    def __init__(self, marker: bytes, profile: Path | None) -> None:
        super().__init__(daemon=True)
        self.marker = marker
        self.since = _uptime_ticks() - TICKS  # a second of margin: rechecking is harmless
        self.profile = profile
        self.seen: dict[int, Seen] = {}
        self.others: set[int] = set()
        self.spy: subprocess.Popen[bytes] | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.poll()
            self.done.wait(POLL_SECONDS)

    def poll(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid in self.others:
                continue
            if pid not in self.seen:
                stat = _read(entry / "stat")
                environ = _read(entry / "environ")
                if stat is None or environ is None:
                    continue
                if self.marker not in environ.split(b"\0"):
                    # A process forked for the run carries its parent's environment until it
                    # execs: only one older than the run is surely someone else's.
                    if _start_ticks(stat) < self.since:
                        self.others.add(pid)
                    continue
                self.seen[pid] = Seen(pid, "")
            seen = self.seen[pid]
            # Read each time: a process just forked shows its parent's command until it execs.
            command = _read(entry / "cmdline")
            if command:
                seen.command = command.replace(b"\0", b" ").decode(errors="replace").strip()
            if self.profile is not None and seen.role == "program" and self.spy is None:
                self.spy = self.attach(pid)
            stat, status = _read(entry / "stat"), _read(entry / "status")
            if stat is not None and status is not None:
                seen.cpu_seconds = max(seen.cpu_seconds, _cpu_seconds(stat))
                seen.peak_kib = max(seen.peak_kib, _peak_kib(status))

    def attach(self, pid: int) -> subprocess.Popen[bytes]:
        assert self.profile is not None
        command = [str(PY_SPY), "record", "--pid", str(pid), "--rate", str(PY_SPY_RATE)]
        command += ["--format", "raw", "--output", str(self.profile), "--nonblocking"]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def watched_run(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    profile: Path | None = None,
) -> Watched:
    """Run the CLI (in its own process group, ended on a timeout) and watch every process with
    its PULUMI_HOME."""
    marker = f"PULUMI_HOME={env['PULUMI_HOME']}".encode()
    watcher = _Watcher(marker, profile)
    watcher.start()
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    # Read the pipes on threads: os.wait4 below must reap the CLI itself (for its rusage).
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, p=pipe: out.__setitem__(n, p.read()), daemon=True)
        for name, pipe in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    deadline = started + timeout
    status, usage = 0, None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # plugins normally stop with the CLI
    for reader in readers:
        reader.join(timeout=30)
    watcher.done.set()
    watcher.join(timeout=30)
    if watcher.spy is not None:
        watcher.spy.wait(timeout=120)
    return Watched(
        args=tuple(command),
        exit_code=process.returncode,
        stdout=out.get("stdout", ""),
        stderr=out.get("stderr", ""),
        seconds=seconds,
        tree_cpu_seconds=usage.ru_utime + usage.ru_stime if usage else 0.0,
        processes=sorted(watcher.seen.values(), key=lambda p: p.pid),
        profile=profile if watcher.spy is not None else None,
    )
