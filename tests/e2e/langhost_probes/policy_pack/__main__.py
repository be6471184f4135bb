"""A language-host probe (tests/e2e/test_language_host.py): records where and with what stack
context the host started this policy pack."""

import json
import os
import sys
import time

import pulumi
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

with open(os.environ["LANGHOST_PROBE_OUT"], "a", encoding="utf-8") as handle:
    observed = {
        "event": "policy_pack",
        "pid": os.getpid(),
        "t": time.time(),
        "cwd": os.getcwd(),
        "sys_path": sys.path,
        "stack": pulumi.get_stack(),
        "project": pulumi.get_project(),
        "organization": pulumi.get_organization(),
        "environment": {
            name: os.environ.get(name)
            for name in (
                "PULUMI_STACK",
                "PULUMI_PROJECT",
                "PULUMI_ORGANIZATION",
                "PULUMI_DRY_RUN",
                "PULUMI_CONFIG",
            )
        },
    }
    handle.write(json.dumps(observed) + "\n")

PolicyPack(
    name="langhost-probe-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="probe-never-objects",
            description="Passes everything; the pack exists to be started.",
            validate=lambda args, report_violation: None,
        )
    ],
)
