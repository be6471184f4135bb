"""Resource ids (which are also the import ids) of the served resources, as upstream forms them.

- ApplicationFromTemplate: `/applicationTemplates/{templateId}/instantiate/{applicationObjectId}/`
  `{servicePrincipalObjectId}`, all GUIDs (`parse.FromTemplateId`);
- ServicePrincipal, SynchronizationSecret: `/servicePrincipals/{objectId}`
  (`stable.ServicePrincipalId`);
- ApplicationIdentifierUri: `/applications/{objectId}/identifierUris/{base64(identifierUri)}`
  (`parse.IdentifierUriId`, standard base64 with padding);
- ApplicationRedirectUris: `/applications/{objectId}/redirectUris/{Web|SPA|PublicClient}`
  (`parse.RedirectUrisId`);
- ServicePrincipalTokenSigningCertificate: `{servicePrincipalObjectId}/tokenSigningCertificate/`
  `{verifyKeyId}`, GUIDs, no leading slash (`parse.CredentialId`);
- AppRoleAssignment: `/servicePrincipals/{resourceObjectId}/appRoleAssignedTo/{assignmentId}`;
- ApplicationOwner: `/applications/{applicationObjectId}/owners/{ownerObjectId}`
  (`stable.ApplicationIdOwnerId`);
- SynchronizationJob: `/servicePrincipals/{objectId}/synchronization/jobs/{jobId}`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.validation import is_uuid_text, matches_template


def _segments(value: str, *template: str) -> list[str]:
    """The `{...}` segments of `value`, or a parse error naming the expected shape."""
    if not matches_template(value, template):
        raise StandinError(f'parsing "{value}": expected an ID of the form /{"/".join(template)}')
    return [got for want, got in zip(template, value.split("/")[1:], strict=True) if "{" in want]


def service_principal(value: str) -> str:
    (object_id,) = _segments(value, "servicePrincipals", "{servicePrincipalId}")
    return object_id


def application(value: str) -> str:
    (object_id,) = _segments(value, "applications", "{applicationId}")
    return object_id


@dataclass(frozen=True)
class FromTemplateId:
    template_id: str
    application_id: str
    service_principal_id: str

    @classmethod
    def parse(cls, value: str) -> FromTemplateId:
        template, app, sp = _segments(
            value,
            "applicationTemplates",
            "{templateId}",
            "instantiate",
            "{applicationId}",
            "{servicePrincipalId}",
        )
        for name, part in (("templateId", template), ("applicationId", app), ("sp", sp)):
            if not is_uuid_text(part):
                raise StandinError(f'expected "ID" to be a valid UUID, got {part} ({name})')
        return cls(template, app, sp)

    def __str__(self) -> str:
        return (
            f"/applicationTemplates/{self.template_id}/instantiate/"
            f"{self.application_id}/{self.service_principal_id}"
        )


@dataclass(frozen=True)
class IdentifierUriId:
    application_id: str
    encoded_uri: str

    @classmethod
    def parse(cls, value: str) -> IdentifierUriId:
        app, encoded = _segments(
            value, "applications", "{applicationId}", "identifierUris", "{identifierUri}"
        )
        return cls(app, encoded)

    @classmethod
    def of(cls, application_id: str, identifier_uri: str) -> IdentifierUriId:
        return cls(application_id, base64.b64encode(identifier_uri.encode()).decode())

    @property
    def identifier_uri(self) -> str:
        try:
            return base64.b64decode(self.encoded_uri, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise StandinError(
                f"failed to decode identifierUri from resource ID: {self.encoded_uri!r} is not "
                "standard base64"
            ) from None

    def __str__(self) -> str:
        return f"/applications/{self.application_id}/identifierUris/{self.encoded_uri}"


@dataclass(frozen=True)
class RedirectUrisId:
    application_id: str
    uri_type: str

    @classmethod
    def parse(cls, value: str) -> RedirectUrisId:
        app, uri_type = _segments(
            value, "applications", "{applicationId}", "redirectUris", "{uriType}"
        )
        return cls(app, uri_type)

    def __str__(self) -> str:
        return f"/applications/{self.application_id}/redirectUris/{self.uri_type}"


@dataclass(frozen=True)
class SigningCertificateId:
    service_principal_id: str
    key_id: str

    @classmethod
    def parse(cls, value: str) -> SigningCertificateId:
        parts = value.split("/")
        if len(parts) != 3:
            raise StandinError(
                "unable to parse signing certificate ID: object Resource ID should be in the "
                f"format {{objectId}}/{{type}}/{{subId}} - but got {value!r}"
            )
        object_id, kind, key_id = parts
        if not is_uuid_text(object_id):
            raise StandinError(f"object ID isn't a valid UUID ({object_id!r})")
        if kind != "tokenSigningCertificate":
            raise StandinError(
                "type in {objectID}/{type}/{subID} was expected to be tokenSigningCertificate, "
                f"got {kind}"
            )
        if not is_uuid_text(key_id):
            raise StandinError(f"object Sub Resource ID isn't a valid UUID ({key_id!r})")
        return cls(object_id, key_id)

    def __str__(self) -> str:
        return f"{self.service_principal_id}/tokenSigningCertificate/{self.key_id}"


@dataclass(frozen=True)
class AppRoleAssignedToId:
    service_principal_id: str
    assignment_id: str

    @classmethod
    def parse(cls, value: str) -> AppRoleAssignedToId:
        sp, assignment = _segments(
            value, "servicePrincipals", "{servicePrincipalId}", "appRoleAssignedTo", "{id}"
        )
        return cls(sp, assignment)

    def __str__(self) -> str:
        return (
            f"/servicePrincipals/{self.service_principal_id}/appRoleAssignedTo/{self.assignment_id}"
        )


@dataclass(frozen=True)
class SynchronizationJobId:
    service_principal_id: str
    job_id: str

    @classmethod
    def parse(cls, value: str) -> SynchronizationJobId:
        sp, job = _segments(
            value, "servicePrincipals", "{servicePrincipalId}", "synchronization", "jobs", "{id}"
        )
        return cls(sp, job)

    def __str__(self) -> str:
        return f"/servicePrincipals/{self.service_principal_id}/synchronization/jobs/{self.job_id}"


@dataclass(frozen=True)
class ApplicationOwnerId:
    """go-azure-sdk `stable.ParseApplicationIdOwnerID` (the path shape only, as its parser)."""

    application_id: str
    owner_id: str

    @classmethod
    def parse(cls, value: str) -> ApplicationOwnerId:
        app, owner = _segments(
            value, "applications", "{applicationId}", "owners", "{directoryObjectId}"
        )
        return cls(app, owner)

    def __str__(self) -> str:
        return f"/applications/{self.application_id}/owners/{self.owner_id}"
