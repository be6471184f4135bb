"""From a hand-configured Asana app, as Graph reports it, to our stack settings and import ids.

Pure: `read_live_app` in `tools/adopt.py` does the reading. The settings reproduce what is live
(so the first `pulumi up` changes nothing), and the import file names each azuread resource the
way `AsanaEnterpriseApp` names it, with the import id format of the pinned pulumi-azuread.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from clients.connection import PROJECT
from components.asana_app import COMPONENT_TYPE, assignment_name, certificate_name
from components.settings import Principal, SigningCertificate
from providers.provisioning_template import TemplateLookupError, choose_template
from rules import mapping_spec, schema_edit
from rules.asana import (
    DEFAULT_APP_ROLE,
    DEFAULT_DELETION_THRESHOLD,
    SCIM_TENANT_URL,
    SSO_CERTIFICATE_NAME,
    SSO_IDENTIFIER,
    SSO_REPLY_URL,
)
from rules.saml import same_thumbprint, thumbprint_of_key_identifier

APP_NAME = "asana"  # the component's name in __main__.py
P = f"{PROJECT}:"


class AdoptionError(Exception):
    """The live setup cannot be adopted as it is; the message says why and what to do."""


@dataclass(frozen=True)
class LiveApp:
    service_principal: dict[str, Any]
    application: dict[str, Any]
    assignments: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    templates: list[dict[str, Any]]
    secrets: dict[str, str]
    job_schema: dict[str, Any] | None


@dataclass
class Adoption:
    config: dict[str, Any]
    import_file: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def choose_service_principal(candidates: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise AdoptionError(
            f"no enterprise application named or with object id {wanted!r}; check the name in "
            "Entra admin center > Enterprise applications, or pass --object-id"
        )
    listed = "\n".join(
        f"  - {c.get('displayName')} (object id {c.get('id')}, app id {c.get('appId')})"
        for c in candidates
    )
    raise AdoptionError(
        f"{len(candidates)} enterprise applications are named {wanted!r}; choose one with "
        f"--object-id:\n{listed}"
    )


def adopt(live: LiveApp, stack: str) -> Adoption:
    sp, app = live.service_principal, live.application
    config: dict[str, Any] = {f"{P}appDisplayName": sp.get("displayName")}
    if app.get("applicationTemplateId"):
        config[f"{P}galleryTemplateId"] = app["applicationTemplateId"]
    adoption = Adoption(config=config, import_file={})
    _sso(live, adoption)
    _assignments(live, adoption)
    _provisioning(live, adoption)
    adoption.import_file = _import_file(live, stack, adoption.config)
    return adoption


def _sso(live: LiveApp, adoption: Adoption) -> None:
    sp, app = live.service_principal, live.application
    if sp.get("preferredSingleSignOnMode") != "saml":
        adoption.notes.append("single sign-on: not SAML, left off")
        return
    identifiers = app.get("identifierUris") or []
    replies = (app.get("web") or {}).get("redirectUris") or []
    if len(identifiers) > 1 or len(replies) > 1:
        raise AdoptionError(
            f"the application has {len(identifiers)} identifier URIs and {len(replies)} reply "
            "URLs; this project manages one of each. Remove the extra ones in the portal first."
        )
    config = adoption.config
    config[f"{P}ssoEnabled"] = True
    config[f"{P}ssoSignOnUrl"] = sp.get("loginUrl") or ""
    if identifiers and identifiers[0] != SSO_IDENTIFIER:
        config[f"{P}ssoIdentifier"] = identifiers[0]
    if replies and replies[0] != SSO_REPLY_URL:
        config[f"{P}ssoReplyUrl"] = replies[0]
    if sp.get("notificationEmailAddresses"):
        config[f"{P}ssoNotificationEmails"] = list(sp["notificationEmailAddresses"])
    certificate = _signing_certificate(sp)
    name = (certificate or {}).get("displayName")
    if name and name != SSO_CERTIFICATE_NAME:  # a new name would mean a new certificate
        config[f"{P}ssoCertificateName"] = name
    adoption.notes.append(f"single sign-on: SAML, sign-on URL {config[f'{P}ssoSignOnUrl']}")


def _assignments(live: LiveApp, adoption: Adoption) -> None:
    groups = [a["principalId"] for a in live.assignments if a.get("principalType") == "Group"]
    users = [a["principalId"] for a in live.assignments if a.get("principalType") == "User"]
    others = [a for a in live.assignments if a.get("principalType") not in {"Group", "User"}]
    if others:
        raise AdoptionError(
            f"{len(others)} assignments are to service principals; this project assigns groups "
            "and users only"
        )
    if groups:
        adoption.config[f"{P}assignmentGroups"] = groups
    if users:
        adoption.config[f"{P}assignmentUsers"] = users
    roles = Counter(a.get("appRoleId") for a in live.assignments)
    if len(roles) > 1:
        raise AdoptionError(
            "the assignments use several app roles ("
            + ", ".join(f"{_role_name(live, r)}: {n}" for r, n in roles.most_common())
            + "); this project gives every assignment one role. Align them in the portal first."
        )
    if roles:
        (role_id,) = roles
        name = _role_name(live, role_id)
        if name != DEFAULT_APP_ROLE:
            adoption.config[f"{P}assignmentAppRole"] = name
    adoption.notes.append(f"assignments: {len(groups)} group(s), {len(users)} user(s)")


def _role_name(live: LiveApp, role_id: Any) -> str:
    for role in live.service_principal.get("appRoles") or []:
        if role.get("id") == role_id:
            return str(role.get("displayName") or role.get("value") or role_id)
    return str(role_id)


def _provisioning(live: LiveApp, adoption: Adoption) -> None:
    config = adoption.config
    if not live.jobs:
        config[f"{P}provisioningEnabled"] = False
        adoption.notes.append(
            "provisioning: no provisioning job, so the stack declares SSO and assignments only"
        )
        return
    if len(live.jobs) > 1:
        raise AdoptionError(
            f"the app has {len(live.jobs)} provisioning jobs; this project runs one"
        )
    (job,) = live.jobs
    try:
        template = choose_template(live.service_principal["id"], live.templates, None)
    except TemplateLookupError as error:
        raise AdoptionError(str(error)) from None
    if job.get("templateId") != template.get("id"):
        raise AdoptionError(
            f"the provisioning job uses template {job.get('templateId')!r}, not the Asana app's "
            f"own template {template.get('id')!r}; adopting it would recreate the job. Recreate "
            "provisioning from the Asana template in the portal, or let `pulumi up` do it."
        )
    state = (job.get("schedule") or {}).get("state")
    if state != "Active":
        config[f"{P}provisioningStatus"] = "off"
    _secrets(live, adoption)
    _mappings(live, template, adoption)
    adoption.notes.append(
        f"provisioning: job {job.get('id')} ({state}), template {template.get('id')}"
    )


def _secrets(live: LiveApp, adoption: Adoption) -> None:
    config, secrets = adoption.config, live.secrets
    base = secrets.get("BaseAddress") or SCIM_TENANT_URL
    if base.rstrip("/") != SCIM_TENANT_URL:
        config[f"{P}scimTenantUrl"] = base
    try:
        notifications = json.loads(secrets.get("SyncNotificationSettings") or "{}")
    except ValueError:
        notifications = {}
    if notifications.get("Recipients"):
        config[f"{P}notificationEmail"] = notifications["Recipients"]
    if notifications.get("Enabled"):
        config[f"{P}notifyOnFailure"] = True
    if notifications.get("DeleteThresholdEnabled") is False:
        config[f"{P}preventAccidentalDeletions"] = False
    threshold = notifications.get("DeleteThresholdValue")
    if isinstance(threshold, int) and threshold != DEFAULT_DELETION_THRESHOLD:
        config[f"{P}deletionThreshold"] = threshold
    if str(secrets.get("SyncAll", "false")).lower() == "true":
        config[f"{P}provisioningScope"] = "all"


def _mappings(live: LiveApp, template: dict[str, Any], adoption: Adoption) -> None:
    if live.job_schema is None:
        return
    for kind, key in (("user", "userMappings"), ("group", "groupMappings")):
        spec = mapping_difference(live.job_schema, template.get("schema") or {}, kind)
        if spec is None:
            continue
        _, problems = mapping_spec.normalize(spec, kind)
        if problems:
            listed = "; ".join(f"{path} {message}" for path, message in problems)
            raise AdoptionError(f"the live {kind} mappings cannot be expressed here: {listed}")
        adoption.config[f"{P}{key}"] = spec
        adoption.notes.append(f"{kind} mappings: {len(spec.get('mappings', []))} set in the stack")


def mapping_difference(live: dict[str, Any], template: dict[str, Any], kind: str) -> dict | None:
    """The smallest spec that makes the template's object mapping equal the live one."""
    name = mapping_spec.DEFAULT_OBJECTS[kind]  # type: ignore[index]
    everything = {"sourceObject": name, "targetObject": name, "mode": "exact", "mappings": []}
    everything["scopingFilter"] = []
    try:
        now = schema_edit.live_spec(live, everything)
    except schema_edit.SchemaEditError:
        return None
    try:
        before = schema_edit.live_spec(template, everything)
    except schema_edit.SchemaEditError:
        before = {"enabled": True, "actions": list(mapping_spec.ACTIONS), "mappings": []}
    spec: dict[str, Any] = {}
    if now["enabled"] is not True:
        spec["enabled"] = False
    if now["actions"] != list(mapping_spec.ACTIONS):
        spec["actions"] = now["actions"]
    before_by_target = {m["target"]: m for m in before["mappings"]}
    now_targets = {m["target"] for m in now["mappings"]}
    if set(before_by_target) - now_targets:
        spec["mode"] = "exact"
        spec["mappings"] = [_compact(m) for m in now["mappings"]]
    else:
        changed = [m for m in now["mappings"] if before_by_target.get(m["target"]) != m]
        if changed:
            spec["mappings"] = [_compact(m) for m in changed]
    if now.get("scopingFilter") != before.get("scopingFilter", []):
        spec["scopingFilter"] = now.get("scopingFilter") or []
    return spec or None


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    """A canonical mapping without the fields that hold their defaults."""
    return {
        key: value
        for key, value in mapping.items()
        if not (key == "flowType" and value == "Always")
        and not (key == "matchingPriority" and value == 0)
    }


