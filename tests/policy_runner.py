"""Runs the policy pack over what the mocked program registered, as `pulumi preview` would.

Per-policy enforcement and config come from a pack config file the way the CLI reads
`--policy-pack-config`: a policy's own entry (a level, or an object with `enforcementLevel` and
config keys), else `all`, else the policy's default level. Secret values reach policies
unwrapped, as they do under the engine.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from tests.program import PROJECT_ROOT, Registered, is_secret_value

POLICY_DIR = PROJECT_ROOT / "policies"
sys.path.insert(0, str(POLICY_DIR))
from asana_guardrails import POLICIES  # noqa: E402 (the pack imports it the same way)


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    urn: str | None


def load_pack_config(stack: str) -> dict[str, Any]:
    return json.loads((POLICY_DIR / "config" / f"{stack}.json").read_text())


def effective(policy: Any, pack_config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    entry = pack_config.get(policy.name)
    default = pack_config.get("all", (policy.enforcement_level or EnforcementLevel.ADVISORY).value)
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, dict):
        settings = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        return entry.get("enforcementLevel", default), settings
    return default, {}


def unwrap(value: Any) -> Any:
    if is_secret_value(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def policy_resources(registered: list[Registered]) -> list[PolicyResource]:
    by_urn: dict[str, PolicyResource] = {}
    for resource in registered:
        by_urn[resource.urn] = PolicyResource(
            resource.type,
            # As the analyzer does: reading an unknown value raises UnknownValueError. A
            # component's props are its registered outputs, as AnalyzeStack gives them.
            unknown_checking_proxy(
                unwrap(resource.inputs if resource.outputs is None else resource.outputs)
            ),
            resource.urn,
            resource.name,
            options(resource),
            None,
            None,
            [],
            {},
        )
    for resource in registered:
        policy_resource = by_urn[resource.urn]
        policy_resource.parent = by_urn.get(resource.parent)
        policy_resource.dependencies = [by_urn[u] for u in resource.dependencies if u in by_urn]
        policy_resource.property_dependencies = {
            key: [by_urn[u] for u in urns if u in by_urn]
            for key, urns in resource.property_dependencies.items()
        }
    return list(by_urn.values())


def options(resource: Registered) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(resource.secret_outputs),
        parent=resource.parent,
    )


def run_pack(registered: list[Registered], pack_config: dict[str, Any]) -> list[Violation]:
    resources = policy_resources(registered)
    violations: list[Violation] = []
    for policy in POLICIES:
        level, settings = effective(policy, pack_config)
        if level == "disabled":
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources:
                args = ResourceValidationArgs(
                    resource.resource_type,
                    resource.props,
                    resource.urn,
                    resource.name,
                    resource.opts,
                    None,
                    settings,
                )
                report = _collector(violations, policy.name, level, resource.urn)
                _validate(policy, args, report, violations)
        else:
            stack = StackValidationArgs(resources, settings)
            _validate(policy, stack, _collector(violations, policy.name, level, None), violations)
    return violations


def _validate(policy: Any, args: Any, report: Callable[..., None], violations: list) -> None:
    """Run one policy; a policy that reads a value unknown at preview is skipped with an
    advisory, as Pulumi's analyzer does, so it never silently passes here but not there."""
    try:
        policy.validate(args, report)
    except UnknownValueError as error:
        violations.append(
            Violation(
                policy.name, "advisory", f"can't run policy during preview: {error.message}", None
            )
        )


def _collector(
    violations: list[Violation], policy: str, level: str, default_urn: str | None
) -> Callable[..., None]:
    def report(message: str, urn: str | None = None) -> None:
        violations.append(Violation(policy, level, message, urn or default_urn))

    return report
