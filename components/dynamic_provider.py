"""The one provider our dynamic resources run under, given only the settings they read.

Without it they run under the engine's default `pulumi-python` provider, and the engine gives a
dynamic provider's default instance the stack's *whole* configuration as its inputs (pulumi
`pkg/resource/deploy/target.go`, `GetPackageConfig`: "For dynamic providers, we always pass
the full configuration"). The state keeps a provider's inputs and outputs, so every checkpoint
of a deployment then carried `assignmentGroups` twice (41 bytes per group object id) and the
ciphertext of every secret setting, the Asana token among them (docs/testing.md, "Scale on the
real engine"). An explicit provider's inputs are what the program gives it: the settings
`clients.connection.snapshot_config` keeps, and nothing else.

A stack deployed with the default provider moves to this one without a change to any resource:
the Python dynamic provider does not implement `DiffConfig`, which the engine takes as "no
replacement" (pulumi `pkg/resource/plugin/provider_plugin.go`), and the resources' own inputs
are the same (tests/e2e/test_dynamic_provider.py).
"""

from __future__ import annotations

import pulumi
from pulumi.runtime.config import is_config_secret

from clients.connection import snapshot_config

DYNAMIC_PACKAGE = "pulumi-python"
"""The package of every Python dynamic resource (`pulumi-python:dynamic/...`)."""


def provider_settings() -> dict[str, pulumi.Input[str]]:
    """The stack's values of the settings our providers read (`snapshot_config` names them);
    a secret one stays secret."""

    def stack_value(key: str) -> pulumi.Input[str] | None:
        namespace, name = key.split(":", 1)
        config = pulumi.Config(namespace)
        return config.get_secret(name) if is_config_secret(key) else config.get(name)

    return snapshot_config(stack_value)


def dynamic_provider(name: str, parent: pulumi.Resource) -> pulumi.ProviderResource:
    """The explicit `pulumi-python` provider for `parent`'s dynamic resources."""
    return pulumi.ProviderResource(
        DYNAMIC_PACKAGE,
        f"{name}-dynamic-provider",
        provider_settings(),
        pulumi.ResourceOptions(parent=parent),
    )
