"""Entra ID's SAML endpoint for a SAML gallery app, SP-initiated (Asana supports SP-initiated
SSO only: https://learn.microsoft.com/entra/identity/saas-apps/asana-tutorial):

* `GET /{tenant}/saml2?SAMLRequest=...&RelayState=...&login_hint=<UPN>`: HTTP-Redirect binding
  (the AuthnRequest deflated, base64, URL-encoded);
* `POST /{tenant}/saml2` with the form fields `SAMLRequest` (base64, not deflated),
  `RelayState` and `login_hint`: HTTP-POST binding.

`login_hint` stands in for the sign-in page: there is no browser, so the request names the user
who signs in (by userPrincipalName). Without it the emulator answers 400 with a page that says
so; the real service would show its sign-in page.

Success is what Entra sends the browser: a 200 HTML page whose form auto-submits `SAMLResponse`
(the base64 Response XML) and `RelayState` by POST to the assertion consumer service (HTTP-POST
binding). The Response is Microsoft's shape (saml_assertion.py): Issuer
`https://sts.windows.net/{tenantId}/`, NameID the user's userPrincipalName (format emailAddress),
audience the AuthnRequest's Issuer, and the default claims of
https://learn.microsoft.com/entra/identity-platform/saml-claims-customization (tenant id, object
id, display name, identity provider, authentication methods, given name, surname, email address
(user.mail) and name (userPrincipalName)); a claim whose source attribute is empty is left out,
as Entra emits no claim without a value. Asana needs no other claim (the tutorial above).

Every refusal is an HTML error page with status 400 carrying the AADSTS code, and never a
SAMLResponse. The codes, from
https://learn.microsoft.com/entra/identity-platform/reference-error-codes :
* AADSTS90002 (InvalidTenantName): the tenant in the path is not this directory's;
* AADSTS750054 (SAMLRequestNotPresent), AADSTS75005 (Saml2MessageInvalid): no SAMLRequest, or
  one that is not a readable SAML 2.0 AuthnRequest;
* AADSTS700016 (UnauthorizedClient_DoesNotMatchRequest, "the application wasn't found in the
  directory"): no application has the AuthnRequest's Issuer among its identifierUris with a
  service principal whose preferredSingleSignOnMode is "saml";
* AADSTS50011 (InvalidReplyTo): the AssertionConsumerServiceURL is not one of the
  application's web.redirectUris (without one, the first redirect URI is used);
* AADSTS7000112 (UnauthorizedClientApplicationDisabled): the service principal is disabled;
* AADSTS50034 (UserAccountNotFound), AADSTS50057 (UserDisabled): the login_hint user;
* AADSTS50105 (EntitlementGrantsNotFound): the service principal requires assignment and the
  user is assigned neither directly nor through a group they are an immediate member of
  (nested groups do not count: https://learn.microsoft.com/entra/identity/enterprise-apps/assign-user-or-group-access-portal);
* AADSTS50003 (MissingSigningKey, "Sign-in failed because of a missing signing key or
  certificate"; https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50003-cert-or-key-not-configured):
  the service principal has no ACTIVE signing key, that is preferredTokenSigningKeyThumbprint
  is unset or names none of its Sign keyCredentials within their validity window (compared
  ignoring case), or the emulator made no private key for it (a seed that names a thumbprint).

Entra's own error pages answer 200 in a browser; 400 here lets a client tell them apart without
parsing HTML, and the page carries the code either way.
"""

from __future__ import annotations

import base64
import binascii
import html
import uuid
from datetime import UTC, datetime

from . import certificates, saml_assertion
from .certificates import SigningKey
from .identity import Identity
from .messages import JsonObject, Request, Response
from .routing import Router
from .saml_assertion import AuthnRequest, InvalidRequest, Subject
from .store import Tenant

HTML = "text/html; charset=utf-8"
SIGN_IN_PARAMETER = "login_hint"
"""The emulator-only parameter naming the user who signs in (the sign-in page's stand-in)."""

_CLAIMS = "http://schemas.microsoft.com/identity/claims"
_WS_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
PASSWORD_METHOD = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"


class Refusal(Exception):
    """An AADSTS error to show instead of a response."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"AADSTS{code}")
        self.code = code
        self.message = message


def sts_issuer(tenant_id: str) -> str:
    """The Issuer of Entra's SAML tokens (and the IdP entity id an SP is given)."""
    return f"https://sts.windows.net/{tenant_id}/"


