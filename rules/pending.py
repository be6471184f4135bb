"""Pending operations in a stack's state: what an interrupted `pulumi up` leaves behind.

The engine writes a pending operation before it asks a provider to create, update or delete a
resource, and removes it when the provider answers. A run killed in between (a cancelled CI job,
a SIGKILL, a lost runner) leaves it in the state's `pending_operations`. A pending *create* is
the dangerous one: the object may exist in the tenant while the state does not record it, and the
next `pulumi up` only warns ("Attempting to deploy or update resources with N pending operations")
and creates it again (pulumi/pulumi `pkg/resource/deploy/deployment_executor.go`); `pulumi refresh`
keeps pending creates and drops the other kinds (`pkg/backend/journal.go`).

This module reads them from `pulumi stack export --show-secrets` output, and says which inputs
were secrets so nothing built from them shows a secret value. No I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.urns import resource_name

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""The key that marks a secret value in Pulumi's state (sdk/go/common/resource/sig)."""
CREATING = "creating"
"""The pending-operation type of an interrupted create (apitype.OperationTypeCreating)."""
DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic/"
"""Our own dynamic resources' type tokens start with this."""


@dataclass(frozen=True)
class StateResource:
    """One resource the state records: its URN, type and provider id."""

    urn: str
    type: str
    id: str


@dataclass(frozen=True)
class PendingOperation:
    """One interrupted operation: what the engine was doing (`kind`: creating, updating,
    deleting, reading, importing) to which resource, and the inputs it had. `secret_inputs`
    names the inputs that were secrets: their values are used, never shown."""

    kind: str
    urn: str
    type: str
    inputs: Mapping[str, Any]
    secret_inputs: frozenset[str] = field(default_factory=frozenset)
    parent: str | None = None
    provider: str | None = None

    @property
    def name(self) -> str:
        """The resource's name, as the engine reads it from the URN."""
        return resource_name(self.urn)

    @property
    def is_create(self) -> bool:
        return self.kind == CREATING

    @property
    def is_dynamic(self) -> bool:
        return self.type.startswith(DYNAMIC_TYPE_PREFIX)

    @property
    def short_type(self) -> str:
        """`ApplicationFromTemplate` of `azuread:index/applicationFromTemplate:...`."""
        return self.type.rsplit(":", 1)[-1]

    def shown(self, key: str) -> str:
        """An input as a report may show it: "[secret]" for a secret one."""
        if key in self.secret_inputs:
            return "[secret]"
        value = self.inputs.get(key)
        return value if isinstance(value, str) else json.dumps(value)


class StateUnreadable(ValueError):
    """The export is not a Pulumi deployment this code understands."""


def _deployment(export: Any) -> Mapping[str, Any]:
    if not isinstance(export, Mapping) or not isinstance(export.get("deployment"), Mapping):
        raise StateUnreadable("the stack export has no `deployment` object")
    return export["deployment"]


def _plain(value: Any) -> tuple[Any, bool]:
    """A state value with any secret wrapper removed, and whether it was one. An export made
    with --show-secrets carries the value as JSON text under `plaintext`; one made without
    carries only `ciphertext`, which cannot be used (None)."""
    if isinstance(value, Mapping) and value.get(SECRET_SIGNATURE) is not None:
        text = value.get("plaintext")
        if not isinstance(text, str):
            return None, True
        try:
            return json.loads(text), True
        except ValueError:
            return None, True
    return value, False


def pending_operations(export: Any) -> list[PendingOperation]:
    """The pending operations of a `pulumi stack export` document, in state order."""
    found = []
    for entry in _deployment(export).get("pending_operations") or []:
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or not isinstance(resource.get("urn"), str):
            raise StateUnreadable("a pending operation has no resource URN")
        inputs, secret = {}, set()
        for key, value in (resource.get("inputs") or {}).items():
            inputs[key], was_secret = _plain(value)
            if was_secret:
                secret.add(key)
        found.append(
            PendingOperation(
                kind=str(entry.get("type", "")),
                urn=resource["urn"],
                type=str(resource.get("type", "")),
                inputs=inputs,
                secret_inputs=frozenset(secret),
                parent=resource.get("parent"),
                provider=resource.get("provider"),
            )
        )
    return found


def state_resources(export: Any) -> list[StateResource]:
    """The resources the state records (those with a provider id)."""
    return [
        StateResource(resource["urn"], str(resource.get("type", "")), str(resource["id"]))
        for resource in _deployment(export).get("resources") or []
        if isinstance(resource, Mapping) and resource.get("id") and resource.get("urn")
    ]


def provider_urn(reference: str | None) -> str | None:
    """The URN part of a provider reference (`URN::ID`), which an import file names."""
    if not reference:
        return None
    urn, separator, _id = reference.rpartition("::")
    return urn if separator and urn.startswith("urn:") else reference


def import_file(operations: Sequence[tuple[PendingOperation, str]]) -> dict[str, Any]:
    """The `pulumi import --file` document that records each (operation, id) pair's object
    under the URN the interrupted create was making: same type, name, parent and provider, so
    the program finds it in state and does not create it again. Schema:
    https://www.pulumi.com/docs/iac/guides/migration/import/#import-file-schema (names in
    `parent`/`provider` refer to `nameTable`)."""
    table: dict[str, str] = {}

    def named(urn: str, prefix: str) -> str:
        for name, known in table.items():
            if known == urn:
                return name
        name = f"{prefix}{len(table)}"
        table[name] = urn
        return name

    resources = []
    for operation, object_id in operations:
        spec: dict[str, Any] = {"type": operation.type, "name": operation.name, "id": object_id}
        if operation.parent:
            spec["parent"] = named(operation.parent, "parent")
        provider = provider_urn(operation.provider)
        if provider:
            spec["provider"] = named(provider, "provider")
        resources.append(spec)
    return {"nameTable": table, "resources": resources}


LOCK_LINE = re.compile(r"created by (?P<owner>\S+) \(pid (?P<pid>\d+)\) at (?P<since>\S+)")
"""How Pulumi's self-managed backends name a lock's holder in the "currently locked" error
(pulumi/pulumi pkg/backend/diy/lock.go, checkForLock)."""


def lock_holders(error_text: str) -> list[str]:
    """Each lock holder the CLI's "currently locked" error names, as "user@host (pid N) since
    TIME", for a message that says who holds the stack before anyone removes the lock."""
    return [
        f"{match['owner']} (pid {match['pid']}) since {match['since']}"
        for match in LOCK_LINE.finditer(error_text)
    ]
