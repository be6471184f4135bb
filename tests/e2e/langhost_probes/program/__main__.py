"""A language-host probe (tests/e2e/test_language_host.py): reports what it sees from inside the
program process, or fails the way LANGHOST_PROBE_MODE asks."""

import asyncio
import json
import os
import signal
import sys
import time

import pulumi

OUT = os.environ["LANGHOST_PROBE_OUT"]
MODE = os.environ.get("LANGHOST_PROBE_MODE", "observe")


def record(**fields):
    with open(OUT, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"pid": os.getpid(), "t": time.time(), **fields}) + "\n")


def fail_in_the_program():
    raise ValueError("probe: an unhandled exception")


if MODE == "observe":
    pool = asyncio.get_event_loop()._default_executor
    record(
        event="observe",
        cwd=os.getcwd(),
        argv=sys.argv,
        sys_path=sys.path,
        workers=getattr(pool, "_max_workers", None),
        stack=pulumi.get_stack(),
        project=pulumi.get_project(),
        config_variable=os.environ.get("PULUMI_CONFIG"),
        descriptor_variable=os.environ.get("LANGHOST_ENVIRONMENT_FD"),
        greeting=pulumi.Config().get("greeting"),
    )
    pulumi.export("stack", pulumi.get_stack())
elif MODE == "run_error":
    raise pulumi.RunError("probe: a RunError")
elif MODE == "exception":
    fail_in_the_program()
elif MODE == "busy_when_cancelled":
    # Leaves SIGINT to the executor: busy, as a program registering resources is, until ended.
    record(event="started")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record(event="beat")
        time.sleep(0.2)
elif MODE == "wait_for_cancel":
    # Ignores SIGINT after noting it, so only the host's SIGKILL after its grace period ends it.
    signal.signal(signal.SIGINT, lambda *_: record(event="sigint"))
    record(event="started")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record(event="beat")
        time.sleep(0.2)