class SamlIdentityProvider:
    """The SAML endpoint over the tenant store; a dispatcher backend of its own ("saml")."""

    def __init__(self, base_url: str, identity: Identity, tenant: Tenant) -> None:
        self._base_url = base_url
        self._identity = identity
        self._tenant = tenant
        self._router = Router(
            [
                ("GET", "/{tenant}/saml2", self._redirect_binding),
                ("POST", "/{tenant}/saml2", self._post_binding),
            ]
        )

    # ----- Backend protocol -----

    def serves(self, path: str) -> bool:
        return self._router.knows(path)

    def handle(self, request: Request) -> Response:
        match = self._router.resolve(request.method, request.path)
        if match is None or match.handler is None:
            return _error_page(
                405,
                900561,
                f"The endpoint only accepts GET and POST requests. Received a "
                f"{request.method} request.",
            )
        return match.handler(request, **match.params)

    def fault_response(self, status: int, request: Request) -> Response:
        return _error_page(status, 90033, "A transient error has occurred. Please try again.")

    def loggable_body(self, body: object | None) -> object | None:
        return body  # an AuthnRequest, a RelayState and a user name: nothing secret

    # ----- routes -----

    def _redirect_binding(self, request: Request, tenant: str) -> Response:
        return self._sign_in(dict(request.query), tenant, deflated=True)

    def _post_binding(self, request: Request, tenant: str) -> Response:
        form = request.body if isinstance(request.body, dict) else {}
        return self._sign_in({str(k): str(v) for k, v in form.items()}, tenant, deflated=False)

    def _sign_in(self, fields: dict[str, str], tenant: str, *, deflated: bool) -> Response:
        try:
            tenant_id = self._tenant_id(tenant)
            authn = _authn_request(fields.get("SAMLRequest"), deflated=deflated)
            sp, application = self._saml_app(authn.issuer, tenant)
            acs = _reply_url(authn, application)
            if not sp["accountEnabled"]:
                raise Refusal(
                    7000112,
                    f"Application '{sp['appId']}'({sp['displayName']}) is disabled.",
                )
            user_name = fields.get(SIGN_IN_PARAMETER)
            if not user_name:
                return _sign_in_needed()
            user = self._user(user_name, tenant)
            self._check_assignment(sp, user)
            key = self._active_key(sp)
        except Refusal as refusal:
            return _error_page(400, refusal.code, refusal.message)
        xml = saml_assertion.signed_response(
            issuer=sts_issuer(tenant_id),
            destination=acs,
            in_response_to=authn.id,
            audience=authn.issuer,
            subject=Subject(user["userPrincipalName"], _claims(user, tenant_id)),
            key=key,
            now=datetime.now(UTC),
        )
        return _auto_post(acs, base64.b64encode(xml).decode(), fields.get("RelayState"))

    # ----- checks, in the order Entra meets them -----

    def _tenant_id(self, tenant: str) -> str:
        if not self._identity.knows_tenant(tenant):
            raise Refusal(
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        return tenant.lower()

    def _saml_app(self, identifier: str, tenant: str) -> tuple[JsonObject, JsonObject]:
        for application in self._tenant.applications.values():
            if identifier not in application["identifierUris"]:
                continue
            sp = self._tenant.service_principal_by_app_id(application["appId"])
            if sp is not None and sp.get("preferredSingleSignOnMode") == "saml":
                return sp, application
        raise Refusal(
            700016,
            f"Application with identifier '{identifier}' was not found in the directory "
            f"'{tenant}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant.",
        )

    def _user(self, user_principal_name: str, tenant: str) -> JsonObject:
        wanted = user_principal_name.lower()
        user = next(
            (u for u in self._tenant.users.values() if u["userPrincipalName"].lower() == wanted),
            None,
        )
        if user is None:
            raise Refusal(
                50034,
                f"The user account {user_principal_name} does not exist in the {tenant} "
                "directory. To sign into this application, the account must be added to the "
                "directory.",
            )
        if not user["accountEnabled"]:
            raise Refusal(50057, "The user account is disabled.")
        return user

    def _check_assignment(self, sp: JsonObject, user: JsonObject) -> None:
        if not sp["appRoleAssignmentRequired"]:
            return
        principals = {a["principalId"].lower() for a in self._tenant.assignments.get(sp["id"], [])}
        if user["id"].lower() in principals:
            return
        for group_id, members in self._tenant.group_members.items():
            if group_id.lower() in principals and user["id"] in members:
                return
        raise Refusal(
            50105,
            f"Your administrator has configured the application {sp['displayName']} "
            f"('{sp['appId']}') to block users unless they are specifically granted "
            "('assigned') access to the application. The signed in user "
            f"'{user['userPrincipalName']}' is blocked because they are not a direct member of "
            "a group with access, nor had access directly assigned by an administrator. "
            "Please contact your administrator to assign access to this application.",
        )

    def _active_key(self, sp: JsonObject) -> SigningKey:
        key = active_signing_key(self._tenant, sp, datetime.now(UTC))
        if key is None:
            raise Refusal(
                50003,
                "Sign-in failed because of a missing signing key or certificate. This might be "
                "because there was no signing key configured in the app.",
            )
        return key


def active_signing_key(tenant: Tenant, sp: JsonObject, now: datetime) -> SigningKey | None:
    """The key pair the service principal signs SAML tokens with: the one its
    preferredTokenSigningKeyThumbprint names, when one of its Sign keyCredentials is that
    certificate and is valid at `now`, and the emulator holds its private key."""
    preferred = sp.get("preferredTokenSigningKeyThumbprint")
    if not preferred:
        return None
    wanted = certificates.normalized_thumbprint(preferred)
    for credential in sp.get("keyCredentials") or []:
        if credential.get("usage") != "Sign" or _thumbprint(credential) != wanted:
            continue
        if _valid_at(credential, now) and wanted in tenant.signing_keys:
            return tenant.signing_keys[wanted]
    return None


def _thumbprint(credential: JsonObject) -> str | None:
    """A certificate credential's customKeyIdentifier is its thumbprint's bytes, in base64."""
    try:
        return base64.b64decode(credential.get("customKeyIdentifier") or "").hex().upper()
    except (binascii.Error, ValueError):
        return None


def _valid_at(credential: JsonObject, now: datetime) -> bool:
    try:
        start = datetime.fromisoformat(credential["startDateTime"])
        end = datetime.fromisoformat(credential["endDateTime"])
    except (KeyError, TypeError, ValueError):
        return False
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    return start <= now < end


def _authn_request(value: str | None, *, deflated: bool) -> AuthnRequest:
    if not value:
        raise Refusal(
            750054,
            "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP "
            "request for SAML Redirect binding.",
        )
    try:
        return saml_assertion.parse_request(saml_assertion.decode_request(value, deflated=deflated))
    except InvalidRequest:
        raise Refusal(75005, "The request is not a valid Saml2 protocol message.") from None


def _reply_url(authn: AuthnRequest, application: JsonObject) -> str:
    registered = list(application["web"]["redirectUris"])
    wanted = authn.assertion_consumer_service_url
    if wanted is None and registered:
        return str(registered[0])
    if wanted is not None and wanted in registered:
        return wanted
    raise Refusal(
        50011,
        f"The redirect URI '{wanted or ''}' specified in the request does not match the "
        f"redirect URIs configured for the application '{application['appId']}'. Make sure the "
        "redirect URI sent in the request matches one added to your application in the Azure "
        "portal.",
    )


def _claims(user: JsonObject, tenant_id: str) -> dict[str, str]:
    """Microsoft's default SAML claims, by claim type; empty sources are left out."""
    claims = {
        f"{_CLAIMS}/tenantid": tenant_id,
        f"{_CLAIMS}/objectidentifier": user["id"],
        f"{_CLAIMS}/displayname": user["displayName"],
        f"{_CLAIMS}/identityprovider": sts_issuer(tenant_id),
        "http://schemas.microsoft.com/claims/authnmethodsreferences": PASSWORD_METHOD,
        f"{_WS_CLAIMS}/givenname": user["givenName"],
        f"{_WS_CLAIMS}/surname": user["surname"],
        f"{_WS_CLAIMS}/emailaddress": user["mail"],
        f"{_WS_CLAIMS}/name": user["userPrincipalName"],
    }
    return {name: value for name, value in claims.items() if value}


def _auto_post(acs: str, saml_response: str, relay_state: str | None) -> Response:
    """Entra's HTTP-POST binding page: a hidden form the browser submits on load."""
    fields = [("SAMLResponse", saml_response)]
    if relay_state is not None:
        fields.append(("RelayState", relay_state))
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value, quote=True)}" />'
        for name, value in fields
    )
    page = (
        "<html><head><title>Working...</title></head><body>"
        f'<form method="POST" name="hiddenform" action="{html.escape(acs, quote=True)}">'
        f"{inputs}<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<input type="submit" value="Submit" /></noscript></form>'
        '<script language="javascript">window.setTimeout(function()'
        "{document.forms[0].submit();}, 0);</script></body></html>"
    )
    return Response(200, raw=page.encode(), content_type=HTML, headers=_no_store())


def _sign_in_needed() -> Response:
    page = (
        "<html><head><title>Sign in to your account</title></head><body>"
        "<p>The local tenant has no sign-in page: name the user who signs in with the "
        f"{SIGN_IN_PARAMETER} parameter (their userPrincipalName).</p></body></html>"
    )
    return Response(400, raw=page.encode(), content_type=HTML, headers=_no_store())


def _error_page(status: int, code: int, message: str) -> Response:
    """The page Entra shows for a sign-in error: the code and message, and the ids and time a
    support case would quote."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    page = (
        "<html><head><title>Sign in to your account</title></head><body>"
        '<div id="error"><p>Sorry, but we\'re having trouble signing you in.</p>'
        f"<p>AADSTS{code}: {html.escape(message)}</p>"
        "<p>Troubleshooting details</p>"
        f"<p>Request Id: {uuid.uuid4()}</p><p>Correlation Id: {uuid.uuid4()}</p>"
        f"<p>Timestamp: {now}</p></div></body></html>"
    )
    return Response(status, raw=page.encode(), content_type=HTML, headers=_no_store())


def _no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store, no-cache"}
