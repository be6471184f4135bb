"""Microsoft Graph (v1.0, and the few beta reads the azuread provider makes) behind one token
check and one router: synchronization (`synchronization.py`), the gallery and applications
(`applications.py`), service principals (`service_principals.py`), app role assignments
(`app_role_assignments.py`), users and groups (`principals.py`), the provisioning logs
(`provisioning_logs.py`) and provision on demand (`provision_on_demand.py`), all over one tenant
store; `provisioning_cycle.py` plays the provisioning service that fills the logs.
"""

from __future__ import annotations

import copy
from email.message import Message
from http.client import responses

from . import directory
from .app_role_assignments import AppRoleAssignments
from .applications import Applications
from .directory import EnterpriseApp
from .gallery import GalleryApp, gallery
from .graphreply import Reply, error, with_headers
from .identity import Identity
from .messages import JsonObject, Request, Response
from .principals import Principals
from .provision_on_demand import ProvisionOnDemand
from .provisioning_cycle import Provisioner
from .provisioning_logs import ProvisioningLogs
from .routing import Router
from .scim import Scim
from .service_principals import ServicePrincipals
from .store import SyncState, Tenant
from .synchronization import Synchronization, template_map

PREFIXES = ("/v1.0/", "/beta/")

_FAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed or incorrect."),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: ("Request_ResourceNotFound", "The requested resource does not exist."),
    409: ("Conflict", "The operation conflicts with another operation in progress."),
    429: ("TooManyRequests", "Too many requests. Please try again later."),
    503: (
        "serviceNotAvailable",
        "The service is temporarily unavailable. Please retry after the Retry-After interval.",
    ),
}


class Graph:
    """Every Graph route, reachable only with an issued token, and the facade's way in."""

    def __init__(self, base_url: str, identity: Identity, scim: Scim) -> None:
        self._identity = identity
        self.tenant = Tenant()
        self.gallery: dict[str, GalleryApp] = gallery()
        self.synchronization = Synchronization(base_url, self.tenant, scim)
        self.applications = Applications(base_url, self.tenant, identity, self.gallery)
        self.service_principals = ServicePrincipals(base_url, self.tenant, identity, self.gallery)
        self.assignments = AppRoleAssignments(base_url, self.tenant)
        self.principals = Principals(base_url, self.tenant)
        self.provisioning_logs = ProvisioningLogs(base_url, identity)
        self.provisioner = Provisioner(
            self.tenant, scim, self.provisioning_logs, identity.home_tenant
        )
        self.on_demand = ProvisionOnDemand(
            base_url, self.synchronization, self.provisioner, identity
        )
        self._router = Router(
            [
                *self.synchronization.routes(),
                *self.on_demand.routes(),
                *self.applications.routes(),
                *self.service_principals.routes(),
                *self.assignments.routes(),
                *self.principals.routes(),
                *self.provisioning_logs.routes(),
            ]
        )

    # ----- state access for the Emulator facade (out of band, no HTTP) -----

    def add_enterprise_app(
        self, sp_id: str, app: EnterpriseApp, templates: list[JsonObject] | None
    ) -> None:
        """Give `sp_id` its directory objects, creating its synchronization state (offering
        `templates`) unless `add_service_principal` already did. Validates everything before
        changing anything, so a rejected seed leaves no half-made principal behind."""
        state = self.tenant.synchronization.get(sp_id)
        if state is not None and templates is not None:
            raise ValueError(
                f"service principal {sp_id!r} already exists; change its templates with "
                "set_templates"
            )
        new_templates = template_map(templates or []) if state is None else None
        directory.check_new(self.tenant, sp_id, app)
        directory.seed(self.tenant, sp_id, app)
        if new_templates is not None:
            self.tenant.synchronization[sp_id] = SyncState(new_templates)

    def remove_service_principal(self, sp_id: str) -> None:
        """Out of band: the service principal (its jobs, secrets, directory properties,
        application object for a seeded or created app, and app role assignments) is deleted,
        as deleting the enterprise app in the portal does."""
        known = sp_id in self.tenant.synchronization or sp_id in self.tenant.service_principals
        if not known:
            raise KeyError(f"unknown service principal {sp_id!r}")
        sp = self.tenant.service_principals.get(sp_id)
        application = None if sp is None else self.tenant.application_by_app_id(sp["appId"])
        if application is not None:
            self.tenant.delete_application(application["id"])
        self.tenant.delete_service_principal(sp_id)

    def directory_object(self, object_id: str) -> JsonObject:
        """An application, service principal, group or user by object id, unmasked
        (certificate keys included), as stored."""
        for objects in (
            self.tenant.applications,
            self.tenant.service_principals,
            self.tenant.groups,
            self.tenant.users,
        ):
            if object_id in objects:
                return copy.deepcopy(objects[object_id])
        raise KeyError(f"no directory object {object_id!r}")

    def out_of_band(self, method: str, path: str, body: object) -> Request:
        """A request value for applying a portal edit through a route's own validation."""
        return Request(method=method, path=path, query={}, headers=Message(), body=body)

    def routes(self) -> list[tuple[str, str]]:
        """Every Graph route the emulator serves, as (method, "/v1.0/path/{param}")."""
        return self._router.templates()

    def clear(self) -> None:
        self.tenant.clear()
        self.provisioning_logs.clear()
        self.provisioner.clear()
        self.on_demand.clear()

    # ----- Backend protocol -----

    def serves(self, path: str) -> bool:
        return path.startswith(PREFIXES)

    def refusal(self, request: Request) -> Response | None:
        """The 401 for a request whose access token Graph does not accept (checked as it
        arrives, before anything else), or None."""
        token = request.bearer_token()
        if token is None:
            return error(401, "InvalidAuthenticationToken", "Access token is empty.", request)
        if not self._identity.issued(token):
            return error(
                401, "InvalidAuthenticationToken", "Access token validation failure.", request
            )
        return None

    def handle(self, request: Request) -> Response:
        refused = self.refusal(request)
        if refused is not None:
            return refused
        match = self._router.resolve(request.method, request.path)
        if match is None:
            segment = request.path.rstrip("/").rsplit("/", 1)[-1]
            return error(
                400, "BadRequest", f"Resource not found for the segment '{segment}'.", request
            )
        if match.handler is None:
            response = error(
                405,
                "BadRequest",
                f"The HTTP method '{request.method}' is not supported for this resource.",
                request,
            )
            return with_headers(response, {"Allow": ", ".join(match.allowed)})
        try:
            return match.handler(request, **match.params)
        except Reply as reply:
            return reply.response

    def fault_response(self, status: int, request: Request) -> Response:
        code, message = _FAULT_ERRORS.get(status, ("UnknownError", responses.get(status, "Error")))
        return error(status, code, message, request)

    def loggable_body(self, body: object | None) -> object | None:
        """Graph bodies are logged exactly as received (secrets PUT included) so that tests can
        prove where a token was sent; only the token endpoint's client secret is withheld."""
        return body
