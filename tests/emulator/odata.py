"""The slice of OData query options the directory routes need: `$filter` with `eq` clauses
(joined by `and`) on string or Boolean properties, `$select`, and server-side paging with `$top`
and `@odata.nextLink`.

Anything outside that slice is refused with a 400 instead of being ignored, because a client
that relies on an ignored option would get a plausible but wrong answer and pass its tests.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .graphreply import bad_request
from .messages import JsonObject, Request

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999
"""Directory collections page at 100 by default and at most 999 (List servicePrincipals)."""

COLLECTION_OPTIONS = frozenset(["$filter", "$select", "$top", "$skiptoken"])
ENTITY_OPTIONS = frozenset(["$select"])

_EQUALS = re.compile(r"\s*(?P<property>[A-Za-z]\w*)\s+eq\s+'(?P<literal>(?:[^']|'')*)'\s*")
_EQUALS_BOOLEAN = re.compile(r"\s*(?P<property>[A-Za-z]\w*)\s+eq\s+(?P<literal>true|false)\s*")
_EQUALS_START = re.compile(r"\s*[A-Za-z]\w*\s+eq\s+'")
_AND = re.compile(r"\s+and\s+")
_SKIPTOKEN_PREFIX = "emulator-offset:"


@dataclass(frozen=True)
class Equals:
    """`property eq 'value'` (or `eq true`/`false`), with the property named as the resource
    spells it."""

    property: str
    value: str | bool

    def matches(self, item: JsonObject) -> bool:
        """Directory string comparisons ignore case (userPrincipalName, displayName and appId
        alike), which is why the azuread provider re-checks names with EqualFold."""
        actual = item.get(self.property)
        if isinstance(self.value, bool):
            return actual is self.value
        return isinstance(actual, str) and actual.casefold() == self.value.casefold()


def refuse_unsupported_options(request: Request, supported: Collection[str]) -> None:
    """400 for any `$` option the emulator does not implement on this route."""
    for name in request.query:
        if name.startswith("$") and name not in supported:
            raise bad_request(
                request,
                f"The emulator does not implement the query option '{name}' on this "
                "resource; Graph would honour it.",
                "BadRequest",
            )


def equality_filter(request: Request, filterable: Collection[str], resource: str) -> Equals | None:
    """Parse `$filter` as one `eq` on a string property; `''` in a literal is a quote.

    `resource` is the type name Graph uses in its filter errors, e.g. "ServicePrincipal".
    """
    clauses = conjunction_filter(request, {name: "string" for name in filterable}, resource)
    if len(clauses) > 1:
        raise bad_request(request, "Unsupported query.", "Request_UnsupportedQuery")
    return clauses[0] if clauses else None


def conjunction_filter(
    request: Request, filterable: Mapping[str, str], resource: str
) -> list[Equals]:
    """Parse `$filter` as `eq` clauses joined by `and` (empty when there is no filter).

    `filterable` maps each property to "string" or "boolean", the literal it takes; `''` in a
    string literal is a quote. `resource` is the type name Graph uses in its filter errors.
    """
    clause = request.query.get("$filter")
    if clause is None:
        return []
    by_lower_name = {name.lower(): name for name in filterable}
    result: list[Equals] = []
    for part in split_and(clause):
        found = _EQUALS.fullmatch(part) or _EQUALS_BOOLEAN.fullmatch(part)
        if found is None:
            if _EQUALS_START.match(part):
                raise bad_request(request, f"Invalid filter clause: {clause}", "BadRequest")
            raise bad_request(request, "Unsupported query.", "Request_UnsupportedQuery")
        name = by_lower_name.get(found["property"].lower())
        is_boolean = found.re is _EQUALS_BOOLEAN
        if name is None or (filterable[name] == "boolean") != is_boolean:
            raise bad_request(
                request,
                "Unsupported or invalid query filter clause specified for property "
                f"'{found['property']}' of resource '{resource}'.",
                "Request_UnsupportedQuery",
            )
        literal = found["literal"]
        value: str | bool = literal == "true" if is_boolean else literal.replace("''", "'")
        result.append(Equals(name, value))
    return result


def split_and(clause: str) -> list[str]:
    """Split on ` and ` outside string literals (a quoted name may contain " and ")."""
    parts: list[str] = []
    start = 0
    in_literal = False
    index = 0
    while index < len(clause):
        if clause[index] == "'":
            in_literal = not in_literal
        elif not in_literal:
            found = _AND.match(clause, index)
            if found is not None and index > start:
                parts.append(clause[start:index])
                start = index = found.end()
                continue
        index += 1
    parts.append(clause[start:])
    return parts


def selected_properties(
    request: Request, properties: Sequence[str], type_name: str
) -> list[str] | None:
    """The `$select` list in the resource's own spelling, or None when absent or `*`.

    Only properties the emulator renders can be selected: a documented property it does not
    model gets Graph's unknown-property 400 rather than a silently missing value.
    """
    raw = request.query.get("$select")
    if raw is None or raw.strip() == "*":
        return None
    by_lower_name = {name.lower(): name for name in properties}
    chosen: list[str] = []
    for part in raw.split(","):
        name = by_lower_name.get(part.strip().lower())
        if name is None:
            raise bad_request(
                request,
                "Parsing OData Select and Expand failed: Could not find a property named "
                f"'{part.strip()}' on type 'microsoft.graph.{type_name}'.",
                "BadRequest",
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


def project(item: JsonObject, selected: Sequence[str] | None) -> JsonObject:
    """Only the selected properties, in the resource's order; no `id` unless selected, as in
    Graph's documented `$select` responses."""
    if selected is None:
        return item
    return {key: value for key, value in item.items() if key in selected}


def context_url(
    base_url: str, path: str, selected: Sequence[str] | None, version: str = "v1.0"
) -> str:
    """`@odata.context`, e.g. `.../$metadata#servicePrincipals(id,appId)`; append "/$entity"
    for a single object."""
    suffix = f"({','.join(selected)})" if selected else ""
    return f"{base_url}/{version}/$metadata#{path}{suffix}"


def page(request: Request, base_url: str, context: str, items: Sequence[JsonObject]) -> JsonObject:
    """One page of `items`, with an absolute `@odata.nextLink` while more remain. The link
    repeats the request's other query options and adds an opaque `$skiptoken`, as Graph's
    do; clients must follow it as is."""
    size = _page_size(request)
    offset = _offset(request)
    body: JsonObject = {"@odata.context": context, "value": list(items[offset : offset + size])}
    if offset + size < len(items):
        options = {key: value for key, value in request.query.items() if key != "$skiptoken"}
        options["$skiptoken"] = _skiptoken(offset + size)
        query = urlencode(options, safe="$'(),", quote_via=quote)
        body["@odata.nextLink"] = f"{base_url}{request.path}?{query}"
    return body


def _page_size(request: Request) -> int:
    raw = request.query.get("$top")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    size = int(raw) if raw.isdigit() else 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(
            request,
            f"Invalid page size specified: '{raw}'. Must be between 1 and "
            f"{MAX_PAGE_SIZE} inclusive.",
            "Request_BadRequest",
        )
    return size


def _skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_SKIPTOKEN_PREFIX}{offset}".encode()).decode().rstrip("=")


def _offset(request: Request) -> int:
    token = request.query.get("$skiptoken")
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    offset = text.removeprefix(_SKIPTOKEN_PREFIX)
    if not text.startswith(_SKIPTOKEN_PREFIX) or not offset.isdigit():
        raise bad_request(request, "The skip token is not valid.", "Request_BadRequest")
    return int(offset)
