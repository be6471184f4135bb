"""Fixtures for the real-CLI tests: a fresh local tenant and a fresh workspace per test, and a
table of stage times printed at the end of `make e2e`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.engine import engine_bin
from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import Workspace

STAGE_TIMES: list[tuple[str, float]] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.timeout(900))


@pytest.fixture(scope="session", autouse=True)
def engine() -> Path:
    """The engine must be there: a missing one fails every test, it never skips them."""
    return engine_bin()


@pytest.fixture
def tenant() -> Iterator[LocalTenant]:
    tenant = LocalTenant.start()
    yield tenant
    tenant.stop()


@pytest.fixture
def workspace(tmp_path: Path, tenant: LocalTenant) -> Iterator[Workspace]:
    """A fresh workspace; no process it started (the CLI, any plugin) may outlive the test."""
    workspace = Workspace(tmp_path / "ws", ca_bundle=tenant.ca_bundle)
    yield workspace
    assert workspace.leftover_processes() == []


@pytest.fixture(autouse=True)
def _stage_time(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    STAGE_TIMES.append((request.node.nodeid.split("::", 1)[-1], time.monotonic() - started))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not STAGE_TIMES:
        return
    terminalreporter.write_sep("-", "real-engine stage times")
    for name, seconds in STAGE_TIMES:
        terminalreporter.write_line(f"{seconds:7.1f} s  {name}")
    total = sum(seconds for _, seconds in STAGE_TIMES)
    terminalreporter.write_line(f"{total:7.1f} s  in all")
