"""clients/ logic without a tenant: replies as each service documents them, in, and what the
error says, out. Expected values are written from the documents, not computed by the code
under test."""

from __future__ import annotations

import json
import locale

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from urllib3.response import HTTPResponse
from urllib3.util.retry import RequestHistory

from clients import credentials, directory, pulumi_cli, schema_io
from clients.connection import ConfigError, CredentialSpec, resolve
from clients.directory import DirectoryReader
from clients.graph import GraphClient, synchronization_path
from clients.http import BoundedRetry, ServiceError, error_text, redirect_error


def reply(body: object, status: int = 400, reason: str = "Bad Request") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.reason = reason
    return response


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Microsoft Graph: {"error": {"code", "message"}}
        # https://learn.microsoft.com/graph/errors
        (
            {"error": {"code": "Request_BadRequest", "message": "Invalid filter clause"}},
            "Request_BadRequest: Invalid filter clause",
        ),
        ({"error": {"message": "no code given"}}, "no code given"),
        # OAuth 2.0 token endpoint: {"error", "error_description"} (RFC 6749 section 5.2)
        (
            {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid secret."},
            "invalid_client: AADSTS7000215: Invalid secret.",
        ),
        ({"error": "invalid_grant"}, "invalid_grant"),
        # Asana: {"errors": [{"message"}]} (https://developers.asana.com/docs/errors)
        (
            {"errors": [{"message": "Not Authorized"}, {"message": "Forbidden"}]},
            "Not Authorized; Forbidden",
        ),
        # SCIM 2.0: {"schemas", "status", "detail"} (RFC 7644 section 3.12)
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409",
                "detail": "userName is already taken",
            },
            "userName is already taken",
        ),
    ],
    ids=["graph", "graph without code", "oauth2", "oauth2 without description", "asana", "scim"],
)
def test_the_error_text_is_the_services_own_message_in_its_documented_shape(body, expected):
    assert error_text(reply(body)) == expected


def test_a_body_that_is_not_json_is_quoted_as_text_and_an_empty_one_gives_the_reason():
    assert error_text(reply(b"<h1>Bad gateway</h1>", 502)) == "<h1>Bad gateway</h1>"
    assert error_text(reply(b"", 503, "Service Unavailable")) == "Service Unavailable"


# --- clients/directory.py: the directory reads of the access impact preview, as Graph's
# paging and advanced-query pages document them (https://learn.microsoft.com/graph/paging ,
# https://learn.microsoft.com/graph/aad-advanced-queries: $count needs ConsistencyLevel:
# eventual; https://learn.microsoft.com/graph/api/group-list-members).

GRAPH = "https://graph.microsoft.com"


class RecordingGraph:
    """Stands in for GraphClient: answers each GET from `replies` (path -> reply, or an
    exception to raise) and records (path, params, headers)."""

    endpoint = GRAPH

    def __init__(self, replies: dict[str, object]) -> None:
        self.replies = replies
        self.sent: list[tuple[str, dict | None, dict | None]] = []

    def get(self, path: str, params=None, headers=None):
        self.sent.append((path, params, headers))
        reply = self.replies[path]
        if isinstance(reply, Exception):
            raise reply
        return reply


def test_a_counted_collection_asks_for_its_size_once_and_follows_next_links_with_the_header():
    graph = RecordingGraph(
        {
            "/users": {
                "@odata.count": 1500,
                "value": [{"id": "u1"}],
                "@odata.nextLink": f"{GRAPH}/v1.0/users?$skiptoken=abc",
            },
            "/users?$skiptoken=abc": {"value": [{"id": "u2"}]},
        }
    )
    progress: list[str] = []
    reader = DirectoryReader(graph, progress.append)

    pages = list(reader.all_users(["id", "department"]))

    assert pages == [[{"id": "u1"}], [{"id": "u2"}]]
    assert graph.sent == [
        (
            "/users",
            {"$select": "id,department", "$top": "999", "$count": "true"},
            {"ConsistencyLevel": "eventual"},
        ),
        ("/users?$skiptoken=abc", None, {"ConsistencyLevel": "eventual"}),
    ]
    assert progress == ["reading every user: 1,500"]
    assert reader.requests == 2


def test_an_uncounted_collection_sends_no_count_and_no_header():
    graph = RecordingGraph({"/groups": {"value": [{"id": "g1", "displayName": "Sales"}]}})
    progress: list[str] = []

    pages = list(DirectoryReader(graph, progress.append).all_groups(["department", "id"]))

    assert pages == [[{"id": "g1", "displayName": "Sales"}]]
    assert graph.sent == [
        ("/groups", {"$select": "id,displayName,department", "$top": "999"}, None)
    ]
    assert progress == []


def test_a_next_link_to_another_host_is_never_followed():
    graph = RecordingGraph(
        {"/users": {"value": [], "@odata.nextLink": "https://graph.contoso.example/v1.0/users"}}
    )

    with pytest.raises(ServiceError) as error:
        list(DirectoryReader(graph).all_users(["id"]))

    assert (error.value.service, error.value.method, error.value.path, error.value.status) == (
        "Microsoft Graph",
        "GET",
        "/v1.0/users",
        None,
    )
    assert error.value.detail == "returned a next page on another host"
    assert len(graph.sent) == 1


def test_group_members_are_read_as_users_only_through_the_odata_cast():
    graph = RecordingGraph(
        {"/groups/a%2Fb/members/microsoft.graph.user": {"@odata.count": 0, "value": []}}
    )
    progress: list[str] = []

    list(DirectoryReader(graph, progress.append).user_members("a/b", "Sales", ["id"]))

    assert graph.sent[0][0] == "/groups/a%2Fb/members/microsoft.graph.user"
    assert progress == ["reading the users in group Sales: 0"]


def test_a_group_by_id_is_one_get_and_a_missing_one_is_none_found():
    found = {"id": "g1", "displayName": "Sales"}
    graph = RecordingGraph(
        {
            "/groups/g1": found,
            "/groups/g2": ServiceError("Microsoft Graph", "GET", "/groups/g2", "gone", 404),
            "/groups/g3": ServiceError("Microsoft Graph", "GET", "/groups/g3", "boom", 500),
        }
    )
    reader = DirectoryReader(graph)

    assert reader.group("g1", ["mail", "id"], by_id=True) == [found]
    assert graph.sent[0] == ("/groups/g1", {"$select": "id,displayName,mail"}, None)
    assert reader.group("g2", [], by_id=True) == []
    with pytest.raises(ServiceError):
        reader.group("g3", [], by_id=True)


