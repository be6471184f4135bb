"""`SamlSigningCertificates`: which of the service principal's SAML signing certificates Entra
signs with, and the removal of the ones the stack stops declaring.

No azuread resource sets the service principal's `preferredTokenSigningKeyThumbprint`
(terraform-provider-azuread v3.9.0 never writes it), yet Microsoft's steps for SAML SSO through
Graph end with that PATCH: without it Entra signs with no certificate the stack published
(https://learn.microsoft.com/graph/application-saml-sso-configure-api, "Set the custom signing
key"). This resource does it, reads it back on refresh (a certificate made active in the portal is
drift on this resource's `active_thumbprint`) and clears it on delete.

It also removes a retired certificate's key pair itself. The azuread provider deletes a signing
certificate by removing the key pair of the *last* keyCredential that is not its own
(`service_principal_token_signing_certificate_resource.go`, Delete): with two certificates,
deleting the older one removes the newer, active one, then times out waiting. So the component
declares its certificates with `retain_on_delete` and this resource removes exactly the key
pair (keyCredentials and passwordCredentials of one customKeyIdentifier) of each certificate that
left the stack, after the active one is switched, so the active certificate is never removed.

A retried `addTokenSigningCertificate` whose first reply was lost (the azuread provider's client
retries a POST on a 5xx, as go-azure-sdk does) leaves a second key pair of the same subject that no
resource owns. The key pairs of one of the stack's subjects, created within
`rules.moments.RETRIED_WRITE_WINDOW` of that certificate and neither declared nor active, are
that duplicate, and are removed with the retired certificates; any other certificate on the
principal is left alone.

Graph requests: create and update `GET` the principal (`$select`), a `PATCH` when the active
certificate differs, a `PATCH` per removal batch, and a `GET` to confirm; read is one `GET`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from clients.graph import API_VERSION, SERVICE, GraphClient
from clients.http import ServiceError
from providers.base import ConfiguredProvider
from providers.inputs import contains_unknown, failure_for_service_principal, failures, is_unknown
from rules.moments import RETRIED_WRITE_WINDOW, graph_moment
from rules.saml import (
    is_thumbprint,
    key_identifier_of_thumbprint,
    same_thumbprint,
    thumbprint_of_key_identifier,
)

_SELECT = "preferredTokenSigningKeyThumbprint,keyCredentials,passwordCredentials"


def _principal_path(service_principal_id: str) -> str:
    return f"/servicePrincipals/{quote(service_principal_id, safe='')}"


def _failure_for_certificates(certificates: Any, active: Any) -> CheckFailure | None:
    if contains_unknown(certificates) or is_unknown(active):
        return None
    if not isinstance(certificates, list) or not certificates:
        return CheckFailure("certificates", "must list the stack's signing certificates")
    thumbprints = [c.get("thumbprint") if isinstance(c, dict) else None for c in certificates]
    if not all(is_thumbprint(t) for t in thumbprints):
        return CheckFailure("certificates", "must give each certificate's hex SHA-1 thumbprint")
    if not any(same_thumbprint(active, t) for t in thumbprints):
        return CheckFailure(
            "active_thumbprint", "must be the thumbprint of one of the declared certificates"
        )
    return None


def _thumbprints(certificates: Any) -> set[str]:
    return {str(c["thumbprint"]).upper() for c in certificates or [] if isinstance(c, dict)}


class SamlSigningCertificatesProvider(ConfiguredProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        found = failures(
            failure_for_service_principal(news.get("service_principal_id")),
            _failure_for_certificates(news.get("certificates"), news.get("active_thumbprint")),
        )
        return CheckResult(dict(news), found)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        principal = news.get("service_principal_id")
        replaces = (
            ["service_principal_id"]
            if is_unknown(principal) or principal != olds.get("service_principal_id")
            else []
        )
        active_changed = not same_thumbprint(
            news.get("active_thumbprint"), olds.get("active_thumbprint")
        )
        certificates_changed = contains_unknown(news.get("certificates")) or _thumbprints(
            news.get("certificates")
        ) != _thumbprints(olds.get("certificates"))
        return DiffResult(
            changes=bool(replaces) or active_changed or certificates_changed,
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        principal = props["service_principal_id"]
        live = self._converge(principal, props, retired=set())
        return CreateResult(id_=principal, outs={**props, **_live(live)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        retired = _thumbprints(olds.get("certificates")) - _thumbprints(news.get("certificates"))
        live = self._converge(news["service_principal_id"], news, retired)
        return UpdateResult(outs={**news, **_live(live)})

    def _converge(self, principal: str, props: dict[str, Any], retired: set[str]) -> dict:
        """Activates the declared certificate first, then removes retired certificates and
        duplicates, so the active one is never among what is removed; the last read of the
        principal."""
        active = props["active_thumbprint"]
        live = self._activate(principal, active)
        stale = {t for t in retired | duplicates(live, props) if not same_thumbprint(t, active)}
        return self._remove(principal, stale, live)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        principal = props.get("service_principal_id") or id_
        try:
            live = self._principal(principal)
        except ServiceError as error:
            if error.status == 404:
                return ReadResult(None, {})
            raise
        outputs = {**props, "service_principal_id": principal, **_live(live)}
        inputs = {
            key: outputs.get(key)
            for key in ("service_principal_id", "certificates", "active_thumbprint")
        }
        return ReadResult(id_, outputs, inputs=inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        principal = props["service_principal_id"]
        try:
            live = self._principal(principal)
        except ServiceError as error:
            if error.status == 404:
                return None
            raise
        ours = _thumbprints(props.get("certificates"))
        preferred = live.get("preferredTokenSigningKeyThumbprint")
        if preferred and any(same_thumbprint(preferred, t) for t in ours):
            live = self._patch_confirmed(
                principal,
                {"preferredTokenSigningKeyThumbprint": None},
                lambda found: not found.get("preferredTokenSigningKeyThumbprint"),
            )
        self._remove(principal, ours, live)
        return None

    # ----- Graph -----

    def _client(self) -> GraphClient:
        return GraphClient(self.connection().graph)

    def _principal(self, principal: str) -> dict[str, Any]:
        return self._client().get(_principal_path(principal), params={"$select": _SELECT})

    def _activate(self, principal: str, thumbprint: str) -> dict[str, Any]:
        """Makes `thumbprint` the active certificate, unless it already is; the principal as
        last read."""
        live = self._principal(principal)
        if same_thumbprint(live.get("preferredTokenSigningKeyThumbprint"), thumbprint):
            return live
        if not _has_signing_key(live, thumbprint):
            raise ServiceError(
                SERVICE,
                "GET",
                f"/{API_VERSION}{_principal_path(principal)}",
                f"lists no signing key of thumbprint {thumbprint}: the certificate to make "
                "active is not on the service principal (removed in the portal?); run "
                "`pulumi up --refresh` to re-create it",
                None,
            )
        return self._patch_confirmed(
            principal,
            {"preferredTokenSigningKeyThumbprint": thumbprint.upper()},
            lambda found: same_thumbprint(
                found.get("preferredTokenSigningKeyThumbprint"), thumbprint
            ),
        )

    def _remove(
        self, principal: str, thumbprints: set[str], live: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Removes every credential of these certificates (Sign, Verify and the PFX password
        share one customKeyIdentifier) and nothing else; the principal as last read. `live`,
        a read made just before, saves one."""
        if live is None:
            live = self._principal(principal)
        if not thumbprints:
            return live
        identifiers = {key_identifier_of_thumbprint(t) for t in thumbprints}

        def kept(credentials: Any) -> list[Any]:
            return [
                c
                for c in credentials or []
                if isinstance(c, dict) and c.get("customKeyIdentifier") not in identifiers
            ]

        keys, passwords = kept(live.get("keyCredentials")), kept(live.get("passwordCredentials"))
        if len(keys) == len(live.get("keyCredentials") or []) and len(passwords) == len(
            live.get("passwordCredentials") or []
        ):
            return live  # already gone (removed in the portal, or by a run cut short)
        return self._patch_confirmed(
            principal,
            {"keyCredentials": keys, "passwordCredentials": passwords},
            lambda found: (
                not any(
                    c.get("customKeyIdentifier") in identifiers
                    for c in [
                        *(found.get("keyCredentials") or []),
                        *(found.get("passwordCredentials") or []),
                    ]
                    if isinstance(c, dict)
                )
            ),
        )

    def _patch_confirmed(self, principal: str, body: dict[str, Any], landed: Any) -> dict[str, Any]:
        """PATCHes, and reads back: a reply lost after Graph acted (a 5xx, a timeout) is
        confirmed by the read, never answered by sending the write again blind; a PATCH that
        reported success but does not read back is an error, not a silent success. The
        principal as read back."""
        path = _principal_path(principal)
        client = self._client()
        try:
            client.patch(path, body)
        except ServiceError as error:
            if error.status is not None and error.status < 500:
                raise
            if landed(found := self._principal(principal)):
                return found
            raise
        found = self._principal(principal)
        if not landed(found):
            raise ServiceError(
                SERVICE,
                "PATCH",
                f"/{API_VERSION}{path}",
                f"answered success, but reading the service principal back does not show "
                f"the change ({', '.join(body)})",
                None,
            )
        return found


