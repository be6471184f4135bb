"""The stack configuration as the engine handed it to this program: flat, namespaced keys."""

from __future__ import annotations

from typing import Any

from pulumi.runtime.config import CONFIG, is_config_secret


def engine_config() -> tuple[dict[str, Any], frozenset[str]]:
    """Every config value and which keys were secret (`pulumi config set --secret`)."""
    config = dict(CONFIG.get())
    return config, frozenset(key for key in config if is_config_secret(key))
