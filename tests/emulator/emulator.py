"""The `Emulator` facade: one HTTPS server playing the identity platform, Microsoft Graph and
Asana SCIM, plus the handles tests need to seed state, inject faults and inspect traffic.

All state shares one re-entrant lock, so a request and an out-of-band edit never interleave.
"""

from __future__ import annotations

import copy
import shutil
import threading
from types import TracebackType
from typing import Any

from . import tokens
from .app_role_assignments import AppRoleAssignments
from .directory import EnterpriseApp
from .directory_facade import DirectoryFacade
from .dispatch import Backend, Dispatcher
from .faults import FaultQueue
from .graph import Graph
from .identity import Identity
from .metadata import Metadata
from .passthrough import locked
from .provisioning_facade import ProvisioningFacade
from .requestlog import RecordedRequest, RequestLog
from .saml_idp import SamlIdentityProvider
from .scim import Scim
from .server import HOST, TlsServer
from .synchronization import Synchronization
from .tls import TlsSetup, create_tls


class Emulator(DirectoryFacade, ProvisioningFacade):
    """A running emulator; create it with `Emulator.start()` and end it with `stop()`. The
    directory helpers (groups, users, gallery apps, portal edits, snapshots) come from
    `DirectoryFacade`, the provisioning hooks (job status, cycles, logs, export failures) from
    `ProvisioningFacade`. Helpers written `name = locked(...)` are the service's own method
    holding the state lock (see `passthrough.locked`): signature and docstring are there."""

    def __init__(self, tls: TlsSetup, server: TlsServer) -> None:
        """Use `Emulator.start()`; this wires the services to an already bound server."""
        self._tls = tls
        self._server = server
        self._lock = threading.RLock()
        self._identity = Identity(server.base_url)
        self._scim = Scim(server.base_url)
        self._graph = Graph(server.base_url, self._identity, self._scim)
        backends: dict[str, Backend] = {
            "token": self._identity,
            "saml": SamlIdentityProvider(server.base_url, self._identity, self._graph.tenant),
            "graph": self._graph,
            "scim": self._scim,
            "metadata": Metadata(server.base_url),
        }
        self._faults = FaultQueue(backends)
        self._log = RequestLog()
        self._dispatcher = Dispatcher(backends, self._faults, self._log, self._lock)
        self._stopped = False

    @classmethod
    def start(cls, port: int = 0) -> Emulator:
        """Bind a loopback port (0: an ephemeral one) and start serving in a background daemon
        thread. A port that cannot be bound raises OSError, leaving nothing behind."""
        tls = create_tls(HOST)
        try:
            server = TlsServer(tls.context, port)
        except OSError:
            shutil.rmtree(tls.directory, ignore_errors=True)
            raise
        emulator = cls(tls, server)
        server.serve(emulator._dispatcher)
        return emulator

    def stop(self) -> None:
        """Stop serving, cut open connections and delete the CA file; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._dispatcher.close()
        self._server.stop()
        shutil.rmtree(self._tls.directory, ignore_errors=True)

    def reset(self) -> None:
        """Forget all state, pending faults, late writes still held and logged requests; the
        server keeps running."""
        with self._lock:
            self._dispatcher.forget_late_writes()
            self._identity.clear()
            self._graph.clear()
            self._scim.clear()
            self._faults.clear()
            self._log.clear()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ----- addresses -----

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def ca_bundle_path(self) -> str:
        return self._tls.ca_bundle_path

    @property
    def graph_url(self) -> str:
        """Graph root; clients append "/v1.0/..."."""
        return self.base_url

    @property
    def authority_host(self) -> str:
        """What to pass as azure-identity's `authority`."""
        return self.base_url

    @property
    def scim_base_url(self) -> str:
        """The Asana SCIM base URL, i.e. the value the BaseAddress secret must hold."""
        return self._scim.base_url

    def saml_sign_in_url(self, tenant_id: str) -> str:
        """Entra's SAML sign-in URL for the tenant (HTTP-Redirect and HTTP-POST bindings), what
        the portal shows as "Login URL" (saml_idp.py)."""
        return f"{self.base_url}/{tenant_id}/saml2"

    @property
    def metadata_host(self) -> str:
        """What to set as `azuread:metadataHost` (`ARM_METADATA_HOSTNAME`): the provider then
        loads login and Graph endpoints, both this emulator, from its metadata endpoint."""
        return self.base_url.removeprefix("https://")

    # ----- identity -----

    register_app = locked("_identity", Identity.register_app)

    @staticmethod
    def caller_object_id(tenant_id: str, client_id: str) -> str:
        """The `oid` tokens for `client_id` in `tenant_id` carry (see `register_app`)."""
        return tokens.stable_object_id(tenant_id, client_id)

    # ----- Graph synchronization -----

    add_service_principal = locked("_graph.synchronization", Synchronization.add)
    set_templates = locked("_graph.synchronization", Synchronization.set_templates)
    remove_service_principal = locked("_graph", Graph.remove_service_principal)
    set_secrets = locked("_graph.synchronization", Synchronization.set_secrets)
    job = locked("_graph.synchronization", Synchronization.job)
    jobs = locked("_graph.synchronization", Synchronization.jobs)
    schema = locked("_graph.synchronization", Synchronization.schema)
    secrets = locked("_graph.synchronization", Synchronization.secrets)
    restarts = locked("_graph.synchronization", Synchronization.restarts)
    create_job = locked("_graph.synchronization", Synchronization.new_job)
    delete_job = locked("_graph.synchronization", Synchronization.delete_job)
    edit_schema = locked("_graph.synchronization", Synchronization.edit_schema)
    pause_job = locked("_graph.synchronization", Synchronization.pause_job)
    start_job = locked("_graph.synchronization", Synchronization.start_job)

    # ----- Graph directory (enterprise apps configured by hand) -----

    def add_enterprise_app(
        self,
        sp_id: str,
        *,
        app_object_id: str,
        app_id: str,
        display_name: str,
        application_template_id: str | None,
        app_roles: list[dict[str, Any]],
        preferred_single_sign_on_mode: str | None = None,
        login_url: str | None = None,
        notification_email_addresses: list[str] | None = None,
        identifier_uris: list[str] | None = None,
        redirect_uris: list[str] | None = None,
        token_signing_key: dict[str, Any] | None = None,
        templates: list[dict[str, Any]] | None = None,
    ) -> None:
        """Seed an enterprise app as an admin set it up in the portal: the service principal's
        directory properties and its application object (`app_object_id`, linked by `app_id`).

        When `sp_id` was added with `add_service_principal`, this completes it (its templates
        stay); otherwise it creates the principal offering `templates` (default none).
        `app_roles` items carry the appRole properties id, displayName, value, description,
        allowedMemberTypes, isEnabled and origin; `token_signing_key` holds keyId, thumbprint,
        endDateTime, displayName and optionally startDateTime (default: three years earlier).
        Raises ValueError for a seed the portal could not have produced.
        """
        app = EnterpriseApp(
            app_object_id=app_object_id,
            app_id=app_id,
            display_name=display_name,
            application_template_id=application_template_id,
            app_roles=copy.deepcopy(app_roles),
            preferred_single_sign_on_mode=preferred_single_sign_on_mode,
            login_url=login_url,
            notification_email_addresses=list(notification_email_addresses or []),
            identifier_uris=list(identifier_uris or []),
            redirect_uris=list(redirect_uris or []),
            token_signing_key=copy.deepcopy(token_signing_key),
        )
        with self._lock:
            self._graph.add_enterprise_app(sp_id, app, copy.deepcopy(templates))

    add_app_role_assignment = locked("_graph.assignments", AppRoleAssignments.add)

    # ----- Asana SCIM -----

    add_scim_token = locked("_scim", Scim.add_token)
    revoke_scim_token = locked("_scim", Scim.revoke_token)

    def add_scim_user(self, user_name: str, **attrs: Any) -> dict[str, Any]:
        with self._lock:
            return self._scim.add_user(user_name, attrs)

    # ----- faults and the request log -----

    inject = locked("_faults", FaultQueue.inject)
    pending_faults = locked("_faults", FaultQueue.pending)
    clear_faults = locked("_faults", FaultQueue.clear)

    def late_writes_held(self) -> int:
        """How many requests a `Fault.late` holds right now (neither landed nor forgotten)."""
        return self._dispatcher.late_writes_held()

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.snapshot()

    count = locked("_log", RequestLog.count)
