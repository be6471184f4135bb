"""Writes whose reply was lost, under the real CLI: Graph did the work, the reply never came,
and the azuread provider's client sent the POST again (go-azure-sdk retries a 5xx on every method).
The next state must hold exactly one of each object, and sign-in must work."""

from __future__ import annotations

from rules.saml import key_identifier_of_thumbprint
from tests.e2e.demo import USER
from tests.e2e.tenant import LocalTenant
from tests.e2e.test_saml_sign_in import deployed, no_changes
from tests.e2e.workspace import Workspace
from tests.emulator import Fault
from tests.saml_sp import sign_in


def test_a_lost_reply_to_add_certificate_leaves_one_key_pair_and_a_working_sign_in(
    tenant: LocalTenant, workspace: Workspace
):
    """Graph adds the certificate but the reply is lost; the azuread provider's client retries
    the POST (go-azure-sdk retries 5xx on every method), which adds a second key pair."""
    tenant.emulator.inject(Fault.after(500), method="POST", path=r"/addTokenSigningCertificate$")

    result = deployed(tenant, workspace)

    sp = tenant.emulator.directory_object(result["servicePrincipalObjectId"])
    posts = tenant.emulator.count(
        service="graph", method="POST", path=r"/addTokenSigningCertificate$"
    )
    assert posts == 2, "the provider retried the POST whose reply was lost"
    assert {c["customKeyIdentifier"] for c in sp["keyCredentials"] + sp["passwordCredentials"]} == {
        key_identifier_of_thumbprint(result["sso"]["certificateThumbprint"])
    }
    assert sign_in(result["sso"], USER, ca_bundle=tenant.ca_bundle).accepted
    no_changes(workspace)


def test_a_lost_reply_to_instantiate_leaves_one_app(tenant: LocalTenant, workspace: Workspace):
    tenant.emulator.inject(Fault.after(500), method="POST", path=r"/instantiate$")

    result = deployed(tenant, workspace)

    posts = tenant.emulator.count(service="graph", method="POST", path=r"/instantiate$")
    assert posts == 2, "the provider retried the POST whose reply was lost"
    apps = [
        app
        for app in tenant.emulator.snapshot()["applications"].values()
        if app["displayName"] == "Asana (demo)"
    ]
    assert [app["id"] for app in apps] == [result["applicationObjectId"]]
    assert sign_in(result["sso"], USER, ca_bundle=tenant.ca_bundle).accepted
    no_changes(workspace)
