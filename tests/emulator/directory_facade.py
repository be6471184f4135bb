"""The Emulator's directory helpers for tests: gallery apps, groups and users made as an admin
would, portal edits (drift) validated by the routes' own rules, unmasked reads, and a snapshot
of the whole tenant. Mixed into `Emulator`, which provides the state lock and the Graph service.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Protocol

from .app_role_assignments import AppRoleAssignments
from .applications import Applications
from .graph import Graph
from .graphreply import Reply
from .messages import Request
from .passthrough import locked
from .principals import Principals
from .store import Tenant


class _Patchable(Protocol):
    def patch(self, object_id: str, changes: object, request: Request) -> None: ...


class DirectoryFacade:
    """Directory helpers; every one holds the emulator's state lock. The one-line ones are the
    service's own method, made by `locked` (see there for signature and docstring)."""

    _lock: threading.RLock
    _graph: Graph

    # ----- Graph directory: gallery, groups and users, portal edits, reads -----

    instantiate_gallery_app = locked("_graph.applications", Applications.instantiate)
    add_group = locked("_graph.principals", Principals.add_group)
    add_user = locked("_graph.principals", Principals.add_user)
    add_group_members = locked("_graph.principals", Principals.add_group_members)
    remove_group_member = locked("_graph.principals", Principals.remove_group_member)
    set_user = locked("_graph.principals", Principals.set_user)
    remove_app_role_assignment = locked("_graph.assignments", AppRoleAssignments.remove)
    directory_object = locked("_graph", Graph.directory_object)
    graph_routes = locked("_graph", Graph.routes)
    snapshot = locked("_graph.tenant", Tenant.snapshot)

    def patch_application(self, object_id: str, changes: dict[str, Any]) -> None:
        """Out of band: an admin edited the application (e.g. its Basic SAML Configuration).
        `changes` is validated and merged exactly as PATCH /applications/{id} would; a change
        Graph would refuse raises ValueError, an unknown id KeyError."""
        self._patch_out_of_band("applications", object_id, changes, self._graph.applications)

    def patch_service_principal(self, sp_id: str, changes: dict[str, Any]) -> None:
        """Out of band: an admin edited the enterprise app (properties, SSO mode, ...), with
        PATCH /servicePrincipals/{id}'s validation (ValueError, or KeyError if unknown)."""
        self._patch_out_of_band("servicePrincipals", sp_id, changes, self._graph.service_principals)

    def delete_application(self, object_id: str) -> None:
        """Out of band: the app registration is deleted, and with it its service principal,
        synchronization and assignments."""
        with self._lock:
            if object_id not in self._graph.tenant.applications:
                raise KeyError(f"no application {object_id!r}")
            self._graph.tenant.delete_application(object_id)

    def applications(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(a) for a in self._graph.tenant.applications.values()]

    def service_principals(self) -> list[dict[str, Any]]:
        """Service principals with a directory object (not those seeded for sync only)."""
        with self._lock:
            return [copy.deepcopy(sp) for sp in self._graph.tenant.service_principals.values()]

    def app_role_assignments(self, sp_id: str) -> list[dict[str, Any]]:
        """The assignments granted on `sp_id`, oldest first."""
        with self._lock:
            return copy.deepcopy(self._graph.tenant.assignments.get(sp_id, []))

    def _patch_out_of_band(
        self, collection: str, object_id: str, changes: dict[str, Any], route: _Patchable
    ) -> None:
        """Apply a portal edit through the PATCH route's own validation: its 404 becomes
        KeyError, any other refusal ValueError (with Graph's message)."""
        with self._lock:
            request = self._graph.out_of_band("PATCH", f"/v1.0/{collection}/{object_id}", changes)
            try:
                route.patch(object_id, changes, request)
            except Reply as reply:
                body = reply.response.body
                message = body["error"]["message"] if isinstance(body, dict) else str(body)
                status = reply.response.status
                raise (KeyError if status == 404 else ValueError)(message) from None
