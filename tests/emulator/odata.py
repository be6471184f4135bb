"""The slice of OData query options the directory routes need: `$filter` with `eq` clauses
(joined by `and`) on string or Boolean properties, `in` on the string properties a route
allows it on (`id in ('…', '…')`, at most `MAX_IN_VALUES`), and `any` lambdas with `eq` on
string collections (`tags/any(t:t eq '...')`), `$select`, `$count=true` with `ConsistencyLevel:
eventual`, and server-side paging with `$top` and `@odata.nextLink`.

Anything outside that slice is refused with a 400 instead of being ignored, because a client
that relies on an ignored option would get a plausible but wrong answer and pass its tests.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlencode

from .graphreply import bad_request
from .messages import JsonObject, Request

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999
"""Directory collections page at 100 by default and at most 999 (List servicePrincipals)."""

MAX_IN_VALUES = 15
MAX_ADVANCED_URL_CHARS = 2048
"""Without advanced queries "the request is limited to 15 expressions in the filter clause"
when it uses `in`, "OR a URL length of 2,048 characters when using advanced query
capabilities" (https://developer.microsoft.com/graph/known-issues , "Some limitations apply to
query parameters"); the errors' wording here is the emulator's."""
GRAPH_ORIGIN = "https://graph.microsoft.com"
"""Where a client sends its Graph requests: the part of the URL the emulator does not see."""

COLLECTION_OPTIONS = frozenset(["$filter", "$select", "$top", "$skiptoken"])
ENTITY_OPTIONS = frozenset(["$select"])

_EQUALS = re.compile(r"\s*(?P<property>[A-Za-z]\w*)\s+eq\s+'(?P<literal>(?:[^']|'')*)'\s*")
_EQUALS_BOOLEAN = re.compile(r"\s*(?P<property>[A-Za-z]\w*)\s+eq\s+(?P<literal>true|false)\s*")
_EQUALS_START = re.compile(r"\s*[A-Za-z]\w*\s+eq\s+'")
_ANY_EQUALS = re.compile(
    r"\s*(?P<property>[A-Za-z]\w*)/any\(\s*(?P<variable>[A-Za-z]\w*)\s*:\s*(?P=variable)\s+eq\s+"
    r"'(?P<literal>(?:[^']|'')*)'\s*\)\s*",
    re.IGNORECASE,
)
"""`tags/any(t:t eq 'x')`; the lambda operator is matched regardless of case (`tags/Any(x: x eq
...)` appears in clients of the admin center's query too)."""
_LITERAL = r"'(?:[^']|'')*'"
_IN = re.compile(
    rf"\s*(?P<property>[A-Za-z]\w*)\s+in\s*\(\s*(?P<literals>{_LITERAL}(?:\s*,\s*{_LITERAL})*)"
    r"\s*\)\s*"
)
_AND = re.compile(r"\s+and\s+")
_SKIPTOKEN_PREFIX = "emulator-offset:"


class Clause(Protocol):
    """One parsed `$filter` clause."""

    def matches(self, item: JsonObject) -> bool: ...


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


@dataclass(frozen=True)
class AnyEquals:
    """`property/any(v:v eq 'value')` on a collection of strings: some element equals the value
    (ignoring case, like every directory string comparison)."""

    property: str
    value: str

    def matches(self, item: JsonObject) -> bool:
        wanted = self.value.casefold()
        values = item.get(self.property) or []
        return any(isinstance(v, str) and v.casefold() == wanted for v in values)


@dataclass(frozen=True)
class In:
    """`property in ('a', 'b')`: the property equals one of the values (ignoring case)."""

    property: str
    values: frozenset[str]

    def matches(self, item: JsonObject) -> bool:
        actual = item.get(self.property)
        return isinstance(actual, str) and actual.casefold() in self.values


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


def equality_filter(request: Request, filterable: Collection[str], resource: str) -> Clause | None:
    """Parse `$filter` as one `eq` on a string property; `''` in a literal is a quote.

    `resource` is the type name Graph uses in its filter errors, e.g. "ServicePrincipal".
    """
    clauses = conjunction_filter(request, {name: "string" for name in filterable}, resource)
    if len(clauses) > 1:
        raise bad_request(request, "Unsupported query.", "Request_UnsupportedQuery")
    return clauses[0] if clauses else None


