"""SamlSigningCertificates through the SDK's provider server, against the local tenant: the
certificate Entra signs with is the one the stack declares, a portal change of it is drift,
and a retired certificate's own key pair, and nothing else, is removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from providers.saml_signing import SamlSigningCertificatesProvider, duplicates
from rules.saml import key_identifier_of_thumbprint
from tests.conftest import CLIENT_ID, TENANT_ID, Tenant
from tests.emulator import ASANA_TEMPLATE_ID, Emulator, Fault
from tests.emulator.client import GraphTestClient
from tests.engine import UNKNOWN, EngineResource, ProviderError, ProviderServer

Certificate = dict[str, str]


@pytest.fixture
def principal(emulator: Emulator) -> str:
    created = emulator.instantiate_gallery_app(ASANA_TEMPLATE_ID, "Asana", TENANT_ID)
    return created["servicePrincipal"]["id"]


@pytest.fixture
def graph(emulator: Emulator, tenant: Tenant) -> GraphTestClient:
    return GraphTestClient(emulator, TENANT_ID, CLIENT_ID, tenant.client_secret)


@pytest.fixture
def add_certificate(graph: GraphTestClient, principal: str) -> Callable[[str], Certificate]:
    """addTokenSigningCertificate, as the azuread resource does: key id of the Verify key (the
    resource's id) and the thumbprint."""

    def add(name: str) -> Certificate:
        reply = graph.post(
            f"/v1.0/servicePrincipals/{principal}/addTokenSigningCertificate", {"displayName": name}
        ).json()
        live = graph.emulator.directory_object(principal)
        verify = next(
            k
            for k in live["keyCredentials"]
            if k["usage"] == "Verify" and k["customKeyIdentifier"] == reply["customKeyIdentifier"]
        )
        return {"key_id": verify["keyId"], "thumbprint": reply["thumbprint"]}

    return add


def signing(server: ProviderServer) -> EngineResource:
    return EngineResource(
        server=server,
        provider=SamlSigningCertificatesProvider(),
        type_token="asana:SamlSigningCertificates",
        name="asana-saml-signing",
    )


def inputs(principal: str, certificates: list[Certificate], active: Certificate) -> dict[str, Any]:
    return {
        "service_principal_id": principal,
        "certificates": certificates,
        "active_thumbprint": active["thumbprint"],
    }


def live(emulator: Emulator, principal: str) -> dict[str, Any]:
    return emulator.directory_object(principal)


def key_identifiers(emulator: Emulator, principal: str) -> list[str]:
    found = live(emulator, principal)
    return sorted(
        c["customKeyIdentifier"] for c in [*found["keyCredentials"], *found["passwordCredentials"]]
    )


def test_up_makes_the_declared_certificate_the_one_entra_signs_with(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    before = emulator.count(service="graph")

    resource.up(inputs(principal, [first], first))

    assert emulator.count(service="graph") - before == 3  # GET, PATCH, the confirming GET
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == first["thumbprint"]
    assert resource.outputs["active_thumbprint"] == first["thumbprint"]
    calls = emulator.count(service="graph")
    assert resource.up(inputs(principal, [first], first)).changes is False
    assert emulator.count(service="graph") == calls  # a second up asks Graph nothing


def test_a_certificate_made_active_in_the_portal_is_drift_and_up_puts_it_back(
    emulator, server, graph, principal, add_certificate
):
    ours, portal = add_certificate("CN=Asana SSO"), add_certificate("CN=Made in the portal")
    resource = signing(server)
    resource.up(inputs(principal, [ours], ours))

    graph.patch(
        f"/v1.0/servicePrincipals/{principal}",
        {"preferredTokenSigningKeyThumbprint": portal["thumbprint"]},
    )
    refreshed = resource.refresh()

    assert refreshed.drift
    assert refreshed.changed_outputs["active_thumbprint"] == (
        ours["thumbprint"],
        portal["thumbprint"],
    )
    assert resource.up(inputs(principal, [ours], ours)).changes is True
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == ours["thumbprint"]
    assert resource.refresh().drift is False


def test_a_preference_cleared_in_the_portal_reads_as_no_active_certificate_and_up_restores_it(
    emulator, server, graph, principal, add_certificate
):
    """Graph gives `preferredTokenSigningKeyThumbprint` as null when no certificate is preferred
    (servicePrincipal resource type, Microsoft Graph v1.0); refresh records that as "", the
    thumbprint of no certificate, so the drift names the change and up sets ours again."""
    ours = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [ours], ours))

    graph.patch(
        f"/v1.0/servicePrincipals/{principal}", {"preferredTokenSigningKeyThumbprint": None}
    )
    refreshed = resource.refresh()

    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] is None
    assert refreshed.changed_outputs["active_thumbprint"] == (ours["thumbprint"], "")
    assert resource.up(inputs(principal, [ours], ours)).changes is True
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == ours["thumbprint"]


