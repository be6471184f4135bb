"""Shared fixtures: the HTTPS emulator, a tenant seeded in it, and provider servers wired to it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from clients.credentials import shared_credential
from tests.emulator import Emulator
from tests.emulator.asana_schema import asana_template_schema
from tests.emulator.client import GraphTestClient
from tests.engine import PROJECT, ProviderServer, Secret

TENANT_ID = "0d2f6c1e-8a5b-4f3e-9c7d-1b2a3c4d5e6f"
CLIENT_ID = "6b1e0f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
SERVICE_PRINCIPAL_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
ASANA_TEMPLATE = {"id": "asana", "factoryTag": "asana", "schema": asana_template_schema()}


@dataclass(frozen=True)
class Tenant:
    """Secrets are fresh per test session, so a leak scan can never match by accident."""

    client_secret: str
    asana_token: str


@pytest.fixture(scope="session")
def tenant() -> Tenant:
    return Tenant(
        client_secret=f"graph~secret~{secrets.token_urlsafe(24)}",
        asana_token=f"2/{secrets.randbelow(10**16):016d}/{secrets.randbelow(10**16):016d}:"
        f"{secrets.token_hex(16)}",
    )


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    emulator = Emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """An emulator of the test module's own, for tests that seed and reset it themselves."""
    emulator = Emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def fresh_emu(emu: Emulator) -> Emulator:
    """The test module's own emulator, emptied before the test (state, faults, request log)."""
    emu.reset()
    return emu


@pytest.fixture
def graph(fresh_emu: Emulator) -> GraphTestClient:
    """A Graph client signed in as app CLIENT_ID of tenant TENANT_ID (with the default Graph
    permissions) to the module's emptied emulator."""
    return GraphTestClient(fresh_emu, TENANT_ID, CLIENT_ID, "graph-test-secret")


@pytest.fixture
def emulator(emulator_session: Emulator, tenant: Tenant) -> Iterator[Emulator]:
    """A clean emulator holding one Entra tenant with the Asana app and one live Asana token."""
    emulator_session.reset()
    shared_credential.cache_clear()  # tokens this process cached were issued by the old state
    emulator_session.register_app(TENANT_ID, CLIENT_ID, tenant.client_secret)
    emulator_session.add_service_principal(SERVICE_PRINCIPAL_ID, templates=[ASANA_TEMPLATE])
    emulator_session.add_scim_token(tenant.asana_token)
    yield emulator_session
    emulator_session.reset()


@pytest.fixture
def trust_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Points the standard CA-bundle variables of this process at the emulator's CA."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle_path)
    monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_bundle_path)
    return emulator


def stack_config(emulator: Emulator, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    """Stack configuration as the engine hands it to dynamic providers: whole and namespaced."""
    config: dict[str, Any] = {
        "azuread:tenantId": TENANT_ID,
        "azuread:clientId": CLIENT_ID,
        "azuread:clientSecret": Secret(tenant.client_secret),
        f"{PROJECT}:graphEndpoint": emulator.graph_url,
        f"{PROJECT}:authorityHost": emulator.authority_host,
        f"{PROJECT}:httpTimeoutSeconds": "2",
        f"{PROJECT}:maxRetries": "4",
        f"{PROJECT}:retryBudgetSeconds": "10",
        f"{PROJECT}:asanaToken": Secret(tenant.asana_token),
    }
    config.update({f"{PROJECT}:{key}": value for key, value in overrides.items()})
    return config


def server_environment(emulator: Emulator) -> dict[str, str]:
    """The provider process trusts the emulator only through the standard CA variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ARM_", "AZURE_", "ACTIONS_ID_TOKEN"))
    }
    env.update(REQUESTS_CA_BUNDLE=emulator.ca_bundle_path, SSL_CERT_FILE=emulator.ca_bundle_path)
    return env


StartServer = Callable[..., ProviderServer]


@pytest.fixture
def start_server(emulator: Emulator, tenant: Tenant) -> Iterator[StartServer]:
    """Starts configured provider servers; each is stopped when the test ends."""
    servers: list[ProviderServer] = []

    def start(log_level: str | None = None, **config_overrides: Any) -> ProviderServer:
        server = ProviderServer(env=server_environment(emulator), log_level=log_level)
        servers.append(server)
        server.configure(stack_config(emulator, tenant, **config_overrides))
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def server(start_server: StartServer) -> ProviderServer:
    return start_server()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints the matrices the tests recorded (tests/reporting.py; `make docs` writes them to
    docs/reliability.md)."""
    from tests.reporting import TABLES

    for table in TABLES.values():
        if table.cells:
            terminalreporter.write_sep("-", table.title)
            terminalreporter.write_line(table.render())
