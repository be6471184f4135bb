"""The access impact preview on a big tenant: requests, wall time and peak memory.

Run with `python -m benchmarks.impact` (`--users 100000 --groups 20 --largest 50000` are the
defaults). The local tenant (in this process) holds USERS users across GROUPS assigned groups of
up to LARGEST members; the change removes two groups and adds a department filter. The scan
runs in a child process of its own, so its peak memory (ru_maxrss, and Python's own
allocations) is the tool's, not the emulator's. Users are written straight into the emulator's
store: through its admin helper (which checks each user principal name against every other)
seeding 100,000 would take hours.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid

from clients.credentials import shared_credential
from tests.conftest import CLIENT_ID, TENANT_ID
from tests.emulator import Emulator
from tests.emulator.directory_objects import new_user
from tests.impact_tenant import ImpactTenant, impact_tenant
from tools.impact_scan import Desired, Target, scan

SECRET = "bench-secret"
TOKEN = "2/1111111111111111/2222222222222222:" + "ab" * 16
DEPARTMENTS = ("Sales", "Engineering", "Finance", "Support", "Legal")


def seed(emu: Emulator, users: int, groups: int, largest: int) -> tuple[ImpactTenant, list[str]]:
    emu.register_app(TENANT_ID, CLIENT_ID, SECRET)
    emu.add_scim_token(TOKEN)
    tenant = impact_tenant(emu, SECRET, TOKEN)
    store = emu._graph.tenant
    ids = []
    with emu._lock:
        for n in range(users):
            object_id = str(uuid.UUID(int=n + 1))
            store.users[object_id] = new_user(
                object_id=object_id,
                user_principal_name=f"user{n}@contoso.com",
                display_name=f"User {n}",
                mail=None,
                mail_nickname=f"user{n}",
                given_name=None,
                surname=None,
                job_title=None,
                department=DEPARTMENTS[n % len(DEPARTMENTS)],
                employee_id=None,
                account_enabled=n % 50 != 0,
            )
            ids.append(object_id)
    group_ids = []
    for g in range(groups):
        size = max(1, largest // (g + 1))
        start = (g * 7919) % users
        members = [ids[(start + i) % users] for i in range(min(size, users))]
        group_ids.append(emu.add_group(f"Group {g}", members=members))
        tenant.assign(group_ids[-1], "Group")
    return tenant, group_ids


def child(base_url: str, sp: str, job: str, groups: list[str]) -> None:
    """Runs in its own process: the scan, measured."""
    from clients.connection import PROJECT, resolve
    from clients.directory import DirectoryReader
    from clients.graph import GraphClient

    config = {
        "azuread:tenantId": TENANT_ID,
        "azuread:clientId": CLIENT_ID,
        "azuread:clientSecret": SECRET,
        f"{PROJECT}:graphEndpoint": base_url,
        f"{PROJECT}:authorityHost": base_url,
        f"{PROJECT}:httpTimeoutSeconds": "120",
    }
    connection = resolve(config, {}, frozenset({"azuread:clientSecret"}))
    desired = Desired(
        provisions=True,
        groups=tuple(groups[2:]),
        user_mappings={
            "scopingFilter": [
                [{"attribute": "department", "operator": "NOT EQUALS", "values": ["Finance"]}]
            ]
        },
    )
    tracemalloc.start()
    started = time.perf_counter()
    reader = DirectoryReader(GraphClient(connection.graph))
    report = scan(reader, "bench", Target(sp, job), desired)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    print(
        json.dumps(
            {
                "requests": report.requests,
                "seconds": round(seconds, 1),
                "python_peak_mb": round(peak / 2**20, 1),
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "lose": report.counts["loses"],
                "gain": report.counts["gains"],
                "in_scope_now": report.now.users_in_scope,
                "in_scope_after": report.after.users_in_scope,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--largest", type=int, default=50_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        base_url, sp, job, *groups = args.child
        child(base_url, sp, job, groups)
        return
    shared_credential.cache_clear()
    with Emulator.start() as emu:
        print(f"impact bench: seeding {args.users:,} users, {args.groups} groups", flush=True)
        started = time.perf_counter()
        tenant, groups = seed(emu, args.users, args.groups, args.largest)
        memberships = sum(len(emu._graph.tenant.group_members[g]) for g in groups)
        print(f"  seeded in {time.perf_counter() - started:.0f} s; {memberships:,} memberships")
        env = {
            **os.environ,
            "REQUESTS_CA_BUNDLE": emu.ca_bundle_path,
            "SSL_CERT_FILE": emu.ca_bundle_path,
        }
        before = len(emu.requests)
        run = subprocess.run(
            [sys.executable, "-m", "benchmarks.impact", "--child", emu.base_url, tenant.sp,
             tenant.job, *groups],
            capture_output=True,
            text=True,
            env=env,
            timeout=3600,
            check=False,
        )  # fmt: skip
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            sys.exit(1)
        result = json.loads(run.stdout.strip().splitlines()[-1])
        result["emulator_requests"] = len(emu.requests) - before
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
