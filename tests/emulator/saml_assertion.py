"""The SAML 2.0 messages of Entra ID's SAML endpoint: reading an AuthnRequest and writing the
signed Response, shaped as Microsoft documents them in "Single sign-on SAML protocol"
(https://learn.microsoft.com/entra/identity-platform/single-sign-on-saml-protocol).

Pure: bytes and values in, XML out; no HTTP and no tenant state (saml_idp.py decides who may
sign in). XML is parsed with lxml with entity resolution, DTD loading and network access off,
and signed with signxml (enveloped XML-DSig, RSA-SHA256, SHA-256 digest, exclusive c14n, the
certificate in KeyInfo): no hand-written XML-DSig.
"""

from __future__ import annotations

import base64
import binascii
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)

from .certificates import SigningKey

PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EMAIL_NAME_ID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"

CONDITIONS_SKEW = timedelta(minutes=5)
"""Conditions NotBefore is five minutes before IssueInstant, as in Microsoft's example
response (IssueInstant 07:43:15, NotBefore 07:38:15)."""
ASSERTION_LIFETIME = timedelta(minutes=65)
"""Conditions NotOnOrAfter: 08:48:15 after an IssueInstant of 07:43:15 in the same example (the
token's hour plus the skew)."""
CONFIRMATION_LIFETIME = timedelta(minutes=5)
"""SubjectConfirmationData NotOnOrAfter: 07:48:15 in the example, five minutes to deliver it."""

MAX_REQUEST_BYTES = 64 * 1024
"""A SAMLRequest this large (decoded) is not an AuthnRequest; refuse it before parsing."""


class InvalidRequest(ValueError):
    """The SAMLRequest is not a readable SAML 2.0 AuthnRequest (Entra's AADSTS75005)."""


@dataclass(frozen=True)
class AuthnRequest:
    """What Entra reads from an AuthnRequest: its ID (the response's InResponseTo), its
    Issuer (the app's identifier) and the AssertionConsumerServiceURL, if any."""

    id: str
    issuer: str
    assertion_consumer_service_url: str | None


def decode_request(value: str, *, deflated: bool) -> bytes:
    """The AuthnRequest XML of a SAMLRequest: base64 of the raw DEFLATE stream for the
    HTTP-Redirect binding, plain base64 for HTTP-POST (SAML bindings 3.4.4.1 and 3.5.4)."""
    try:
        raw = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise InvalidRequest("the SAMLRequest is not base64") from None
    if not deflated:
        return raw[: MAX_REQUEST_BYTES + 1]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        xml = inflater.decompress(raw, MAX_REQUEST_BYTES + 1)
    except zlib.error:
        raise InvalidRequest("the SAMLRequest is not DEFLATE-compressed") from None
    return xml


def parse_request(xml: bytes) -> AuthnRequest:
    """Read an AuthnRequest with a real XML parser (no DTDs, entities or network)."""
    if len(xml) > MAX_REQUEST_BYTES or b"<!DOCTYPE" in xml.upper():
        raise InvalidRequest("the SAMLRequest is too large or carries a DTD")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        raise InvalidRequest("the SAMLRequest is not XML") from None
    if root.tag != f"{{{PROTOCOL_NS}}}AuthnRequest" or root.get("Version") != "2.0":
        raise InvalidRequest("the SAMLRequest is not a SAML 2.0 AuthnRequest")
    request_id = root.get("ID")
    issuer = root.find(f"{{{ASSERTION_NS}}}Issuer")
    if not request_id or issuer is None or not (issuer.text or "").strip():
        raise InvalidRequest("the AuthnRequest lacks its ID or Issuer")
    return AuthnRequest(
        id=request_id,
        issuer=(issuer.text or "").strip(),
        assertion_consumer_service_url=root.get("AssertionConsumerServiceURL"),
    )


@dataclass(frozen=True)
class Subject:
    """The signed-in user as the response names it: NameID and the attribute claims."""

    name_id: str
    attributes: Mapping[str, str]


