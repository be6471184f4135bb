"""Errors the stand-in reports to the engine; every message is safe to show and to log.

The server turns them into gRPC errors. A `PartialFailure` carries the state of a resource that
exists although its operation failed part-way (the bridge's `ErrorResourceInitFailed`), so the
engine records it instead of forgetting an object that is now in Entra ID.
"""

from __future__ import annotations

from typing import Any


class StandinError(Exception):
    """A failure whose text goes to the user as is (no secrets, no tracebacks)."""


class ConfigurationError(StandinError):
    """The provider configuration cannot be used (missing credentials, bad metadata host)."""


class GraphError(StandinError):
    """A Microsoft Graph (or token endpoint) request failed; names method, path and status."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        service: str = "Microsoft Graph",
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.graph_message = message
        status_text = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{service} {method} {path}: {status_text}: {message}")


class PartialFailure(StandinError):
    """The object exists (it has `id`) but the operation did not finish."""

    def __init__(self, resource_id: str, state: dict[str, Any], reason: str) -> None:
        self.resource_id = resource_id
        self.state = state
        self.reason = reason
        self.outputs: dict[str, Any] = {}
        """The state as the engine records it (secrets marked); the server fills it in."""
        self.inputs: dict[str, Any] = {}
        super().__init__(reason)


class Cancelled(StandinError):
    """The engine asked the plugin to stop (Cancel) while it was waiting."""
