"""The `Emulator` facade: one HTTPS server playing the identity platform, Microsoft Graph and
Asana SCIM, plus the handles tests need to seed state, inject faults and inspect traffic.

All state shares one re-entrant lock, so a request and an out-of-band edit never interleave.
"""

from __future__ import annotations

import copy
import shutil
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from . import tokens
from .directory import EnterpriseApp
from .directory_facade import DirectoryFacade
from .dispatch import Backend, Dispatcher
from .faults import Fault, FaultQueue
from .graph import Graph
from .identity import DEFAULT_ROLES, Identity
from .metadata import Metadata
from .provisioning_facade import ProvisioningFacade
from .requestlog import RecordedRequest, RequestLog
from .scim import Scim
from .server import HOST, TlsServer
from .tls import TlsSetup, create_tls


class Emulator(DirectoryFacade, ProvisioningFacade):
    """A running emulator; create it with `Emulator.start()` and end it with `stop()`. The
    directory helpers (groups, users, gallery apps, portal edits, snapshots) come from
    `DirectoryFacade`, the provisioning hooks (job status, cycles, logs, export failures) from
    `ProvisioningFacade`."""

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
            "graph": self._graph,
            "scim": self._scim,
            "metadata": Metadata(server.base_url),
        }
        self._faults = FaultQueue(backends)
        self._log = RequestLog()
        self._dispatcher = Dispatcher(backends, self._faults, self._log, self._lock)
        self._stopped = False

    @classmethod
    def start(cls) -> Emulator:
        """Bind an ephemeral loopback port and start serving in a background daemon thread."""
        tls = create_tls(HOST)
        server = TlsServer(tls.context)
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
        """Forget all state, pending faults and logged requests; the server keeps running."""
        with self._lock:
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

    @property
    def metadata_host(self) -> str:
        """What to set as `azuread:metadataHost` (`ARM_METADATA_HOSTNAME`): the provider then
        loads login and Graph endpoints, both this emulator, from its metadata endpoint."""
        return self.base_url.removeprefix("https://")

    # ----- identity -----

    def register_app(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        roles: Iterable[str] = DEFAULT_ROLES,
        display_name: str | None = None,
    ) -> str:
        """Let `client_id` get tokens in `tenant_id` with `client_secret`; returns the object id
        of the app's service principal (the tokens' `oid`), the same for the same pair."""
        with self._lock:
            return self._identity.register_app(
                tenant_id, client_id, client_secret, roles=roles, display_name=display_name
            )

    @staticmethod
    def caller_object_id(tenant_id: str, client_id: str) -> str:
        """The `oid` tokens for `client_id` in `tenant_id` carry (see `register_app`)."""
        return tokens.stable_object_id(tenant_id, client_id)

    # ----- Graph synchronization -----

    def add_service_principal(self, sp_id: str, templates: list[dict[str, Any]]) -> None:
        """Add a service principal offering `templates` (each with id, factoryTag, schema); it
        has synchronization state only, no directory object."""
        with self._lock:
            self._graph.synchronization.add(sp_id, templates)

    def set_templates(self, sp_id: str, templates: list[dict[str, Any]]) -> None:
        """Out of band: Entra now offers `templates` for this service principal."""
        with self._lock:
            self._graph.synchronization.set_templates(sp_id, templates)

    def remove_service_principal(self, sp_id: str) -> None:
        """Out of band: the service principal (its jobs, secrets, directory properties,
        application object and app role assignments) is deleted."""
        with self._lock:
            self._graph.remove_service_principal(sp_id)

    def set_secrets(self, sp_id: str, values: dict[str, str]) -> None:
        """Out of band: the saved synchronization secrets become `values`, as if an admin
        saved them in the portal's Provisioning blade."""
        with self._lock:
            self._graph.synchronization.set_secrets(sp_id, dict(values))

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

    def add_app_role_assignment(
        self,
        sp_id: str,
        *,
        principal_id: str,
        principal_type: str,
        principal_display_name: str,
        app_role_id: str,
    ) -> str:
        """Assign a user, group or service principal (`principal_type` "User", "Group" or
        "ServicePrincipal") one of the app's roles; returns the assignment id."""
        with self._lock:
            return self._graph.assignments.add(
                sp_id, principal_id, principal_type, principal_display_name, app_role_id
            )

    def job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        with self._lock:
            return self._graph.synchronization.job(sp_id, job_id)

    def jobs(self, sp_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return self._graph.synchronization.jobs(sp_id)

    def schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        with self._lock:
            return self._graph.synchronization.schema(sp_id, job_id)

    def secrets(self, sp_id: str) -> dict[str, str]:
        """The saved synchronization secrets, unmasked."""
        with self._lock:
            return self._graph.synchronization.secrets(sp_id)

    def restarts(self, sp_id: str, job_id: str) -> list[dict[str, Any] | None]:
        """The `criteria` of each restart call on the job, oldest first (None if omitted)."""
        with self._lock:
            return self._graph.synchronization.restarts(sp_id, job_id)

    def create_job(self, sp_id: str, template_id: str) -> str:
        """Create a job out of band, exactly as POST .../jobs would; returns its id."""
        with self._lock:
            return self._graph.synchronization.new_job(sp_id, template_id)

    def delete_job(self, sp_id: str, job_id: str) -> None:
        """Out of band: the provisioning job is deleted (Graph's DELETE .../jobs/{id})."""
        with self._lock:
            self._graph.synchronization.delete_job(sp_id, job_id)

    def edit_schema(self, sp_id: str, job_id: str, fn: Callable[[dict[str, Any]], None]) -> None:
        """Let `fn` edit the live job schema in place (drift made in the portal); bumps version."""
        with self._lock:
            self._graph.synchronization.edit_schema(sp_id, job_id, fn)

    def pause_job(self, sp_id: str, job_id: str) -> None:
        with self._lock:
            self._graph.synchronization.pause_job(sp_id, job_id)

    def start_job(self, sp_id: str, job_id: str) -> None:
        """Out of band: Provisioning Status switched On in the portal."""
        with self._lock:
            self._graph.synchronization.start_job(sp_id, job_id)

    # ----- Asana SCIM -----

    def add_scim_token(self, token: str) -> None:
        with self._lock:
            self._scim.add_token(token)

    def revoke_scim_token(self, token: str) -> None:
        with self._lock:
            self._scim.revoke_token(token)

    def add_scim_user(self, user_name: str, **attrs: Any) -> dict[str, Any]:
        with self._lock:
            return self._scim.add_user(user_name, attrs)

    # ----- faults and the request log -----

    def inject(
        self,
        fault: Fault,
        *,
        service: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """Apply `fault` to the next `times` matching requests (see FaultQueue.inject)."""
        self._faults.inject(fault, service=service, method=method, path=path, times=times)

    def pending_faults(self) -> int:
        return self._faults.pending()

    def clear_faults(self) -> None:
        """Drops faults not yet consumed (state and log stay)."""
        self._faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.snapshot()

    def count(
        self, service: str | None = None, method: str | None = None, path: str | None = None
    ) -> int:
        return self._log.count(service, method, path)
