"""SAML sign-in under the real CLI, checked the way Asana checks it: a real SAML service-provider
library (`tests/saml_sp.py`), configured only from the stack's `sso` output, validates the
response the local tenant signs at its sign-in endpoint for an assigned user.

Also: the app stays an Enterprise application; a second `up` and a refresh change nothing; a
certificate made active in the portal is drift; and the two-phase rotation keeps sign-in working
at every step, with Entra never signing with a certificate Asana was not given."""

from __future__ import annotations

import json
from typing import Any

import yaml

from rules.asana import ENTERPRISE_APP_TAGS
from rules.saml import key_identifier_of_thumbprint
from tests.e2e.demo import GROUP, SSO_ONLY, USER
from tests.e2e.tenant import PROJECT, TENANT_ID, LocalTenant
from tests.e2e.workspace import Workspace
from tests.saml_sp import sign_in

STACK = "saml"
OUTSIDER = "not.assigned@contoso.com"
NEXT = "CN=Asana SSO 2029"
UP = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")


def deployed(tenant: LocalTenant, workspace: Workspace) -> dict[str, Any]:
    tenant.add_principals([GROUP], [USER, OUTSIDER])
    settings = {**SSO_ONLY, **tenant.plain_settings()}
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    workspace.pulumi(*UP)
    return outputs(workspace)


def outputs(workspace: Workspace) -> dict[str, Any]:
    return json.loads(workspace.pulumi("stack", "output", "--stack", STACK, "--json").stdout)


def edit_settings(workspace: Workspace, changes: dict[str, Any]) -> None:
    """What a reviewer merges: the stack file, edited (None removes a key)."""
    path = workspace.stack_file(STACK)
    document = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if value is None:
            document["config"].pop(f"{PROJECT}:{key}", None)
        else:
            document["config"][f"{PROJECT}:{key}"] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def no_changes(workspace: Workspace) -> None:
    workspace.pulumi("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")
    workspace.pulumi(
        "refresh", "--stack", STACK, "--preview-only", "--expect-no-changes", "--non-interactive"
    )


def asana_configured_with(sso: dict[str, Any], certificate_base64: str) -> dict[str, Any]:
    """Asana's Admin Console after the admin pasted these values (one certificate only)."""
    return {**sso, "certificateBase64": certificate_base64}


def enterprise_apps(tenant: LocalTenant) -> set[str]:
    """The service principals the admin center lists under Enterprise applications."""
    graph = tenant.graph()
    tag = ENTERPRISE_APP_TAGS[0]
    listed = graph.get("/v1.0/servicePrincipals", **{"$filter": f"tags/any(t:t eq '{tag}')"})
    assert listed.status_code == 200, listed.text
    return {sp["id"] for sp in listed.json()["value"]}


def test_a_fresh_up_gives_a_sign_in_asana_accepts_for_assigned_users_only(
    tenant: LocalTenant, workspace: Workspace
):
    sso = deployed(tenant, workspace)["sso"]

    accepted = sign_in(sso, USER, ca_bundle=tenant.ca_bundle)
    refused = sign_in(sso, OUTSIDER, ca_bundle=tenant.ca_bundle)

    assert accepted.accepted, accepted.errors
    assert accepted.name_id == USER
    assert refused.accepted is False and refused.entra_error == "AADSTS50105"
    assert sso["activeThumbprint"] == sso["certificateThumbprint"]
    assert sso["entraIdentifier"] == f"https://sts.windows.net/{TENANT_ID}/"
    assert sso["certificateExpires"].endswith("Z")


def test_the_app_stays_an_enterprise_app_and_a_second_up_changes_nothing(
    tenant: LocalTenant, workspace: Workspace
):
    principal = deployed(tenant, workspace)["servicePrincipalObjectId"]
    assert principal in enterprise_apps(tenant)

    no_changes(workspace)
    workspace.pulumi(*UP, "--refresh")

    assert principal in enterprise_apps(tenant)
    no_changes(workspace)


def test_a_certificate_made_active_in_the_portal_is_drift_named_by_property(
    tenant: LocalTenant, workspace: Workspace
):
    principal = deployed(tenant, workspace)["servicePrincipalObjectId"]
    graph = tenant.graph()
    made = graph.post(
        f"/v1.0/servicePrincipals/{principal}/addTokenSigningCertificate",
        {"displayName": "CN=Portal certificate"},
    ).json()
    graph.patch(
        f"/v1.0/servicePrincipals/{principal}",
        {"preferredTokenSigningKeyThumbprint": made["thumbprint"]},
    )

    run = workspace.pulumi(
        "refresh", "--stack", STACK, "--preview-only", "--expect-no-changes", "--diff",
        "--non-interactive", expect=(7, 255),
    )  # fmt: skip

    assert "asana-saml-signing" in run.stdout
    assert "active_thumbprint" in run.stdout
    workspace.pulumi(*UP, "--refresh")
    assert sign_in(outputs(workspace)["sso"], USER, ca_bundle=tenant.ca_bundle).accepted