def test_a_group_by_name_is_an_odata_filter_with_quotes_doubled():
    graph = RecordingGraph({"/groups": {"value": [{"id": "g1"}, {"id": "g2"}]}})

    assert DirectoryReader(graph).group("O'Neil's team", [], by_id=False) == [
        {"id": "g1"},
        {"id": "g2"},
    ]
    assert graph.sent == [
        (
            "/groups",
            {
                "$filter": "displayName eq 'O''Neil''s team'",
                "$select": "id,displayName",
                "$top": "999",
            },
            None,
        )
    ]


def test_a_user_is_read_by_id_or_principal_name_and_a_missing_one_is_none():
    graph = RecordingGraph(
        {
            "/users/ada@contoso.com": {"id": "u1"},
            "/users/nobody@contoso.com": ServiceError("Microsoft Graph", "GET", "/", "no", 404),
            "/users/broken": ServiceError("Microsoft Graph", "GET", "/", "no", 503),
        }
    )
    reader = DirectoryReader(graph)

    assert reader.user("ada@contoso.com", ["id", "mail"]) == {"id": "u1"}
    assert graph.sent[0] == ("/users/ada@contoso.com", {"$select": "id,mail"}, None)
    assert reader.user("nobody@contoso.com", ["id"]) is None
    with pytest.raises(ServiceError):
        reader.user("broken", ["id"])


def test_the_apps_assignments_are_read_whole_with_three_fields():
    sp = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    path = f"/servicePrincipals/{sp}/appRoleAssignedTo"
    graph = RecordingGraph(
        {
            path: {"value": [{"principalId": "a"}], "@odata.nextLink": f"{GRAPH}/v1.0{path}?p=2"},
            f"{path}?p=2": {"value": [{"principalId": "b"}]},
        }
    )

    assert DirectoryReader(graph).assignments(sp) == [{"principalId": "a"}, {"principalId": "b"}]
    assert graph.sent[0] == (
        path,
        {"$select": "principalId,principalType,principalDisplayName", "$top": "999"},
        None,
    )


SP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
JOB = "Asana.e8e2b6c4d1f14a5c9b0d3e7f2a1c6b48.5f1e7a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
SYNC = f"/servicePrincipals/{SP}/synchronization"


def test_the_job_and_its_schema_are_read_at_the_paths_graph_documents():
    """GET /servicePrincipals/{id}/synchronization/jobs/{jobId} and .../jobs/{jobId}/schema
    (https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-get ,
    https://learn.microsoft.com/graph/api/synchronization-synchronizationschema-get)."""
    job = {"id": JOB, "templateId": "asana"}
    schema = {"id": JOB, "version": "Date:2026-12-03T10:00:00Z"}
    graph = RecordingGraph({f"{SYNC}/jobs/{JOB}": job, f"{SYNC}/jobs/{JOB}/schema": schema})
    reader = DirectoryReader(graph)

    assert reader.job(SP, JOB) == job
    assert reader.schema(SP, JOB) == schema
    assert [path for path, _, _ in graph.sent] == [
        f"{SYNC}/jobs/{JOB}",
        f"{SYNC}/jobs/{JOB}/schema",
    ]


def test_filter_operators_and_secrets_are_read_as_the_collections_graph_documents():
    """filterOperators: a filterOperatorSchema collection
    (https://learn.microsoft.com/graph/api/synchronization-synchronizationschema-filteroperators);
    secrets: key/value pairs (https://learn.microsoft.com/entra/identity/hybrid/cloud-sync/
    how-to-inbound-synch-ms-graph), a masked one read back as "*"."""
    equals = {"name": "EQUALS", "arity": "Binary", "multivaluedComparisonType": "All"}
    graph = RecordingGraph(
        {
            f"{SYNC}/jobs/{JOB}/schema/filterOperators": {"value": [equals]},
            f"{SYNC}/secrets": {
                "value": [
                    {"key": "SyncAll", "value": "false"},
                    {"key": "SecretToken", "value": "*"},
                    {"value": "a pair without a key"},
                ]
            },
        }
    )
    reader = DirectoryReader(graph)

    assert reader.filter_operators(SP, JOB) == [equals]
    assert reader.secrets(SP) == {"SyncAll": "false", "SecretToken": "*"}


@pytest.mark.parametrize(
    ("read", "path"),
    [
        (lambda r: r.filter_operators(SP, JOB), f"{SYNC}/jobs/{JOB}/schema/filterOperators"),
        (lambda r: r.secrets(SP), f"{SYNC}/secrets"),
    ],
    ids=["filter operators", "secrets"],
)
def test_a_collection_reply_without_a_value_list_names_the_get_and_its_full_path(read, path):
    graph = RecordingGraph({path: {"value": {"key": "SyncAll"}}})

    with pytest.raises(ServiceError) as error:
        read(DirectoryReader(graph))

    assert (error.value.service, error.value.method, error.value.path) == (
        "Microsoft Graph",
        "GET",
        f"/v1.0{path}",
    )
    assert error.value.detail == (
        "answered with a collection whose value is missing or not a list of objects"
    )


def test_an_id_is_sent_as_one_path_segment_whatever_it_holds():
    """RFC 3986 section 3.3: a "/" inside a segment must be percent-encoded, or it would
    split the id into two segments and read another resource."""
    graph = RecordingGraph(
        {
            "/servicePrincipals/a%2Fb/appRoleAssignedTo": {"value": []},
            "/groups/c%2Fd": {"id": "c/d", "displayName": "Sales"},
        }
    )
    reader = DirectoryReader(graph)

    assert reader.assignments("a/b") == []
    assert reader.group("c/d", [], by_id=True) == [{"id": "c/d", "displayName": "Sales"}]
    assert [path for path, _, _ in graph.sent] == [
        "/servicePrincipals/a%2Fb/appRoleAssignedTo",
        "/groups/c%2Fd",
    ]


@pytest.mark.parametrize(
    ("read", "path", "line"),
    [
        (lambda r: r.all_groups(["id"]), "/groups", "reading every group: 2"),
        (lambda r: iter([r.assignments(SP)]), f"/servicePrincipals/{SP}/appRoleAssignedTo",
         "reading the app's assignments: 2"),
        (lambda r: iter([r.group("Sales", [], by_id=False)]), "/groups", "reading groups: 2"),
    ],
    ids=["every group", "assignments", "groups by name"],
)  # fmt: skip
def test_a_size_graph_gives_unasked_is_shown_under_the_name_of_what_is_read(read, path, line):
    """These reads ask for no `$count`; should Graph send `@odata.count` anyway, the progress
    line still names the collection being read."""
    graph = RecordingGraph({path: {"@odata.count": 2, "value": [{"id": "x"}, {"id": "y"}]}})
    progress: list[str] = []

    list(read(DirectoryReader(graph, progress.append)))

    assert progress == [line]


