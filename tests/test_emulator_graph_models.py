"""Microsoft's msgraph-sdk models judge the emulator: one tour drives every Graph route the
emulator serves (as the azuread provider and our providers call them) and every JSON body
served, and every body sent, must parse into its Graph v1.0 model with no unknown property and
no value of the wrong type (tests/graph_models.py)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.emulator import ASANA_TEMPLATE_ID, USER_ROLE_ID, Emulator
from tests.emulator.client import GraphTestClient
from tests.emulator.routing import matches
from tests.graph_models import ERROR, assert_graph_body, graph_body_problems

TENANT = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"
CLIENT_ID = "8f9a0b1c-2d3e-4f4a-9b5c-6d7e8f9a0b1c"
SEEDED_SP = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
SEEDED_SIGNING_KEY = {
    "keyId": "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
    "thumbprint": "8B4F3A2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A",
    "endDateTime": "2028-03-01T12:00:00Z",
    "displayName": "CN=Microsoft Azure Federated SSO Certificate",
}


@dataclass
class Exchange:
    """One request of the tour: what was sent and answered, and the models that judge them."""

    method: str
    path: str
    status: int
    sent: object | None
    sent_model: str | None
    answer: object | None
    answer_model: str | None
    collection: bool | None


@dataclass
class Tour:
    exchanges: list[Exchange] = field(default_factory=list)


class JudgedGraph:
    """A Graph client that records each exchange and the model each body must satisfy."""

    def __init__(self, client: GraphTestClient, tour: Tour) -> None:
        self._client = client
        self._tour = tour

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: int,
        sent: object | None = None,
        sent_model: str | None = None,
        model: str | None = None,
        params: dict[str, str] | None = None,
        collection: bool | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"params": params}
        if sent is not None:
            kwargs["json"] = sent
        response = self._client.request(method, path, **kwargs)
        assert response.status_code == expect, (method, path, response.text)
        answer = response.json() if response.content else None
        self._tour.exchanges.append(
            Exchange(
                method=method,
                path=urlsplit(path).path,
                status=response.status_code,
                sent=copy.deepcopy(sent),
                sent_model=sent_model,
                answer=answer,
                answer_model=model if response.ok else ERROR,
                collection=collection,
            )
        )
        return answer


@pytest.fixture(scope="module")
def tour(emu: Emulator) -> Tour:
    emu.reset()
    recorded = Tour()
    graph = JudgedGraph(GraphTestClient(emu, TENANT, CLIENT_ID, "models-test-secret"), recorded)
    people = _directory(emu, graph)
    created = _applications(graph)
    sp = created["servicePrincipal"]["id"]
    _service_principals(emu, graph, created)
    _assignments(graph, sp, people)
    _owners(graph, created, people)
    _synchronization(emu, graph, sp)
    _seeded_enterprise_app(emu, graph)
    _teardown(emu, graph, created)
    return recorded


def _directory(emu: Emulator, graph: JudgedGraph) -> dict[str, str]:
    manager = emu.add_user("grace@contoso.com", "Grace Hopper", mail="grace@contoso.com")
    user = emu.add_user(
        "ada@contoso.com",
        "Ada Lovelace",
        manager_id=manager,
        job_title="Eng",
        extension_attributes={"extensionAttribute1": "Staff"},
    )
    guest = emu.add_user("kim_fabrikam.com#EXT#@contoso.com", "Kim", user_type="Guest")
    inner = emu.add_group("Inner", members=[guest])
    group = emu.add_group("Asana users", description="Asana", members=[user, inner])
    for version in ("v1.0", "beta"):
        found = graph.call(
            "GET",
            f"/{version}/groups",
            expect=200,
            model="group",
            params={"$filter": "displayName eq 'Asana users' and securityEnabled eq true"},
        )
        assert [g["id"] for g in found["value"]] == [group]
        graph.call("GET", f"/{version}/groups/{group}", expect=200, model="group")
        graph.call("GET", f"/{version}/groups/{group}/members", expect=200, model="directoryObject")
        graph.call("GET", f"/{version}/groups/{group}/owners", expect=200, model="directoryObject")
    graph.call(
        "GET",
        "/v1.0/users",
        expect=200,
        model="user",
        params={"$filter": "userPrincipalName eq 'ada@contoso.com'"},
    )
    select = "accountEnabled,employeeOrgData,showInAddressList,otherMails,id,userType"
    impact = (
        "id,displayName,userPrincipalName,accountEnabled,department,onPremisesExtensionAttributes"
    )
    counted = {"$select": impact, "$top": "1", "$count": "true"}
    graph.call("GET", "/v1.0/users", expect=200, model="user", params=counted)
    members = graph.call(
        "GET",
        f"/v1.0/groups/{group}/members/microsoft.graph.user",
        expect=200,
        model="user",
        params=counted,
    )
    assert [m["id"] for m in members["value"]] == [user]  # the nested group is not expanded
    graph.call("GET", f"/v1.0/users/{user}", expect=200, model="user", params={"$select": select})
    graph.call("GET", "/v1.0/users/ada@contoso.com", expect=200, model="user")
    graph.call("GET", f"/v1.0/users/{user}/manager", expect=200, model="directoryObject")
    graph.call("GET", f"/v1.0/users/{manager}/manager", expect=404)
    return {"user": user, "group": group}


def _applications(graph: JudgedGraph) -> dict[str, Any]:
    graph.call(
        "GET",
        "/v1.0/applicationTemplates",
        expect=200,
        model="applicationTemplate",
        params={"$filter": "displayName eq 'Asana'"},
    )
    graph.call(
        "GET",
        f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}",
        expect=200,
        model="applicationTemplate",
    )
    created: dict[str, Any] = graph.call(
        "POST",
        f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate",
        expect=201,
        sent={"displayName": "Asana"},
        sent_model="applicationTemplate.instantiate",
        model="applicationServicePrincipal",
    )
    app = created["application"]["id"]
    graph.call(
        "GET",
        "/v1.0/applications",
        expect=200,
        model="application",
        params={"$filter": f"appId eq '{created['application']['appId']}'"},
    )
    graph.call("GET", f"/v1.0/applications/{app}", expect=200, model="application")
    graph.call("GET", f"/v1.0/applications/{app}/owners", expect=200, model="directoryObject")
    graph.call(
        "GET",
        f"/beta/applications/{app}",
        expect=200,
        model="application",
        params={"$select": "oauth2RequirePostResponse"},
    )
    for change in (
        {
            "@odata.type": "#microsoft.graph.application",
            "identifierUris": ["https://app.asana.com/"],
        },
        {"web": {"redirectUris": ["https://app.asana.com/-/saml/consume"]}},
        {"displayName": "Asana (SSO)"},
    ):
        graph.call(
            "PATCH", f"/v1.0/applications/{app}", expect=204, sent=change, sent_model="application"
        )
    graph.call(
        "PATCH",
        f"/v1.0/applications/{app}",
        expect=400,
        sent={"identifierUris": "https://app.asana.com/"},
    )
    graph.call("GET", "/v1.0/applications/4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f", expect=404)
    return created


def _service_principals(emu: Emulator, graph: JudgedGraph, created: dict[str, Any]) -> None:
    sp = created["servicePrincipal"]["id"]
    app_id = created["application"]["appId"]
    graph.call(
        "GET",
        "/v1.0/servicePrincipals",
        expect=200,
        model="servicePrincipal",
        params={"$filter": f"appId eq '{app_id}'"},
    )
    use_existing = {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "accountEnabled": True,
        "alternativeNames": [],
        "appRoleAssignmentRequired": True,
        "loginUrl": "https://app.asana.com/a/contoso.com",
        "notificationEmailAddresses": ["identity@contoso.com"],
        "preferredSingleSignOnMode": "saml",
        "samlSingleSignOnSettings": {},
        "tags": [],
    }
    graph.call(
        "PATCH",
        f"/v1.0/servicePrincipals/{sp}",
        expect=204,
        sent=use_existing,
        sent_model="servicePrincipal",
    )
    graph.call("GET", f"/v1.0/servicePrincipals/{sp}/owners", expect=200, model="directoryObject")
    beta = graph.call(
        "GET",
        f"/beta/servicePrincipals/{sp}",
        expect=200,
        params={"$select": "samlMetadataUrl"},
    )
    assert set(beta) == {"@odata.context", "samlMetadataUrl"}  # beta-only: no v1.0 model
    graph.call(
        "POST",
        f"/v1.0/servicePrincipals/{sp}/addTokenSigningCertificate",
        expect=200,
        sent={"displayName": "CN=Asana SSO"},
        sent_model="servicePrincipal.addTokenSigningCertificate",
        model="selfSignedCertificate",
    )
    read = graph.call("GET", f"/v1.0/servicePrincipals/{sp}", expect=200, model="servicePrincipal")
    graph.call(
        "GET",
        f"/v1.0/servicePrincipals/{sp}",
        expect=200,
        model="servicePrincipal",
        params={"$select": "keyCredentials"},
    )
    removal = {"keyCredentials": [], "passwordCredentials": []}
    graph.call(
        "PATCH",
        f"/v1.0/servicePrincipals/{sp}",
        expect=204,
        sent={**removal, "tags": read["tags"]},
        sent_model="servicePrincipal",
    )
    graph.call(
        "POST",
        "/v1.0/servicePrincipals",
        expect=409,
        sent={"appId": app_id},
        sent_model="servicePrincipal",
    )


def _assignments(graph: JudgedGraph, sp: str, people: dict[str, str]) -> None:
    base = f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo"
    ids = [
        graph.call(
            "POST",
            base,
            expect=201,
            sent={
                "@odata.type": "#microsoft.graph.appRoleAssignment",
                "appRoleId": USER_ROLE_ID,
                "principalId": people[kind],
                "resourceId": sp,
            },
            sent_model="appRoleAssignment",
            model="appRoleAssignment",
        )["id"]
        for kind in ("group", "user")
    ]
    graph.call("GET", base, expect=200, model="appRoleAssignment")
    graph.call("GET", f"{base}/{ids[0]}", expect=200, model="appRoleAssignment")
    graph.call("DELETE", f"{base}/{ids[1]}", expect=204)
    graph.call(
        "POST",
        base,
        expect=400,
        sent={"appRoleId": USER_ROLE_ID, "principalId": people["group"], "resourceId": sp},
        sent_model="appRoleAssignment",
    )


def _synchronization(emu: Emulator, graph: JudgedGraph, sp: str) -> None:
    base = f"/v1.0/servicePrincipals/{sp}/synchronization"
    token = "1/1204567890123456:0123456789abcdef0123456789abcdef"
    emu.add_scim_token(token)
    graph.call("GET", f"{base}/templates", expect=200, model="synchronizationTemplate")
    job = graph.call(
        "POST",
        f"{base}/jobs",
        expect=201,
        sent={"@odata.type": "#microsoft.graph.synchronizationJob", "templateId": "asana"},
        sent_model="synchronizationJob",
        model="synchronizationJob",
    )["id"]
    graph.call("GET", f"{base}/jobs", expect=200, model="synchronizationJob")
    credentials = [
        {"key": "BaseAddress", "value": emu.scim_base_url},
        {"key": "SecretToken", "value": token},
    ]
    graph.call(
        "POST",
        f"{base}/jobs/{job}/validateCredentials",
        expect=204,
        sent={"useSavedCredentials": False, "credentials": credentials},
        sent_model="synchronizationJob.validateCredentials",
    )
    secrets = [*credentials, {"key": "SyncAll", "value": "false"}]
    graph.call(
        "PUT",
        f"{base}/secrets",
        expect=204,
        sent={"value": secrets},
        sent_model="synchronization.secrets",
    )
    graph.call(
        "GET",
        f"{base}/secrets",
        expect=200,
        model="synchronizationSecretKeyStringValuePair",
        collection=True,
    )
    graph.call("POST", f"{base}/jobs/{job}/start", expect=204)
    graph.call("POST", f"{base}/jobs/{job}/pause", expect=204)
    graph.call(
        "POST",
        f"{base}/jobs/{job}/restart",
        expect=204,
        sent={"criteria": {"resetScope": "Watermark, Escrows, QuarantineState"}},
        sent_model="synchronizationJob.restart",
    )
    graph.call("GET", f"{base}/jobs/{job}", expect=200, model="synchronizationJob")
    schema = graph.call(
        "GET", f"{base}/jobs/{job}/schema", expect=200, model="synchronizationSchema"
    )
    schema.pop("@odata.context", None)
    graph.call(
        "PUT",
        f"{base}/jobs/{job}/schema",
        expect=204,
        sent=schema,
        sent_model="synchronizationSchema",
    )
    graph.call("PATCH", f"{base}/jobs/{job}/schema", expect=404, sent=schema)
    undefined = copy.deepcopy(schema)
    users = undefined["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"][0]["targetAttributeName"] = "nickName"
    graph.call("PUT", f"{base}/jobs/{job}/schema", expect=400, sent=undefined)
    for expression in ('Replace([preferredLanguage], "-", , , "_", ,  )', "Append([mail])"):
        graph.call(
            "POST",
            f"{base}/jobs/{job}/schema/parseExpression",
            expect=200,
            sent={"expression": expression, "targetAttributeDefinition": None},
            sent_model="synchronizationSchema.parseExpression",
            model="parseExpressionResponse",
        )
    graph.call("POST", f"{base}/jobs/{job}/schema/parseExpression", expect=400, sent={})
    graph.call(
        "GET",
        f"{base}/jobs/{job}/schema/filterOperators",
        expect=200,
        model="filterOperatorSchema",
    )
    _provisioning(emu, graph, sp, job, token)
    graph.call("DELETE", f"{base}/jobs/{job}/schema", expect=204)
    graph.call("DELETE", f"{base}/jobs/{job}", expect=204)
    graph.call("GET", f"{base}/jobs/{job}", expect=404)


def _provisioning(emu: Emulator, graph: JudgedGraph, sp: str, job: str, token: str) -> None:
    """A cycle, the job status it leaves (active, then quarantined), the provisioning logs and
    provision on demand, as tools.health reads and drives them."""
    base = f"/v1.0/servicePrincipals/{sp}/synchronization/jobs/{job}"
    graph.call("POST", f"{base}/start", expect=204)
    emu.run_provisioning_cycle(sp, job)
    graph.call("GET", base, expect=200, model="synchronizationJob")
    logs = graph.call(
        "GET",
        "/v1.0/auditLogs/provisioning",
        expect=200,
        model="provisioningObjectSummary",
        params={"$filter": f"servicePrincipal/id eq '{sp}'", "$top": "1"},
    )
    assert "@odata.nextLink" in logs
    graph.call("GET", logs["@odata.nextLink"], expect=200, model="provisioningObjectSummary")
    graph.call(
        "GET",
        "/v1.0/auditLogs/provisioning",
        expect=400,
        params={"$filter": "contains(jobId, 'asana')"},
    )
    user = logs["value"][0]["sourceIdentity"]["id"]
    rule = emu.schema(sp, job)["synchronizationRules"][0]["id"]
    graph.call(
        "POST",
        f"{base}/provisionOnDemand",
        expect=200,
        sent={
            "parameters": [
                {"subjects": [{"objectId": user, "objectTypeName": "Group"}], "ruleId": rule}
            ]
        },
        sent_model="synchronizationJob.provisionOnDemand",
        model="stringKeyStringValuePair",
    )
    graph.call(
        "POST",
        f"{base}/provisionOnDemand",
        expect=400,
        sent={
            "parameters": [
                {
                    "subjects": [{"objectId": user, "objectTypeName": "Group"}],
                    "ruleId": "no-such-rule",
                }
            ]
        },
    )
    emu.revoke_scim_token(token)
    emu.run_provisioning_cycle(sp, job)
    graph.call("GET", base, expect=200, model="synchronizationJob")
    emu.add_scim_token(token)


def _seeded_enterprise_app(emu: Emulator, graph: JudgedGraph) -> None:
    """An app an admin configured in the portal, read the way tools.adopt reads it."""
    emu.add_enterprise_app(
        SEEDED_SP,
        app_object_id="1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        app_id="2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
        display_name="Asana (by hand)",
        application_template_id=ASANA_TEMPLATE_ID,
        app_roles=[
            {
                "id": USER_ROLE_ID,
                "displayName": "User",
                "value": None,
                "description": "User",
                "allowedMemberTypes": ["User"],
                "isEnabled": True,
                "origin": "Application",
            }
        ],
        preferred_single_sign_on_mode="saml",
        login_url="https://app.asana.com/",
        notification_email_addresses=["admin@contoso.com"],
        identifier_uris=["https://app.asana.com/by-hand"],
        redirect_uris=["https://app.asana.com/-/saml/consume"],
        token_signing_key=SEEDED_SIGNING_KEY,
        templates=[],
    )
    graph.call("GET", f"/v1.0/servicePrincipals/{SEEDED_SP}", expect=200, model="servicePrincipal")
    graph.call(
        "GET",
        "/v1.0/servicePrincipals",
        expect=200,
        model="servicePrincipal",
        params={"$select": "id,appId,displayName,keyCredentials", "$top": "1"},
    )


def _owners(graph: JudgedGraph, created: dict[str, Any], people: dict[str, str]) -> None:
    user = people["user"]
    for collection in ("application", "servicePrincipal"):
        path = f"/v1.0/{collection}s/{created[collection]['id']}/owners"
        graph.call(
            "POST",
            f"{path}/$ref",
            expect=204,
            sent={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"},
            sent_model="referenceCreate",
        )
        listed = graph.call("GET", path, expect=200, model="directoryObject")
        assert [owner["id"] for owner in listed["value"]] == [user]
        graph.call("DELETE", f"{path}/{user}/$ref", expect=204)


def _teardown(emu: Emulator, graph: JudgedGraph, created: dict[str, Any]) -> None:
    sp = created["servicePrincipal"]["id"]
    app = created["application"]["id"]
    graph.call("DELETE", f"/v1.0/servicePrincipals/{sp}", expect=204)
    recreated = graph.call(
        "POST",
        "/v1.0/servicePrincipals",
        expect=201,
        sent={
            "appId": created["application"]["appId"],
            "owners@odata.bind": [
                "https://graph.microsoft.com/v1.0/directoryObjects/"
                + emu.caller_object_id(TENANT, CLIENT_ID)
            ],
        },
        sent_model="servicePrincipal",
        model="servicePrincipal",
    )
    graph.call("DELETE", f"/v1.0/servicePrincipals/{recreated['id']}", expect=204)
    graph.call("DELETE", f"/v1.0/applications/{app}", expect=204)


# ----- the judgement -----


def test_every_body_the_emulator_serves_is_a_valid_graph_model(tour: Tour) -> None:
    problems = [
        f"{e.method} {e.path} -> {e.status}: {problem}"
        for e in tour.exchanges
        if e.answer is not None and e.answer_model is not None
        for problem in graph_body_problems(e.answer_model, e.answer, collection=e.collection)
    ]

    assert problems == []
    judged = [e for e in tour.exchanges if e.answer is not None and e.answer_model]
    assert len(judged) >= 40


def test_every_body_the_tour_sends_is_a_valid_graph_model(tour: Tour) -> None:
    problems = [
        f"{e.method} {e.path}: {problem}"
        for e in tour.exchanges
        if e.sent_model is not None
        for problem in graph_body_problems(e.sent_model, e.sent)
    ]

    assert problems == []


def test_error_answers_use_graphs_error_envelope(tour: Tour) -> None:
    errors = [e for e in tour.exchanges if e.status >= 400]

    assert {e.status for e in errors} >= {400, 404, 409}
    for exchange in errors:
        assert_graph_body(ERROR, exchange.answer)


def test_every_graph_route_was_toured_successfully(emu: Emulator, tour: Tour) -> None:
    """A route added without a place in the tour fails here, so no body goes unjudged."""
    missing = [
        f"{method} {template}"
        for method, template in emu.graph_routes()
        if not any(
            e.method == method and matches(template, e.path) and e.status < 400
            for e in tour.exchanges
        )
        and not (method == "PATCH" and template.endswith("/schema"))  # never succeeds: 404
    ]

    assert missing == []


# ----- the judge itself -----


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        ("servicePrincipal", {"appRoleAssignmentRequired": "true"}, "not of the declared type"),
        ("servicePrincipal", {"displayName": "x", "loginURL": "y"}, "loginURL"),
        ("servicePrincipal", {"keyCredentials": [{"keyID": "x"}]}, "keyID"),
        ("synchronizationJob", {"status": {"countSuccessiveCompleteFailures": 1.0}}, "1.0"),
        ("synchronizationJob", {"schedule": {"state": "Running"}}, "Running"),
        ("appRoleAssignment", {"appRoleId": "not-a-guid"}, "kiota could not parse"),
        ("application", {"identifierUris": [7]}, "identifierUris[0]"),
        ("application", {"@odata.type": "#microsoft.graph.servicePrincipal"}, "@odata.type"),
        ("synchronizationSecretKeyStringValuePair", {"value": [{"key": "Nope"}]}, "Nope"),
    ],
)
def test_the_judge_catches_what_graph_would_not_send(
    model: str, body: dict[str, Any], expected: str
) -> None:
    collection = True if model == "synchronizationSecretKeyStringValuePair" else None

    problems = graph_body_problems(model, body, collection=collection)

    assert any(expected in problem for problem in problems), problems


def test_the_judge_accepts_graphs_own_notations() -> None:
    """Timestamps with seven fractional digits, ISO 8601 durations, upper-case GUIDs, Binary in
    base64 and flags enums are all as Graph writes them."""
    assert_graph_body(
        "synchronizationJob",
        {
            "id": "asana.1.2",
            "schedule": {"interval": "P10675199DT2H48M5.4775807S", "state": "Disabled"},
            "status": {"steadyStateFirstAchievedTime": "2021-05-05T18:38:51.8100763Z"},
        },
    )
    assert_graph_body(
        "keyCredential",
        {"keyId": "93BC223F-7235-4B9C-BEEA-D66847531C49", "customKeyIdentifier": "2iD8ppbE+D6K"},
    )
    assert_graph_body("objectMapping", {"flowTypes": "Add, Update, Delete", "name": "Users"})
    with pytest.raises(AssertionError, match="flowTypes"):
        assert_graph_body("objectMapping", {"flowTypes": "Add, Nope"})