def test_a_rotation_keeps_sign_in_working_and_never_activates_a_certificate_asana_lacks(
    tenant: LocalTenant, workspace: Workspace
):
    first = deployed(tenant, workspace)["sso"]
    given_to_asana = [first["certificateBase64"]]
    asana = asana_configured_with(first, first["certificateBase64"])
    current = first["certificateThumbprint"]

    # Phase 1: the next certificate, inactive; Entra still signs with the current one.
    edit_settings(
        workspace,
        {"ssoCertificates": {"CN=Asana SSO": {}, NEXT: {}}, "ssoActiveCertificate": "CN=Asana SSO"},
    )
    workspace.pulumi(*UP)
    phase1 = outputs(workspace)["sso"]
    assert phase1["activeThumbprint"] == current
    assert sign_in(asana, USER, ca_bundle=tenant.ca_bundle).accepted
    (upcoming,) = [c for c in phase1["certificates"] if not c["active"]]
    assert upcoming["name"] == NEXT

    # The admin uploads the next certificate to Asana, then switches with one setting.
    given_to_asana.append(upcoming["certificateBase64"])
    asana = asana_configured_with(first, upcoming["certificateBase64"])
    edit_settings(workspace, {"ssoActiveCertificate": NEXT})
    workspace.pulumi(*UP)
    phase2 = outputs(workspace)["sso"]
    assert phase2["activeThumbprint"] == upcoming["thumbprint"]
    assert phase2["certificateBase64"] in given_to_asana
    assert sign_in(asana, USER, ca_bundle=tenant.ca_bundle).accepted
    stale = sign_in(asana_configured_with(first, first["certificateBase64"]), USER,
                    ca_bundle=tenant.ca_bundle)  # fmt: skip
    assert stale.accepted is False  # Entra no longer signs with the old one

    # Phase 2 ends: the old certificate goes, and only its own key pair.
    edit_settings(workspace, {"ssoCertificates": {NEXT: {}}, "ssoActiveCertificate": None})
    workspace.pulumi(*UP)
    assert sign_in(asana, USER, ca_bundle=tenant.ca_bundle).accepted
    sp = tenant.emulator.directory_object(outputs(workspace)["servicePrincipalObjectId"])
    identifiers = {
        c["customKeyIdentifier"] for c in sp["keyCredentials"] + sp["passwordCredentials"]
    }
    assert identifiers == {key_identifier_of_thumbprint(upcoming["thumbprint"])}
    no_changes(workspace)


def test_an_end_date_with_an_offset_does_not_replace_the_certificate_on_the_next_up(
    tenant: LocalTenant, workspace: Workspace
):
    tenant.add_principals([GROUP], [USER])
    settings = {
        **SSO_ONLY,
        **tenant.plain_settings(),
        f"{PROJECT}:ssoCertificateEndDate": "2028-06-30T02:00:00+02:00",
    }
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    workspace.pulumi(*UP)

    assert outputs(workspace)["sso"]["certificateExpires"] == "2028-06-30T00:00:00Z"
    no_changes(workspace)


def test_replacing_the_certificate_beside_a_stranger_key_pair_removes_only_the_old_one(
    tenant: LocalTenant, workspace: Workspace
):
    """The azuread provider's own delete would remove the key pair listed last that is not the
    certificate's (here the stranger's or the new one's); the program's never runs it."""
    principal = deployed(tenant, workspace)["servicePrincipalObjectId"]
    graph = tenant.graph()
    stranger = graph.post(
        f"/v1.0/servicePrincipals/{principal}/addTokenSigningCertificate",
        {"displayName": "CN=Another app's"},
    ).json()
    edit_settings(workspace, {"ssoCertificateEndDate": "2028-01-31T00:00:00Z"})

    workspace.pulumi(*UP)

    sso = outputs(workspace)["sso"]
    sp = tenant.emulator.directory_object(principal)
    identifiers = {
        c["customKeyIdentifier"] for c in sp["keyCredentials"] + sp["passwordCredentials"]
    }
    assert identifiers == {
        key_identifier_of_thumbprint(sso["certificateThumbprint"]),
        stranger["customKeyIdentifier"],
    }
    assert sso["certificateExpires"] == "2028-01-31T00:00:00Z"
    assert sign_in(sso, USER, ca_bundle=tenant.ca_bundle).accepted
    no_changes(workspace)
