"""Every URL we take from the user is judged by the parser that sends the requests.

`rules/urls.py` is the one validator; the stack settings (scimTenantUrl, graphEndpoint,
authorityHost, ssoSignOnUrl, ssoIdentifier, ssoReplyUrl), the provider connection settings and
the token resource's `scim_base_url` input all use it, so each class of bad URL is refused in
each place, naming the key, before any request (or credential) leaves.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from clients.asana import AsanaScimClient
from clients.connection import ConfigError, resolve
from clients.http import HttpPolicy, ServiceError
from components.settings import SettingsError, load_settings
from providers.asana_token import AsanaServiceAccountTokenProvider
from rules.urls import GRAPH_ROOT, MAX_URL_LENGTH, ORIGIN, has_userinfo, url_problem
from tests.conftest import Tenant
from tests.emulator import Emulator
from tests.test_settings import SECRET_KEYS, VALID

P = "asana-provisioning:"
PASSWORD = "hunter2-in-a-url"
# Each class of URL that must be refused, built from a base URL's host and path.
BAD_URLS = {
    "backslash before @": "https://attacker.example\\@{host}{path}",
    "backslash after the host": "https://{host}\\.attacker.example{path}",
    "user and password": "https://admin:" + PASSWORD + "@{host}{path}",
    "empty userinfo": "https://@{host}{path}",
    "look-alike host": "https://{lookalike}{path}",
    "punycode host": "https://xn--pp-6kc.asana.com{path}",
    "space": "https://{host} .attacker.example{path}",
    "tab": "https://{host}{path}\t",
    "line break": "https://{host}{path}\r\nX-Injected: 1",
    "control character": "https://{host}\x00.attacker.example{path}",
    "query": "https://{host}{path}?redirect=https://attacker.example",
    "fragment": "https://{host}{path}#frag",
    "not https": "http://{host}{path}",
    "no scheme": "{host}{path}",
    "trailing-dot host": "https://{host}.{path}",
    "dot segments": "https://{host}/%2e%2e{path}",
    "rewritten by requests": "https://{upper}{path}",
}
URL_SETTINGS = {
    "scimTenantUrl": ("app.asana.com", "/api/1.0/scim"),
    "graphEndpoint": ("graph.contoso.example", ""),
    "authorityHost": ("login.contoso.example", ""),
    "ssoSignOnUrl": ("app.asana.com", "/a/contoso.com"),
    "ssoIdentifier": ("app.asana.com", "/"),
    "ssoReplyUrl": ("app.asana.com", "/-/saml/consume"),
}


def bad_url(template: str, host: str, path: str) -> str:
    lookalike = host.replace("a", "\u0430", 1)  # Cyrillic a
    return template.format(host=host, path=path, lookalike=lookalike, upper=host.upper())


def settings_problems(name: str, value: str) -> list[str]:
    config = {**VALID, f"{P}{name}": value}
    with pytest.raises(SettingsError) as error:
        load_settings(config, SECRET_KEYS)
    return error.value.problems


def test_a_tenant_url_with_a_backslash_is_refused_before_the_token_leaves(
    emulator: Emulator, tenant: Tenant
):
    """urllib.parse reads the host as the emulator's; requests would connect elsewhere."""
    port = urlsplit(emulator.scim_base_url).port
    url = f"https://attacker.invalid\\@127.0.0.1:{port}/api/1.0/scim"
    assert urlsplit(url).hostname == "127.0.0.1"  # what a urllib.parse check sees
    assert requests.Request("GET", url).prepare().url.startswith("https://attacker.invalid/")

    problems = settings_problems("scimTenantUrl", url)
    checked = AsanaServiceAccountTokenProvider().check(
        {}, {"token": tenant.asana_token, "scim_base_url": url}
    )
    with pytest.raises(ServiceError) as refused:  # a URL recorded in state before the check
        AsanaScimClient(url, tenant.asana_token, HttpPolicy())

    assert [p for p in problems if p.startswith(f"{P}scimTenantUrl")]
    assert "requests would connect to attacker.invalid" in problems[0]
    assert [f.property for f in checked.failures] == ["scim_base_url"]
    assert "backslash" in checked.failures[0].reason
    assert "not sent" in str(refused.value)
    assert emulator.requests == []


