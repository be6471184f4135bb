"""Variables the language host passes through a pipe instead of the environment (engine/langhost/
environment.go), for the executor (the program) and the launcher (policy packs).

Upstream's host hands the program and policy packs the stack's whole configuration in one
environment variable, PULUMI_CONFIG, and Linux starts no process with a single environment
string over 128 KiB (MAX_ARG_STRLEN: execve(2) fails with E2BIG, "argument list too long"):
about 3,100 object ids in one list setting. So our host writes such variables as one JSON object
into a pipe the process inherits and names its descriptor in LANGHOST_ENVIRONMENT_FD; they are
set here in the process's own environment, where no such limit applies (putenv(3)), so the
program or pack sees exactly the environment upstream's host would have given it.
"""

from __future__ import annotations

import json
import os

DESCRIPTOR_VARIABLE = "LANGHOST_ENVIRONMENT_FD"


def receive_environment() -> None:
    """Reads the host's variables from the inherited pipe (to its end: the host closes it once
    written) into this process's environment. The descriptor's variable is removed and the pipe
    closed, so nothing this process starts inherits either. Without the variable (a host that
    passes everything in the environment) nothing changes."""
    descriptor = os.environ.pop(DESCRIPTOR_VARIABLE, None)
    if descriptor is None:
        return
    with os.fdopen(int(descriptor), "rb") as pipe:
        variables = json.loads(pipe.read())
    if not isinstance(variables, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in variables.items()
    ):
        raise SystemExit(f"{DESCRIPTOR_VARIABLE}: expected a JSON object of strings")
    os.environ.update(variables)
