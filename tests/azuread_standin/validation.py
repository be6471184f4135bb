"""Input validators with the upstream provider's rules and wording, under Pulumi property names.

Each validator takes the property name and a known, secret-free value and returns the reason
it is invalid, or None. The rules are those of terraform-provider-azuread's schema
(`validation.IsUUID`, `StringIsNotEmpty`, `StringInSlice`, `IsRFC3339Time`,
`IsRedirectUriFunc`, `stable.ValidateServicePrincipalID`, ...); the bridge reports them as
CheckFailures, and so does the stand-in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

Validator = Callable[[str, Any], str | None]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid_text(value: str) -> bool:
    """hashicorp/go-uuid's ParseUUID shape: 8-4-4-4-12 hexadecimal digits."""
    return bool(_UUID.match(value))


def is_uuid(name: str, value: Any) -> str | None:
    if isinstance(value, str) and is_uuid_text(value):
        return None
    return f'expected "{name}" to be a valid UUID, got {value}'


def not_empty(name: str, value: Any) -> str | None:
    if isinstance(value, str) and value != "":
        return None
    return f'expected "{name}" to not be an empty string, got {value}'


def one_of(*allowed: str) -> Validator:
    def check(name: str, value: Any) -> str | None:
        if value in allowed:
            return None
        quoted = " ".join(f'"{item}"' for item in allowed)
        return f"expected {name} to be one of [{quoted}], got {value}"

    return check


def matches(pattern: str) -> Validator:
    compiled = re.compile(pattern)

    def check(name: str, value: Any) -> str | None:
        if isinstance(value, str) and compiled.search(value):
            return None
        return f'expected value of {name} to match regular expression "{pattern}", got {value}'

    return check


def length_between(low: int, high: int) -> Validator:
    def check(name: str, value: Any) -> str | None:
        if isinstance(value, str) and low <= len(value) <= high:
            return None
        return f"expected length of {name} to be in the range ({low} - {high}), got {value}"

    return check


def rfc3339(name: str, value: Any) -> str | None:
    if isinstance(value, str) and _parse_rfc3339(value):
        return None
    return f'"{name}": invalid RFC3339 timestamp'


def _parse_rfc3339(value: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def http_url(name: str, value: Any) -> str | None:
    """`validation.IsHttpOrHttpsUrl`."""
    if not isinstance(value, str) or value == "":
        return f'expected "{name}" url to not be empty, got {value}'
    parts = urlsplit(value)
    if parts.hostname is None:
        return f'expected "{name}" to have a host, got {value}'
    if parts.scheme not in ("http", "https"):
        return f'expected "{name}" to have a url with schema of: "http,https", got {value}'
    return None


def redirect_uri(name: str, value: Any) -> str | None:
    """`validation.IsRedirectUriFunc(urnAllowed=true, allowAllSchemes=true)`."""
    if not isinstance(value, str) or value == "":
        return f'URI must not be empty for "{name}"'
    parts = value.split(":")
    if len(parts) >= 3 and parts[0] == "urn":
        return None
    try:
        split = urlsplit(value)
    except ValueError:
        return f'URI is in an invalid format for "{name}"'
    if not split.netloc:
        return f'URI has no host for "{name}"'
    if len(value) > 256:
        return f'URI must be 256 characters or less for "{name}"'
    return None


def resource_id(*template: str) -> Validator:
    """`stable.Validate<Kind>ID`: the path shape only (`{name}` is any non-empty segment), as
    go-azure-sdk's `resourceids` parser checks it."""
    example = "/" + "/".join(template)

    def check(name: str, value: Any) -> str | None:
        if isinstance(value, str) and matches_template(value, template):
            return None
        return f'parsing "{value}": expected an ID of the form {example} (for "{name}")'

    return check


def matches_template(value: str, template: Sequence[str]) -> bool:
    segments = value.split("/")
    if len(segments) != len(template) + 1 or segments[0] != "":
        return False
    for want, got in zip(template, segments[1:], strict=True):
        if want.startswith("{"):
            if not got:
                return False
        elif want != got:
            return False
    return True


service_principal_id = resource_id("servicePrincipals", "{servicePrincipalId}")
application_id = resource_id("applications", "{applicationId}")


def each(validator: Validator) -> Validator:
    """Apply `validator` to each element of a list or set."""

    def check(name: str, value: Any) -> str | None:
        if not isinstance(value, Sequence) or isinstance(value, str):
            return f'expected "{name}" to be a list, got {value}'
        for index, item in enumerate(value):
            reason = validator(f"{name}[{index}]", item)
            if reason:
                return reason
        return None

    return check
