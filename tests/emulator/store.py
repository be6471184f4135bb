"""The emulated tenant's state: one store for every directory object and every service
principal's synchronization state, shared by the Graph routes and the facade's seeding.

Objects are kept as the full Graph JSON resource, unmasked (certificate keys included), so a
PATCH is a dictionary update, a GET is a projection, and a snapshot is a deep copy. Deleting an
object cascades as Entra does: an application takes its service principals with it, and a
service principal takes its synchronization state and app role assignments.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .certificates import SigningKey
from .messages import JsonObject


@dataclass
class SyncJob:
    """A job's public JSON, its live schema, and restart criteria kept out of that JSON
    (the real job has no field for them). `watermark` (object id -> the source state last
    processed), `escrows` (object ids whose export failed, retried each cycle) and
    `provisioned` (object ids the job has in the target) are the service's memory between
    incremental cycles; restart forgets the watermark."""

    resource: JsonObject
    schema: JsonObject
    restarts: list[JsonObject | None] = field(default_factory=list)
    watermark: dict[str, str] = field(default_factory=dict)
    escrows: set[str] = field(default_factory=set)
    provisioned: set[str] = field(default_factory=set)


@dataclass
class SyncState:
    """Synchronization of one service principal. Secrets belong to the service principal, not a
    job, so they outlive a deleted job."""

    templates: dict[str, JsonObject]
    jobs: dict[str, SyncJob] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass
class Tenant:
    """Everything Graph serves, by object id (applications, service principals, groups,
    users) or by the id of the service principal it belongs to (synchronization, app role
    assignments granted on it). A service principal seeded for synchronization only has sync
    state but no directory object, as in the emulator's first tests."""

    applications: dict[str, JsonObject] = field(default_factory=dict)
    service_principals: dict[str, JsonObject] = field(default_factory=dict)
    synchronization: dict[str, SyncState] = field(default_factory=dict)
    assignments: dict[str, list[JsonObject]] = field(default_factory=dict)
    groups: dict[str, JsonObject] = field(default_factory=dict)
    group_members: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, JsonObject] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    owners: dict[str, list[str]] = field(default_factory=dict)
    """Object ids of the owners of an application or service principal, by its object id."""
    signing_keys: dict[str, SigningKey] = field(default_factory=dict, repr=False)
    """Token-signing key pairs by upper-case thumbprint: emulator memory only, never rendered
    and left out of `snapshot` (Graph never returns a private key)."""

    # ----- lookups -----

    def application_by_app_id(self, app_id: str) -> JsonObject | None:
        wanted = app_id.lower()
        return next((a for a in self.applications.values() if a["appId"].lower() == wanted), None)

    def service_principal_by_app_id(self, app_id: str) -> JsonObject | None:
        wanted = app_id.lower()
        return next(
            (sp for sp in self.service_principals.values() if sp["appId"].lower() == wanted),
            None,
        )

    def principal(self, object_id: str) -> tuple[str, JsonObject] | None:
        """A user, group or service principal by object id, with its appRoleAssignment
        `principalType`."""
        for kind, objects in (
            ("User", self.users),
            ("Group", self.groups),
            ("ServicePrincipal", self.service_principals),
        ):
            found = objects.get(object_id) or objects.get(object_id.lower())
            if found is not None:
                return kind, found
        return None

    def ids_in_use(self) -> set[str]:
        """Every object id and appId, lower-cased, so that new ids never collide."""
        ids = {key.lower() for key in self.applications}
        ids |= {key.lower() for key in self.service_principals}
        ids |= {key.lower() for key in self.groups} | {key.lower() for key in self.users}
        ids |= {app["appId"].lower() for app in self.applications.values()}
        ids |= {key.lower() for key in self.synchronization}
        return ids

    # ----- deletion, cascading as in Entra -----

    def delete_application(self, object_id: str) -> None:
        """The application and the service principals that represent it in this tenant."""
        application = self.applications.pop(object_id)
        self._forget_owned_and_owner(object_id)
        for sp_id, sp in list(self.service_principals.items()):
            if sp["appId"].lower() == application["appId"].lower():
                self.delete_service_principal(sp_id)

    def delete_service_principal(self, sp_id: str) -> None:
        """The directory object (if any), its synchronization state, the assignments granted
        on it and the assignments granted to it."""
        self.service_principals.pop(sp_id, None)
        self._forget_owned_and_owner(sp_id)
        self.synchronization.pop(sp_id, None)
        self.assignments.pop(sp_id, None)
        for assignments in self.assignments.values():
            assignments[:] = [a for a in assignments if a["principalId"] != sp_id]

    def _forget_owned_and_owner(self, object_id: str) -> None:
        """A deleted object has no owners, and owns nothing any more."""
        self.owners.pop(object_id, None)
        for owners in self.owners.values():
            owners[:] = [o for o in owners if o != object_id]

    def clear(self) -> None:
        for collection in (
            self.applications,
            self.service_principals,
            self.synchronization,
            self.assignments,
            self.groups,
            self.group_members,
            self.users,
            self.managers,
            self.owners,
            self.signing_keys,
        ):
            collection.clear()

    def snapshot(self) -> JsonObject:
        """The whole tenant (directory objects, assignments, memberships, synchronization with
        unmasked secrets) as a deep-copied JSON value, dictionaries ordered by id: equal
        snapshots mean an equal tenant, so a test can prove that `destroy` left it as it was
        before `up`."""
        return copy.deepcopy(
            {
                "applications": _sorted(self.applications),
                "servicePrincipals": _sorted(self.service_principals),
                "appRoleAssignments": {
                    sp: list(items) for sp, items in sorted(self.assignments.items()) if items
                },
                "groups": _sorted(self.groups),
                "groupMembers": {g: list(m) for g, m in sorted(self.group_members.items()) if m},
                "users": _sorted(self.users),
                "managers": dict(sorted(self.managers.items())),
                "owners": {o: list(ids) for o, ids in sorted(self.owners.items()) if ids},
                "synchronization": {
                    sp_id: {
                        "templates": _sorted(state.templates),
                        "jobs": {
                            job_id: {
                                "resource": job.resource,
                                "schema": job.schema,
                                "restarts": job.restarts,
                            }
                            for job_id, job in sorted(state.jobs.items())
                        },
                        "secrets": dict(sorted(state.secrets.items())),
                    }
                    for sp_id, state in sorted(self.synchronization.items())
                },
            }
        )


def _sorted(objects: dict[str, JsonObject]) -> dict[str, JsonObject]:
    return dict(sorted(objects.items()))
