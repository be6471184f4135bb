"""Stack files for the real CLI: the shipped ones, and settings written the way a person would.

The engine hands the program flat strings (structured values as JSON); a stack file holds typed
YAML, and the CLI checks each value against the type Pulumi.yaml declares before the program
runs. `typed` turns the first form into the second, so the mocked tests' configurations can be
replayed under the real CLI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.settings import SETTINGS
from tests.e2e.engine import ROOT
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace

STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
_TYPES = {setting.key: setting.type for setting in SETTINGS}


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def shipped_settings(path: Path) -> dict[str, Any]:
    """A committed stack file's `config:` block."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["config"])


def named_principals(settings: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The groups and users a stack assigns, by display name, UPN or object id: the local
    tenant must hold each, since preview looks every one up."""

    def names(key: str) -> list[str]:
        return list(settings.get(f"{PROJECT}:{key}") or [])

    return names("assignmentGroups"), names("assignmentUsers")


def shipped_stack_on_a_local_tenant(base: Path, stack: str) -> tuple[LocalTenant, Workspace]:
    """The committed stack file of `stack` in a new workspace under `base`, created (not yet
    deployed) against a new local tenant holding the groups and users it assigns. The caller
    stops the tenant."""
    settings = shipped_settings(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    tenant = LocalTenant.start(*named_principals(settings))
    workspace = Workspace(base, ca_bundle=tenant.ca_bundle)
    workspace.create_stack(stack, {**settings, **tenant.plain_settings()}, tenant.secret_settings())
    return tenant, workspace


def typed(config: Mapping[str, str]) -> dict[str, Any]:
    """Engine-style string values as a stack file holds them (lists and objects as YAML)."""
    result: dict[str, Any] = {}
    for key, value in config.items():
        if _TYPES.get(key) in ("array", "object") and isinstance(value, str):
            try:
                result[key] = json.loads(value)
                continue
            except ValueError:
                pass
        result[key] = value
    return result