# --- clients/credentials.py: GitHub Actions' OIDC token for workload identity federation, as
# GitHub documents the request (https://docs.github.com/actions/security-for-github-actions/
# security-hardening-your-deployments/configuring-openid-connect-in-cloud-providers: GET
# $ACTIONS_ID_TOKEN_REQUEST_URL&audience=..., `Authorization: bearer $ACTIONS_ID_TOKEN_
# REQUEST_TOKEN`, reply {"value": "<jwt>"}) with Entra's audience api://AzureADTokenExchange.

GITHUB_SPEC = CredentialSpec(
    "github_oidc",
    tenant_id="t",
    client_id="c",
    secret="request-token",
    request_url="https://pipelines.actions.githubusercontent.com/x/idtoken?api-version=2.0",
)


def github_reply(status: int, body: bytes) -> requests.Response:
    response = reply(body, status)
    response._content = body
    return response


def test_the_github_oidc_token_is_asked_for_with_entras_audience_and_no_redirect(monkeypatch):
    sent: list[tuple[str, dict]] = []

    def get(url, **kwargs):
        sent.append((url, kwargs))
        return github_reply(200, b'{"value": "eyJ0eXAi.jwt.sig"}')

    monkeypatch.setattr(credentials.requests, "get", get)

    assert credentials._github_assertion(GITHUB_SPEC, (3.0, 7.0))() == "eyJ0eXAi.jwt.sig"
    assert sent == [
        (
            GITHUB_SPEC.request_url,
            {
                "params": {"audience": "api://AzureADTokenExchange"},
                "headers": {"Authorization": "bearer request-token"},
                "timeout": (3.0, 7.0),
                "allow_redirects": False,
            },
        )
    ]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            github_reply(403, b"{}"),
            "the GitHub OIDC token request failed with HTTP 403; the workflow needs "
            "`permissions: id-token: write`",
        ),
        (
            github_reply(200, b'{"count": 1}'),
            "the GitHub OIDC token request answered HTTP 200 without a token (a JSON object "
            'with "value" was expected)',
        ),
        (
            github_reply(200, b"<html>"),
            "the GitHub OIDC token request answered HTTP 200 without a token (a JSON object "
            'with "value" was expected)',
        ),
        (
            github_reply(200, b'["value"]'),
            "the GitHub OIDC token request answered HTTP 200 without a token (a JSON object "
            'with "value" was expected)',
        ),
        (
            github_reply(200, b'{"value": 42}'),
            "the GitHub OIDC token request answered HTTP 200 without a token (a JSON object "
            'with "value" was expected)',
        ),
        (
            requests.ConnectionError("refused"),
            "the GitHub OIDC token request got no response (ConnectionError)",
        ),
    ],
    ids=["403", "no value", "not json", "not an object", "value not a string", "no response"],
)
def test_a_github_oidc_reply_without_a_token_is_a_clear_error(monkeypatch, answer, message):
    def get(url, **kwargs):
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(credentials.requests, "get", get)

    with pytest.raises(ConfigError) as error:
        credentials._github_assertion(GITHUB_SPEC, (1.0, 1.0))()

    assert str(error.value) == message


