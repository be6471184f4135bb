"""Every stack setting and every dynamic-resource input, fed malformed values.

Each must be refused at preview with a message naming the key (the setting, or the resource
property), before any resource is declared and without an HTTP request or a traceback. The few
free-text settings where such a value is a legitimate name (an injection-looking display name)
are accepted and passed on as plain data; the table says which. Every URL setting and input is
also fed each class of URL that would send a credential elsewhere (tests/test_urls.py has them
all), and a URL's password never appears in the error. Outcomes are printed at the end of the
run and written to docs/reliability.md by `make docs` (tests/reporting.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.settings import SETTINGS, SettingsError
from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.provisioning_template import ProvisioningTemplateProvider
from tests.emulator import Emulator
from tests.engine import EngineResource, ProviderServer, Secret
from tests.network_guard import armed_in, attempts_in, guarded_env, refused_connections
from tests.program import run_program
from tests.reporting import record, table
from tests.test_settings import SECRET_KEYS, VALID
from tests.test_urls import BAD_URLS, PASSWORD, URL_SETTINGS, bad_url

INJECTION = "'; DROP TABLE users; --"
TEMPLATE_INJECTION = "{{7*7}}$(id)`id`"
UNICODE = "Asana\u202e\u0000"
LONG = "A" * 5000
ELLIPSIS = "Asana\u2026"  # a truncated copy
LOOKALIKE = "\u0410sana"  # Cyrillic A
DEEP = "[" * 5000 + "]" * 5000
HUGE = json.dumps(["x" * 3_000_000])

# What each kind of setting is fed.
BY_TYPE: dict[str, dict[str, Any]] = {
    "string": {
        "empty": "",
        "too long": LONG,
        "unicode controls": UNICODE,
        "injection": INJECTION,
        "template injection": TEMPLATE_INJECTION,
        "ellipsis (…)": ELLIPSIS,
        "look-alike letters": LOOKALIKE,
    },
    "boolean": {
        "wrong type": "maybe",
        "empty": "",
        "too long": "true" * 2000,
        "unicode controls": "tru\u00e9",
        "injection": "true; rm -rf /",
    },
    "integer": {
        "wrong type": "ten",
        "empty": "",
        "too long": "9" * 5000,
        "unicode controls": "\uff15\uff10\uff10",
        "injection": "1 OR 1=1",
    },
    "array": {
        "wrong type": json.dumps({"a": 1}),
        "empty": json.dumps([""]),
        "too long": json.dumps([LONG]),
        "unicode controls": json.dumps([UNICODE]),
        "injection": json.dumps([INJECTION]),
        "huge list": json.dumps([f"x{n}" for n in range(20_000)]),
        "null entry": "[null]",
        "nested 5000 deep": DEEP,
        "3 MB value": HUGE,
    },
    "object": {
        "wrong type": json.dumps(["title"]),
        "too long": json.dumps({"mappings": [{"target": "title", "expression": LONG}]}),
        "unicode controls": json.dumps({"mappings": [{"target": "title", "attribute": UNICODE}]}),
        "injection": json.dumps(
            {"mappings": [{"target": "title", "expression": f'Join("", [a]){INJECTION}'}]}
        ),
        "huge list": json.dumps(
            {"mappings": [{"target": "title", "attribute": f"a{n}"} for n in range(5_000)]}
        ),
        "null entry": json.dumps({"mappings": [None]}),
        "nested 5000 deep": '{"mappings": ' + DEEP + "}",
        "3 MB value": json.dumps({"mappings": [{"target": "title", "constant": "x" * 3_000_000}]}),
    },
}
# URL classes (columns) fed to every URL setting, built from the setting's own host and path.
URL_CLASSES = {
    "URL: backslash": "backslash before @",
    "URL: user and password": "user and password",
    "URL: look-alike host": "look-alike host",
    "URL: punycode host": "punycode host",
    "URL: whitespace": "space",
    "URL: query or fragment": "query",
    "URL: rewritten by requests": "rewritten by requests",
}
# (setting, value class) pairs where the value is legitimate: free text passed on as data, or
# an empty optional setting meaning "not set".
ACCEPTED = {
    ("appDisplayName", "injection"),
    ("appDisplayName", "template injection"),
    ("appDisplayName", "ellipsis (…)"),  # display names are free text in any script
    ("appDisplayName", "look-alike letters"),
    ("assignmentGroups", "ellipsis (…)"),  # so are group names, looked up by Graph
    ("assignmentGroups", "look-alike letters"),
    ("assignmentGroups", "injection"),
    ("asanaToken", "template injection"),  # opaque: only ever sent as a bearer token
    ("galleryTemplateId", "empty"),
    ("ssoCertificateEndDate", "empty"),
    ("ssoActiveCertificate", "empty"),  # the only certificate declared
    ("graphEndpoint", "empty"),
    ("authorityHost", "empty"),
    ("canaryUser", "empty"),
}
# The app role is looked up among the live app's roles, so a name that is no role fails there.
ROLE_CHECKED_AGAINST_THE_APP = {
    ("assignmentAppRole", "injection"),
    ("assignmentAppRole", "template injection"),
    ("assignmentAppRole", "ellipsis (…)"),
    ("assignmentAppRole", "look-alike letters"),
}
CASES = (
    [
        (setting.name, value_class, value)
        for setting in SETTINGS
        for value_class, value in BY_TYPE[setting.type].items()
    ]
    + [
        (name, column, bad_url(BAD_URLS[case], *URL_SETTINGS[name]))
        for name in URL_SETTINGS
        for column, case in URL_CLASSES.items()
    ]
    + [("graphEndpoint", "URL: version path", "https://graph.contoso.example/v1.0")]
)

SETTINGS_TABLE = table(
    "Bad input: stack settings",
    module=__name__,
    cases=len(CASES),
    about="""
    Every stack setting, fed malformed values through the program under Pulumi's mocks:
    refused before any resource is declared, the message naming the key, with no traceback and
    no HTTP request. Free text where the value is a legitimate name is passed on as data; an
    app role that is no role of the app is refused when compared with the app's roles. The
    `URL:` columns feed every URL setting its own URL turned into each class that would send a
    credential elsewhere (tests/test_urls.py has more, and checks the validator against what
    `requests` really connects to); a URL's password never appears in the error. Character
    classes (`ellipsis (…)`, `look-alike letters`) are refused except where a name may be
    written in any script; lists and objects are also fed a `null` entry, nesting thousands of
    levels deep and a value of several megabytes. An empty cell: the class does not apply to
    the setting's type.
    """,
)


@pytest.mark.parametrize(
    ("name", "value_class", "value"),
    CASES,
    ids=[f"{name}: {value_class}" for name, value_class, _ in CASES],
)
def test_a_malformed_setting_is_refused_naming_its_key(name: str, value_class: str, value: Any):
    key = f"asana-provisioning:{name}"
    with refused_connections() as attempts:
        run = run_program({**VALID, key: value}, SECRET_KEYS)

    assert attempts == [], f"{key} = {value!r:.80} opened a connection: {attempts}"
    # No traceback: the language host prints a pulumi.RunError as its message alone and any
    # other exception with its traceback (upstream sdk/python/cmd/pulumi-language-python-exec,
    # `except pulumi.RunError as e: pulumi.log.error(str(e))`).
    assert run.error is None or isinstance(run.error, pulumi.RunError), repr(run.error)
    assert "Traceback" not in str(run.error)
    if (name, value_class) in ACCEPTED:
        assert run.error is None, run.error
        outcome = "accepted as plain data"
    elif (name, value_class) in ROLE_CHECKED_AGAINST_THE_APP:
        assert isinstance(run.error, pulumi.RunError) and str(run.error).startswith(key)
        outcome = "refused against the app's roles, names the key"
    else:
        assert isinstance(run.error, SettingsError), f"{key} = {value!r:.80} was not refused"
        assert run.resources == []
        assert any(problem.startswith(key) for problem in run.error.problems), run.error.problems
        if name == "asanaToken":
            assert value not in str(run.error) or value == ""
        assert PASSWORD not in str(run.error)
        outcome = "refused, names the key"
    record(SETTINGS_TABLE, name, value_class, outcome)


SP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
RESOURCES = {
    "token": (
        AsanaServiceAccountTokenProvider,
        {"token": Secret("2/1/2:abc"), "scim_base_url": "https://app.asana.com/api/1.0/scim"},
    ),
    "template": (ProvisioningTemplateProvider, {"service_principal_id": SP}),
    "mappings": (
        ProvisioningAttributeMappingsProvider,
        {
            "service_principal_id": SP,
            "job_id": "asana.0a1b2c3d4e5f.6f5e4d3c-2b1a-4098-8765-43210fedcba9",
            "kind": "user",
            "source_object": "User",
            "target_object": "User",
            "mode": "merge",
            "mappings": [{"target": "title", "attribute": "jobTitle"}],
        },
    ),
}
INPUT_VALUES: dict[str, Any] = {
    "wrong type": 42,
    "empty": "",
    "too long": LONG,
    "unicode controls": UNICODE,
    "injection": INJECTION,
    "huge list": [f"x{n}" for n in range(20_000)],
    "ellipsis (…)": ELLIPSIS,
}
# Inputs a failure names otherwise: the mapping spec's keys as the stack file spells them.
NAMED_AS = {("mappings", "scoping_filter"): "scopingFilter"}
# Inputs whose empty value means "use the default".
EMPTY_MEANS_DEFAULT = {("token", "scim_base_url"), ("template", "factory_tag")}
INPUT_CASES = [
    (resource, prop, value_class)
    for resource, props in (
        ("token", ["token", "scim_base_url"]),
        ("template", ["service_principal_id", "factory_tag"]),
        (
            "mappings",
            [
                "service_principal_id",
                "job_id",
                "kind",
                "mode",
                "mappings",
                "scoping_filter",
                "actions",
            ],
        ),
    )
    for prop in props
    for value_class in INPUT_VALUES
] + [("token", "scim_base_url", column) for column in URL_CLASSES]

INPUTS_TABLE = table(
    "Bad input: dynamic-resource inputs",
    module=__name__,
    cases=len(INPUT_CASES),
    about="""
    Every input of our dynamic resources, fed malformed values through the provider's `check`
    over gRPC: refused naming the property, with no request sent. The token's `scim_base_url`
    also gets every `URL:` class; a URL recorded in state before these checks existed is
    refused by the SCIM client itself, before anything is sent.
    """,
)


@pytest.fixture(scope="module")
def network_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the provider process records each connection it tries (tests/network_guard.py)."""
    return tmp_path_factory.mktemp("network") / "attempts.log"


