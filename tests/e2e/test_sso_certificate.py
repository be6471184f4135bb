"""The SAML signing certificate under the real CLI: a new certificate name makes a new
certificate, the active one, and the service principal is left with exactly it."""

from __future__ import annotations

import base64
import json

from tests.e2e.demo import GROUP, SETTINGS, USER
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace

STACK = "sso"


def test_renaming_the_certificate_activates_a_new_one_and_leaves_only_it(
    tenant: LocalTenant, workspace: Workspace
):
    tenant.add_principals([GROUP], [USER])
    workspace.create_stack(STACK, {**SETTINGS, **tenant.plain_settings()}, tenant.secret_settings())
    up = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    workspace.pulumi(*up)
    workspace.pulumi(
        "config", "set", "--stack", STACK, f"{PROJECT}:ssoCertificateName", "CN=Asana SSO 2027"
    )

    run = workspace.pulumi(*up)

    assert "asana-saml-signing-certificate-cn-asana-sso-2027" in run.stdout
    outputs = json.loads(workspace.pulumi("stack", "output", "--stack", STACK, "--json").stdout)
    sp = tenant.emulator.directory_object(outputs["servicePrincipalObjectId"])
    verify = [key for key in sp["keyCredentials"] if key["usage"] == "Verify"]
    assert [key["displayName"] for key in verify] == ["CN=Asana SSO 2027"]
    assert len(sp["keyCredentials"]) == 2 and len(sp["passwordCredentials"]) == 1
    (new,) = verify
    thumbprint = base64.b64decode(new["customKeyIdentifier"]).hex().upper()
    assert (
        thumbprint
        == outputs["sso"]["certificateThumbprint"]
        == sp["preferredTokenSigningKeyThumbprint"]
    )
