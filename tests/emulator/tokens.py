"""Access tokens shaped like the identity platform's: a JWT whose claims say who called.

Clients never verify the signature (only the issuer can), but some read the claims: the azuread
provider (hashicorp/go-azure-sdk `sdk/claims`) splits the token on dots, base64url-decodes the
middle part and takes `oid` as its own object id, looking itself up in Graph only when `oid` is
missing. So the payload must be real JSON with the documented claims, while the signature may
be any bytes. Claims reference:
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

LIFETIME_SECONDS = 3600
"""What the token endpoint answers as `expires_in`, and so `exp - iat`."""

NOT_BEFORE_SKEW_SECONDS = 300
"""The identity platform backdates `nbf` (and `iat`) by five minutes for clock skew."""


@dataclass(frozen=True)
class Caller:
    """The app a token was issued to, as its claims name it."""

    tenant_id: str
    client_id: str
    object_id: str
    display_name: str
    roles: tuple[str, ...]


def resource_of_scope(scope: str) -> str:
    """`https://graph.microsoft.com/.default` -> `https://graph.microsoft.com` (the `aud`)."""
    return scope.removesuffix("/.default").rstrip("/")


def issue(caller: Caller, audience: str, issuer: str) -> str:
    """A compact JWS (`header.payload.signature`, unpadded base64url) for `caller`.

    `iss` and `ver` follow the v2.0 endpoint that issued it; `appid` (a v1.0 claim) is kept next
    to `azp` because go-azure-sdk's claims struct reads `appid`. `sub` equals `oid` for app-only
    tokens, and `idp` is the issuer, as for any app-only token.
    """
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "kid": _random_key_id(), "x5t": _random_key_id()}
    payload: dict[str, Any] = {
        "aud": audience,
        "iss": issuer,
        "iat": now - NOT_BEFORE_SKEW_SECONDS,
        "nbf": now - NOT_BEFORE_SKEW_SECONDS,
        "exp": now + LIFETIME_SECONDS,
        "app_displayname": caller.display_name,
        "appid": caller.client_id,
        "appidacr": "1",
        "azp": caller.client_id,
        "azpacr": "1",
        "idp": issuer,
        "idtyp": "app",
        "oid": caller.object_id,
        "roles": list(caller.roles),
        "sub": caller.object_id,
        "tid": caller.tenant_id,
        "uti": _b64(secrets.token_bytes(16)),
        "ver": "2.0",
    }
    signature = secrets.token_bytes(256)  # an RS256 signature's length; never verified
    return ".".join(
        _b64(part)
        for part in (
            json.dumps(header, separators=(",", ":")).encode(),
            json.dumps(payload, separators=(",", ":")).encode(),
            signature,
        )
    )


def claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT-shaped token, or None for anything else (no signature check)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def stable_object_id(tenant_id: str, client_id: str) -> str:
    """The object id of an app's service principal in a tenant: derived from the pair, so the
    same registration keeps its id across `reset()` and emulator restarts."""
    namespace = uuid.UUID("5d2c0b6e-0f4a-4b7e-9a51-3c8e2f1d7a90")
    return str(uuid.uuid5(namespace, f"{tenant_id.lower()}/{client_id.lower()}"))


def _random_key_id() -> str:
    return _b64(secrets.token_bytes(20))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