def test_a_static_assertion_is_the_token_given_or_the_files_text(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("  eyJ.file.token\n", encoding="utf-8")

    assert credentials._static_assertion(CredentialSpec("oidc_token", secret="eyJ.given"))() == (
        "eyJ.given"
    )
    assert credentials._static_assertion(CredentialSpec("oidc_token", path=str(token_file)))() == (
        "eyJ.file.token"
    )
    with pytest.raises(ConfigError) as error:
        credentials._static_assertion(CredentialSpec("oidc_token", path=str(tmp_path / "none")))()
    assert str(error.value) == (
        "azuread:oidcTokenFilePath (or ARM_OIDC_TOKEN_FILE_PATH) names no file that can be read "
        "(No such file or directory); it must be the path of a file holding the value, not the "
        "value itself"
    )


@pytest.fixture
def ascii_locale():
    """The process's character type set to the C locale, whose encoding is ASCII (as a
    runner with another locale than UTF-8 would have it), then put back."""
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def test_credential_files_are_read_as_utf8_whatever_the_locale(tmp_path, ascii_locale):
    """A file setting holds UTF-8 text (anything else is refused as "not UTF-8 text"), so the
    value read is the one written, not its bytes decoded in the locale's encoding."""
    token_file = tmp_path / "token"
    token_file.write_bytes("eyJ.t\u00f6ken\n".encode())
    secret_file = tmp_path / "secret"
    secret_file.write_bytes("s3cr\u00e9t~value\n".encode())

    assert credentials._static_assertion(CredentialSpec("oidc_token", path=str(token_file)))() == (
        "eyJ.t\u00f6ken"
    )
    config = {**TENANT, "azuread:clientId": "c", "azuread:clientSecretFilePath": str(secret_file)}
    assert resolve(config, {}).graph.credential.secret == "s3cr\u00e9t~value"


# --- clients/connection.py: where credentials come from, in the azuread provider's order
# (its configuration reference: azuread:* settings, then the ARM_* variables).

TENANT = {"azuread:tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"}


def test_a_client_secret_file_names_a_readable_file_or_is_a_clear_error(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("  s3cr3t~value \n", encoding="utf-8")
    config = {**TENANT, "azuread:clientId": "c", "azuread:clientSecretFilePath": str(secret_file)}

    spec = resolve(config, {}).graph.credential
    assert (spec.kind, spec.secret) == ("client_secret", "s3cr3t~value")

    with pytest.raises(ConfigError) as missing:
        resolve({**config, "azuread:clientSecretFilePath": str(tmp_path / "nope")}, {})
    assert str(missing.value) == (
        "azuread:clientSecretFilePath (or ARM_CLIENT_SECRET_FILE_PATH) names no file that can "
        "be read (No such file or directory); it must be the path of a file holding the value, "
        "not the value itself"
    )
    latin1 = tmp_path / "latin1"
    latin1.write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(ConfigError) as not_utf8:
        resolve({}, {**{"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c"},
                     "ARM_CLIENT_SECRET_FILE_PATH": str(latin1)})  # fmt: skip
    assert "(or ARM_CLIENT_SECRET_FILE_PATH) names no file that can be read (not UTF-8 text)" in (
        str(not_utf8.value)
    )


@pytest.mark.parametrize(
    ("value", "oidc"), [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False)]
)
def test_a_flag_is_true_false_1_or_0(value, oidc):
    env = {"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_USE_OIDC": value,
           "ARM_OIDC_TOKEN": "eyJ.token"}  # fmt: skip

    assert (resolve({}, env).graph.credential.kind == "oidc_token") is oidc


def test_a_flag_of_another_value_is_refused_and_quoted_unless_it_may_be_a_secret():
    with pytest.raises(ConfigError) as plain:
        resolve({"azuread:useMsi": "yes"}, {})
    assert str(plain.value) == "azuread:useMsi is 'yes'; allowed: true or false"

    with pytest.raises(ConfigError) as hidden:
        resolve({"azuread:useCli": "maybe"}, {}, secret_keys=frozenset({"azuread:useCli"}))
    assert str(hidden.value) == "azuread:useCli set (value hidden); allowed: true or false"


# --- clients/schema_io.py: what parseExpression's `error` (a publicError: code, message;
# https://learn.microsoft.com/graph/api/resources/parseexpressionresponse) becomes, and the
# error a write lost to someone else's becomes.


@pytest.mark.parametrize(
    ("error", "text"),
    [
        ({"code": "InvalidExpression", "message": "Unknown function Joyn"},
         "InvalidExpression: Unknown function Joyn"),
        ({"message": "Unknown function Joyn"}, "Unknown function Joyn"),
        ({"code": "InvalidExpression"}, "InvalidExpression"),
        ({}, "Graph did not parse it and gave no reason"),
        (None, "Graph did not parse it and gave no reason"),
        ("a text", "Graph did not parse it and gave no reason"),
    ],
    ids=["code and message", "message", "code", "empty", "none", "not an object"],
)  # fmt: skip
def test_a_parse_error_is_graphs_code_and_message(error, text):
    assert schema_io._parse_error(error) == text


def test_a_lost_write_names_what_is_gone_and_both_schema_versions():
    lost = schema_io.LostWrite(["title: [jobTitle]", "scoping filter"], "v1", "v2")

    assert (lost.lost, lost.read_version, lost.live_version) == (
        ["title: [jobTitle]", "scoping filter"],
        "v1",
        "v2",
    )
    assert str(lost) == (
        "read back after the write, the job's schema no longer had title: [jobTitle]; "
        "scoping filter (schema version v1 when read, v2 now)"
    )


def test_a_write_unanswered_twice_says_nothing_has_landed_yet_but_it_may_still():
    """docs/mappings.md: when the second PUT gets no reply either, the `up` fails saying that
    nothing has landed yet but the write may still (never that the schema was left as it was)."""
    job = schema_io.Job("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "Asana.1")
    writer = schema_io.Writer(graph=None, once=None, settle_seconds=60.0)
    lost = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "got no response", None)

    text = schema_io._unanswered(job, writer, lost)

    assert text.startswith("the write of job Asana.1's schema was sent twice without a usable")
    assert "stayed as it was read for 60 s" in text
    assert text.endswith("after a send that got none: nothing has landed yet, but it may still")


# --- clients/pulumi_cli.py: `pulumi version` read from a stand-in CLI, with the update check
# off (PULUMI_SKIP_UPDATE_CHECK, https://www.pulumi.com/docs/iac/cli/environment-variables/).


def stand_in_cli(tmp_path, body: str):
    cli = tmp_path / "pulumi"
    cli.write_text("#!/bin/sh\n" + body + "\n")
    cli.chmod(0o755)
    return str(cli)


def test_the_cli_version_is_read_with_the_update_check_off(tmp_path):
    seen = tmp_path / "env"
    cli = stand_in_cli(tmp_path, f'echo "$PULUMI_SKIP_UPDATE_CHECK $1" > {seen}\necho v3.276.0')

    version = pulumi_cli.read_version(cli, 10, {"PATH": "/usr/bin:/bin"})

    assert (version.major, version.minor, version.patch) == (3, 276, 0)
    assert seen.read_text().split() == ["true", "version"]


@pytest.mark.parametrize(
    ("body", "start"),
    [
        ("echo broken >&2; exit 1", "cannot run `"),
        ("sleep 5", "cannot run `"),
        ("echo 'not a version'", "`"),
    ],
    ids=["fails", "hangs past the timeout", "prints no version"],
)
def test_a_cli_without_a_readable_version_is_unavailable(tmp_path, body, start):
    cli = stand_in_cli(tmp_path, body)

    with pytest.raises(pulumi_cli.CliUnavailable) as error:
        pulumi_cli.read_version(cli, 1, {"PATH": "/usr/bin:/bin"})

    assert str(error.value).startswith(start)
    if body.startswith("echo 'not"):
        assert str(error.value) == f"`{cli} version` printed 'not a version', not a version"


def test_a_collection_past_the_page_bound_is_an_error_naming_the_request(monkeypatch):
    monkeypatch.setattr(directory, "MAX_PAGES", 2)
    loop = {"value": [], "@odata.nextLink": f"{GRAPH}/v1.0/users?next"}
    graph = RecordingGraph({"/users": loop, "/users?next": loop})

    with pytest.raises(ServiceError) as error:
        list(DirectoryReader(graph).all_users(["id"]))

    assert (error.value.service, error.value.method, error.value.status) == (
        "Microsoft Graph",
        "GET",
        None,
    )
    assert str(error.value) == "Microsoft Graph GET /v1.0/users has more than 2 pages"
    assert len(graph.sent) == 3  # two pages handed on, the link of the second followed once


def test_a_page_without_a_value_list_is_an_error_naming_the_full_path():
    graph = RecordingGraph({"/users": {"items": []}})

    with pytest.raises(ServiceError) as error:
        list(DirectoryReader(graph).all_users(["id"]))

    assert (error.value.method, error.value.path) == ("GET", "/v1.0/users")
    assert "collection whose value is missing or not a list of objects" in str(error.value)


# --- clients/http.py: a redirect (RFC 9110 section 15.4: a 3xx names its target in Location)
# is never followed and is said to be one, naming only the target's scheme and host.

NOT_FOLLOWED = (
    "which is not followed: the request carries a credential; check the URL configured for "
    "this service"
)


def redirect(location: str | None, status: int = 302) -> requests.Response:
    response = reply(b"", status, "Found")
    response.url = "https://app.asana.com/api/1.0/scim/Users?filter=x"
    if location is not None:
        response.headers["Location"] = location
    return response


@pytest.mark.parametrize(
    ("location", "elsewhere"),
    [
        (
            "https://login.contoso.example/sso?token=abc",
            "to another host (https://login.contoso.example)",
        ),
        ("/api/1.0/scim/v2/Users", "within the same host"),
        (None, "within the same host"),
        ("http://[::1", "to another host (a malformed Location)"),
        ("about:blank", "to another host (nowhere)"),
    ],
    ids=["another host", "same host", "no location", "malformed", "no host"],
)
def test_a_redirect_is_named_as_one_and_never_followed(location, elsewhere):
    error = redirect_error("Asana SCIM", "GET", "/api/1.0/scim/Users", redirect(location, 307))

    assert (error.method, error.path, error.status) == ("GET", "/api/1.0/scim/Users", 307)
    assert error.detail == f"answered HTTP 307, a redirect {elsewhere}, {NOT_FOLLOWED}"
    assert "token=abc" not in str(error)


# --- clients/schema_io.py: parseExpression's answer (a parseExpressionResponse:
# parsingSucceeded, parsedExpression, error; https://learn.microsoft.com/graph/api/
# synchronization-synchronizationschema-parseexpression) is used only when parsing succeeded
# with a parsed expression.


class ParsingGraph:
    """POST .../schema/parseExpression answering `answer` (None: a reply without a body)."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.sent: list[tuple[str, object]] = []

    def post(self, path: str, body=None):
        self.sent.append((path, body))
        return self.answer


PARSED = {"type": "Attribute", "name": "mail", "parameters": []}
PARSE_JOB = schema_io.Job("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "Asana.1")


def test_a_parsed_expression_is_graphs_parsed_expression_from_the_jobs_schema():
    graph = ParsingGraph({"parsingSucceeded": True, "parsedExpression": PARSED, "error": None})

    assert schema_io.parse_expression(graph, PARSE_JOB, "[mail]") == PARSED
    assert graph.sent == [
        (
            "/servicePrincipals/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/synchronization/jobs/"
            "Asana.1/schema/parseExpression",
            {"expression": "[mail]"},
        )
    ]


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        (None, "Graph did not parse it and gave no reason"),
        (["parsingSucceeded"], "Graph did not parse it and gave no reason"),
        (
            {
                "parsingSucceeded": False,
                "parsedExpression": PARSED,
                "error": {"code": "InvalidExpression", "message": "Unknown function Joyn"},
            },
            "InvalidExpression: Unknown function Joyn",
        ),
        ({"parsingSucceeded": True, "parsedExpression": None},
         "Graph did not parse it and gave no reason"),
    ],
    ids=["no body", "not an object", "not succeeded", "nothing parsed"],
)  # fmt: skip
def test_a_parse_that_did_not_succeed_with_an_expression_is_rejected(answer, text):
    with pytest.raises(schema_io.ExpressionRejected) as rejected:
        schema_io.parse_expression(ParsingGraph(answer), PARSE_JOB, "Joyn([mail])")

    assert str(rejected.value) == text


# --- clients/schema_io.py: after a PUT whose reply was lost did not land within the window
# and a second PUT did (docs/mappings.md), the schema is watched for one more window while the
# first copy may still land: each read backs off (0.25 s doubling), and a read that no longer
# holds the write is `LostWrite`. Time is a stand-in clock here.

WATCH_JOB = schema_io.Job("0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f", "Asana.2")
TITLE = {"source": {"type": "Attribute", "name": "jobTitle"}, "targetAttributeName": "title"}


def job_schema(version: str, *mappings: dict) -> dict:
    rule = {"objectMappings": [{"name": "User", "attributeMappings": list(mappings)}]}
    return {"version": version, "synchronizationRules": [rule]}


BEFORE, WRITTEN = job_schema("v1"), job_schema("", TITLE)


class SchemaEndpoint:
    """GET/PUT of one job's schema: each PUT's outcome scripted (an error raised, or None),
    and the reads after the n-th PUT from `reads[n]` (its last repeated)."""

    def __init__(self, puts: list, reads: dict[int, list]) -> None:
        self.puts, self.reads, self.put_count, self.read_counts = puts, reads, 0, {}

    def put(self, path: str, body) -> None:
        outcome = self.puts[self.put_count]
        self.put_count += 1
        if outcome is not None:
            raise outcome

    def get(self, path: str, params=None, headers=None):
        n = self.read_counts.get(self.put_count, 0)
        self.read_counts[self.put_count] = n + 1
        script = self.reads[self.put_count]
        return script[min(n, len(script) - 1)]


@pytest.fixture
def stand_in_clock(monkeypatch) -> list[float]:
    """schema_io's clock and sleep: each sleep moves the clock on; the sleeps are returned."""
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(schema_io.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(schema_io.time, "sleep", sleep)
    monkeypatch.setattr(schema_io, "_in_flight", {})
    return slept


def write_after_a_lost_reply(watch_reads: list) -> dict:
    """The first PUT gets a 500 and the schema stays as read for the 2 s window; the second
    PUT is answered and read back; then `watch_reads` are what the watch reads."""
    lost_reply = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "failed", 500)
    endpoint = SchemaEndpoint(
        [lost_reply, None], {1: [BEFORE], 2: [job_schema("v2", TITLE), *watch_reads]}
    )
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)

    def lost_from(live: dict) -> list[str]:
        mappings = live["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
        return [] if TITLE in mappings else ["title: [jobTitle]"]

    return schema_io.write_checked(writer, WATCH_JOB, WRITTEN, BEFORE, lost_from)


WINDOW_SLEEPS = [0.25, 0.5, 1.0, 0.25]  # 2 s: backing off, the last cut to what is left


def test_a_write_undone_in_the_watch_window_is_a_lost_write(stand_in_clock):
    undone = job_schema("v4")
    kept = job_schema("v2", TITLE)

    with pytest.raises(schema_io.LostWrite) as lost:
        write_after_a_lost_reply([kept, kept, kept, undone])

    assert (lost.value.lost, lost.value.read_version, lost.value.live_version) == (
        ["title: [jobTitle]"],
        "v1",
        "v4",
    )
    assert stand_in_clock == WINDOW_SLEEPS + WINDOW_SLEEPS


def test_the_watch_ends_when_the_first_copy_is_seen_landing(stand_in_clock):
    """The first PUT's document under a new version is that copy landing: nothing of ours is
    left in flight, so a later change is someone else's and not watched for."""
    kept, landed = job_schema("v2", TITLE), job_schema("v3", TITLE)

    live = write_after_a_lost_reply([kept, landed, job_schema("v4")])

    assert live == kept
    assert stand_in_clock == [*WINDOW_SLEEPS, 0.25, 0.5]


def test_the_watch_lasts_one_window_and_no_longer(stand_in_clock):
    kept = job_schema("v2", TITLE)

    live = write_after_a_lost_reply([kept, kept, kept, kept, job_schema("v4")])

    assert live == kept
    assert stand_in_clock == WINDOW_SLEEPS + WINDOW_SLEEPS


# --- clients/schema_io.py: two sends of one write, neither answered nor seen landing, are two
# copies that may still land (docs/mappings.md "Writes whose reply is lost"; reliability.md,
# "both sends land late"). Until a read has shown each of them landing (the written document
# under a schema version not seen before), nothing else is written to the job: the other copy
# would undo it.

OTHER_TITLE = {
    "source": {"type": "Attribute", "name": "department"},
    "targetAttributeName": "title",
}


def title_kept(live: dict) -> list[str]:
    mappings = live["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    return [] if TITLE in mappings else ["title: [jobTitle]"]


def both_sends_unanswered() -> schema_io.MayStillLand:
    """Each PUT answered 500 (Graph may have acted) and the schema as read for each window."""
    lost_reply = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "failed", 500)
    endpoint = SchemaEndpoint([lost_reply, lost_reply], {1: [BEFORE], 2: [BEFORE]})
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)

    with pytest.raises(schema_io.MayStillLand) as unanswered:
        schema_io.write_checked(writer, WATCH_JOB, WRITTEN, BEFORE, title_kept)
    assert endpoint.put_count == 2
    return unanswered.value


