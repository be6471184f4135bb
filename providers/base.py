"""What every one of our dynamic providers shares: configuration taken in the provider process."""

from __future__ import annotations

import os
from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from clients.connection import ConnectionSettings, resolve, snapshot_config


class ConfiguredProvider(ResourceProvider):
    """Keeps only a snapshot of the settings it uses, taken by `configure()` after the engine
    deserialized it; the object that goes into state is built with an empty one, so no
    credential and no client is ever serialized."""

    def __init__(self) -> None:
        super().__init__()
        self._config: dict[str, Any] = {}

    def configure(self, req: ConfigureRequest) -> None:
        self._config = snapshot_config(req.config.get)

    def connection(self) -> ConnectionSettings:
        """Resolved per call, so the environment of the provider process is read when used."""
        return resolve(self._config, os.environ)
