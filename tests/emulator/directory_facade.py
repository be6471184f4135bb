"""The Emulator's directory helpers for tests: gallery apps, groups and users made as an admin
would, portal edits (drift) validated by the routes' own rules, unmasked reads, and a snapshot
of the whole tenant. Mixed into `Emulator`, which provides the state lock and the Graph service.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .graph import Graph
from .graphreply import Reply


class DirectoryFacade:
    """Directory helpers; every one holds the emulator's state lock."""

    _lock: threading.RLock
    _graph: Graph

    # ----- Graph directory: gallery, groups and users, portal edits, reads -----

    def instantiate_gallery_app(
        self, template_id: str, display_name: str, tenant_id: str | None = None
    ) -> dict[str, Any]:
        """Add a gallery app out of band, as the portal's "Create" does; returns
        {"application": ..., "servicePrincipal": ...} (their ids are the objects' ids)."""
        with self._lock:
            return self._graph.applications.instantiate(template_id, display_name, tenant_id)

    def add_group(
        self,
        display_name: str,
        *,
        group_id: str | None = None,
        description: str | None = None,
        mail_nickname: str | None = None,
        mail_enabled: bool = False,
        security_enabled: bool = True,
        members: Iterable[str] = (),
    ) -> str:
        """Create a group (by default a security group) as an admin would; returns its id.
        `members` are object ids of users, groups or service principals already added."""
        with self._lock:
            return self._graph.principals.add_group(
                display_name,
                group_id=group_id,
                description=description,
                mail_nickname=mail_nickname,
                mail_enabled=mail_enabled,
                security_enabled=security_enabled,
                members=members,
            )

    def add_user(
        self,
        user_principal_name: str,
        display_name: str,
        *,
        user_id: str | None = None,
        mail: str | None = None,
        given_name: str | None = None,
        surname: str | None = None,
        job_title: str | None = None,
        department: str | None = None,
        employee_id: str | None = None,
        account_enabled: bool = True,
        manager_id: str | None = None,
    ) -> str:
        """Create a member user; returns its object id. `manager_id` names a user added before."""
        with self._lock:
            return self._graph.principals.add_user(
                user_principal_name,
                display_name,
                user_id=user_id,
                mail=mail,
                given_name=given_name,
                surname=surname,
                job_title=job_title,
                department=department,
                employee_id=employee_id,
                account_enabled=account_enabled,
                manager_id=manager_id,
            )

    def remove_app_role_assignment(self, sp_id: str, assignment_id: str) -> None:
        """Out of band: an admin removed a user or group from the app's Users and groups."""
        with self._lock:
            self._graph.assignments.remove(sp_id, assignment_id)

    def patch_application(self, object_id: str, changes: dict[str, Any]) -> None:
        """Out of band: an admin edited the application (e.g. its Basic SAML Configuration).
        `changes` is validated and merged exactly as PATCH /applications/{id} would; a change
        Graph would refuse raises ValueError, an unknown id KeyError."""
        path = f"/v1.0/applications/{object_id}"
        with self._lock:
            request = self._graph.out_of_band("PATCH", path, changes)
            _out_of_band(lambda: self._graph.applications.patch(object_id, changes, request))

    def patch_service_principal(self, sp_id: str, changes: dict[str, Any]) -> None:
        """Out of band: an admin edited the enterprise app (properties, SSO mode, ...), with
        PATCH /servicePrincipals/{id}'s validation (ValueError, or KeyError if unknown)."""
        path = f"/v1.0/servicePrincipals/{sp_id}"
        with self._lock:
            request = self._graph.out_of_band("PATCH", path, changes)
            _out_of_band(lambda: self._graph.service_principals.patch(sp_id, changes, request))

    def delete_application(self, object_id: str) -> None:
        """Out of band: the app registration is deleted, and with it its service principal,
        synchronization and assignments."""
        with self._lock:
            if object_id not in self._graph.tenant.applications:
                raise KeyError(f"no application {object_id!r}")
            self._graph.tenant.delete_application(object_id)

    def directory_object(self, object_id: str) -> dict[str, Any]:
        """An application, service principal, group or user by object id, unmasked (certificate
        keys included), as stored."""
        with self._lock:
            return self._graph.directory_object(object_id)

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

    def graph_routes(self) -> list[tuple[str, str]]:
        """Every Graph route the emulator serves, as (method, "/v1.0/path/{param}")."""
        return self._graph.routes()

    def snapshot(self) -> dict[str, Any]:
        """The whole tenant (directory objects, assignments, memberships, synchronization with
        unmasked secrets) as a deep-copied JSON value; equal snapshots mean an equal tenant, so
        a test can prove that `destroy` left it as it was before `up`."""
        with self._lock:
            return self._graph.tenant.snapshot()


def _out_of_band(change: Callable[[], None]) -> None:
    """Run a route's own validation for a facade edit: its 404 becomes KeyError, any other
    refusal ValueError (with Graph's message)."""
    try:
        change()
    except Reply as reply:
        body = reply.response.body
        message = body["error"]["message"] if isinstance(body, dict) else str(body)
        raise (KeyError if reply.response.status == 404 else ValueError)(message) from None