def write_another_mapping(read: dict) -> SchemaEndpoint:
    """The other mapping's write of the job, `read` being the schema it read first."""
    endpoint = SchemaEndpoint([None], {1: [job_schema("v9", OTHER_TITLE)]})
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)

    def other_kept(live: dict) -> list[str]:
        mappings = live["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
        return [] if OTHER_TITLE in mappings else ["title: [department]"]

    schema_io.write_checked(writer, WATCH_JOB, job_schema("", OTHER_TITLE), read, other_kept)
    return endpoint


def test_two_unanswered_sends_are_two_copies_in_flight_and_refuse_another_write(stand_in_clock):
    unanswered = both_sends_unanswered()

    assert str(unanswered) == (
        "the write of job Asana.2's schema was sent twice without a usable reply (the last: "
        "Microsoft Graph PUT /v1.0/x/schema failed), and the schema stayed as it was read for "
        "2 s after a send that got none: nothing has landed yet, but it may still"
    )
    assert schema_io.in_flight(WATCH_JOB) == 2
    with pytest.raises(schema_io.WriteInFlight) as refused:
        write_another_mapping(BEFORE)

    assert str(refused.value) == (
        "2 writes of job Asana.2's schema sent earlier by this deployment got no reply and have "
        "not been seen landing; they may still land and would undo this change, so nothing was "
        "written"
    )


def test_another_write_waits_until_both_unanswered_copies_are_seen_landing(stand_in_clock):
    """The first copy seen landing leaves the second in flight: the other mapping is still
    refused (sending nothing); once the second is seen too, it is written."""
    both_sends_unanswered()
    first_landed, second_landed = job_schema("v2", TITLE), job_schema("v3", TITLE)

    with pytest.raises(schema_io.WriteInFlight) as refused:
        write_another_mapping(first_landed)
    assert str(refused.value).startswith(
        "a write of job Asana.2's schema sent earlier by this deployment got no reply and has "
        "not been seen landing; it may still land"
    )
    assert schema_io.in_flight(WATCH_JOB) == 1
    with pytest.raises(schema_io.WriteInFlight):
        write_another_mapping(first_landed)  # the same copy read again is not the second

    endpoint = write_another_mapping(second_landed)

    assert endpoint.put_count == 1
    assert schema_io.in_flight(WATCH_JOB) == 0


# --- clients/schema_io.py: the schema a destroy restores from is the one of the job's template
# (its `templateId`) among the service principal's templates (GET .../synchronization/templates,
# https://learn.microsoft.com/graph/api/synchronization-synchronization-list-templates); a
# template gone is an error naming the template and each one still offered.

TEMPLATE_JOB = schema_io.Job("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "Asana.1")


class TemplatesGraph:
    """GET of the job (made from template `asana`) and of the principal's templates."""

    def __init__(self, templates: list) -> None:
        self.templates = templates

    def get(self, path: str, params=None, headers=None):
        return {"id": "Asana.1", "templateId": "asana"}

    def get_all(self, path: str, params=None) -> list:
        return self.templates


@pytest.mark.parametrize(
    ("templates", "offered"),
    [
        ([{"id": "scim", "schema": {}}, {"id": "asana.v2", "schema": {}}], "asana.v2, scim"),
        ([], "none"),
    ],
    ids=["others offered", "none offered"],
)
def test_a_template_no_longer_offered_names_each_template_offered(templates, offered):
    with pytest.raises(schema_io.TemplateNotFound) as missing:
        schema_io.template_schema(TemplatesGraph(templates), TEMPLATE_JOB)

    assert str(missing.value) == (
        "job Asana.1 was made from template 'asana', which the service principal no longer "
        f"offers (it offers: {offered})"
    )


def test_a_template_listed_without_its_schema_restores_from_an_empty_one():
    """`schema` is a relationship of synchronizationTemplate; a template listed with it null
    gives an empty schema (destroy then names the object mapping it lacks), not a crash."""
    templates = [{"id": "asana", "factoryTag": "asana", "schema": None}]

    assert schema_io.template_schema(TemplatesGraph(templates), TEMPLATE_JOB) == {}


# --- clients/schema_io.py: after a PUT whose reply was lost, the schema is read until it shows
# the write, or stays as read for the window (httpTimeoutSeconds; for 429 and 503, which say
# Graph did not act, one read), or is anything else (docs/mappings.md).


@pytest.mark.parametrize("status", [429, 503], ids=["429", "503"])
def test_a_put_graph_did_not_act_on_is_confirmed_by_one_read_then_sent_again(
    stand_in_clock, status
):
    """429 or 503: one read finds the schema as read, at once (no pause), and the write is sent
    again; no copy of it is in flight after, so nothing is watched for either."""
    not_acted = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "not acted on", status)
    written = job_schema("v2", TITLE)
    endpoint = SchemaEndpoint([not_acted, None], {1: [BEFORE], 2: [written]})
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)

    live = schema_io.write_checked(writer, WATCH_JOB, WRITTEN, BEFORE, title_kept)

    assert live == written
    assert (endpoint.put_count, endpoint.read_counts) == (2, {1: 1, 2: 1})
    assert stand_in_clock == []
    assert schema_io.in_flight(WATCH_JOB) == 0


