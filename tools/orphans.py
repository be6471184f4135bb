"""What an interrupted create left in the tenant: the object a pending create may have made.

For each pending operation of a stack's state this module decides, by reading Graph, one of:
- **import**: exactly one object matches what the create was making and no resource of the stack
  records it, so `pulumi import` records it under the create's URN (the next `up` then finds it
  instead of making a second one);
- **clear**: the create did not land (nothing matches), or repeating it cannot make a second
  object (the provider's create is a PUT of the whole value, or writes nothing), so the pending
  create is dropped and the next `up` does it again;
- **stop**: more than one object matches, or the operation cannot be judged: a person decides,
  with the candidates listed.

How each azuread type is matched (inputs as the interrupted create had them; ids as
terraform-provider-azuread v3.9.0 forms them, `rules.azuread_ids`):
- ApplicationFromTemplate: applications of the template and display name (Graph's documented
  `applicationTemplateId`/`displayName` filter), and the service principal of the one found;
- ServicePrincipal (`use_existing`): the service principal of the application (`appId`);
- AppRoleAssignment: the resource service principal's `appRoleAssignedTo` with the principal and
  role of the create;
- SynchronizationJob: the service principal's jobs made from the create's template;
- ServicePrincipalTokenSigningCertificate: the service principal's Verify keys named as the
  create's `displayName` (the upstream id is keyed by the Verify key);
- ApplicationIdentifierUri / ApplicationRedirectUris / ApplicationOwner: the application's
  `identifierUris`, `web.redirectUris` and `owners` (upstream's create refuses with "already
  exists" once they are there, so these are imported, never cleared);
- SynchronizationSecret and every dynamic resource of ours: cleared (a PUT of the whole secret
  set; our creates read, PUT or PATCH and never add an object).
Objects any resource of the stack already records are never candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from clients.graph import GraphClient, synchronization_path
from clients.http import ServiceError
from rules import azuread_ids
from rules.identifiers import odata_string
from rules.pending import PendingOperation, StateResource

Action = Literal["import", "clear", "stop"]


@dataclass(frozen=True)
class Verdict:
    """What to do with one pending operation, and why (shown to the user as it is)."""

    operation: PendingOperation
    action: Action
    reason: str
    import_id: str | None = None


Finder = Callable[[GraphClient, PendingOperation, "Owned"], Verdict]


@dataclass(frozen=True)
class Owned:
    """The provider ids the stack's state records, to keep recorded objects out of the match."""

    ids: frozenset[str]

    @classmethod
    def of(cls, resources: Iterable[StateResource]) -> Owned:
        return cls(frozenset(resource.id.lower() for resource in resources))

    def __contains__(self, resource_id: str) -> bool:
        return resource_id.lower() in self.ids


def _quoted(object_id: str) -> str:
    return quote(object_id, safe="")


def _input(operation: PendingOperation, key: str) -> str:
    value = operation.inputs.get(key)
    if not isinstance(value, str) or not value:
        raise _Unjudgeable(f"the interrupted create has no `{key}` to match objects by")
    return value


class _Unjudgeable(Exception):
    """The operation lacks what its match needs."""


def _one(
    operation: PendingOperation, what: str, found: list[tuple[str, str]], where: str
) -> Verdict:
    """The verdict from the unrecorded matches `found` ((import id, description) pairs)."""
    if not found:
        return Verdict(operation, "clear", f"no {what} {where}: the create did not land")
    if len(found) == 1:
        import_id, description = found[0]
        return Verdict(operation, "import", f"found {description}, not in state", import_id)
    listed = "; ".join(description for _, description in found)
    return Verdict(
        operation,
        "stop",
        f"{len(found)} {what}s {where} that the state does not record ({listed}): "
        "decide which one the stack owns, then import it with `pulumi import`",
    )