def test_a_rotation_switches_then_removes_only_the_old_certificates_own_key_pair(
    emulator, server, principal, add_certificate
):
    old = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [old], old))
    new = add_certificate("CN=Asana SSO 2029")
    resource.up(inputs(principal, [old, new], old))  # phase 1: the next one, inactive
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == old["thumbprint"]
    both = key_identifiers(emulator, principal)

    resource.up(inputs(principal, [old, new], new))  # phase 2: one setting switches
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == new["thumbprint"]
    assert key_identifiers(emulator, principal) == both
    resource.up(inputs(principal, [new], new))  # phase 3: the old one goes

    remaining = key_identifiers(emulator, principal)
    assert len(remaining) == 3  # Sign, Verify and the PFX password of the new certificate
    assert {k for k in both if k not in remaining} == {c for c in both if remaining.count(c) == 0}
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == new["thumbprint"]
    from rules.saml import key_identifier_of_thumbprint

    assert set(remaining) == {key_identifier_of_thumbprint(new["thumbprint"])}


def test_a_certificate_added_outside_the_stack_is_never_removed(
    emulator, server, principal, add_certificate
):
    old = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [old], old))
    new = add_certificate("CN=Asana SSO 2029")
    stranger = add_certificate("CN=Someone else's")
    resource.up(inputs(principal, [old, new], new))

    resource.up(inputs(principal, [new], new))

    assert set(key_identifiers(emulator, principal)) == {
        key_identifier_of_thumbprint(new["thumbprint"]),
        key_identifier_of_thumbprint(stranger["thumbprint"]),
    }


def test_destroy_clears_the_preference_and_removes_the_stacks_certificates(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))

    resource.destroy()

    found = live(emulator, principal)
    assert not found["preferredTokenSigningKeyThumbprint"]
    assert found["keyCredentials"] == [] and found["passwordCredentials"] == []


