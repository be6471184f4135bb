"""The resources the stand-in serves: exactly those our program declares (by type token)."""

from __future__ import annotations

from tests.azuread_standin.resources.app_role_assignment import AppRoleAssignment
from tests.azuread_standin.resources.application_from_template import ApplicationFromTemplate
from tests.azuread_standin.resources.application_identifier_uri import ApplicationIdentifierUri
from tests.azuread_standin.resources.application_owner import ApplicationOwner
from tests.azuread_standin.resources.application_redirect_uris import ApplicationRedirectUris
from tests.azuread_standin.resources.base import Resource
from tests.azuread_standin.resources.service_principal import ServicePrincipal
from tests.azuread_standin.resources.synchronization_job import SynchronizationJob
from tests.azuread_standin.resources.synchronization_secret import SynchronizationSecret
from tests.azuread_standin.resources.token_signing_certificate import (
    ServicePrincipalTokenSigningCertificate,
)

RESOURCES: dict[str, Resource] = {
    resource.schema.token: resource
    for resource in (
        ApplicationFromTemplate(),
        ServicePrincipal(),
        ApplicationIdentifierUri(),
        ApplicationRedirectUris(),
        ApplicationOwner(),
        ServicePrincipalTokenSigningCertificate(),
        AppRoleAssignment(),
        SynchronizationSecret(),
        SynchronizationJob(),
    )
}