def _import_file(live: LiveApp, stack: str, config: dict[str, Any]) -> dict[str, Any]:
    """`pulumi import --file` entries under the component (a targeted up records it first)."""
    sp_id, app = live.service_principal["id"], live.application
    component = f"urn:pulumi:{stack}::{PROJECT}::{COMPONENT_TYPE}::{APP_NAME}"
    resources = [
        _entry(
            "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
            "app",
            f"/applicationTemplates/{app.get('applicationTemplateId')}/instantiate/"
            f"{app['id']}/{sp_id}",
        ),
        _entry(
            "azuread:index/servicePrincipal:ServicePrincipal",
            "service-principal",
            f"/servicePrincipals/{sp_id}",
        ),
    ]
    if config.get(f"{P}ssoEnabled"):
        identifier = (app.get("identifierUris") or [SSO_IDENTIFIER])[0]
        encoded = base64.b64encode(identifier.encode()).decode()
        resources += [
            _entry(
                "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri",
                "saml-identifier",
                f"/applications/{app['id']}/identifierUris/{encoded}",
            ),
            _entry(
                "azuread:index/applicationRedirectUris:ApplicationRedirectUris",
                "saml-reply-url",
                f"/applications/{app['id']}/redirectUris/Web",
            ),
        ]
        certificate = _signing_certificate(live.service_principal)
        if certificate is not None:
            key = certificate["keyId"]
            subject = certificate.get("displayName") or SSO_CERTIFICATE_NAME
            name = certificate_name(APP_NAME, SigningCertificate(subject, None), secret=False)
            resources.append(
                {
                    "type": "azuread:index/servicePrincipalTokenSigningCertificate:"
                    "ServicePrincipalTokenSigningCertificate",
                    "name": name,
                    "id": f"{sp_id}/tokenSigningCertificate/{key}",
                    "parent": APP_NAME,
                }
            )
    for assignment in live.assignments:
        kind = "group" if assignment["principalType"] == "Group" else "user"
        name = assignment_name(APP_NAME, Principal(kind, assignment["principalId"]))
        resources.append(
            {
                "type": "azuread:index/appRoleAssignment:AppRoleAssignment",
                "name": name,
                "id": f"/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment['id']}",
                "parent": APP_NAME,
            }
        )
    if live.jobs:
        resources.append(
            _entry(
                "azuread:index/synchronizationJob:SynchronizationJob",
                "provisioning-job",
                f"/servicePrincipals/{sp_id}/synchronization/jobs/{live.jobs[0]['id']}",
            )
        )
    return {"nameTable": {APP_NAME: component}, "resources": resources}


def _entry(resource_type: str, suffix: str, import_id: str) -> dict[str, str]:
    return {
        "type": resource_type,
        "name": f"{APP_NAME}-{suffix}",
        "id": import_id,
        "parent": APP_NAME,
    }


def _signing_certificate(service_principal: dict[str, Any]) -> dict[str, Any] | None:
    """The active SAML signing certificate's verify key (the one of the preferred thumbprint)."""
    preferred = service_principal.get("preferredTokenSigningKeyThumbprint")
    keys = [k for k in service_principal.get("keyCredentials") or [] if k.get("usage") == "Verify"]
    for key in keys:
        if same_thumbprint(thumbprint_of_key_identifier(key.get("customKeyIdentifier")), preferred):
            return key
    return keys[0] if keys else None