def test_a_patch_graph_refused_is_an_error_not_a_success(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    emulator.inject(
        Fault.status(500), method="PATCH", path=rf"/v1.0/servicePrincipals/{principal}$"
    )

    with pytest.raises(ProviderError, match="500"):
        signing(server).up(inputs(principal, [first], first))
    assert not live(emulator, principal)["preferredTokenSigningKeyThumbprint"]


def test_a_certificate_gone_from_the_principal_is_named_rather_than_made_active(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    gone = {"key_id": first["key_id"], "thumbprint": "AB" * 20}

    with pytest.raises(ProviderError) as failure:
        signing(server).up(inputs(principal, [gone], gone))

    assert (
        f"Microsoft Graph GET /v1.0/servicePrincipals/{principal} lists no signing key of "
        f"thumbprint {gone['thumbprint']}: the certificate to make active is not on the service "
        "principal (removed in the portal?); run `pulumi up --refresh` to re-create it"
    ) in failure.value.details


LIST_THEM = "must list the stack's signing certificates"
HEX_SHA1 = "must give each certificate's hex SHA-1 thumbprint"


@pytest.mark.parametrize(
    ("news", "prop", "reason"),
    [
        (
            {"service_principal_id": "asana"},
            "service_principal_id",
            "must be the object id of the Asana service principal (a GUID such as "
            "00000000-0000-0000-0000-000000000000)",
        ),
        ({"certificates": [{"key_id": "x", "thumbprint": "not hex"}]}, "certificates", HEX_SHA1),
        (
            {"active_thumbprint": "CD" * 20},
            "active_thumbprint",
            "must be the thumbprint of one of the declared certificates",
        ),
        ({"certificates": []}, "certificates", LIST_THEM),
        ({"certificates": None}, "certificates", LIST_THEM),
        ({"certificates": ["AB" * 20]}, "certificates", HEX_SHA1),  # thumbprints, not objects
    ],
)
def test_check_names_the_input_that_cannot_work_and_what_it_must_be(
    emulator, server, news, prop, reason
):
    valid = {
        "service_principal_id": "5b0f6c2e-7d41-4c8a-9e3b-2a6d1f0c8e47",
        "certificates": [{"key_id": "k", "thumbprint": "AB" * 20}],
        "active_thumbprint": "AB" * 20,
    }
    checked, _ = signing(server).preview({**valid, **news})

    ((named, told),) = checked.failures
    assert (named, told) == (prop, reason)
    assert emulator.requests == []


def test_a_first_preview_accepts_what_is_not_known_yet(emulator, server):
    checked, _ = signing(server).preview(
        {"service_principal_id": UNKNOWN, "certificates": UNKNOWN, "active_thumbprint": UNKNOWN}
    )

    assert checked.failures == []


def test_the_duplicate_a_retried_add_left_is_removed_and_the_declared_one_kept(
    emulator, server, principal, add_certificate
):
    add_certificate("CN=Asana SSO")  # the first POST landed; its reply was lost
    declared = add_certificate("CN=Asana SSO")  # the retry: the one the azuread resource keeps

    signing(server).up(inputs(principal, [declared], declared))

    assert set(key_identifiers(emulator, principal)) == {
        key_identifier_of_thumbprint(declared["thumbprint"])
    }


def key_pair(thumbprint: str, name: str, started: str) -> dict[str, str]:
    return {
        "customKeyIdentifier": key_identifier_of_thumbprint(thumbprint),
        "displayName": name,
        "startDateTime": started,
        "usage": "Sign",
    }


@pytest.mark.parametrize(
    ("other", "is_duplicate"),
    [
        (key_pair("BB" * 20, "CN=Asana SSO", "2026-12-03T10:14:00Z"), True),
        (key_pair("BB" * 20, "CN=Asana SSO", "2026-12-03T10:15:00Z"), True),  # 15 minutes on
        (key_pair("BB" * 20, "CN=Asana SSO", "2026-12-03T09:46:00Z"), True),
        (key_pair("BB" * 20, "CN=Asana SSO", "2026-12-03T10:16:00Z"), False),  # 16 minutes on
        (key_pair("BB" * 20, "CN=Asana SSO", "2026-11-03T10:00:00Z"), False),  # made long ago
        (key_pair("BB" * 20, "CN=Portal", "2026-12-03T10:00:00Z"), False),  # another subject
        (key_pair("BB" * 20, "CN=Asana SSO", "not a date"), False),
        # a verification key alone (usage Verify) is no key pair addTokenSigningCertificate made
        ({**key_pair("BB" * 20, "CN=Asana SSO", "2026-12-03T10:01:00Z"), "usage": "Verify"}, False),
    ],
)
def test_only_a_same_subject_key_pair_made_within_fifteen_minutes_is_a_duplicate(
    other, is_duplicate
):
    ours = key_pair("AA" * 20, "CN=Asana SSO", "2026-12-03T10:00:00Z")
    live = {"keyCredentials": [ours, other], "preferredTokenSigningKeyThumbprint": "AA" * 20}
    props = {"certificates": [{"key_id": "k", "thumbprint": "AA" * 20}]}

    assert duplicates(live, props) == ({"BB" * 20} if is_duplicate else set())


def test_the_active_certificate_is_never_a_duplicate():
    ours = key_pair("AA" * 20, "CN=Asana SSO", "2026-12-03T10:00:00Z")
    twin = key_pair("BB" * 20, "CN=Asana SSO", "2026-12-03T10:01:00Z")
    live = {"keyCredentials": [ours, twin], "preferredTokenSigningKeyThumbprint": "bb" * 20}
    props = {"certificates": [{"key_id": "k", "thumbprint": "AA" * 20}]}

    assert duplicates(live, props) == set()


def test_destroy_leaves_another_active_certificate_active_and_removes_only_the_stacks(
    emulator, server, principal, add_certificate, graph
):
    """A certificate made active in the portal after `up` stays active: destroy clears the
    preference only when it names one of the stack's own certificates."""
    ours = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [ours], ours))
    theirs = add_certificate("CN=Made in the portal")
    made_active = graph.patch(
        f"/v1.0/servicePrincipals/{principal}",
        {"preferredTokenSigningKeyThumbprint": theirs["thumbprint"]},
    )
    assert made_active.status_code == 204

    resource.destroy()

    found = live(emulator, principal)
    assert found["preferredTokenSigningKeyThumbprint"] == theirs["thumbprint"]
    assert {k["displayName"] for k in found["keyCredentials"]} == {"CN=Made in the portal"}


