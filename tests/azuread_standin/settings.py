"""Knobs of the stand-in itself (never of the real provider), read from `AZUREAD_STANDIN_*`.

The upstream provider waits for eventual consistency by polling until it sees the same answer
five times in a row, at least five seconds apart (`consistency.WaitForUpdate` /
`WaitForDeletion`, `StateChangeConf{MinTimeout: 5s, ContinuousTargetOccurence: 5}`), within a
timeout of 5 to 15 minutes per operation. The stand-in makes the same polls (same count) but
defaults to a short interval, because the emulator makes objects readable at once; the
interval, the timeout and the HTTP limits can be set per process for tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from clients.http import HttpPolicy

UPSTREAM_CONFIRMATIONS = 5
"""`ContinuousTargetOccurence` of every upstream wait."""


@dataclass(frozen=True)
class StandinSettings:
    poll_interval_seconds: float = 0.05
    confirmations: int = UPSTREAM_CONFIRMATIONS
    wait_timeout_seconds: float = 300.0
    consistency_retries: int = 8
    """How often a request the upstream retries for eventual consistency (409/403 on
    synchronization calls, 404 on a new assignment) is repeated before its error is reported."""
    http: HttpPolicy = field(default_factory=HttpPolicy)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> StandinSettings:
        env = os.environ if env is None else env
        default = cls()
        http = HttpPolicy(
            connect_timeout=_number(env, "HTTP_CONNECT_TIMEOUT_SECONDS", 10.0),
            read_timeout=_number(env, "HTTP_TIMEOUT_SECONDS", 60.0),
            max_retries=int(_number(env, "MAX_RETRIES", 6)),
            retry_budget_seconds=_number(env, "RETRY_BUDGET_SECONDS", 120.0),
        )
        return cls(
            poll_interval_seconds=_number(
                env, "POLL_INTERVAL_SECONDS", default.poll_interval_seconds
            ),
            confirmations=max(1, int(_number(env, "CONFIRMATIONS", default.confirmations))),
            wait_timeout_seconds=_number(env, "WAIT_TIMEOUT_SECONDS", default.wait_timeout_seconds),
            consistency_retries=int(
                _number(env, "CONSISTENCY_RETRIES", default.consistency_retries)
            ),
            http=http,
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(f"AZUREAD_STANDIN_{name}", "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"AZUREAD_STANDIN_{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"AZUREAD_STANDIN_{name} must not be negative, got {raw!r}")
    return value
