"""Lifecycle time of each dynamic provider through the engine harness, next to a do-nothing one.

Run with `make bench`. Every provider runs the same six engine calls (check, create, read,
diff, update, delete) against the local emulator, repeatedly, in one process each; the table
shows the median lifecycle, its ratio to the do-nothing provider measured in the same run, and
the service requests each lifecycle made.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from tests.conftest import (
    ASANA_TEMPLATE,
    CLIENT_ID,
    SERVICE_PRINCIPAL_ID,
    TENANT_ID,
    server_environment,
    stack_config,
)
from tests.conftest import Tenant as TenantSecrets
from tests.emulator import Emulator
from tests.engine import ProviderServer
from tests.lifecycles import (
    Steps,
    mappings_lifecycle,
    null_lifecycle,
    template_lifecycle,
    token_lifecycle,
)

SERVICES = ("token", "graph", "scim")
TOKEN = "2/1000000000000001/1000000000000002:0123456789abcdef0123456789abcdef"
SECRETS = TenantSecrets(client_secret="benchmark-client-secret", asana_token=TOKEN)


def measure(emulator: Emulator, make_steps: Callable[[ProviderServer], Steps], runs: int):
    """Median seconds per lifecycle and requests per lifecycle (by service)."""
    durations: list[float] = []
    requests: dict[str, int] = {}
    with ProviderServer(env=server_environment(emulator)) as server:
        server.configure(stack_config(emulator, SECRETS))
        seed(emulator)
        for _ in range(runs):
            before = {service: emulator.count(service=service) for service in SERVICES}
            steps = make_steps(server)
            started = time.perf_counter()
            for _name, step in steps:
                step()
            durations.append(time.perf_counter() - started)
            requests = {s: emulator.count(service=s) - before[s] for s in SERVICES}
    return statistics.median(durations), requests


def seed(emulator: Emulator) -> None:
    emulator.reset()
    emulator.register_app(TENANT_ID, CLIENT_ID, SECRETS.client_secret)
    emulator.add_service_principal(SERVICE_PRINCIPAL_ID, templates=[ASANA_TEMPLATE])
    emulator.add_scim_token(TOKEN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="lifecycles per provider")
    runs = parser.parse_args().runs
    with Emulator.start() as emulator:
        cases = {
            "do-nothing provider": lambda server: null_lifecycle(server),
            "AsanaServiceAccountToken": lambda server: token_lifecycle(server, emulator, TOKEN),
            "ProvisioningTemplate": lambda server: template_lifecycle(
                server, emulator, SERVICE_PRINCIPAL_ID
            ),
            "ProvisioningAttributeMappings": lambda server: mappings_lifecycle(
                server, emulator, SERVICE_PRINCIPAL_ID
            ),
        }
        results = {name: measure(emulator, steps, runs) for name, steps in cases.items()}
    baseline = results["do-nothing provider"][0]
    print(f"Lifecycle: check, create, read, diff, update, delete; median of {runs} runs\n")
    print("| provider | lifecycle (ms) | vs do-nothing | requests per lifecycle |")
    print("|---|---:|---:|---|")
    for name, (median, requests) in results.items():
        counted = ", ".join(f"{service} {n}" for service, n in requests.items() if n) or "none"
        print(f"| {name} | {median * 1000:.1f} | {median / baseline:.1f}x | {counted} |")


if __name__ == "__main__":
    main()