def test_destroy_after_the_service_principal_is_gone_succeeds_with_one_read(
    emulator, server, principal, add_certificate, graph
):
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))
    assert graph.delete(f"/v1.0/servicePrincipals/{principal}").status_code == 204
    before = len(emulator.requests)

    resource.destroy()

    sent = [(r.method, r.path) for r in emulator.requests[before:] if r.service == "graph"]
    assert sent == [("GET", f"/v1.0/servicePrincipals/{principal}")]


def test_the_certificates_of_a_deleted_service_principal_read_as_gone(
    emulator, server, principal, add_certificate
):
    """Graph answers 404 for a deleted service principal; Pulumi's contract for a resource that
    no longer exists is a read with no id (pulumi.dynamic.ReadResult), so refresh drops it from
    state instead of failing."""
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))
    emulator.remove_service_principal(principal)

    refreshed = resource.refresh()

    assert refreshed.deleted and resource.id is None


def test_a_refresh_records_the_portals_choice_as_the_inputs_and_the_next_up_still_restores_ours(
    emulator, server, graph, principal, add_certificate
):
    """Read returns the live values as the inputs too (pulumi.dynamic.ReadResult: "the input
    properties to use for subsequent diffs ... ensuring subsequent diffs compare against the
    refreshed state"): once a refresh has recorded the portal's certificate, a second refresh
    finds nothing new, and the next up, diffing the stack's declaration against that state,
    makes the declared certificate active again."""
    ours, portal = add_certificate("CN=Asana SSO"), add_certificate("CN=Made in the portal")
    resource = signing(server)
    declared = inputs(principal, [ours], ours)
    resource.up(declared)
    graph.patch(
        f"/v1.0/servicePrincipals/{principal}",
        {"preferredTokenSigningKeyThumbprint": portal["thumbprint"]},
    )
    assert resource.refresh().drift

    assert resource.refresh().drift is False
    assert {k: v for k, v in resource.inputs.items() if k != "__provider"} == {
        **declared,
        "active_thumbprint": portal["thumbprint"],
    }
    assert resource.up(declared).changes is True
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == ours["thumbprint"]


SIGNING_PROPERTIES = {"preferredTokenSigningKeyThumbprint", "keyCredentials", "passwordCredentials"}


def principal_path(principal: str) -> str:
    return rf"/v1.0/servicePrincipals/{principal}$"


def graph_sent(emulator: Emulator, since: int) -> list[str]:
    return [r.method for r in emulator.requests[since:] if r.service == "graph"]


@pytest.mark.parametrize(
    "lost_reply",
    [Fault.after(500), Fault.after(504), Fault.after(None)],
    ids=["answered-500", "answered-504", "connection-dropped"],
)
def test_a_patch_that_landed_but_whose_reply_was_lost_is_confirmed_by_reading_back(
    emulator, server, principal, add_certificate, lost_reply
):
    """Graph acted but the reply was a 5xx or never came: the read back shows the change, so
    up succeeds, and the PATCH is never sent a second time blind."""
    first = add_certificate("CN=Asana SSO")
    emulator.inject(lost_reply, method="PATCH", path=principal_path(principal))
    resource = signing(server)

    resource.up(inputs(principal, [first], first))

    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == first["thumbprint"]
    assert resource.outputs["active_thumbprint"] == first["thumbprint"]
    assert emulator.count(service="graph", method="PATCH") == 1


def test_the_principal_is_read_for_its_signing_properties_only(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    before = len(emulator.requests)

    signing(server).up(inputs(principal, [first], first))

    reads = [r for r in emulator.requests[before:] if r.service == "graph" and r.method == "GET"]
    assert len(reads) == 2  # before the PATCH, and to confirm it
    assert all(set(r.query["$select"].split(",")) == SIGNING_PROPERTIES for r in reads)


def test_a_preview_while_a_new_certificate_is_not_created_yet_shows_an_update(
    emulator, server, principal, add_certificate
):
    """The next certificate's entry is unknown until the azuread resource creates it: the
    list may then differ from the one in state, so preview shows an update."""
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))

    _, diff = resource.preview(inputs(principal, [first, UNKNOWN], first))

    assert diff is not None and (diff.changes, diff.replaces) == (True, [])