@pytest.mark.parametrize("name", list(URL_SETTINGS))
@pytest.mark.parametrize("case", list(BAD_URLS))
def test_every_url_setting_refuses_every_class_of_bad_url_naming_its_key(name: str, case: str):
    host, path = URL_SETTINGS[name]
    value = bad_url(BAD_URLS[case], host, path)

    problems = settings_problems(name, value)

    named = [problem for problem in problems if problem.startswith(f"{P}{name}")]
    assert named, problems
    assert PASSWORD not in "\n".join(problems)


@pytest.mark.parametrize("case", list(BAD_URLS))
def test_the_token_resource_refuses_every_class_of_bad_url_naming_the_property(case: str):
    value = bad_url(BAD_URLS[case], "app.asana.com", "/api/1.0/scim")

    checked = AsanaServiceAccountTokenProvider().check(
        {}, {"token": "2/1/2:abc", "scim_base_url": value}
    )

    assert [failure.property for failure in checked.failures] == ["scim_base_url"]
    assert PASSWORD not in checked.failures[0].reason


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        (f"{P}graphEndpoint", "https://graph.contoso.example/v1.0", "API version"),
        (f"{P}graphEndpoint", "https://graph.contoso.example/beta/", "API version"),
        (f"{P}authorityHost", "https://login.contoso.example/tenant", "scheme and host only"),
        (f"{P}graphEndpoint", f"https://u:{PASSWORD}@graph.contoso.example", "user name"),
        (f"{P}authorityHost", "https://login.contoso.example\\@x.example", "backslash"),
        ("azuread:oidcRequestUrl", "https://token.example\\@x.example/?a=1", "backslash"),
    ],
)
def test_connection_settings_use_the_same_validator_and_never_echo_a_password(
    key: str, value: str, words: str
):
    config = {key: value}
    if key.startswith("azuread:oidc"):
        config.update(
            {
                "azuread:useOidc": "true",
                "azuread:tenantId": "t",
                "azuread:clientId": "c",
                "azuread:oidcRequestToken": "request-token",
            }
        )

    with pytest.raises(ConfigError) as error:
        resolve(config, {})

    assert str(error.value).startswith(key)
    assert words in str(error.value)
    assert PASSWORD not in str(error.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://app.asana.com/api/1.0/scim",
        "https://graph.microsoft.com",
        "https://127.0.0.1:8443/scim/",
        "https://[::1]:8443/x",
        "https://app.asana.com/a/contoso.com",
        "https://app.asana.com/-/saml/consume",
        "https://a.example:1/",  # the lowest TCP port (RFC 9293: 16 bits, 0 is not a port)
        "https://a.example:65535/",  # the highest
        "https://[fe80::a]:8443/x",  # an IPv6 literal with hex letters (RFC 3986 3.2.2)
        "https://a.example/~user",  # `~` is unreserved (RFC 3986 2.3), sent as written
        "https://a.example/INBOX",  # a path ending in a capital X, sent as written
    ],
)
def test_a_plain_https_url_is_accepted(url: str):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example\\@b.example/",
        "https://a.example/\\@b.example",
        "https://a.example@b.example/",
        "https://a.example%40b.example/",
        "https://a.example:443@b.example/",
        "https://a.example#@b.example/",
        "https://a.example?@b.example/",
        "https://a.example\t@b.example/",
        "https://a.example;@b.example/",
        "https://[::1]@b.example/",
        "https://a.example:@b.example/",
        "https://a.example/..\\b.example",
        "https:/\\b.example/",
        "https:\\\\b.example/",
        "https://b.example:99999/",
        "https://A.example/",
        "https://a.example/%7e",
    ],
)
def test_a_url_that_passes_is_connected_to_exactly_as_checked(url: str):
    """For each tricky URL: either refused, or urllib.parse and requests agree on the host and
    requests sends it unchanged."""
    if url_problem(url) is not None:
        return
    sent = requests.Request("GET", url).prepare().url
    assert urlsplit(sent).hostname == urlsplit(url).hostname
    assert sent.rstrip("/") == url.rstrip("/")