@pytest.fixture(scope="module")
def check_server(network_log: Path) -> Iterator[ProviderServer]:
    """A provider process with default endpoints (Graph and Asana on the internet): any
    request it tried would be refused and recorded by the network guard, wherever it went."""
    with ProviderServer(env=guarded_env(network_log)) as server:
        server.configure({})
        yield server


@pytest.mark.parametrize(
    ("resource", "prop", "value_class"),
    INPUT_CASES,
    ids=[f"{r}.{p}: {c}" for r, p, c in INPUT_CASES],
)
def test_a_malformed_input_fails_check_naming_the_property_without_a_request(
    emulator: Emulator,
    check_server: ProviderServer,
    network_log: Path,
    resource: str,
    prop: str,
    value_class: str,
):
    provider, valid = RESOURCES[resource]
    value = (
        bad_url(BAD_URLS[URL_CLASSES[value_class]], "app.asana.com", "/api/1.0/scim")
        if value_class in URL_CLASSES
        else INPUT_VALUES[value_class]
    )
    news = {**valid, prop: Secret(value) if prop == "token" else value}
    engine_resource = EngineResource(check_server, provider(), f"asana:{resource}", resource)

    checked = engine_resource.check(news)

    if (resource, prop) in EMPTY_MEANS_DEFAULT and value_class == "empty":
        assert checked.failures == []
        outcome = "empty means the default"
    else:
        name = NAMED_AS.get((resource, prop), prop)
        named = [p for p, _ in checked.failures if p == name or p.startswith(f"{name}[")]
        assert named, f"{resource}.{prop} = {value!r:.60} passed check: {checked.failures}"
        assert PASSWORD not in str(checked.failures)
        outcome = "refused, names the property"
    assert emulator.requests == []
    assert armed_in(network_log), "the network guard was not loaded in the provider process"
    assert attempts_in(network_log) == []
    assert "Traceback" not in check_server.stderr_text()
    record(INPUTS_TABLE, f"{resource}.{prop}", value_class, outcome)
