"""`azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate`
(upstream: `internal/services/serviceprincipals/
service_principal_token_signing_certificate_resource.go`).

The SAML signing certificate Entra generates for a service principal
(https://learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate). Graph
returns the Sign key's id; the certificate's public half is a second keyCredential (usage
`Verify`) with the same `customKeyIdentifier`, and the resource id names that Verify key.

Wire, in order (all under a per-service-principal lock where upstream locks):
- create: `POST /v1.0/servicePrincipals/{sp}/addTokenSigningCertificate` with `displayName` and
  `endDateTime` when set; `GET /v1.0/servicePrincipals/{sp}` until `keyCredentials` lists the
  returned keyId `confirmations` times in a row; one more `GET` to find the Verify key; read;
- read: `GET /v1.0/servicePrincipals/{sp}?$select=keyCredentials` (404 or the key missing: gone);
  `value` is the credential's `key` (base64 DER), `thumbprint` the upper-case SHA-1 hex of it
  ("" when Graph returns no key);
- delete: `GET /v1.0/servicePrincipals/{sp}`, `PATCH` it with `keyCredentials` and
  `passwordCredentials` minus those sharing a `customKeyIdentifier`, then `GET` until the key is
  gone. The identifier is taken, as upstream does, from the LAST credential whose keyId is not
  the resource's, which is this certificate's Sign key only while the principal holds one
  certificate; with two, upstream (and so the stand-in) removes the other one's keys.
Every input forces replacement; there is no update. `value` is secret (Sensitive upstream).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography import x509

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.graph import segment
from tests.azuread_standin.resources.base import Resource, State
from tests.azuread_standin.resources.service_principal import SERVICE_PRINCIPAL_ODATA_TYPE
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import matches, rfc3339, service_principal_id

KEY_CREDENTIAL_FIELDS = (
    "customKeyIdentifier",
    "displayName",
    "endDateTime",
    "key",
    "keyId",
    "startDateTime",
    "type",
    "usage",
)
PASSWORD_CREDENTIAL_FIELDS = (
    "customKeyIdentifier",
    "displayName",
    "endDateTime",
    "hint",
    "keyId",
    "secretText",
    "startDateTime",
)
"""What go-azure-sdk's KeyCredential / PasswordCredential keep when they re-send a GET."""