def signed_response(
    *,
    issuer: str,
    destination: str,
    in_response_to: str,
    audience: str,
    subject: Subject,
    key: SigningKey,
    now: datetime,
) -> bytes:
    """The samlp:Response XML: Status Success and one Assertion signed with `key`."""
    response_id, assertion_id, session_index = (f"_{uuid.uuid4()}" for _ in range(3))
    instant = _instant(now)
    response = etree.Element(
        f"{{{PROTOCOL_NS}}}Response",
        nsmap={"samlp": PROTOCOL_NS},
        ID=response_id,
        Version="2.0",
        IssueInstant=instant,
        Destination=destination,
        InResponseTo=in_response_to,
    )
    _child(response, "Issuer", issuer, nsmap={None: ASSERTION_NS})
    status = etree.SubElement(response, f"{{{PROTOCOL_NS}}}Status")
    etree.SubElement(status, f"{{{PROTOCOL_NS}}}StatusCode", Value=SUCCESS)
    assertion = _assertion(
        assertion_id=assertion_id,
        session_index=session_index,
        issuer=issuer,
        destination=destination,
        in_response_to=in_response_to,
        audience=audience,
        subject=subject,
        now=now,
    )
    response.append(_sign(assertion, assertion_id, key))
    return etree.tostring(response, xml_declaration=False, encoding="utf-8")


def _assertion(
    *,
    assertion_id: str,
    session_index: str,
    issuer: str,
    destination: str,
    in_response_to: str,
    audience: str,
    subject: Subject,
    now: datetime,
) -> etree._Element:
    """The Assertion, in the schema's order (Issuer, Signature, Subject, Conditions,
    statements), with a placeholder where signxml puts the enveloped signature."""
    assertion = etree.Element(
        f"{{{ASSERTION_NS}}}Assertion",
        nsmap={None: ASSERTION_NS},
        ID=assertion_id,
        IssueInstant=_instant(now),
        Version="2.0",
    )
    _child(assertion, "Issuer", issuer)
    etree.SubElement(assertion, f"{{{DSIG_NS}}}Signature", nsmap={"ds": DSIG_NS}, Id="placeholder")
    subject_element = etree.SubElement(assertion, f"{{{ASSERTION_NS}}}Subject")
    _child(subject_element, "NameID", subject.name_id, Format=EMAIL_NAME_ID)
    confirmation = etree.SubElement(
        subject_element, f"{{{ASSERTION_NS}}}SubjectConfirmation", Method=BEARER
    )
    etree.SubElement(
        confirmation,
        f"{{{ASSERTION_NS}}}SubjectConfirmationData",
        InResponseTo=in_response_to,
        NotOnOrAfter=_instant(now + CONFIRMATION_LIFETIME),
        Recipient=destination,
    )
    conditions = etree.SubElement(
        assertion,
        f"{{{ASSERTION_NS}}}Conditions",
        NotBefore=_instant(now - CONDITIONS_SKEW),
        NotOnOrAfter=_instant(now + ASSERTION_LIFETIME),
    )
    restriction = etree.SubElement(conditions, f"{{{ASSERTION_NS}}}AudienceRestriction")
    _child(restriction, "Audience", audience)
    statement = etree.SubElement(assertion, f"{{{ASSERTION_NS}}}AttributeStatement")
    for name, value in subject.attributes.items():
        attribute = etree.SubElement(statement, f"{{{ASSERTION_NS}}}Attribute", Name=name)
        _child(attribute, "AttributeValue", value)
    authn = etree.SubElement(
        assertion,
        f"{{{ASSERTION_NS}}}AuthnStatement",
        AuthnInstant=_instant(now),
        SessionIndex=session_index,
    )
    context = etree.SubElement(authn, f"{{{ASSERTION_NS}}}AuthnContext")
    _child(context, "AuthnContextClassRef", PASSWORD_CONTEXT)
    return assertion


def _sign(assertion: etree._Element, assertion_id: str, key: SigningKey) -> etree._Element:
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    certificate = x509.load_der_x509_certificate(key.certificate_der)
    signed: etree._Element = signer.sign(
        assertion,
        key=key.private_key,
        cert=[certificate],
        reference_uri=assertion_id,
        id_attribute="ID",
    )
    return signed


def _child(
    parent: etree._Element,
    name: str,
    text: str,
    nsmap: dict[str | None, str] | None = None,
    **attributes: str,
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ASSERTION_NS}}}{name}", attributes, nsmap=nsmap)
    element.text = text
    return element


def _instant(moment: datetime) -> str:
    """UTC with milliseconds and Z, as Entra writes SAML instants."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