def _app_from_template(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    template, name = _input(op, "templateId"), _input(op, "displayName")
    query = (
        f"applicationTemplateId eq {odata_string(template)} and displayName eq {odata_string(name)}"
    )
    apps = graph.get_all(
        "/applications", {"$filter": query, "$select": "id,appId,displayName,createdDateTime"}
    )
    found = []
    for app in apps:
        principals = graph.get_all(
            "/servicePrincipals",
            {"$filter": f"appId eq {odata_string(str(app.get('appId')))}", "$select": "id"},
        )
        sp_id = str(principals[0]["id"]) if len(principals) == 1 else ""
        import_id = azuread_ids.application_from_template(template, str(app["id"]), sp_id)
        if import_id in owned or any(str(app["id"]).lower() in known for known in owned.ids):
            continue
        if not sp_id:
            raise _Unjudgeable(f"application {app['id']} has {len(principals)} service principals")
        created = app.get("createdDateTime") or "an unknown time"
        found.append((import_id, f"application {app['id']} '{name}' created {created}"))
    return _one(op, "application", found, f"of template {template} named '{name}'")


def _service_principal(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    client_id = _input(op, "clientId")
    principals = graph.get_all(
        "/servicePrincipals",
        {"$filter": f"appId eq {odata_string(client_id)}", "$select": "id,displayName"},
    )
    found = [
        (import_id, f"service principal {sp['id']} of application {client_id}")
        for sp in principals
        if (import_id := azuread_ids.service_principal(str(sp["id"]))) not in owned
    ]
    return _one(op, "service principal", found, f"of application (client) id {client_id}")


def _app_role_assignment(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    resource = azuread_ids.object_id_of(_input(op, "resourceObjectId"))
    principal, role = _input(op, "principalObjectId"), _input(op, "appRoleId")
    assignments = graph.get_all(f"/servicePrincipals/{_quoted(resource)}/appRoleAssignedTo")
    found = [
        (import_id, f"assignment {assignment['id']} of {op.shown('principalObjectId')}")
        for assignment in assignments
        if str(assignment.get("principalId", "")).lower() == principal.lower()
        and str(assignment.get("appRoleId", "")).lower() == role.lower()
        and (import_id := azuread_ids.app_role_assignment(resource, str(assignment["id"])))
        not in owned
    ]
    return _one(op, "assignment", found, f"of role {role} to {op.shown('principalObjectId')}")


def _synchronization_job(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    sp_id = azuread_ids.object_id_of(_input(op, "servicePrincipalId"))
    template = _input(op, "templateId")
    jobs = graph.get_all(synchronization_path(sp_id, "jobs"))
    found = [
        (import_id, f"job {job['id']}")
        for job in jobs
        if job.get("templateId") == template
        and (import_id := azuread_ids.synchronization_job(sp_id, str(job["id"]))) not in owned
    ]
    return _one(op, "job", found, f"of template {template} on service principal {sp_id}")


def _signing_certificate(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    sp_id = azuread_ids.object_id_of(_input(op, "servicePrincipalId"))
    name = op.inputs.get("displayName") or ""
    sp = graph.get(f"/servicePrincipals/{_quoted(sp_id)}", {"$select": "id,keyCredentials"})
    found = [
        (import_id, f"signing certificate '{key.get('displayName')}' (key {key['keyId']})")
        for key in sp.get("keyCredentials") or []
        if key.get("usage") == "Verify"
        and (not name or key.get("displayName") == name)
        and (import_id := azuread_ids.token_signing_certificate(sp_id, str(key["keyId"])))
        not in owned
    ]
    shown = f" named '{op.shown('displayName')}'" if name else ""
    return _one(op, "signing certificate", found, f"{shown} on service principal {sp_id}")


def _application(graph: GraphClient, op: PendingOperation, select: str) -> tuple[str, Any]:
    app_id = azuread_ids.object_id_of(_input(op, "applicationId"))
    return app_id, graph.get(f"/applications/{_quoted(app_id)}", {"$select": select})


def _identifier_uri(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    app_id, app = _application(graph, op, "id,identifierUris")
    uri = _input(op, "identifierUri")
    import_id = azuread_ids.identifier_uri(app_id, uri)
    present = uri in (app.get("identifierUris") or []) and import_id not in owned
    found = [(import_id, f"identifier URI {op.shown('identifierUri')}")] if present else []
    return _one(op, "identifier URI", found, f"on application {app_id}")


def _redirect_uris(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    uri_type = _input(op, "type")
    if uri_type != "Web":
        raise _Unjudgeable(f"redirect URIs of type {uri_type} are not matched (only Web)")
    app_id, app = _application(graph, op, "id,web")
    import_id = azuread_ids.redirect_uris(app_id, uri_type)
    present = bool((app.get("web") or {}).get("redirectUris")) and import_id not in owned
    found = [(import_id, "Web redirect URIs")] if present else []
    return _one(op, "set of redirect URIs", found, f"on application {app_id}")


def _application_owner(graph: GraphClient, op: PendingOperation, owned: Owned) -> Verdict:
    app_id = azuread_ids.object_id_of(_input(op, "applicationId"))
    owner = _input(op, "ownerObjectId")
    owners = graph.get_all(f"/applications/{_quoted(app_id)}/owners", {"$select": "id"})
    import_id = azuread_ids.application_owner(app_id, owner)
    present = any(str(o.get("id", "")).lower() == owner.lower() for o in owners)
    unrecorded = present and import_id not in owned
    found = [(import_id, f"owner {op.shown('ownerObjectId')}")] if unrecorded else []
    return _one(op, "owner", found, f"of application {app_id}")


SIGNING_CERTIFICATE_TYPE = (
    "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate"
)
FINDERS: dict[str, Finder] = {
    "azuread:index/applicationFromTemplate:ApplicationFromTemplate": _app_from_template,
    "azuread:index/servicePrincipal:ServicePrincipal": _service_principal,
    "azuread:index/appRoleAssignment:AppRoleAssignment": _app_role_assignment,
    "azuread:index/synchronizationJob:SynchronizationJob": _synchronization_job,
    SIGNING_CERTIFICATE_TYPE: _signing_certificate,
    "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri": _identifier_uri,
    "azuread:index/applicationRedirectUris:ApplicationRedirectUris": _redirect_uris,
    "azuread:index/applicationOwner:ApplicationOwner": _application_owner,
}
"""The azuread types whose create adds an object (or refuses when it exists)."""

REPEATABLE = {
    "azuread:index/synchronizationSecret:SynchronizationSecret": (
        "its create is a PUT of the whole secret set (upstream "
        "synchronization_secret_resource.go), so the next `up` repeats it and adds nothing"
    ),
}
"""The azuread types whose create can be repeated without making a second object."""


def verdict(graph: Callable[[], GraphClient], operation: PendingOperation, owned: Owned) -> Verdict:
    """What to do with `operation`; `graph` gives the client only when the tenant must be read
    (a ServiceError from Graph propagates: the caller reports that the tenant could not be
    read, never a guess)."""
    if not operation.is_create:
        return Verdict(
            operation,
            "clear",
            f"interrupted while {operation.kind}: `pulumi refresh` reads the object again and "
            "drops this operation",
        )
    if operation.is_dynamic:
        return Verdict(
            operation,
            "clear",
            "one of our dynamic resources: its create reads, PUTs or PATCHes and never adds an "
            "object, so the next `up` repeats it",
        )
    if operation.type.startswith("pulumi:providers:"):
        return Verdict(operation, "clear", "a provider: nothing exists outside the state")
    if operation.type in REPEATABLE:
        return Verdict(operation, "clear", REPEATABLE[operation.type])
    finder = FINDERS.get(operation.type)
    if finder is None:
        return Verdict(operation, "stop", f"no rule to find what a {operation.type} create made")
    try:
        return finder(graph(), operation, owned)
    except _Unjudgeable as error:
        return Verdict(operation, "stop", str(error))
    except ServiceError as error:
        if error.status == 404:  # the parent object is gone: nothing of this create remains
            return Verdict(operation, "clear", f"its parent object is gone ({error})")
        raise
