"""Knobs of the stand-in itself (never of the real provider), read from `AZUREAD_STANDIN_*`.

The upstream provider waits for eventual consistency by polling until it sees the same answer
five times in a row, at least five seconds apart (`consistency.WaitForUpdate` /
`WaitForDeletion`, `StateChangeConf{MinTimeout: 5s, ContinuousTargetOccurence: 5}`), within a
timeout of 5 to 15 minutes per operation. The stand-in makes the same polls (same count) but
defaults to a short interval, because the emulator makes objects readable at once; the
interval, the timeout and the HTTP limits can be set per process for tests.

Graph requests are retried as go-azure-sdk's client retries them (see `graph.py`): waits of 1, 2,
4, ... up to 61 s (or the Retry-After), as many as fit in the operation's timeout. The stand-in
keeps that schedule and count but multiplies every wait by `retry_wait_scale`, so a test sees
the same requests in the same order in a fraction of the time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from clients.http import HttpPolicy

UPSTREAM_CONFIRMATIONS = 5
"""`ContinuousTargetOccurence` of every upstream wait."""
UPSTREAM_OPERATION_TIMEOUT_SECONDS = 300.0
"""5 minutes: the Read and Delete timeout of every served resource and data source (creates
and updates have 5 to 15; `pluginsdk.DefaultTimeout` in each upstream resource file)."""


@dataclass(frozen=True)
class StandinSettings:
    poll_interval_seconds: float = 0.05
    confirmations: int = UPSTREAM_CONFIRMATIONS
    wait_timeout_seconds: float = 300.0
    retry_wait_scale: float = 0.01
    """Every Graph retry wait (upstream: 1 s doubling to 61 s, or Retry-After) is multiplied by
    this; 1 waits as long as the real provider, the default 0.01 turns 61 s into 0.61 s."""
    operation_timeout_seconds: float = UPSTREAM_OPERATION_TIMEOUT_SECONDS
    """The upstream operation timeout (unscaled seconds) that bounds a request's retries, as
    the context deadline bounds go-azure-sdk's `RetryMax` and waits."""
    http: HttpPolicy = field(default_factory=HttpPolicy)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> StandinSettings:
        env = os.environ if env is None else env
        default = cls()
        http = HttpPolicy(
            connect_timeout=_number(env, "HTTP_CONNECT_TIMEOUT_SECONDS", 10.0),
            read_timeout=_number(env, "HTTP_TIMEOUT_SECONDS", 60.0),
            max_retries=int(_number(env, "MAX_RETRIES", 6)),
            retry_budget_seconds=_number(
                env, "RETRY_BUDGET_SECONDS", UPSTREAM_OPERATION_TIMEOUT_SECONDS
            ),
        )
        return cls(
            poll_interval_seconds=_number(
                env, "POLL_INTERVAL_SECONDS", default.poll_interval_seconds
            ),
            confirmations=max(1, int(_number(env, "CONFIRMATIONS", default.confirmations))),
            wait_timeout_seconds=_number(env, "WAIT_TIMEOUT_SECONDS", default.wait_timeout_seconds),
            retry_wait_scale=_number(env, "RETRY_WAIT_SCALE", default.retry_wait_scale),
            operation_timeout_seconds=_number(
                env, "RETRY_BUDGET_SECONDS", default.operation_timeout_seconds
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
