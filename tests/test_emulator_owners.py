"""What the admin center and retrying clients see of enterprise apps in the local tenant: the
owners of applications and service principals (list, add and remove by `$ref`, and
`owners@odata.bind` on create), the enterprise applications list
(`tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp')`, with `$count`), and writes
that land while their reply is lost (`Fault.after`)."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import TENANT_ID
from tests.emulator import ASANA_TEMPLATE_ID, Fault
from tests.emulator.client import GraphTestClient

INTEGRATED = "WindowsAzureActiveDirectoryIntegratedApp"
ALREADY = (
    "One or more added object references already exist for the following modified properties: "
    "'owners'."
)


@pytest.fixture
def asana(graph: GraphTestClient) -> dict[str, str]:
    created = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    return {
        "applications": created["application"]["id"],
        "servicePrincipals": created["servicePrincipal"]["id"],
        "app_id": created["application"]["appId"],
    }


def reference(graph: GraphTestClient, object_id: str) -> dict[str, str]:
    """The body go-azure-sdk sends: its own Graph base URL + /v1.0/directoryObjects/{id}."""
    return {"@odata.id": f"{graph.emulator.graph_url}/v1.0/directoryObjects/{object_id}"}


COLLECTIONS = ["applications", "servicePrincipals"]


# ----- owners -----


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_gallery_app_starts_without_owners(
    graph: GraphTestClient, asana: dict[str, str], collection: str
) -> None:
    listed = graph.get(f"/v1.0/{collection}/{asana[collection]}/owners")

    assert listed.status_code == 200
    assert listed.json()["value"] == []


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_owners_are_added_listed_and_removed_by_reference(
    graph: GraphTestClient, asana: dict[str, str], collection: str
) -> None:
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    other = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Other", TENANT_ID)
    principal = other["servicePrincipal"]["id"]
    owners = f"/v1.0/{collection}/{asana[collection]}/owners"

    added = [graph.post(f"{owners}/$ref", reference(graph, o)) for o in (user, principal)]
    listed = graph.get(owners).json()["value"]
    removed = graph.delete(f"{owners}/{user}/$ref")
    left = graph.get(owners).json()["value"]

    assert [r.status_code for r in added] == [204, 204]
    assert [(o["@odata.type"], o["id"]) for o in listed] == [
        ("#microsoft.graph.user", user),
        ("#microsoft.graph.servicePrincipal", principal),
    ]
    assert listed[0]["userPrincipalName"] == "ada@contoso.com"
    assert removed.status_code == 204
    assert [o["id"] for o in left] == [principal]


def test_adding_an_owner_twice_is_graphs_already_exists(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    owners = f"/v1.0/servicePrincipals/{asana['servicePrincipals']}/owners/$ref"

    first = graph.post(owners, reference(graph, user))
    again = graph.post(owners, {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{user}"})

    assert first.status_code == 204
    assert again.status_code == 400
    assert again.json()["error"]["message"] == ALREADY


def test_unknown_objects_and_owners_are_not_found(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    unknown = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
    path = f"/v1.0/applications/{asana['applications']}/owners"

    added = graph.post(f"{path}/$ref", reference(graph, unknown))
    removed = graph.delete(f"{path}/{unknown}/$ref")
    on_unknown_app = graph.post(
        f"/v1.0/applications/{unknown}/owners/$ref", reference(graph, unknown)
    )

    for reply in (added, removed, on_unknown_app):
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "Request_ResourceNotFound"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"@odata.id": "not a url"},
        {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/x"},
        {
            "@odata.id": "https://graph.microsoft.com/v1.0/groups/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
        },
    ],
)
def test_malformed_references_are_refused(
    graph: GraphTestClient, asana: dict[str, str], body: dict[str, str]
) -> None:
    reply = graph.post(f"/v1.0/applications/{asana['applications']}/owners/$ref", body)

    assert reply.status_code == 400
    assert graph.emulator.snapshot()["owners"] == {}


def test_a_group_cannot_own_an_app(graph: GraphTestClient, asana: dict[str, str]) -> None:
    group = graph.emulator.add_group("Admins")

    reply = graph.post(
        f"/v1.0/servicePrincipals/{asana['servicePrincipals']}/owners/$ref",
        reference(graph, group),
    )

    assert reply.status_code == 400


def test_owners_bind_on_create_sets_owners_and_the_caller_can_be_removed(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    """What the azuread provider does for a service principal it creates: the caller plus the
    configured owners in owners@odata.bind, then DELETE of the caller's $ref."""
    user = graph.emulator.add_user("ada@contoso.com", "Ada Lovelace")
    graph.delete(f"/v1.0/servicePrincipals/{asana['servicePrincipals']}")
    base = f"{graph.emulator.graph_url}/v1.0/directoryObjects"

    created = graph.post(
        "/v1.0/servicePrincipals",
        {
            "appId": asana["app_id"],
            "owners@odata.bind": [f"{base}/{graph.object_id}", f"{base}/{user}"],
        },
    )
    sp = created.json()["id"]
    listed = graph.get(f"/v1.0/servicePrincipals/{sp}/owners").json()["value"]
    removed = graph.delete(f"/v1.0/servicePrincipals/{sp}/owners/{graph.object_id}/$ref")

    assert created.status_code == 201
    assert [o["id"] for o in listed] == [graph.object_id, user]
    assert listed[0]["@odata.type"] == "#microsoft.graph.servicePrincipal"
    assert removed.status_code == 204
    assert [o["id"] for o in graph.get(f"/v1.0/servicePrincipals/{sp}/owners").json()["value"]] == [
        user
    ]


