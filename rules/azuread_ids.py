"""The azuread provider's resource ids, which are also its import ids.

A killed deploy leaves an object in the tenant that the state does not record; to record it we
hand `pulumi import` the id the provider itself would have stored. The shapes below are those of
terraform-provider-azuread v3.9.0 (what pulumi-azuread 6.11.1 bridges), each named by the parser
that reads it back on import. No I/O.
"""

from __future__ import annotations

import base64


def application_from_template(template_id: str, application_id: str, sp_id: str) -> str:
    """`parse.FromTemplateId` (internal/services/applications/parse/from_template.go)."""
    return f"/applicationTemplates/{template_id}/instantiate/{application_id}/{sp_id}"


def service_principal(sp_id: str) -> str:
    """`stable.ServicePrincipalId`: the service principal's and the synchronization secret's."""
    return f"/servicePrincipals/{sp_id}"


def application(application_id: str) -> str:
    """`stable.ApplicationId`, also the form of `applicationId` inputs."""
    return f"/applications/{application_id}"


def object_id_of(reference: str) -> str:
    """The object id at the end of `/applications/{id}` or `/servicePrincipals/{id}` (or a bare
    id, as the v2 provider took it)."""
    return reference.rstrip("/").rsplit("/", 1)[-1]


def identifier_uri(application_id: str, uri: str) -> str:
    """`parse.IdentifierUriId`: the URI in standard base64 with padding."""
    encoded = base64.b64encode(uri.encode()).decode()
    return f"/applications/{application_id}/identifierUris/{encoded}"


def redirect_uris(application_id: str, uri_type: str) -> str:
    """`parse.RedirectUrisId`; `uri_type` is Web, SPA or PublicClient."""
    return f"/applications/{application_id}/redirectUris/{uri_type}"


def token_signing_certificate(sp_id: str, verify_key_id: str) -> str:
    """`parse.CredentialId` of kind tokenSigningCertificate, keyed by the Verify key's id (no
    leading slash)."""
    return f"{sp_id}/tokenSigningCertificate/{verify_key_id}"


def app_role_assignment(resource_sp_id: str, assignment_id: str) -> str:
    """`stable.ServicePrincipalIdAppRoleAssignedToId`."""
    return f"/servicePrincipals/{resource_sp_id}/appRoleAssignedTo/{assignment_id}"


def application_owner(application_id: str, owner_id: str) -> str:
    """`stable.ApplicationIdOwnerId`."""
    return f"/applications/{application_id}/owners/{owner_id}"


def synchronization_job(sp_id: str, job_id: str) -> str:
    """`stable.ServicePrincipalIdSynchronizationJobId`."""
    return f"/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}"
