"""Enterprise apps configured by hand in the portal, seeded into the tenant store.

Tests describe what an admin set up (an `EnterpriseApp`); `seed` turns it into the same
application and servicePrincipal JSON that instantiation and the write routes produce, so every
route (and every later PATCH or DELETE) treats seeded and created apps alike.
"""

from __future__ import annotations

import base64
import copy
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import certificates
from .directory_objects import INTEGRATED_APP_TAG, new_application, new_service_principal
from .messages import JsonObject
from .store import Tenant

APP_ROLE_KEYS = frozenset(
    ["id", "displayName", "value", "description", "allowedMemberTypes", "isEnabled", "origin"]
)
"""The appRole properties; each seeded role needs all of them."""

SIGNING_KEY_KEYS = frozenset(["keyId", "endDateTime", "displayName"])
"""Required in a seeded signing key. Without a `thumbprint` a real self-signed certificate is
made (as the portal's "New certificate" does), so its key can be read and parsed; with one, the
seed names a certificate whose key is unknown and stays null."""

SIGNING_CERTIFICATE_YEARS = 3
"""The portal's SAML signing certificates are valid for three years; used for the
keyCredential's startDateTime when the seed gives only the end."""


@dataclass(frozen=True)
class EnterpriseApp:
    """An enterprise app as configured in the portal: its service principal's directory
    properties and the application object linked to it by `app_id`."""

    app_object_id: str
    app_id: str
    display_name: str
    application_template_id: str | None
    app_roles: list[JsonObject]
    preferred_single_sign_on_mode: str | None = None
    login_url: str | None = None
    notification_email_addresses: list[str] = field(default_factory=list)
    identifier_uris: list[str] = field(default_factory=list)
    redirect_uris: list[str] = field(default_factory=list)
    token_signing_key: JsonObject | None = None

    def validate(self) -> None:
        """Reject seeds that the portal could not have produced, so test mistakes surface at
        the seeding call instead of as an odd Graph answer later."""
        for role in self.app_roles:
            missing = APP_ROLE_KEYS - role.keys()
            if missing:
                raise ValueError(f"app role {role.get('id')!r} lacks {sorted(missing)}")
        role_ids = [role["id"] for role in self.app_roles]
        if len(set(role_ids)) != len(role_ids):
            raise ValueError("app role ids must be unique")
        key = self.token_signing_key
        if key is not None:
            missing = SIGNING_KEY_KEYS - key.keys()
            if missing:
                raise ValueError(f"token_signing_key lacks {sorted(missing)}")
            thumbprint = str(key.get("thumbprint", "0" * 40))
            if len(thumbprint) != 40 or not set(thumbprint) <= set(string.hexdigits):
                raise ValueError("token_signing_key thumbprint must be 40 hex digits (SHA-1)")
            _parse_time(key["endDateTime"])
            if "startDateTime" in key:
                _parse_time(key["startDateTime"])


def check_new(tenant: Tenant, sp_id: str, app: EnterpriseApp) -> None:
    """Raise ValueError if `app` cannot join the directory under `sp_id`."""
    app.validate()
    if sp_id in tenant.service_principals:
        raise ValueError(f"service principal {sp_id!r} already has directory properties")
    if tenant.application_by_app_id(app.app_id) is not None:
        raise ValueError(f"app id {app.app_id!r} is already in use")
    if app.app_object_id in tenant.applications:
        raise ValueError(f"application object id {app.app_object_id!r} is in use")


def seed(tenant: Tenant, sp_id: str, app: EnterpriseApp) -> None:
    """Add the application and service principal objects (call `check_new` first). Gallery
    apps (those with a template) require assignment, as the portal sets them up."""
    application = new_application(
        object_id=app.app_object_id,
        app_id=app.app_id,
        display_name=app.display_name,
        template_id=app.application_template_id,
        app_roles=app.app_roles,
        publisher_domain=None,
        identifier_uris=app.identifier_uris,
        redirect_uris=app.redirect_uris,
    )
    sp = new_service_principal(
        object_id=sp_id,
        application=application,
        app_roles=app.app_roles,
        owner_tenant_id=None,
        tags=[INTEGRATED_APP_TAG],
        app_role_assignment_required=app.application_template_id is not None,
    )
    key_credentials, password_credentials, thumbprint, key_pair = _signing_credentials(
        app.token_signing_key
    )
    sp.update(
        {
            "loginUrl": app.login_url,
            "notificationEmailAddresses": list(app.notification_email_addresses),
            "preferredSingleSignOnMode": app.preferred_single_sign_on_mode,
            "preferredTokenSigningKeyThumbprint": thumbprint,
            "keyCredentials": key_credentials,
            "passwordCredentials": password_credentials,
        }
    )
    tenant.applications[app.app_object_id] = copy.deepcopy(application)
    tenant.service_principals[sp_id] = copy.deepcopy(sp)
    if key_pair is not None:
        tenant.signing_keys[key_pair.thumbprint] = key_pair


def _signing_credentials(
    key: JsonObject | None,
) -> tuple[list[JsonObject], list[JsonObject], str | None, certificates.SigningKey | None]:
    """The service principal's keyCredentials, passwordCredentials and preferred thumbprint for a
    seeded signing key, and the key pair when the emulator made the certificate (a real one when
    the seed names none, see SIGNING_KEY_KEYS; a named thumbprint has no private key here)."""
    if key is None:
        return [], [], None, None
    if "thumbprint" in key:
        return [_key_credential(key)], [], str(key["thumbprint"]), None
    end = _parse_time(key["endDateTime"])
    start = (
        _parse_time(key["startDateTime"])
        if "startDateTime" in key
        else _years_before(end, SIGNING_CERTIFICATE_YEARS)
    )
    made = certificates.create(str(key["displayName"]), start, end)
    sign, verify = made.key_credentials
    return (
        [sign, {**verify, "keyId": key["keyId"]}],
        [made.password_credential],
        str(made.response["thumbprint"]),
        made.signing_key,
    )


def _key_credential(key: JsonObject) -> JsonObject:
    """The signing certificate's public half. Its `key` (the certificate) is unknown for a seed,
    so it stays null even where Graph would show it; customKeyIdentifier is the thumbprint's
    bytes in base64, as Graph writes it."""
    end = _parse_time(key["endDateTime"])
    start = key.get("startDateTime") or _format_time(_years_before(end, SIGNING_CERTIFICATE_YEARS))
    return {
        "customKeyIdentifier": base64.b64encode(bytes.fromhex(key["thumbprint"])).decode(),
        "displayName": key["displayName"],
        "endDateTime": key["endDateTime"],
        "key": None,
        "keyId": key["keyId"],
        "startDateTime": start,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}") from None


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _format_time(moment: datetime) -> str:
    """UTC with a Z, as Graph writes DateTimeOffset; a seed without an offset means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