def test_a_url_with_backslashes_names_the_host_requests_would_connect_to():
    """urllib3's parse_url (what requests connects with) ends the host at the first backslash
    and reads no user name before it: the URL goes to attacker.example."""
    problem = url_problem("https://attacker.example\\@app.asana.com\\scim") or ""

    assert "has a backslash" in problem
    assert problem.endswith("(requests would connect to attacker.example)")


def test_a_backslash_url_with_a_password_before_the_backslash_names_no_part_of_it():
    """A URL holding a user name or password is never shown back, not even its host."""
    problem = url_problem(f"https://admin:{PASSWORD}@a.example\\b") or ""

    assert "has a backslash" in problem
    assert "connect to" not in problem and "a.example" not in problem
    assert PASSWORD not in problem


def test_graph_root_and_origin_rules():
    assert url_problem("https://graph.contoso.example/", GRAPH_ROOT) is None
    assert url_problem("https://graph.contoso.example/custom/root", GRAPH_ROOT) is None
    assert "API version" in (url_problem("https://g.example/v2", GRAPH_ROOT) or "")
    assert url_problem("https://login.contoso.example", ORIGIN) is None
    assert "scheme and host only" in (url_problem("https://l.example/x", ORIGIN) or "")


def test_a_url_of_the_maximum_length_is_accepted_and_one_character_more_is_refused():
    longest = "https://a.example/" + "a" * (MAX_URL_LENGTH - len("https://a.example/"))

    assert len(longest) == MAX_URL_LENGTH == 2048
    assert url_problem(longest) is None
    assert url_problem(longest + "a") == "is over 2048 characters"


# Each refusal, as it completes "must be an https:// URL; this one ...": it says which rule the
# value breaks, so the user knows what to change.
REFUSALS = {
    "empty": ("", "is empty"),
    "none": (None, "is not text"),
    "a number": (443, "is not text"),
    "bytes": (b"https://a.example/", "is not text"),
    "user and password": (
        "https://admin:" + PASSWORD + "@a.example/",
        "carries a user name or password before its host (never put credentials in a URL)",
    ),
    # RFC 3986 3.2.3 allows any digits; a TCP port has 16 bits, and urllib3 refuses more.
    "port over 65535": ("https://a.example:65536/", "is not a well-formed URL (https://host/path)"),
    "port 0": ("https://a.example:0/", "has no valid port"),
    "no scheme": ("app.asana.com/api/1.0/scim", "uses no scheme instead of https://"),
    "http": ("http://app.asana.com/", "uses http scheme instead of https://"),
    "empty authority": ("https:///scim", "has no host"),
    "query": (
        "https://a.example/scim?x=1",
        "has a query (?) or fragment (#); give the base URL only",
    ),
    "fragment": (
        "https://a.example/scim#x",
        "has a query (?) or fragment (#); give the base URL only",
    ),
    # RFC 6874: a zone id is 1*(unreserved / pct-encoded); "%5B" decodes to "[", no zone name.
    "bad IPv6 zone": ("https://[fe80::1%25%5B]/", "has a malformed IPv6 host"),
    "underscore in host": (
        "https://a_b.example/",
        "has a host that is not a plain DNS name (letters, digits, '-' and '.')",
    ),
    "punycode host": (
        "https://xn--pp-6kc.asana.com/",
        "has an IDNA (punycode, xn--) host name, which can spell a look-alike of another host; "
        "use the plain ASCII name",
    ),
    # RFC 3986 2.3 and 6.2.2.2: %2E is ".", so "%2E%2E" is the ".." segment.
    "encoded dot dot": ("https://a.example/%2E%2E/x", "has a '.' or '..' path segment"),
    "encoded dot": ("https://a.example/x/%2e", "has a '.' or '..' path segment"),
    "uppercase host": (
        "https://A.example/",
        "would be sent as https://a.example/; write it in that form",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_names_the_rule_the_url_breaks(case: str):
    value, expected = REFUSALS[case]

    assert url_problem(value) == expected


def test_an_origin_with_a_path_and_a_graph_root_with_a_version_say_what_to_give():
    assert url_problem("https://login.contoso.example/tenant", ORIGIN) == (
        "has a path; give scheme and host only, e.g. https://login.microsoftonline.com"
    )
    assert url_problem("https://graph.contoso.example/v1.0", GRAPH_ROOT) == (
        "has an API version such as /v1.0 in its path, which the client adds itself "
        "(it would be doubled)"
    )


CONTROL = "has whitespace or a control character"
NOT_ASCII = "has a character that is not plain ASCII"
LOOKALIKE = ", which can spell a look-alike of another host"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/\x7f", CONTROL),  # DEL, the C0 set's last control (RFC 20)
        ("https://a.example/\x01", CONTROL),
        ("https://a.example/x\u00a0y", CONTROL),  # no-break space is whitespace, not a letter
        ("https://a.example/\x80", f"{NOT_ASCII} (U+0080)"),  # first code point past ASCII
        ("https://\u0430pp.asana.com/", f"{NOT_ASCII} (U+0430){LOOKALIKE}"),  # Cyrillic a
        ("https://app.asana.com\u0430/x", f"{NOT_ASCII} (U+0430){LOOKALIKE}"),
        ("://\u00e4.example/", f"{NOT_ASCII} (U+00E4){LOOKALIKE}"),
        ("https://app.asana.com/caf\u00e9", f"{NOT_ASCII} (U+00E9)"),  # in the path
        ("https://?\u00e4", f"{NOT_ASCII} (U+00E4)"),  # empty authority, in the query
        ("/\u00e4", f"{NOT_ASCII} (U+00E4)"),  # no authority at all (RFC 3986 4.2)
        # The authority is the one after the first "://"; a later one is inside the query.
        ("https://a.example/x?u=https://b\u00e4.example", f"{NOT_ASCII} (U+00E4)"),
    ],
    ids=[
        "del",
        "c0-control",
        "no-break-space",
        "u0080",
        "host-start",
        "host-end",
        "host-no-scheme",
        "path",
        "query-empty-authority",
        "relative-path",
        "second-url-in-query",
    ],
)
def test_a_character_outside_printable_ascii_is_named_and_said_to_be_in_the_host_only_there(
    value: str, expected: str
):
    assert url_problem(value) == expected