def test_a_put_answered_408_is_read_for_the_whole_window_as_one_that_may_have_landed(
    stand_in_clock,
):
    """408 Request Timeout is no refusal (docs/mappings.md: a 4xx other than 408 and 429 is):
    the schema is read for the whole window, the write sent again, and then watched for as long
    while the first copy may still land."""
    timed_out = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "timed out", 408)
    written = job_schema("v2", TITLE)
    endpoint = SchemaEndpoint([timed_out, None], {1: [BEFORE], 2: [written]})
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)

    live = schema_io.write_checked(writer, WATCH_JOB, WRITTEN, BEFORE, title_kept)

    assert live == written
    assert endpoint.put_count == 2
    assert stand_in_clock == WINDOW_SLEEPS + WINDOW_SLEEPS
    assert schema_io.in_flight(WATCH_JOB) == 1


def test_a_lost_reply_followed_by_someone_elses_schema_names_both_versions_and_what_is_gone(
    stand_in_clock,
):
    """Neither the schema written nor the one read before: the write may yet land, so it is
    counted in flight, and the error names the job, both versions and what is not there."""
    lost_reply = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "failed", 500)
    endpoint = SchemaEndpoint([lost_reply], {1: [BEFORE, job_schema("v7", OTHER_TITLE)]})
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)

    def title_and_filter_kept(live: dict) -> list[str]:
        """The write also set a scoping filter, which this stand-in finds gone with the title."""
        return ["title: [jobTitle]", "scoping filter"] if title_kept(live) else []

    with pytest.raises(schema_io.UnconfirmedWrite) as unconfirmed:
        schema_io.write_checked(writer, WATCH_JOB, WRITTEN, BEFORE, title_and_filter_kept)

    assert str(unconfirmed.value) == (
        "the reply to the write of job Asana.2's schema was lost (Microsoft Graph PUT "
        "/v1.0/x/schema failed), and the schema read back is neither the one written nor the "
        "one before it (version v1 then, v7 now; it no longer has title: [jobTitle]; scoping "
        "filter)"
    )
    assert stand_in_clock == [0.25]
    assert endpoint.put_count == 1
    assert schema_io.in_flight(WATCH_JOB) == 1


