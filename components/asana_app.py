"""`AsanaEnterpriseApp`: every step of Microsoft's Asana tutorial as declared resources.

Gallery app and service principal, SAML SSO, one app-role assignment per principal, and SCIM
provisioning: the token Asana has accepted, the job's template read from Graph, the
synchronization secret fed by that token, and the job, created only after its secret.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_azuread as azuread

from components import asana_defaults as asana
from components.settings import Principal, ProvisioningSettings, SsoSettings, StackSettings
from providers.asana_token import AsanaServiceAccountToken
from providers.attribute_mappings import ProvisioningAttributeMappings
from providers.provisioning_template import ProvisioningTemplate

COMPONENT_TYPE = "asana-provisioning:index:AsanaEnterpriseApp"
PRINCIPAL_KINDS = "principalKinds"
"""The component's input naming each assignment resource's kind ("group" or "user")."""
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def assignment_name(app_name: str, principal: Principal) -> str:
    """A resource name that stays the same whatever the order of the list in the stack file."""
    slug = re.sub(r"[^a-z0-9]+", "-", principal.reference.lower()).strip("-")[:40] or "x"
    if principal.is_object_id:
        return f"{app_name}-{principal.kind}-{slug}"
    digest = hashlib.sha256(principal.reference.encode()).hexdigest()[:8]
    return f"{app_name}-{principal.kind}-{slug}-{digest}"


def notification_settings(provisioning: ProvisioningSettings) -> str:
    """The `SyncNotificationSettings` secret value: a JSON string (graph-synchronization §1.6)."""
    return json.dumps(
        {
            "Enabled": provisioning.notify_on_failure,
            "Recipients": provisioning.notification_email or "",
            "DeleteThresholdEnabled": provisioning.prevent_accidental_deletions,
            "DeleteThresholdValue": provisioning.deletion_threshold,
        },
        separators=(",", ":"),
    )


def choose_app_role(roles: Sequence[Any], wanted: str) -> str:
    """The id of the app role named by display name, value or id, or an error listing roles."""
    if _GUID.match(wanted):
        return wanted
    for role in roles:
        if wanted.lower() in {str(role.display_name).lower(), str(role.value).lower()}:
            return str(role.id)
    names = ", ".join(sorted({str(role.display_name) for role in roles})) or "none"
    raise pulumi.RunError(
        f'asana-provisioning:assignmentAppRole is "{wanted}", which is not an app role of the '
        f"Asana application; allowed: one of its roles ({names}) or a role id"
    )


class AsanaEnterpriseApp(pulumi.ComponentResource):
    application: azuread.ApplicationFromTemplate
    service_principal: azuread.ServicePrincipal
    assignments: dict[Principal, azuread.AppRoleAssignment]
    token: AsanaServiceAccountToken | None
    template: ProvisioningTemplate | None
    secret: azuread.SynchronizationSecret | None
    job: azuread.SynchronizationJob | None
    attribute_mappings: dict[str, ProvisioningAttributeMappings]
    signing_certificate: azuread.ServicePrincipalTokenSigningCertificate | None

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # What each assignment is (group or user), declared with the component, so policies
        # can tell before Graph reports a principal type (an assignment's `principalType` is
        # known only after it is created); never a name or id, which may be secret. Policies
        # see a component's registered outputs, so it is an output too.
        self._principal_kinds = {assignment_name(name, p): p.kind for p in settings.principals}
        super().__init__(COMPONENT_TYPE, name, {PRINCIPAL_KINDS: self._principal_kinds}, opts)
        self._name = name
        self._settings = settings
        self._invoke = pulumi.InvokeOptions(parent=self)
        child = pulumi.ResourceOptions(parent=self)

        template_id = settings.gallery_template_id or (
            azuread.get_application_template_output(
                display_name=asana.GALLERY_DISPLAY_NAME, opts=self._invoke
            ).template_id
        )
        self.application = azuread.ApplicationFromTemplate(
            f"{name}-app",
            display_name=settings.app_display_name,
            template_id=template_id,
            opts=child,
        )
        self.client_id = azuread.get_application_output(
            object_id=self.application.application_object_id, opts=self._invoke
        ).client_id
        sso = settings.sso
        self.service_principal = azuread.ServicePrincipal(
            f"{name}-service-principal",
            client_id=self.client_id,
            use_existing=True,
            app_role_assignment_required=True,
            preferred_single_sign_on_mode="saml" if sso else None,
            login_url=sso.sign_on_url if sso else None,
            notification_email_addresses=list(sso.notification_emails) if sso else None,
            opts=child,
        )
        self.signing_certificate = self._declare_sso(sso) if sso else None
        self.assignments = self._declare_assignments()
        provisioning = settings.provisioning
        self.token = self.template = self.secret = self.job = None
        self.attribute_mappings = {}
        if provisioning is not None:
            self._declare_provisioning(provisioning)
        self.register_outputs(
            {
                "applicationObjectId": self.application.application_object_id,
                "servicePrincipalObjectId": self.service_principal.object_id,
                PRINCIPAL_KINDS: self._principal_kinds,
            }
        )

    def _declare_sso(self, sso: SsoSettings) -> azuread.ServicePrincipalTokenSigningCertificate:
        child = pulumi.ResourceOptions(parent=self)
        azuread.ApplicationIdentifierUri(
            f"{self._name}-saml-identifier",
            application_id=self.application.application_id,
            identifier_uri=sso.identifier,
            opts=child,
        )
        azuread.ApplicationRedirectUris(
            f"{self._name}-saml-reply-url",
            application_id=self.application.application_id,
            type="Web",
            redirect_uris=[sso.reply_url],
            opts=child,
        )
        return azuread.ServicePrincipalTokenSigningCertificate(
            f"{self._name}-saml-signing-certificate",
            service_principal_id=self.service_principal.id,
            display_name=sso.certificate_name,
            end_date=sso.certificate_end_date,
            # The azuread provider deletes a signing certificate by removing the *last* key pair
            # listed on the service principal; created before the old one is deleted, the new
            # certificate would be the one removed. So a replacement deletes the old one first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )

    def _declare_assignments(self) -> dict[Principal, azuread.AppRoleAssignment]:
        wanted = self._settings.app_role
        app_role_id = self.service_principal.app_roles.apply(
            lambda roles: choose_app_role(roles or [], wanted)
        )
        return {
            principal: azuread.AppRoleAssignment(
                assignment_name(self._name, principal),
                app_role_id=app_role_id,
                principal_object_id=self._object_id(principal),
                resource_object_id=self.service_principal.object_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for principal in self._settings.principals
        }

    def _object_id(self, principal: Principal) -> pulumi.Input[str]:
        if principal.is_object_id:
            return principal.reference
        if principal.kind == "group":
            return azuread.get_group_output(
                display_name=principal.reference, opts=self._invoke
            ).object_id
        return azuread.get_user_output(
            user_principal_name=principal.reference, opts=self._invoke
        ).object_id

    def _declare_provisioning(self, provisioning: ProvisioningSettings) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.token = AsanaServiceAccountToken(
            f"{self._name}-token",
            token=pulumi.Output.secret(provisioning.token),
            scim_base_url=provisioning.tenant_url,
            opts=child,
        )
        self.template = ProvisioningTemplate(
            f"{self._name}-provisioning-template",
            service_principal_id=self.service_principal.object_id,
            opts=child,
        )
        credentials = {
            "BaseAddress": self.token.scim_base_url,
            "SecretToken": self.token.token,
            "SyncNotificationSettings": notification_settings(provisioning),
            "SyncAll": "true" if provisioning.sync_all else "false",
        }
        self.secret = azuread.SynchronizationSecret(
            f"{self._name}-provisioning-secret",
            service_principal_id=self.service_principal.id,
            credentials=[
                azuread.SynchronizationSecretCredentialArgs(key=key, value=value)
                for key, value in credentials.items()
            ],
            opts=child,
        )
        self.job = azuread.SynchronizationJob(
            f"{self._name}-provisioning-job",
            service_principal_id=self.service_principal.id,
            template_id=self.template.template_id,
            enabled=provisioning.running,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.secret]),
        )
        for kind, spec in (
            ("user", provisioning.user_mappings),
            ("group", provisioning.group_mappings),
        ):
            if spec is not None:
                self.attribute_mappings[kind] = ProvisioningAttributeMappings(
                    f"{self._name}-{kind}-attribute-mappings",
                    service_principal_id=self.service_principal.object_id,
                    job_id=self.job.id,
                    kind=kind,
                    spec=spec,
                    restart_on_change=provisioning.restart_on_mapping_change,
                    opts=child,
                )

    def provisioning_page(self) -> pulumi.Output[str]:
        """The app's Provisioning page in the Entra admin center."""
        return pulumi.Output.concat(
            self._settings.portal,
            "/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/ProvisioningManagement/appId/",
            self.client_id,
            "/objectId/",
            self.service_principal.object_id,
        )

    def sso_metadata(self) -> dict[str, pulumi.Output[str]] | None:
        """What Asana's Admin Console asks for: Entra's sign-in URL and the certificate."""
        if self.signing_certificate is None:
            return None
        tenant = azuread.get_client_config_output(opts=self._invoke).tenant_id
        authority = self._settings.authority_host
        return {
            "signInUrl": pulumi.Output.concat(authority, "/", tenant, "/saml2"),
            "metadataUrl": pulumi.Output.concat(
                authority,
                "/",
                tenant,
                "/federationmetadata/2007-06/federationmetadata.xml?appid=",
                self.client_id,
            ),
            "certificateThumbprint": self.signing_certificate.thumbprint,
        }