def test_owners_bind_naming_an_unknown_object_creates_nothing(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    graph.delete(f"/v1.0/servicePrincipals/{asana['servicePrincipals']}")
    before = graph.emulator.snapshot()

    created = graph.post(
        "/v1.0/servicePrincipals",
        {
            "appId": asana["app_id"],
            "owners@odata.bind": [
                "https://graph.microsoft.com/v1.0/directoryObjects/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
            ],
        },
    )

    assert created.status_code == 404
    assert graph.emulator.snapshot() == before


def test_a_deleted_owner_leaves_the_owners_list(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    other = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Other", TENANT_ID)
    principal = other["servicePrincipal"]["id"]
    owners = f"/v1.0/applications/{asana['applications']}/owners"
    graph.post(f"{owners}/$ref", reference(graph, principal))

    graph.delete(f"/v1.0/servicePrincipals/{principal}")

    assert graph.get(owners).json()["value"] == []


# ----- the enterprise applications list -----


def test_the_enterprise_applications_list_filters_on_the_integrated_app_tag(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    hidden = graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Hidden", TENANT_ID)
    graph.patch(f"/v1.0/servicePrincipals/{hidden['servicePrincipal']['id']}", {"tags": []})

    listed = graph.get("/v1.0/servicePrincipals", **{"$filter": f"tags/any(t:t eq '{INTEGRATED}')"})
    spaced = graph.get(
        "/v1.0/servicePrincipals",
        **{"$filter": f"tags/Any(x: x eq '{INTEGRATED.lower()}') and displayName eq 'Asana'"},
    )

    assert listed.status_code == 200
    assert [sp["id"] for sp in listed.json()["value"]] == [asana["servicePrincipals"]]
    assert "@odata.count" not in listed.json()
    assert [sp["id"] for sp in spaced.json()["value"]] == [asana["servicePrincipals"]]


def test_count_needs_consistency_level_eventual(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    query = {"$filter": f"tags/any(t:t eq '{INTEGRATED}')", "$count": "true", "$top": "1"}
    graph.emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Second", TENANT_ID)

    eventual = graph.request(
        "GET", "/v1.0/servicePrincipals", params=query, headers={"ConsistencyLevel": "eventual"}
    )
    plain = graph.get("/v1.0/servicePrincipals", **query)
    bad = graph.get("/v1.0/servicePrincipals", **{"$count": "yes"})

    body = eventual.json()
    assert list(body)[:2] == ["@odata.context", "@odata.count"]
    assert body["@odata.count"] == 2
    assert len(body["value"]) == 1 and "@odata.nextLink" in body
    assert "@odata.count" not in plain.json()
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "clause",
    [
        f"tags/all(t:t eq '{INTEGRATED}')",
        f"tags eq '{INTEGRATED}'",
        f"displayName/any(t:t eq '{INTEGRATED}')",
        "tags/any(t:startswith(t, 'Windows'))",
        f"tags/any(t:t ne '{INTEGRATED}')",
    ],
)
def test_filters_the_emulator_cannot_answer_are_refused(
    graph: GraphTestClient, asana: dict[str, str], clause: str
) -> None:
    reply = graph.get("/v1.0/servicePrincipals", **{"$filter": clause})

    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "Request_UnsupportedQuery"


# ----- the write lands, the reply is lost -----


@pytest.mark.parametrize("code", [500, 503, None])
def test_an_instantiate_whose_reply_is_lost_still_created_the_app(
    graph: GraphTestClient, code: int | None
) -> None:
    graph.emulator.inject(Fault.after(code), service="graph", path="/instantiate$")

    if code is None:
        with pytest.raises(requests.ConnectionError):
            graph.post(
                f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate",
                {"displayName": "Asana"},
            )
    else:
        reply = graph.post(
            f"/v1.0/applicationTemplates/{ASANA_TEMPLATE_ID}/instantiate",
            {"displayName": "Asana"},
        )
        assert reply.status_code == code
        assert "error" in reply.json()

    listed = graph.get("/v1.0/applications", **{"$filter": "displayName eq 'Asana'"})
    assert len(listed.json()["value"]) == 1
    [logged] = [r for r in graph.emulator.requests if r.path.endswith("/instantiate")]
    assert (logged.fault, logged.status) == ("after", code or 0)


def test_a_signing_certificate_whose_reply_is_lost_was_added(
    graph: GraphTestClient, asana: dict[str, str]
) -> None:
    sp = asana["servicePrincipals"]
    graph.emulator.inject(Fault.after(503, retry_after=1), path="/addTokenSigningCertificate$")

    reply = graph.post(f"/v1.0/servicePrincipals/{sp}/addTokenSigningCertificate", {})

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "1"
    usages = [
        k["usage"] for k in graph.get(f"/v1.0/servicePrincipals/{sp}").json()["keyCredentials"]
    ]
    assert sorted(usages) == ["Sign", "Verify"]


@pytest.mark.parametrize("code", [200, 302, 600])
def test_an_after_fault_needs_an_error_status(code: int) -> None:
    with pytest.raises(ValueError):
        Fault.after(code)
