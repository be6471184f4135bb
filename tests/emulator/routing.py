"""Path-template routing shared by the emulated services.

Each service states its routes as `(method, "/template/{param}", handler)` so that the set of
endpoints it emulates can be read at a glance and compared with the reference notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from .messages import Response

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Match:
    """A resolved route; `handler` is None when the path exists but not for the method, and
    `allowed` lists the methods the path does accept (for the service's own 405-style reply)."""

    handler: Handler | None
    params: dict[str, str]
    allowed: tuple[str, ...]


class Router:
    """Resolves `(method, path)` to a handler and its URL-decoded path parameters."""

    def __init__(self, routes: Iterable[tuple[str, str, Handler]]) -> None:
        self._templates = list(routes)
        self._routes = [
            (method, _compile(template), handler) for method, template, handler in self._templates
        ]

    def templates(self) -> list[tuple[str, str]]:
        """Every route as (method, path template), in declaration order."""
        return [(method, template) for method, template, _ in self._templates]

    def knows(self, path: str) -> bool:
        """Whether any route has this path, whatever the method."""
        return any(pattern.fullmatch(path) for _, pattern, _ in self._routes)

    def resolve(self, method: str, path: str) -> Match | None:
        """The matching route, a method-less match if only the path is known, else None."""
        allowed: list[str] = []
        for route_method, pattern, handler in self._routes:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if route_method == method:
                params = {name: unquote(value) for name, value in found.groupdict().items()}
                return Match(handler, params, (method,))
            allowed.append(route_method)
        return Match(None, {}, tuple(allowed)) if allowed else None


def matches(template: str, path: str) -> bool:
    """Whether `path` is an instance of the route template `template`."""
    return _compile(template).fullmatch(path) is not None


def _compile(template: str) -> re.Pattern[str]:
    """Turn `/a/{name}/b` into a regex where each `{name}` is one non-empty path segment."""
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(regex)
