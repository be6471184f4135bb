"""Make an `Emulator` test helper out of the service method it forwards to.

Most helpers a test calls (`emu.add_user(...)`, `emu.job(...)`) only take the state lock and
call one service's out-of-band method. Writing each one out declared its signature, defaults
and docstring twice, once per layer, and the copies could drift apart. `locked` builds the
helper from the service method instead, so they are declared once, on the service.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def locked(
    target: str, method: Callable[Concatenate[Any, P], R]
) -> Callable[Concatenate[Any, P], R]:
    """A method that holds `self._lock` while it calls `method` on the object at the dotted
    attribute path `target` of `self` (e.g. "_graph.principals"), looked up at each call so a
    service replaced later is still the one called. Signature and docstring are `method`'s."""
    owner = operator.attrgetter(target)

    @functools.wraps(method)
    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(owner(self), *args, **kwargs)

    return call