def duplicates(live: dict[str, Any], props: dict[str, Any]) -> set[str]:
    """Thumbprints of the key pairs of one of the stack's subjects, created within
    `RETRIED_WRITE_WINDOW` of that certificate, neither declared nor active: what a retried
    addTokenSigningCertificate left (see the module's docstring)."""
    declared = _thumbprints(props.get("certificates"))
    preferred = live.get("preferredTokenSigningKeyThumbprint")
    signs = [
        (thumbprint_of_key_identifier(c.get("customKeyIdentifier")), c)
        for c in live.get("keyCredentials") or []
        if isinstance(c, dict) and c.get("usage") == "Sign"
    ]
    ours = [
        (c.get("displayName"), graph_moment(c.get("startDateTime")))
        for t, c in signs
        if t in declared
    ]
    found = set()
    for thumbprint, credential in signs:
        if not thumbprint or thumbprint in declared or same_thumbprint(thumbprint, preferred):
            continue
        started = graph_moment(credential.get("startDateTime"))
        if started is not None and any(
            name == credential.get("displayName")
            and created is not None
            and abs(created - started) <= RETRIED_WRITE_WINDOW
            for name, created in ours
        ):
            found.add(thumbprint)
    return found


def _has_signing_key(live: dict[str, Any], thumbprint: str) -> bool:
    identifier = key_identifier_of_thumbprint(thumbprint)
    return any(
        isinstance(c, dict)
        and c.get("customKeyIdentifier") == identifier
        and c.get("usage") == "Sign"
        for c in live.get("keyCredentials") or []
    )


def _live(live: dict[str, Any]) -> dict[str, Any]:
    """What refresh reports: the certificate Entra signs with now (upper case, as the azuread
    provider prints thumbprints; "" when none is preferred)."""
    preferred = live.get("preferredTokenSigningKeyThumbprint") or ""
    return {"active_thumbprint": str(preferred).upper()}


class SamlSigningCertificates(
    pulumi.dynamic.Resource, module="asana", name="SamlSigningCertificates"
):
    """Makes one of the service principal's signing certificates the active one."""

    service_principal_id: pulumi.Output[str]
    certificates: pulumi.Output[list[dict[str, str]]]
    active_thumbprint: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        service_principal_id: pulumi.Input[str],
        certificates: pulumi.Input[list[pulumi.Input[dict[str, pulumi.Input[str]]]]],
        active_thumbprint: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "service_principal_id": service_principal_id,
            "certificates": certificates,
            "active_thumbprint": active_thumbprint,
        }
        super().__init__(SamlSigningCertificatesProvider(), resource_name, props, opts)