@pytest.fixture
def rotated(
    server: ProviderServer, principal: str, add_certificate: Callable[[str], Certificate]
) -> tuple[EngineResource, Certificate, Certificate]:
    """A rotation at phase 2: the old and the new certificate declared, the new one active."""
    old = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [old], old))
    new = add_certificate("CN=Asana SSO 2029")
    resource.up(inputs(principal, [old, new], new))
    return resource, old, new


def remove_in_the_portal(
    graph: GraphTestClient, principal: str, thumbprint: str, properties: list[str]
) -> None:
    """Removes the certificate's credentials of these properties, as a portal edit would."""
    identifier = key_identifier_of_thumbprint(thumbprint)
    found = graph.get(
        f"/v1.0/servicePrincipals/{principal}", **{"$select": ",".join(properties)}
    ).json()
    body = {
        name: [c for c in found[name] if c["customKeyIdentifier"] != identifier]
        for name in properties
    }
    assert graph.patch(f"/v1.0/servicePrincipals/{principal}", body).status_code == 204


@pytest.mark.parametrize(
    "removed_before", ["passwordCredentials", "keyCredentials"], ids=["password-gone", "keys-gone"]
)
def test_a_retired_certificate_partly_removed_in_the_portal_loses_the_rest(
    emulator, server, graph, principal, rotated, removed_before
):
    resource, old, new = rotated
    remove_in_the_portal(graph, principal, old["thumbprint"], [removed_before])

    resource.up(inputs(principal, [new], new))

    assert set(key_identifiers(emulator, principal)) == {
        key_identifier_of_thumbprint(new["thumbprint"])
    }


def test_a_retired_certificate_already_removed_in_the_portal_is_left_without_a_patch(
    emulator, server, graph, principal, rotated
):
    resource, old, new = rotated
    remove_in_the_portal(
        graph, principal, old["thumbprint"], ["keyCredentials", "passwordCredentials"]
    )
    before = len(emulator.requests)

    resource.up(inputs(principal, [new], new))

    assert graph_sent(emulator, before) == ["GET"]
    assert resource.outputs["active_thumbprint"] == new["thumbprint"]


@pytest.mark.parametrize(
    "removed_before",
    [[], ["passwordCredentials"], ["keyCredentials"]],
    ids=["all-left", "only-keys-left", "only-password-left"],
)
def test_a_removal_graph_answered_but_did_not_make_is_an_error_naming_the_request(
    emulator, server, graph, principal, rotated, removed_before
):
    """Whatever was left of the retired certificate, a PATCH answered with success after
    which the principal still lists any of its credentials did not work."""
    resource, old, new = rotated
    if removed_before:
        remove_in_the_portal(graph, principal, old["thumbprint"], removed_before)
    emulator.inject(Fault.status(200, body={}), method="PATCH", path=principal_path(principal))

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(principal, [new], new))

    assert (
        f"Microsoft Graph PATCH /v1.0/servicePrincipals/{principal} answered success, but "
        "reading the service principal back does not show the change "
        "(keyCredentials, passwordCredentials)"
    ) in failure.value.details
    assert key_identifier_of_thumbprint(old["thumbprint"]) in key_identifiers(emulator, principal)


def test_destroy_stops_when_clearing_the_preference_did_not_land(
    emulator, server, principal, add_certificate
):
    """The active certificate's key pair is removed only once Entra no longer signs with it."""
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))
    emulator.inject(Fault.status(200, body={}), method="PATCH", path=principal_path(principal))

    with pytest.raises(ProviderError) as failure:
        resource.destroy()

    assert (
        f"Microsoft Graph PATCH /v1.0/servicePrincipals/{principal} answered success, but "
        "reading the service principal back does not show the change "
        "(preferredTokenSigningKeyThumbprint)"
    ) in failure.value.details
    found = live(emulator, principal)
    assert found["preferredTokenSigningKeyThumbprint"] == first["thumbprint"]
    assert len(found["keyCredentials"]) == 2  # its Sign and Verify keys


