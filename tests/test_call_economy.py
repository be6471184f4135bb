"""Requests per operation, read from the emulator's log: what each engine call costs."""

from __future__ import annotations

from tests.conftest import SERVICE_PRINCIPAL_ID, Tenant
from tests.emulator import Emulator
from tests.engine import ProviderServer
from tests.lifecycles import Steps, mappings_lifecycle, template_lifecycle, token_lifecycle


def requests_per_step(emulator: Emulator, service: str, steps: Steps) -> dict[str, int]:
    counts = {}
    for name, step in steps:
        before = emulator.count(service=service)
        step()
        counts[name] = emulator.count(service=service) - before
    return counts


def test_token_check_and_diff_are_free_and_each_other_call_is_one_scim_request(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    counts = requests_per_step(
        emulator, "scim", token_lifecycle(server, emulator, tenant.asana_token)
    )

    assert counts == {"check": 0, "create": 1, "read": 1, "diff": 0, "update": 1, "delete": 0}
    assert emulator.count(service="graph") == 0


def test_template_lookup_is_one_graph_request_per_create_read_and_update(
    emulator: Emulator, server: ProviderServer
):
    counts = requests_per_step(
        emulator, "graph", template_lifecycle(server, emulator, SERVICE_PRINCIPAL_ID)
    )

    assert counts == {"check": 0, "create": 1, "read": 1, "diff": 0, "update": 1, "delete": 0}
    assert emulator.count(service="scim") == 0


def test_mappings_read_is_one_get_and_each_write_is_checked_by_reading_it_back(
    emulator: Emulator, server: ProviderServer
):
    """Create and update: read, parse each expression being written, PUT, read back. Delete:
    the job (for its template), the templates, the schema, PUT, read back."""
    steps = mappings_lifecycle(server, emulator, SERVICE_PRINCIPAL_ID)
    requests: dict[str, list[str]] = {}
    for name, step in steps:
        before = len(emulator.requests)
        step()
        requests[name] = [
            f"{r.method} {r.path.rsplit('/', 1)[-1]}"
            for r in emulator.requests[before:]
            if r.service == "graph"
        ]
    job = emulator.jobs(SERVICE_PRINCIPAL_ID)[0]["id"]

    assert requests == {
        "check": [],
        "create": ["GET schema", "PUT schema", "GET schema"],
        "read": ["GET schema"],
        "diff": [],
        "update": ["GET schema", "POST parseExpression", "PUT schema", "GET schema"],
        "delete": [f"GET {job}", "GET templates", "GET schema", "PUT schema", "GET schema"],
    }