def conjunction_filter(
    request: Request,
    filterable: Mapping[str, str],
    resource: str,
    in_filterable: Collection[str] = (),
) -> list[Clause]:
    """Parse `$filter` as `eq` and `in` clauses and `any` lambdas joined by `and` (empty when
    there is no filter).

    `filterable` maps each property to "string" or "boolean" (the literal `eq` takes) or
    "strings" (a collection, filtered with `any(v:v eq '...')`, which Graph serves by default
    for servicePrincipal tags, as the admin center's enterprise applications list does); `''` in
    a string literal is a quote. `in_filterable`: the string properties that also take `in`.
    `resource` is the type name Graph uses in its filter errors. Anything else (`ne`, `not`,
    `or`, `all`, functions) is Graph's "Unsupported query." rather than a filter silently
    ignored.
    """
    clause = request.query.get("$filter")
    if clause is None:
        return []
    by_lower_name = {name.lower(): name for name in filterable}
    result: list[Clause] = []
    for part in split_and(clause):
        lambda_found = _ANY_EQUALS.fullmatch(part)
        if lambda_found is not None:
            name = by_lower_name.get(lambda_found["property"].lower())
            if name is None or filterable[name] != "strings":
                raise _unsupported_property(request, lambda_found["property"], resource)
            result.append(AnyEquals(name, lambda_found["literal"].replace("''", "'")))
            continue
        in_found = _IN.fullmatch(part)
        if in_found is not None:
            name = by_lower_name.get(in_found["property"].lower())
            if name is None or name not in in_filterable:
                raise _unsupported_property(request, in_found["property"], resource)
            result.append(_in_clause(request, name, in_found["literals"]))
            continue
        found = _EQUALS.fullmatch(part) or _EQUALS_BOOLEAN.fullmatch(part)
        if found is None:
            if _EQUALS_START.match(part):
                raise bad_request(request, f"Invalid filter clause: {clause}", "BadRequest")
            raise bad_request(request, "Unsupported query.", "Request_UnsupportedQuery")
        name = by_lower_name.get(found["property"].lower())
        is_boolean = found.re is _EQUALS_BOOLEAN
        kind = None if name is None else filterable[name]
        if name is None or kind == "strings" or (kind == "boolean") != is_boolean:
            raise _unsupported_property(request, found["property"], resource)
        literal = found["literal"]
        value: str | bool = literal == "true" if is_boolean else literal.replace("''", "'")
        result.append(Equals(name, value))
    return result


def _in_clause(request: Request, name: str, listed: str) -> In:
    """`name in (<listed>)`, within Graph's bound on its size."""
    literals = re.findall(_LITERAL, listed)
    if advanced_count(request):
        # The URL as the client sent it to Graph: Graph's origin, then the target as sent.
        url_chars = len(GRAPH_ORIGIN) + len(request.target)
        if url_chars > MAX_ADVANCED_URL_CHARS:
            raise bad_request(
                request,
                f"The request URL is {url_chars:,} characters long; an advanced query with 'in' "
                f"takes at most {MAX_ADVANCED_URL_CHARS:,}.",
                "Request_UnsupportedQuery",
            )
    elif len(literals) > MAX_IN_VALUES:
        raise bad_request(
            request,
            f"Too many values in an 'in' clause: {len(literals)}; at most {MAX_IN_VALUES} "
            "without advanced query parameters.",
            "Request_UnsupportedQuery",
        )
    return In(name, frozenset(v[1:-1].replace("''", "'").casefold() for v in literals))


def _unsupported_property(request: Request, name: str, resource: str) -> Exception:
    return bad_request(
        request,
        f"Unsupported or invalid query filter clause specified for property '{name}' of "
        f"resource '{resource}'.",
        "Request_UnsupportedQuery",
    )


def advanced_count(request: Request) -> bool:
    """Whether to answer `@odata.count`: `$count=true` with `ConsistencyLevel: eventual`.
    Without the header Graph "silently ignores the $count query parameter"
    (https://learn.microsoft.com/graph/aad-advanced-queries , "Error handling for advanced
    queries on directory objects"); a value other than true or false is a 400."""
    raw = request.query.get("$count")
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise bad_request(
            request, f"Invalid value '{raw}' for the query option '$count'.", "BadRequest"
        )
    eventual = (request.header("ConsistencyLevel") or "").strip().lower() == "eventual"
    return raw.lower() == "true" and eventual


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
