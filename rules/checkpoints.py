"""Whether the engine records a deploy's changes as it makes them (its checkpoints). No I/O.

By default the engine writes the whole state after every step, and before each create it
records a pending operation: that record is what lets `tools.recover` find what a killed deploy
made. `PULUMI_SKIP_CHECKPOINTS` (an experimental engine setting, pulumi `pkg/backend/snapshot.go`,
https://github.com/pulumi/pulumi/issues/10668) keeps the state in memory and writes it once, when
the run ends: faster for a large stack, but a run killed part-way leaves nothing of what it did
in the state, and the next `pulumi up` creates it all again (a second Asana app). We use it to
measure (`benchmarks.real_engine`), never to deploy.

A preview writes no state at all (pulumi `pkg/backend/diy/backend.go` and
`httpstate/backend.go` give it a `DiscardPersister`), yet by default its snapshot manager still
rebuilds and checks the whole state after every step, which makes a preview grow with the
square of the resources. With the variable set it does so once, at the end, and the preview's
changes are the same: so `make preview` and the preview workflow set it, and the program warns
only when a deploy runs with it (`__main__.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

SKIP_CHECKPOINTS = "PULUMI_SKIP_CHECKPOINTS"

UNRECORDED_DEPLOY = (
    f"{SKIP_CHECKPOINTS} is set: the engine would write this deploy's state only when it ends, "
    "so a deploy killed part-way would leave what it made in no state, where tools.recover "
    "cannot find it, and the next up would make it again (a second Asana app). Unset it to "
    "deploy; it is for measuring (docs/testing.md, docs/recovery.md)."
)


def skips_checkpoints(env: Mapping[str, str]) -> bool:
    """As the engine reads the variable (pulumi sdk `go/common/util/env`, `BoolValue.Value`:
    "1", or "true" in any case; anything else is false)."""
    value = env.get(SKIP_CHECKPOINTS, "")
    return value == "1" or value.lower() == "true"
