"""Microsoft identity platform (v2.0) endpoints used by azure-identity's ClientSecretCredential:
tenant discovery and the client-credentials token grant.

Only the calls that ClientSecretCredential makes with `authority=<emulator>` and
`disable_instance_discovery=True` exist here (go-azure-sdk, as the azuread provider uses it, POSTs
straight to `<loginEndpoint>/<tenant>/oauth2/v2.0/token`); the tokens it issues, JWTs whose claims
name the caller (`tokens.py`), are what Graph accepts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from . import tokens
from .messages import Request, Response
from .requestlog import without_client_secret
from .routing import Router
from .tokens import Caller

DEFAULT_ROLES = (
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Synchronization.ReadWrite.All",
    "Group.Read.All",
    "User.Read.All",
    "AuditLog.Read.All",
)
"""The Graph application permissions the README asks the deploying principal to have, plus
AuditLog.Read.All, which reading the provisioning logs (the health check) needs; they appear as
the token's `roles` claim. Only the provisioning logs enforce theirs (provisioning_logs.py):
register an app with `roles` lacking AuditLog.Read.All to get Graph's 403 there."""

_FAULT_ERRORS: dict[int, tuple[str, int, str]] = {
    400: (
        "invalid_request",
        900144,
        "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
    ),
    401: ("invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided."),
    429: (
        "temporarily_unavailable",
        90055,
        "AADSTS90055: There are too many incoming requests. Please try again later.",
    ),
}
_TRANSIENT_ERROR = (
    "temporarily_unavailable",
    90033,
    "AADSTS90033: A transient error has occurred. Please try again.",
)


@dataclass(frozen=True)
class _Registration:
    secret: str
    caller: Caller


class Identity:
    """Registered app credentials per tenant and the access tokens issued for them."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._registrations: dict[tuple[str, str], _Registration] = {}
        self._issued: dict[str, Caller] = {}
        self._router = Router(
            [
                ("GET", "/{tenant}/v2.0/.well-known/openid-configuration", self._discovery),
                ("POST", "/{tenant}/oauth2/v2.0/token", self._token),
            ]
        )

    def register_app(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        roles: Iterable[str] = DEFAULT_ROLES,
        display_name: str | None = None,
    ) -> str:
        """Let `client_id` get tokens in `tenant_id` with `client_secret` (replacing an older
        secret); returns the object id of the app's service principal, the tokens' `oid`
        claim, the same for the same pair."""
        caller = Caller(
            tenant_id=tenant_id.lower(),
            client_id=client_id.lower(),
            object_id=tokens.stable_object_id(tenant_id, client_id),
            display_name=display_name or f"app {client_id}",
            roles=tuple(roles),
        )
        self._registrations[(caller.tenant_id, caller.client_id)] = _Registration(
            client_secret, caller
        )
        return caller.object_id

    def issued(self, token: str) -> bool:
        """Whether this emulator issued `token`; Graph accepts only such tokens."""
        return token in self._issued

    def home_tenant(self) -> str:
        """The tenant the emulated directory belongs to: the first registered app's (the
        all-zero GUID before any registration)."""
        return next(iter(self._registrations), ("00000000-0000-0000-0000-000000000000", ""))[0]

    def registered_principal(self, object_id: str) -> Caller | None:
        """The registered app whose service principal has `object_id` (the tokens' `oid`): a
        directory object in the real tenant, which the emulator keeps no JSON for."""
        wanted = object_id.lower()
        return next(
            (r.caller for r in self._registrations.values() if r.caller.object_id == wanted), None
        )

    def caller(self, token: str) -> Caller | None:
        """Who an issued token was issued to (None for a token this emulator did not issue)."""
        return self._issued.get(token)

    def clear(self) -> None:
        self._registrations.clear()
        self._issued.clear()

    def serves(self, path: str) -> bool:
        return self._router.knows(path)

    def handle(self, request: Request) -> Response:
        match = self._router.resolve(request.method, request.path)
        if match is None or match.handler is None:
            allowed = ", ".join(match.allowed) if match else "other"
            return self._error(
                400,
                "invalid_request",
                900561,
                f"AADSTS900561: The endpoint only accepts {allowed} requests. "
                f"Received a {request.method} request.",
            )
        return match.handler(request, **match.params)

    def fault_response(self, status: int, request: Request) -> Response:
        error, code, description = _FAULT_ERRORS.get(status, _TRANSIENT_ERROR)
        return self._error(status, error, code, description)

    def loggable_body(self, body: object | None) -> object | None:
        """The token form minus its client secret: app secrets must never reach the log."""
        return without_client_secret(body)

    def knows_tenant(self, tenant: str) -> bool:
        """Whether `tenant` (an id) is a tenant some registered app belongs to."""
        return any(known == tenant.lower() for known, _ in self._registrations)

    def _discovery(self, request: Request, tenant: str) -> Response:
        if not self.knows_tenant(tenant):
            return self._unknown_tenant(tenant)
        root = f"{self._base_url}/{tenant}"
        return Response(
            200,
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "issuer": f"{root}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code", "id_token", "code id_token", "token"],
            },
        )

    def _token(self, request: Request, tenant: str) -> Response:
        if not self.knows_tenant(tenant):
            return self._unknown_tenant(tenant)
        form = request.body if isinstance(request.body, dict) else {}
        grant_type = form.get("grant_type")
        if grant_type != "client_credentials":
            return self._error(
                400,
                "unsupported_grant_type",
                70003,
                f"AADSTS70003: The app requested an unsupported grant type '{grant_type}'.",
            )
        client_id = str(form.get("client_id", ""))
        registration = self._registrations.get((tenant.lower(), client_id.lower()))
        if registration is None or form.get("client_secret") != registration.secret:
            return self._error(
                401,
                "invalid_client",
                7000215,
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
                "the request is the client secret value, not the client secret ID, for a secret "
                f"added to app '{client_id}'.",
            )
        scope = str(form.get("scope", ""))
        if not scope.endswith("/.default"):
            return self._error(
                400,
                "invalid_scope",
                1002012,
                f"AADSTS1002012: The provided value for scope {scope} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).",
            )
        issuer = f"{self._base_url}/{registration.caller.tenant_id}/v2.0"
        token = tokens.issue(registration.caller, tokens.resource_of_scope(scope), issuer)
        self._issued[token] = registration.caller
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": tokens.LIFETIME_SECONDS,
                "ext_expires_in": tokens.LIFETIME_SECONDS,
                "access_token": token,
            },
        )

    def _unknown_tenant(self, tenant: str) -> Response:
        return self._error(
            400,
            "invalid_tenant",
            90002,
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct "
            "tenant ID and are signing into the correct cloud.",
        )

    def _error(self, status: int, error: str, code: int, description: str) -> Response:
        """The identity platform's OAuth error body (never containing the caller's secret)."""
        now = datetime.now(UTC)
        trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return Response(
            status,
            {
                "error": error,
                "error_description": f"{description} Trace ID: {trace_id} Correlation ID: "
                f"{correlation_id} Timestamp: {timestamp}",
                "error_codes": [code],
                "timestamp": timestamp,
                "trace_id": trace_id,
                "correlation_id": correlation_id,
                "error_uri": f"{self._base_url}/error?code={code}",
            },
        )