def test_destroy_reads_the_principal_once_and_once_after_each_patch(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))
    before = len(emulator.requests)

    resource.destroy()

    # read; clear the preference, confirm; remove the key pair, confirm
    assert graph_sent(emulator, before) == ["GET", "PATCH", "GET", "PATCH", "GET"]


def test_a_certificate_whose_signing_key_was_removed_is_named_rather_than_made_active(
    emulator, server, graph, principal, add_certificate
):
    """Entra signs with the Sign key of the preferred thumbprint; its Verify key alone cannot
    sign (https://learn.microsoft.com/graph/api/resources/keycredential, `usage`)."""
    first = add_certificate("CN=Asana SSO")
    keys = graph.get(f"/v1.0/servicePrincipals/{principal}", **{"$select": "keyCredentials"})
    verify_only = [k for k in keys.json()["keyCredentials"] if k["usage"] != "Sign"]
    assert (
        graph.patch(
            f"/v1.0/servicePrincipals/{principal}", {"keyCredentials": verify_only}
        ).status_code
        == 204
    )

    with pytest.raises(ProviderError) as failure:
        signing(server).up(inputs(principal, [first], first))

    assert f"lists no signing key of thumbprint {first['thumbprint']}" in failure.value.details
    assert emulator.count(service="graph", method="PATCH") == 1  # ours above, none from up


def test_declaring_the_next_certificate_leaves_the_active_one_alone_with_one_read(
    emulator, server, principal, add_certificate
):
    first = add_certificate("CN=Asana SSO")
    resource = signing(server)
    resource.up(inputs(principal, [first], first))
    following = add_certificate("CN=Asana SSO 2029")
    before = len(emulator.requests)

    resource.up(inputs(principal, [first, following], first))

    assert graph_sent(emulator, before) == ["GET"]
    assert live(emulator, principal)["preferredTokenSigningKeyThumbprint"] == first["thumbprint"]


@pytest.mark.parametrize(
    "pending",
    [{"certificates": UNKNOWN}, {"active_thumbprint": UNKNOWN}],
    ids=["certificates-unknown", "active-unknown"],
)
def test_a_preview_defers_the_certificate_checks_while_either_input_is_unknown(
    emulator, server, pending
):
    """Which certificate is active can only be checked against the list once both are known;
    the other still known input alone is no failure."""
    known = {
        "service_principal_id": "5b0f6c2e-7d41-4c8a-9e3b-2a6d1f0c8e47",
        "certificates": [{"key_id": "k", "thumbprint": "AB" * 20}],
        "active_thumbprint": "CD" * 20,
    }
    checked, _ = signing(server).preview({**known, **pending})

    assert checked.failures == []


def test_a_thumbprint_that_is_not_hex_is_told_to_be_the_sha1_in_hex(emulator, server):
    checked, _ = signing(server).preview(
        {
            "service_principal_id": "5b0f6c2e-7d41-4c8a-9e3b-2a6d1f0c8e47",
            "certificates": [{"key_id": "k", "thumbprint": "not hex"}],
            "active_thumbprint": "AB" * 20,
        }
    )

    assert [reason for _, reason in checked.failures] == [
        "must give each certificate's hex SHA-1 thumbprint"
    ]


def test_a_principal_id_holding_a_slash_is_sent_as_one_path_segment(
    emulator, server, principal, add_certificate
):
    """A resource read by id (`ResourceOptions(id=...)`) gets the program's properties without
    `check` (the engine's ReadStep calls none), so its service principal id may hold anything,
    e.g. a ProvisioningTemplate's id, `<principal>/<template>`. It is still one object id: sent
    as one path segment, its `/` percent-encoded (RFC 3986 sections 2.2 and 3.3), so Graph
    looks up that id and finds no object, never the principal's template path."""
    first = add_certificate("CN=Asana SSO")
    mixed_up = f"{principal}/{ASANA_TEMPLATE_ID}"
    resource = signing(server)
    resource.id = mixed_up
    declared = resource._with_provider(inputs(mixed_up, [first], first))
    resource.inputs, resource.outputs = dict(declared), dict(declared)
    before = len(emulator.requests)

    refreshed = resource.refresh()

    sent = [(r.method, r.path) for r in emulator.requests[before:] if r.service == "graph"]
    assert sent == [("GET", f"/v1.0/servicePrincipals/{principal}%2F{ASANA_TEMPLATE_ID}")]
    assert refreshed.deleted