class RecordingSchemaEndpoint(SchemaEndpoint):
    """A SchemaEndpoint that keeps the path and body of each PUT."""

    def __init__(self, puts: list, reads: dict[int, list]) -> None:
        super().__init__(puts, reads)
        self.sent: list[tuple[str, object]] = []

    def put(self, path: str, body) -> None:
        self.sent.append((path, body))
        super().put(path, body)


def write_once(puts: list, reads: dict[int, list]) -> tuple[RecordingSchemaEndpoint, object]:
    """`write_checked` of WRITTEN over BEFORE: what was sent, and what it returned or raised."""
    endpoint = RecordingSchemaEndpoint(puts, reads)
    writer = schema_io.Writer(graph=endpoint, once=endpoint, settle_seconds=2.0)
    try:
        return endpoint, schema_io.write_checked(writer, WATCH_JOB, WRITTEN, BEFORE, title_kept)
    except Exception as error:  # the outcome under test
        return endpoint, error


def test_the_whole_schema_is_put_to_the_jobs_schema_path(stand_in_clock):
    """PUT /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema, "fully replaces the
    current schema with the one provided" (https://learn.microsoft.com/graph/api/
    synchronization-synchronizationschema-update)."""
    written = job_schema("v2", TITLE)

    endpoint, live = write_once([None], {1: [written]})

    assert live == written
    assert endpoint.sent == [
        (
            "/servicePrincipals/0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f/synchronization/jobs/"
            "Asana.2/schema",
            WRITTEN,
        )
    ]


@pytest.mark.parametrize(
    "status",
    [400, 409],
    ids=["400", "409"],
)
def test_a_put_graph_refuses_fails_with_its_error_and_leaves_nothing_in_flight(
    stand_in_clock, status
):
    """A 4xx other than 408 and 429 is Graph refusing the write: nothing landed, nothing is
    read or sent again, and the error is Graph's."""
    refused = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "refused", status)

    endpoint, outcome = write_once([refused], {1: [BEFORE]})

    assert outcome is refused
    assert (endpoint.put_count, endpoint.read_counts) == (1, {})
    assert schema_io.in_flight(WATCH_JOB) == 0


def test_two_puts_graph_did_not_act_on_fail_with_its_error_and_leave_nothing_in_flight(
    stand_in_clock,
):
    """503 twice: Graph said each time it did not act, so nothing may land later."""
    not_acted = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "unavailable", 503)

    endpoint, outcome = write_once([not_acted, not_acted], {1: [BEFORE], 2: [BEFORE]})

    assert outcome is not_acted
    assert endpoint.put_count == 2
    assert schema_io.in_flight(WATCH_JOB) == 0


def test_a_second_send_refused_after_an_unanswered_first_says_the_first_may_still_land(
    stand_in_clock,
):
    refused = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "refused", 400)
    lost_reply = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "failed", 500)

    endpoint, outcome = write_once([lost_reply, refused], {1: [BEFORE]})

    assert isinstance(outcome, schema_io.MayStillLand)
    assert str(outcome) == (
        "the write of job Asana.2's schema was sent twice without a usable reply (the last: "
        "Microsoft Graph PUT /v1.0/x/schema refused), and the schema stayed as it was read for "
        "2 s after a send that got none: nothing has landed yet, but it may still"
    )
    assert endpoint.put_count == 2
    assert schema_io.in_flight(WATCH_JOB) == 1


def test_a_write_undone_before_it_is_read_back_is_a_lost_write(stand_in_clock):
    """Answered, but the read back lacks the write (another writer saved an older document):
    `LostWrite` names what is gone and both versions."""
    endpoint, outcome = write_once([None], {1: [job_schema("v3")]})

    assert endpoint.put_count == 1
    assert isinstance(outcome, schema_io.LostWrite)
    assert (outcome.lost, outcome.read_version, outcome.live_version) == (
        ["title: [jobTitle]"],
        "v1",
        "v3",
    )


