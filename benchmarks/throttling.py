"""Time to finish operations when 30% of requests are throttled, next to no throttling.

Run with `make bench`. Each operation is one token validation (`AsanaServiceAccountToken`
create) through the engine harness; before about 30% of them (a seeded random choice) the
emulator answers once with 429 and `Retry-After: 1`. Target: the extra time is the total the
service asked to wait, plus less than 10%.
"""

from __future__ import annotations

import argparse
import random
import time

from benchmarks.provider_lifecycle import SECRETS, TOKEN, seed
from providers.asana_token import AsanaServiceAccountTokenProvider
from tests.conftest import server_environment, stack_config
from tests.emulator import Emulator, Fault
from tests.engine import EngineResource, ProviderServer, Secret

RETRY_AFTER = 1


def run(emulator: Emulator, server: ProviderServer, operations: int, throttled: set[int]) -> float:
    started = time.perf_counter()
    for n in range(operations):
        if n in throttled:
            emulator.inject(Fault.status(429, retry_after=RETRY_AFTER), service="scim")
        resource = EngineResource(
            server, AsanaServiceAccountTokenProvider(), "asana:ServiceAccountToken", f"t{n}"
        )
        resource.up({"token": Secret(TOKEN), "scim_base_url": emulator.scim_base_url})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=40)
    operations = parser.parse_args().operations
    throttled = set(random.Random(7).sample(range(operations), round(operations * 0.3)))
    with Emulator.start() as emulator, ProviderServer(env=server_environment(emulator)) as server:
        seed(emulator)
        server.configure(stack_config(emulator, SECRETS))
        run(emulator, server, 3, set())  # warm up connections and the provider cache
        clean = run(emulator, server, operations, set())
        slowed = run(emulator, server, operations, throttled)
    waited = len(throttled) * RETRY_AFTER
    overhead = (slowed - clean - waited) / waited
    heading = f"{operations} token validations, {len(throttled)} throttled once"
    print(f"{heading} (Retry-After {RETRY_AFTER} s)\n")
    print("| run | time (s) | vs no throttling |")
    print("|---|---:|---:|")
    print(f"| no throttling | {clean:.2f} | 1.00x |")
    print(f"| 30% throttled | {slowed:.2f} | {slowed / clean:.2f}x |")
    print(f"\nextra time {slowed - clean:.2f} s = Retry-After total {waited} s + {overhead:+.1%}")


if __name__ == "__main__":
    main()