def test_a_backslash_url_with_a_password_says_only_that_it_has_a_backslash():
    problem = url_problem(f"https://admin:{PASSWORD}@a.example\\b")

    assert problem == "has a backslash, which URL parsers read differently"


@pytest.mark.parametrize("zone", ["eth0", "X"])
def test_an_ipv6_zone_the_parsers_read_differently_is_refused_naming_the_host_requests_uses(
    zone: str,
):
    """RFC 6874: in a URI the zone's `%` is written `%25`. urllib3 decodes it (zone `eth0`);
    urllib.parse keeps it (zone `25eth0`): two readings of one host."""
    problem = url_problem(f"https://[fe80::1%25{zone}]/")

    assert problem == (
        f"is read with different hosts by different URL parsers ([fe80::1%{zone}] for requests)"
    )


@pytest.mark.parametrize(
    ("value", "holds"),
    [
        ("https://user@a.example/", True),
        ("https://user@[a.example/", True),  # @ before the host, even if the host is broken
        # urllib.parse reads `attacker.example\` as user name (WHATWG reads `\` as `/`).
        ("https://attacker.example\\@app.asana.com/", True),
        ("https://[a.example/", False),
        ("https://a.example/people/user@example.com", False),  # @ in the path (RFC 3986 3.3)
        ("https://a.example/?next=https://user@b.example", False),  # @ in the query
        ("mailto:user@example.com", False),  # no authority: the @ is in the path
    ],
    ids=[
        "userinfo",
        "userinfo-broken-host",
        "backslash-before-at",
        "broken-host",
        "at-in-path",
        "url-in-query",
        "no-authority",
    ],
)
def test_userinfo_is_only_what_comes_before_the_host(value: str, holds: bool):
    """RFC 3986 3.2.1: userinfo sits in the authority, ended by the first `/`, `?` or `#`."""
    assert has_userinfo(value) is holds
