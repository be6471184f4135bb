"""SAML token-signing certificates as servicePrincipal: addTokenSigningCertificate makes them.

A real self-signed X.509 certificate (RSA 2048, SHA-256) so that clients can parse the `key`
Graph returns and compute its SHA-1 thumbprint, as the azuread provider does on read.
What the action adds to the service principal, per
https://learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate :
a private key credential (usage Sign), a public key credential (usage Verify) and a password
credential (which opens the PFX), all with the same customKeyIdentifier (the thumbprint's
bytes, base64, as the page's example shows); the password and the private key share a keyId.
The response (a selfSignedCertificate) carries the Sign credential's keyId, which is why the
azuread provider looks the Verify key up by customKeyIdentifier afterwards.

The private key never appears in any Graph reply (Graph never returns it either): it is kept
in emulator memory only (`SigningKey`, in `Tenant.signing_keys` by thumbprint), so that the
SAML endpoint (saml_idp.py) can sign with the certificate the service principal names in
preferredTokenSigningKeyThumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .messages import JsonObject

MAX_VALIDITY = timedelta(days=3 * 365 + 1)
"""endDateTime "can be up to 3 years" after creation (one leap day of slack)."""


@dataclass(frozen=True)
class SigningKey:
    """A certificate and its private key, held in emulator memory only (never rendered)."""

    thumbprint: str
    """Upper-case hex SHA-1 of the DER certificate, as addTokenSigningCertificate returns it."""
    certificate_der: bytes
    private_key: rsa.RSAPrivateKey = field(repr=False)


@dataclass(frozen=True)
class SigningCertificate:
    """The credentials one addTokenSigningCertificate call adds, its response, and the key
    pair behind them (for the emulator's SAML endpoint only)."""

    response: JsonObject
    key_credentials: tuple[JsonObject, JsonObject]
    password_credential: JsonObject
    signing_key: SigningKey = field(repr=False)


def create(display_name: str, start: datetime, end: datetime) -> SigningCertificate:
    subject = display_name.removeprefix("CN=")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha1(der, usedforsecurity=False).digest()
    thumbprint = digest.hex().upper()
    custom_key_identifier = base64.b64encode(digest).decode()
    sign_key_id, verify_key_id = str(uuid.uuid4()), str(uuid.uuid4())
    start_text, end_text = _format(start), _format(end)
    common = {
        "customKeyIdentifier": custom_key_identifier,
        "displayName": display_name,
        "endDateTime": end_text,
        "startDateTime": start_text,
    }
    sign = {
        **common,
        "key": None,
        "keyId": sign_key_id,
        "type": "X509CertAndPassword",
        "usage": "Sign",
    }
    verify = {
        **common,
        "key": base64.b64encode(der).decode(),
        "keyId": verify_key_id,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }
    password = {**common, "hint": None, "keyId": sign_key_id, "secretText": None}
    response = {
        **common,
        "key": verify["key"],
        "keyId": sign_key_id,
        "thumbprint": thumbprint,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }
    return SigningCertificate(response, (sign, verify), password, SigningKey(thumbprint, der, key))


def default_end(start: datetime) -> datetime:
    """ "If not supplied, the default is three years from the time of creation"."""
    try:
        return start.replace(year=start.year + 3)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 3, day=28)


def normalized_thumbprint(value: str) -> str:
    """A thumbprint as the emulator keys signing keys: upper-case hex without spaces. Entra
    compares thumbprints case-insensitively (Microsoft's MSIdentityTools
    Update-MsIdAADSigningKey.ps1 lower-cases the value it sets, while Graph returns upper-case
    thumbprints)."""
    return value.replace(" ", "").upper()


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
