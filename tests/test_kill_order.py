"""The e2e kill harness (tests/e2e/interrupt.py) kills the CLI before its plugins, whatever
their process ids: a plugin that died first would fail its in-flight create and let the still
living CLI record it as failed, not pending (see `kill_process_tree`)."""

from __future__ import annotations

import signal

import pytest

from tests.e2e import interrupt

CLI = 30_100
LANGUAGE_HOST, PROGRAM, AZUREAD = 30_200, 30_201, 412
"""After the kernel's process ids wrap around (pid_max 32768), a plugin started after the CLI
may have the lowest pid: here the azuread plugin."""


@pytest.fixture
def killed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    parents = {CLI: 1, LANGUAGE_HOST: CLI, PROGRAM: LANGUAGE_HOST, AZUREAD: CLI, 999: 1}
    groups = {CLI: CLI, LANGUAGE_HOST: LANGUAGE_HOST, PROGRAM: LANGUAGE_HOST, AZUREAD: AZUREAD}
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(interrupt, "_parents", lambda: dict(parents))
    monkeypatch.setattr(interrupt.os, "getpgid", lambda pid: groups[pid])

    def killpg(group: int, sent: int) -> None:
        assert sent == signal.SIGKILL
        calls.append(("group", group))

    def kill(pid: int, sent: int) -> None:
        assert sent == signal.SIGKILL
        calls.append(("process", pid))

    monkeypatch.setattr(interrupt.os, "killpg", killpg)
    monkeypatch.setattr(interrupt.os, "kill", kill)
    return calls


def test_the_cli_is_killed_before_a_plugin_with_a_lower_pid(killed: list[tuple[str, int]]):
    interrupt.kill_process_tree(CLI)

    assert killed[0] == ("group", CLI)
    assert {target for kind, target in killed if kind == "group"} == {
        CLI,
        LANGUAGE_HOST,
        AZUREAD,
    }
    assert {target for kind, target in killed if kind == "process"} == {
        CLI,
        LANGUAGE_HOST,
        PROGRAM,
        AZUREAD,
    }  # and never an unrelated process (999)
