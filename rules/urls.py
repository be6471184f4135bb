"""The one judge of every URL we take from the user and then send requests (and credentials) to.

Python has two URL parsers that disagree: `urllib.parse` (which our checks, the policy pack and
most readers use) and urllib3's `parse_url` (which `requests` connects with). For
`https://attacker.example\\@app.asana.com/scim` the first sees the host `app.asana.com`, while
`requests` connects to `attacker.example` and sends it the token. So a URL is judged here by the
parser that sends the requests, refused when the two parsers do not agree on its host, and
refused unless `requests` would send it exactly as written: what was checked is what is
connected to. Pure: parsing only, no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from requests import PreparedRequest
from requests.exceptions import RequestException
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

MAX_URL_LENGTH = 2048
ALLOWED = "an https:// URL"
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A path segment naming a Graph API version, which the client adds itself.
_VERSION_SEGMENT = re.compile(r"^(v[0-9]+(\.[0-9]+)?|beta)$", re.IGNORECASE)
_DOT_SEGMENT = re.compile(r"^(\.|%2e){1,2}$", re.IGNORECASE)

PathRule = Literal["any", "none", "no_version"]


@dataclass(frozen=True)
class UrlRule:
    """What a kind of URL may carry besides `https://host[:port]`."""

    path: PathRule = "any"
    query: bool = False


BASE_URL = UrlRule()
"""A service base URL such as Asana's SCIM root or a SAML URL: any path, no query."""
ORIGIN = UrlRule(path="none")
"""Scheme and host only, as azure-identity takes an authority host."""
GRAPH_ROOT = UrlRule(path="no_version")
"""Graph's root: a path is allowed, an API version is not (the client adds `/v1.0`)."""
REQUEST_URL = UrlRule(query=True)
"""A full request URL handed to us by a platform (GitHub's OIDC token URL has a query)."""


def url_problem(value: object, rule: UrlRule = BASE_URL) -> str | None:
    """What makes `value` unsafe or unusable as a URL to send requests to, or None if it is fine.

    The text completes "must be an https:// URL; this one ...", and never repeats the user name
    or password a URL may carry.
    """
    if not isinstance(value, str) or not value:
        return "is empty" if value == "" else "is not text"
    if len(value) > MAX_URL_LENGTH:
        return f"is over {MAX_URL_LENGTH} characters"
    if problem := _character_problem(value):
        return problem
    if has_userinfo(value):
        return "carries a user name or password before its host (never put credentials in a URL)"
    try:
        parsed = parse_url(value)
    except LocationParseError:
        return "is not a well-formed URL (https://host/path)"
    if parsed.scheme != "https":
        return f"uses {parsed.scheme or 'no'} scheme instead of https://"
    if not parsed.host:
        return "has no host"
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return "has no valid port"
    if problem := _host_problem(parsed.host):
        return problem
    if "#" in value or ("?" in value and not rule.query):
        return "has a query (?) or fragment (#); give the base URL only"
    if problem := _path_problem(parsed.path or "", rule):
        return problem
    return _agreement_problem(value, parsed.host)


def has_userinfo(value: str) -> bool:
    """Whether the text between `scheme://` and the host holds an `@` (a user name, password or
    token), by either parser's reading; such a value is never shown back to the user."""
    _, separator, rest = value.partition("://")
    if not separator:
        return False
    if "@" in re.split(r"[/?#\\]", rest, maxsplit=1)[0]:
        return True
    try:
        return "@" in urlsplit(value).netloc
    except ValueError:
        return False


def may_hold_credential(value: object) -> bool:
    """True for text that looks like a URL carrying userinfo: show it to nobody."""
    return isinstance(value, str) and "://" in value and has_userinfo(value)


def _character_problem(value: str) -> str | None:
    host_end = _authority_end(value)
    for index, character in enumerate(value):
        if character.isspace() or ord(character) < 0x20 or ord(character) == 0x7F:
            return "has whitespace or a control character"
        if ord(character) > 0x7E:
            where = ", which can spell a look-alike of another host" if index < host_end else ""
            return f"has a character that is not plain ASCII (U+{ord(character):04X}){where}"
    if "\\" in value:
        connects_to = _host_requests_would_use(value)
        where = f" (requests would connect to {connects_to})" if connects_to else ""
        return f"has a backslash, which URL parsers read differently{where}"
    return None


def _authority_end(value: str) -> int:
    """Where the host part ends (the first `/`, `?`, `#` or backslash after `scheme://`)."""
    start = value.find("://")
    start = 0 if start < 0 else start + 3
    match = re.compile(r"[/?#\\]").search(value, start)
    return match.start() if match else len(value)


def _host_requests_would_use(value: str) -> str | None:
    """The host `requests` would open a connection to, for telling the user where a URL goes."""
    if has_userinfo(value.split("\\", 1)[0]):
        return None
    try:
        return parse_url(value).host
    except LocationParseError:
        return None


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            return "has a malformed IPv6 host"
        return None
    labels = host.split(".")
    if not all(_DNS_LABEL.match(label) for label in labels):
        return "has a host that is not a plain DNS name (letters, digits, '-' and '.')"
    if any(label.startswith("xn--") for label in labels):
        return (
            "has an IDNA (punycode, xn--) host name, which can spell a look-alike of another "
            "host; use the plain ASCII name"
        )
    return None


def _path_problem(path: str, rule: UrlRule) -> str | None:
    segments = [segment for segment in path.split("/") if segment]
    if any(_DOT_SEGMENT.match(segment) for segment in segments):
        return "has a '.' or '..' path segment"
    if rule.path == "none" and segments:
        return "has a path; give scheme and host only, e.g. https://login.microsoftonline.com"
    if rule.path == "no_version" and any(_VERSION_SEGMENT.match(s) for s in segments):
        return (
            "has an API version such as /v1.0 in its path, which the client adds itself "
            "(it would be doubled)"
        )
    return None


def _agreement_problem(value: str, host: str) -> str | None:
    """Refuses a URL that the two parsers read differently, or that `requests` would rewrite."""
    try:
        seen_by_urllib = urlsplit(value).hostname
    except ValueError:
        return "is not a well-formed URL (https://host/path)"
    if seen_by_urllib != host.strip("[]").lower() and seen_by_urllib != host.lower():
        return f"is read with different hosts by different URL parsers ({host} for requests)"
    prepared = PreparedRequest()
    try:
        prepared.prepare_url(value, None)
    except (RequestException, LocationParseError, UnicodeError):
        return "is not a well-formed URL (https://host/path)"
    sent = prepared.url or ""
    if sent.rstrip("/") != value.rstrip("/"):
        return f"would be sent as {sent}; write it in that form"
    return None