def test_a_rerun_seeing_its_own_write_land_does_not_count_an_earlier_copy_landed(
    stand_in_clock,
):
    """The same document may be written again while earlier copies are in flight; what the
    rerun's own PUT wrote (answered, or its reply lost and then seen landing) is not one of
    them, so both earlier copies are still counted."""
    both_sends_unanswered()
    lost_reply = ServiceError("Microsoft Graph", "PUT", "/v1.0/x/schema", "failed", 500)

    _, landed = write_once([lost_reply], {1: [job_schema("v5", TITLE)]})
    assert landed == job_schema("v5", TITLE)
    assert schema_io.in_flight(WATCH_JOB) == 2

    _, answered = write_once([None], {1: [job_schema("v6", TITLE)]})
    assert answered == job_schema("v6", TITLE)
    assert schema_io.in_flight(WATCH_JOB) == 2


# --- clients/schema_io.py: a job's schema is `GET /servicePrincipals/{id}/synchronization/jobs/
# {jobId}/schema` (https://learn.microsoft.com/graph/api/synchronization-synchronizationschema-get);
# every job schema Graph serves holds its template's object mappings, so one without any is a
# reply we cannot use, named with the request that returned it.


class OneSchemaGraph:
    """GET answering `schema` whatever the path; the paths asked for are kept."""

    def __init__(self, schema: object) -> None:
        self.schema, self.asked = schema, []

    def get(self, path: str, params=None, headers=None):
        self.asked.append(path)
        return self.schema


def test_a_jobs_schema_is_read_from_the_jobs_schema_path():
    schema = {"version": "v1", "synchronizationRules": [{}, {"objectMappings": [{"name": "U"}]}]}
    graph = OneSchemaGraph(schema)

    assert schema_io.read_schema(graph, PARSE_JOB) == schema
    assert graph.asked == [
        "/servicePrincipals/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/synchronization/jobs/Asana.1/schema"
    ]


@pytest.mark.parametrize(
    "schema",
    [
        {"version": "v1"},
        {"synchronizationRules": None},
        {"synchronizationRules": []},
        {"synchronizationRules": [{"objectMappings": []}, {"name": "rule"}]},
        {"synchronizationRules": ["objectMappings"]},
    ],
    ids=["no rules", "rules null", "rules empty", "rules without mappings", "rule not an object"],
)
def test_a_schema_without_object_mappings_is_a_reply_we_cannot_use(schema):
    with pytest.raises(ServiceError) as unusable:
        schema_io.read_schema(OneSchemaGraph(schema), PARSE_JOB)

    assert str(unusable.value) == (
        "Microsoft Graph GET /v1.0/servicePrincipals/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/"
        "synchronization/jobs/Asana.1/schema answered with a schema that has no object mappings"
    )
    assert unusable.value.status is None


# --- clients/graph.py: each segment of a synchronization path is one path segment (RFC 3986
# section 3.3): a "/" or "?" inside an id is percent-encoded, never a delimiter.


def test_every_segment_of_a_synchronization_path_is_escaped_whole():
    assert synchronization_path("a/b", "jobs", "Asana.1?x", "schema") == (
        "/servicePrincipals/a%2Fb/synchronization/jobs/Asana.1%3Fx/schema"
    )


# --- clients/graph.py: a token the authority refuses is an error naming the request and the
# authority's own message (azure-identity's ClientAuthenticationError), with the client secret
# taken out of it (a token endpoint may echo what it was sent); nothing is sent to Graph.


class RefusingCredential:
    """An azure-identity credential whose token request the authority refused."""

    def __init__(self, message: str) -> None:
        self.message, self.scopes = message, []

    def get_token(self, *scopes: str):
        self.scopes.extend(scopes)
        raise ClientAuthenticationError(message=self.message)


def refused_token_error(config: dict, message: str) -> tuple[ServiceError, list[str]]:
    graph = GraphClient(resolve(config, {}).graph)
    graph._credential = credential = RefusingCredential(message)
    with pytest.raises(ServiceError) as refused:
        graph.get("/servicePrincipals")
    return refused.value, credential.scopes


def test_a_refused_token_names_the_request_and_never_the_client_secret():
    config = {**TENANT, "azuread:clientId": "c", "azuread:clientSecret": "s3cret~Value42"}

    error, scopes = refused_token_error(
        config, "AADSTS7000215: Invalid client secret provided (s3cret~Value42)."
    )

    assert scopes == ["https://graph.microsoft.com/.default"]
    assert (error.service, error.method, error.path, error.status) == (
        "Microsoft Graph",
        "GET",
        "/v1.0/servicePrincipals",
        None,
    )
    assert str(error) == (
        "Microsoft Graph GET /v1.0/servicePrincipals could not get a token for "
        "https://graph.microsoft.com/.default: AADSTS7000215: Invalid client secret provided "
        "([redacted])."
    )


def test_without_a_client_secret_the_authoritys_message_is_quoted_whole():
    """Managed identity has no secret: nothing is taken out, even a client id left as the
    documentation's placeholder."""
    config = {**TENANT, "azuread:clientId": "XXXX", "azuread:useMsi": "true"}
    message = "AADSTS700016: Application with identifier 'XXXX' was not found in the directory."

    error, _ = refused_token_error(config, message)

    assert str(error).endswith(f"/.default: {message}")


# --- clients/http.py: the retry budget is checked against the wait urllib3's `Retry.sleep`
# will do (https://urllib3.readthedocs.io/en/stable/reference/urllib3.util.html: Retry-After
# only when respect_retry_after_header is set and there is a response, else the backoff,
# backoff_factor * 2 ** (consecutive errors - 1)).


@pytest.mark.parametrize(
    ("respect", "retry_after", "expected"),
    [(True, "7", 7.0), (False, "7", 1.0), (True, None, 1.0)],
    ids=["retry-after respected", "retry-after not respected", "no response"],
)
def test_the_planned_wait_is_the_sleep_urllib3_will_do(monkeypatch, respect, retry_after, expected):
    failed = RequestHistory("GET", "/x", None, 503, None)
    retry = BoundedRetry(
        total=5, backoff_factor=0.5, respect_retry_after_header=respect, history=(failed, failed)
    )
    response = (
        None
        if retry_after is None
        else HTTPResponse(body=b"", headers={"Retry-After": retry_after}, status=503)
    )
    slept: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)

    planned = retry.planned_wait(response)
    retry.sleep(response)

    assert planned == expected
    assert slept == [expected]
