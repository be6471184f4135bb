"""The shape every served function (data source) has: argument checks, then Graph reads.

Argument problems come back as the Invoke's CheckFailures, as the bridge returns the data
source's validation errors; failures of the reads themselves are errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tests.azuread_standin.context import Context
from tests.azuread_standin.schema import Prop, validate_value
from tests.azuread_standin.wire import reveal


@dataclass(frozen=True)
class FunctionSchema:
    token: str
    description: str
    args: tuple[Prop, ...]
    outputs: tuple[Prop, ...]
    exactly_one_of: tuple[str, ...] = ()


class Function(ABC):
    schema: ClassVar[FunctionSchema]

    def check(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        plain = {key: reveal(value) for key, value in args.items() if value is not None}
        for prop in self.schema.args:
            if prop.name in plain:
                failures.extend(validate_value(prop, prop.name, plain[prop.name]))
        group = self.schema.exactly_one_of
        if group:
            given = [name for name in group if plain.get(name) not in (None, "")]
            listed = ",".join(group)
            if not given:
                failures.append((group[0], f'"{group[0]}": one of `{listed}` must be specified'))
            elif len(given) > 1:
                failures.append(
                    (
                        given[0],
                        f'"{given[0]}": only one of `{listed}` can be specified, but '
                        f"`{','.join(given)}` were specified.",
                    )
                )
        return failures

    @abstractmethod
    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        """The data source's attributes (and its `id`) for valid, secret-free `args`."""


def escape(value: str) -> str:
    """go-azure-sdk `odata.EscapeSingleQuote`, for values inside `$filter` literals."""
    return value.replace("'", "''")


def go_quote(value: str) -> str:
    """Go's `%q` of a string, as upstream quotes ids in its errors (`"…"`, not Python's
    `'…'`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
