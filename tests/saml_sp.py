"""A real SAML service provider, configured as Asana would be, that signs a user in through
Entra ID (or the local tenant) and judges the response the way an SP does.

The SP is OneLogin's python3-saml toolkit (with xmlsec), in strict mode, configured only from
the stack's published SSO outputs:

    {"signInUrl": "https://<authority>/<tenant>/saml2",        # IdP SSO URL (HTTP-Redirect)
     "entraIdentifier": "https://sts.windows.net/<tenant>/",   # IdP entity id
     "certificateBase64": "<DER, base64>",                     # IdP signing certificate
     "appIdentifier": "https://app.asana.com/",                # SP entity id (audience)
     "replyUrl": "https://app.asana.com/-/saml/consume"}       # SP assertion consumer service

`sign_in` builds the AuthnRequest with the toolkit, follows its HTTP-Redirect URL to the IdP
(adding `login_hint`, the local tenant's stand-in for its sign-in page, see
tests/emulator/saml_idp.py), reads the auto-submitting form Entra answers with, and hands its
SAMLResponse to the toolkit as if the browser had POSTed it to the reply URL: signature (with
the configured certificate only), issuer, audience, destination, recipient, InResponseTo and
validity times are all checked by the library, never here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests
from lxml import html
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants

OUTPUT_KEYS = ("signInUrl", "entraIdentifier", "certificateBase64", "appIdentifier", "replyUrl")
TIMEOUT_SECONDS = 10.0
_AADSTS = re.compile(r"AADSTS(\d+)")


@dataclass(frozen=True)
class SignInResult:
    """What the SP made of one sign-in. `accepted` only when the IdP answered with a
    SAMLResponse that the SP validated; `entra_error` ("AADSTS50105", ...) when the IdP showed
    an error page instead; `errors` the SP's or this helper's reasons otherwise."""

    accepted: bool
    name_id: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    entra_error: str | None = None
    idp_status: int | None = None
    saml_response: str | None = field(default=None, repr=False)
    """The base64 SAMLResponse the IdP sent, if any (for tests that inspect the XML)."""


def sp_settings(outputs: Mapping[str, str]) -> dict[str, object]:
    """python3-saml settings for an SP configured from the stack outputs alone, strict."""
    missing = [key for key in OUTPUT_KEYS if not outputs.get(key)]
    if missing:
        raise ValueError(f"the SSO outputs lack {missing}")
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": outputs["appIdentifier"],
            "assertionConsumerService": {
                "url": outputs["replyUrl"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_EMAIL_ADDRESS,
            "x509cert": "",
            "privateKey": "",
        },
        "idp": {
            "entityId": outputs["entraIdentifier"],
            "singleSignOnService": {
                "url": outputs["signInUrl"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": outputs["certificateBase64"],
        },
        "security": {
            "authnRequestsSigned": False,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "wantNameId": True,
            "requestedAuthnContext": False,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
            "rejectDeprecatedAlgorithm": True,
        },
    }


def sign_in(
    outputs: Mapping[str, str],
    user_principal_name: str,
    *,
    ca_bundle: str,
    relay_state: str = "https://app.asana.com/0/home",
) -> SignInResult:
    """SP-initiated sign-in of `user_principal_name`: AuthnRequest, IdP, then the SP's
    judgement of the response."""
    settings = sp_settings(outputs)
    starting = OneLogin_Saml2_Auth(_request_data(outputs["replyUrl"], {}), settings)
    redirect = starting.login(return_to=relay_state)
    request_id = starting.get_last_request_id()
    url = f"{redirect}&{urlencode({'login_hint': user_principal_name})}"
    reply = requests.get(url, verify=ca_bundle, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    form = _auto_post_form(reply)
    if form is None:
        found = _AADSTS.search(reply.text)
        return SignInResult(
            accepted=False,
            entra_error=None if found is None else found.group(0),
            errors=(f"the IdP answered {reply.status_code} without a SAMLResponse",),
            idp_status=reply.status_code,
        )
    action, fields = form
    saml_response = fields.get("SAMLResponse")
    if action != outputs["replyUrl"]:
        return SignInResult(
            accepted=False,
            errors=(f"the IdP posts to {action!r}, not the reply URL",),
            idp_status=reply.status_code,
            saml_response=saml_response,
        )
    result = consume(outputs, fields, request_id=request_id)
    return dataclasses.replace(result, idp_status=reply.status_code)


def consume(
    outputs: Mapping[str, str], fields: Mapping[str, str], *, request_id: str | None
) -> SignInResult:
    """What the SP makes of the form fields (`SAMLResponse`, `RelayState`) POSTed to its reply
    URL in answer to its AuthnRequest `request_id` (None: an unsolicited response)."""
    settings = sp_settings(outputs)
    consuming = OneLogin_Saml2_Auth(_request_data(outputs["replyUrl"], fields), settings)
    consuming.process_response(request_id=request_id)
    errors = list(consuming.get_errors())
    reason = consuming.get_last_error_reason()
    if reason:
        errors.append(reason)
    accepted = not errors and consuming.is_authenticated()
    return SignInResult(
        accepted=accepted,
        name_id=consuming.get_nameid() if accepted else None,
        attributes=dict(consuming.get_attributes()) if accepted else {},
        errors=tuple(errors),
        saml_response=fields.get("SAMLResponse"),
    )


def _request_data(reply_url: str, post_data: Mapping[str, str]) -> dict[str, object]:
    """The request as python3-saml sees it at the SP: a POST to the reply URL."""
    url = urlsplit(reply_url)
    return {
        "https": "on" if url.scheme == "https" else "off",
        "http_host": url.netloc,
        "script_name": url.path,
        "get_data": {},
        "post_data": dict(post_data),
    }


def _auto_post_form(reply: requests.Response) -> tuple[str, dict[str, str]] | None:
    """The action and fields of the HTTP-POST binding form, if the page has one with a
    SAMLResponse."""
    if reply.status_code != 200 or "html" not in reply.headers.get("Content-Type", ""):
        return None
    document = html.fromstring(reply.content)
    for form in document.forms:
        fields = {str(k): str(v) for k, v in form.form_values()}
        if "SAMLResponse" in fields and (form.method or "").upper() == "POST":
            return str(form.action or ""), fields
    return None