class ServicePrincipalTokenSigningCertificate(Resource):
    schema = ResourceSchema(
        "azuread:index/servicePrincipalTokenSigningCertificate:"
        "ServicePrincipalTokenSigningCertificate",
        "Manages a token signing certificate of a service principal (SAML).",
        (
            Prop(
                "servicePrincipalId",
                "string",
                required=True,
                force_new=True,
                validators=(service_principal_id,),
            ),
            Prop(
                "displayName",
                "string",
                optional=True,
                computed=True,
                force_new=True,
                validators=(matches(r"^CN=.+$|^$"),),
            ),
            Prop(
                "endDate",
                "string",
                optional=True,
                computed=True,
                force_new=True,
                validators=(rfc3339,),
            ),
            Prop("keyId", "string", computed=True),
            Prop("startDate", "string", computed=True),
            Prop("thumbprint", "string", computed=True),
            Prop("value", "string", computed=True, sensitive=True),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.SigningCertificateId:
        return ids.SigningCertificateId.parse(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        sp_id = ids.service_principal(inputs["servicePrincipalId"])
        path = f"/servicePrincipals/{segment(sp_id)}"
        body: dict[str, Any] = {}
        if inputs.get("displayName"):
            body["displayName"] = inputs["displayName"]
        if inputs.get("endDate"):
            body["endDateTime"] = inputs["endDate"]
        with ctx.locked("serviceprincipal", sp_id):
            key = ctx.graph.request("POST", f"{path}/addTokenSigningCertificate", body=body).body
            if not isinstance(key, dict):
                raise StandinError(f"API error adding token signing certificate for {path}")
            sign_key_id = str(key.get("keyId") or "").lower()
            ctx.wait_until(
                f"token signing certificate credential for {path}",
                lambda: any(
                    str(cred.get("keyId") or "").lower() == sign_key_id
                    for cred in _credentials(ctx.graph.get(path), "keyCredentials")
                ),
            )
            verify = _verify_credential(
                _credentials(ctx.graph.get(path), "keyCredentials"),
                str(key.get("customKeyIdentifier") or ""),
            )
            if verify is None:
                raise StandinError(
                    "Could not determine key ID for newly added token signing certificate for "
                    f"{path}: returned credential was nil"
                )
        resource_id = str(ids.SigningCertificateId(sp_id, str(verify["keyId"])))
        state = self.read(ctx, resource_id, {})
        if state is None:
            raise PartialFailure(resource_id, {}, f"{resource_id} was not found after creation")
        return resource_id, state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        sp = ctx.graph.get_if_exists(
            f"/servicePrincipals/{segment(parsed.service_principal_id)}",
            {"$select": "keyCredentials"},
        )
        if sp is None:
            return None
        credential = _key_credential(_credentials(sp, "keyCredentials"), parsed.key_id)
        if credential is None:
            return None
        value = credential.get("key") or ""
        return {
            "servicePrincipalId": f"/servicePrincipals/{parsed.service_principal_id}",
            "keyId": parsed.key_id,
            "displayName": credential.get("displayName") or "",
            "value": value,
            "startDate": credential.get("startDateTime") or "",
            "endDate": credential.get("endDateTime") or "",
            # Upstream computes it whenever Graph sent a `key` field, even a null one (and fails).
            "thumbprint": thumbprint(value) if "key" in credential else "",
        }

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        path = f"/servicePrincipals/{segment(parsed.service_principal_id)}"
        with ctx.locked("serviceprincipal", parsed.service_principal_id):
            sp = ctx.graph.get_if_exists(path)
            if sp is None:
                raise StandinError(f"Retrieving {path}: the Service Principal was not found")
            keys = _credentials(sp, "keyCredentials")
            passwords = _credentials(sp, "passwordCredentials")
            custom_key_id = ""
            for cred in keys:
                if str(cred.get("keyId") or "").lower() != parsed.key_id.lower():
                    custom_key_id = str(cred.get("customKeyIdentifier") or "")
            body = {
                "@odata.type": SERVICE_PRINCIPAL_ODATA_TYPE,
                "keyCredentials": [
                    _resend(cred, KEY_CREDENTIAL_FIELDS)
                    for cred in keys
                    if str(cred.get("customKeyIdentifier") or "").lower() != custom_key_id.lower()
                ],
                "passwordCredentials": [
                    _resend(cred, PASSWORD_CREDENTIAL_FIELDS)
                    for cred in passwords
                    if str(cred.get("customKeyIdentifier") or "").lower() != custom_key_id.lower()
                ],
            }
            ctx.graph.request("PATCH", path, body=body)
            ctx.wait_until(
                f"deletion of token signing certificate credential {parsed.key_id!r} {path}",
                lambda: (
                    _key_credential(
                        _credentials(ctx.graph.get(path), "keyCredentials"), parsed.key_id
                    )
                    is None
                ),
            )


def thumbprint(value: str) -> str:
    """Upstream `GetTokenSigningCertificateThumbprint`: the value must be an X.509 certificate
    (base64 DER); the thumbprint is the upper-case hex SHA-1 of its DER bytes."""
    try:
        der = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        der = b""
    if not der:
        raise StandinError("parsing tokenSigningCertificate key value: decoding certificate block")
    try:
        x509.load_der_x509_certificate(der)
    except ValueError as error:
        raise StandinError(
            f"parsing tokenSigningCertificate key value: parsing certificate block data: {error}"
        ) from None
    return hashlib.sha1(der).hexdigest().upper()


def _credentials(sp: Any, name: str) -> list[dict[str, Any]]:
    items = sp.get(name) if isinstance(sp, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _key_credential(keys: list[dict[str, Any]], key_id: str) -> dict[str, Any] | None:
    return next((k for k in keys if str(k.get("keyId") or "").lower() == key_id.lower()), None)


def _verify_credential(keys: list[dict[str, Any]], custom_key_id: str) -> dict[str, Any] | None:
    return next(
        (
            k
            for k in keys
            if k.get("keyId")
            and str(k.get("customKeyIdentifier") or "").lower() == custom_key_id.lower()
            and str(k.get("usage") or "").lower() == "verify"
        ),
        None,
    )


def _resend(credential: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: credential[name] for name in fields if name in credential}
