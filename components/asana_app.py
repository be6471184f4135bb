"""`AsanaEnterpriseApp`: every step of Microsoft's Asana tutorial as declared resources.

Gallery app and service principal, SAML SSO, one app-role assignment per principal, and SCIM
provisioning: the token Asana has accepted, the job's template read from Graph, the
synchronization secret fed by that token, and the job, created only after its secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pulumi
import pulumi_azuread as azuread

from components.dynamic_provider import dynamic_provider
from components.settings import (
    Principal,
    ProvisioningSettings,
    SigningCertificate,
    SsoSettings,
    StackSettings,
)
from providers.asana_token import AsanaServiceAccountToken
from providers.attribute_mappings import ProvisioningAttributeMappings
from providers.instantiated_app import InstantiatedAppDuplicates
from providers.provisioning_template import ProvisioningTemplate
from providers.saml_signing import SamlSigningCertificates
from providers.unmanaged_owners import UnmanagedOwners
from rules import asana, redaction
from rules.identifiers import is_guid

COMPONENT_TYPE = "asana-provisioning:index:AsanaEnterpriseApp"
USER_ASSIGNMENTS = "userAssignments"
"""The component's output listing the assignment resources that assign a user directly."""
T = TypeVar("T")
# The settings each SynchronizationSecret credential is made from.
_CREDENTIAL_SOURCES = {
    "BaseAddress": ("scimTenantUrl",),
    "SyncNotificationSettings": (
        "notificationEmail",
        "notifyOnFailure",
        "preventAccidentalDeletions",
        "deletionThreshold",
    ),
    "SyncAll": ("provisioningScope",),
}


def named(prefix: str, reference: str, secret: bool = False) -> str:
    """A resource name for one entry of a list setting, the same whatever the list's order.

    An entry of a setting set with `--secret` is named by a digest only (as the token's
    fingerprint is): a resource name is in every URN, log line and line of CLI output.
    """
    if secret:
        return f"{prefix}-secret-{redaction.digest(reference)}"
    slug = re.sub(r"[^a-z0-9]+", "-", reference.lower()).strip("-")[:40] or "x"
    if is_guid(reference):
        return f"{prefix}-{slug}"
    digest = hashlib.sha256(reference.encode()).hexdigest()[:8]
    return f"{prefix}-{slug}-{digest}"


def assignment_name(app_name: str, principal: Principal) -> str:
    """The resource name of one app-role assignment (`named`)."""
    return named(f"{app_name}-{principal.kind}", principal.reference, principal.secret)


def certificate_name(app_name: str, certificate: SigningCertificate, secret: bool) -> str:
    """The resource name of one signing certificate, from its subject, so a rotation can add
    the next and remove the old without renaming (and so re-creating) the one that stays."""
    return named(f"{app_name}-saml-signing-certificate", certificate.name, secret)


def notification_settings(provisioning: ProvisioningSettings) -> str:
    """The `SyncNotificationSettings` secret value: a JSON string (api-facts
    graph-synchronization §1.6)."""
    return json.dumps(
        {
            "Enabled": provisioning.notify_on_failure,
            "Recipients": provisioning.notification_email or "",
            "DeleteThresholdEnabled": provisioning.prevent_accidental_deletions,
            "DeleteThresholdValue": provisioning.deletion_threshold,
        },
        separators=(",", ":"),
    )


def choose_app_role(roles: Sequence[Any], wanted: str, secret: bool = False) -> str:
    """The id of the app role named by display name, value or id, or an error listing roles
    (which quotes `wanted` unless it was set as a secret)."""
    if is_guid(wanted):
        return wanted
    for role in roles:
        if wanted.lower() in {str(role.display_name).lower(), str(role.value).lower()}:
            return str(role.id)
    names = ", ".join(sorted({str(role.display_name) for role in roles})) or "none"
    given = "set (value hidden)" if secret else f'is "{wanted}"'
    raise pulumi.RunError(
        f"asana-provisioning:assignmentAppRole {given}, which is not an app role of the "
        f"Asana application; allowed: one of its roles ({names}) or a role id"
    )


def without_dependencies(value: pulumi.Output[T]) -> pulumi.Output[T]:
    """`value` (its value, known or not, and its secrecy) without the resources it came from.

    Why: the SDK records, for each input that is an output, the resources it came from in the
    resource's `propertyDependencies`, and the engine writes the whole state again at every
    checkpoint of a deployment (docs/testing.md, "Scale on the real engine"). An assignment's
    `appRoleId` and `resourceObjectId` both come from the service principal, so each
    assignment named its URN three times; with this and `depends_on` it names it once, in
    `dependencies`, which is what the engine orders creation and deletion by (its dependency
    graph reads `dependencies` as well as `propertyDependencies`). What is given up: the
    engine reads `propertyDependencies` to find the dependents to replace when a resource is
    replaced delete-before-replace, and nothing here replaces the service principal so
    (a new one is created first, and the assignments' `resourceObjectId` then changes, which
    replaces them by their own diff).

    `future`, `is_known` and `is_secret` are the SDK's own accessors of an output's parts
    (pulumi/output.py, pinned in requirements.txt).
    """
    return pulumi.Output(
        set(), value.future(with_unknowns=True), value.is_known(), value.is_secret()
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
    signing_certificates: dict[str, azuread.ServicePrincipalTokenSigningCertificate]
    """By subject; empty without SSO."""
    signing: SamlSigningCertificates | None
    """Which certificate Entra signs with; None without SSO."""
    application_owners: list[azuread.ApplicationOwner]

    @classmethod
    async def declare(
        cls,
        name: str,
        settings: StackSettings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        existing: Mapping[Principal, str],
    ) -> AsanaEnterpriseApp:
        """The component with every resource it declares: what the program calls.

        The constructor declares all but the assignments. They come last, one per principal
        (thousands in a large organisation), each after the event loop has had a turn
        (`asyncio.sleep(0)`). Why: the SDK sends a registration to the engine from a task,
        which runs only when the loop is free, and every assignment waits on the service
        principal, which waits on the application and the gallery template lookup. Declared
        in one block, as they were, the assignments kept the loop busy for over a second at
        1,000, so that chain reached the engine only after all of them, and then it held them
        all. One at a time, it runs while the rest are declared: a preview of 1,000
        assignments went from 6.3-6.8 s to 5.2-5.4 s, bare's 5.2-5.3 s (docs/testing.md,
        "Scale on the real engine"; `tests/test_work_per_assignment.py` holds the turns).

        The assignments are declared from a task of their own (`_declare_assignments` says
        why); the resources `__init__` declares have `declare`'s frame in their recorded stack
        trace besides (about 60 bytes each, once per resource, not per assignment)."""
        app = cls(name, settings, opts, existing=existing)
        await asyncio.create_task(app._declare_assignments())
        app.register_outputs(
            {
                "applicationObjectId": app.application.application_object_id,
                "servicePrincipalObjectId": app.service_principal.object_id,
                USER_ASSIGNMENTS: app._user_assignments,
            }
        )
        return app

    async def _declare_assignments(self) -> None:
        """Each principal's assignment, one per turn of the event loop, in a task of its own.

        Why a task: the SDK records in each resource's state every frame under its constructor
        down to the language host (`stackTrace`, pulumi/runtime/resource.py
        `_get_stack_trace`), and the engine writes the whole state again at every checkpoint
        of a deployment. Awaited in place, each assignment recorded, under `declare`'s frame,
        the program's entry point in `__main__.py` and the three frames of the SDK's
        `run_in_stack` that awaits it: 332 of its 2,551 bytes. A task starts from the event
        loop, so an assignment records this frame and the loop's only: 2,219 bytes, where
        bare's (one declared at a module's top level) is 2,342. An `up` of 1,000 assignments,
        the state written at every step, went from 1.090x, 1.136x and 1.152x of bare's time to
        0.996x, 0.979x and 0.952x (docs/testing.md, "Scale on the real engine"). Its source
        position (the first frame) still names the line below; the component's own record
        keeps the whole path from `__main__.py`. `tests/test_work_per_assignment.py` counts
        the frames."""
        for principal, assignment, args, options in self._assignment_args():  # see there
            await asyncio.sleep(0)
            self.assignments[principal] = azuread.AppRoleAssignment(assignment, args, options)

    def __init__(
        self,
        name: str,
        settings: StackSettings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        existing: Mapping[Principal, str],
    ) -> None:
        """Every resource but the assignments, which `declare` adds and then registers the
        component's outputs: use `declare`.

        `existing`: every principal given by object id, found in the directory
        (`components.principal_lookup.existing_principals`, called before anything is
        declared, so a wrong id fails with nothing registered)."""
        unchecked = [p for p in settings.principals if p.is_object_id and p not in existing]
        if unchecked:
            raise ValueError(
                f"{len(unchecked)} principal(s) given by object id were not looked up: await "
                "existing_principals(settings.principals) and pass it as `existing`"
            )
        self._existing = existing
        # Which assignments assign a user directly, an output of the component, so policies
        # can tell before Graph reports a principal type (an assignment's `principalType` is
        # known only after it is created). It holds assignment resource names, never a
        # principal's name or id, which may be secret. Stack policies read a component's
        # registered outputs (the engine's AnalyzeStack), so it is not an input too. Groups are
        # left out: the engine writes a component's outputs into every checkpoint from the step
        # that registers them, and an entry per group cost 58 bytes in each (docs/testing.md,
        # "Scale on the real engine").
        self._user_assignments = [
            assignment_name(name, p) for p in settings.principals if p.kind == "user"
        ]
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._name = name
        self._settings = settings
        self._invoke = pulumi.InvokeOptions(parent=self)
        child = pulumi.ResourceOptions(parent=self)
        # Our dynamic resources' options: the provider given only the settings they read.
        self._dynamic = pulumi.ResourceOptions(parent=self, provider=dynamic_provider(name, self))

        template_id = settings.gallery_template_id or (
            azuread.get_application_template_output(
                display_name=asana.GALLERY_DISPLAY_NAME, opts=self._invoke
            ).template_id
        )
        template = self._input("galleryTemplateId", template_id)
        display_name = self._input("appDisplayName", settings.app_display_name)
        self.application = azuread.ApplicationFromTemplate(
            f"{name}-app", display_name=display_name, template_id=template, opts=child
        )
        InstantiatedAppDuplicates(
            f"{name}-app-duplicates",
            application_object_id=self.application.application_object_id,
            template_id=template,
            display_name=display_name,
            opts=self._dynamic,
        )
        self.client_id = azuread.get_application_output(
            object_id=self.application.application_object_id, opts=self._invoke
        ).client_id
        sso = settings.sso
        owners = None if settings.owners is None else [self._owner_id(o) for o in settings.owners]
        # The engine keeps an output secret only when its whole input was: a list of secret ids
        # would come back as plain `owners`.
        declared_owners = self._input("appOwners", owners)
        self.service_principal = azuread.ServicePrincipal(
            f"{name}-service-principal",
            client_id=self.client_id,
            use_existing=True,
            app_role_assignment_required=True,
            preferred_single_sign_on_mode="saml" if sso else None,
            login_url=self._input("ssoSignOnUrl", sso.sign_on_url) if sso else None,
            notification_email_addresses=(
                self._input("ssoNotificationEmails", list(sso.notification_emails)) if sso else None
            ),
            # Written once, when the provider takes over the principal `instantiate` made (its
            # takeover PATCHes `tags: []` otherwise and the app leaves Enterprise applications);
            # after that the portal owns them ("Visible to users?" is the HideApp tag): a change
            # there is left alone.
            tags=list(asana.ENTERPRISE_APP_TAGS),
            owners=declared_owners,
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["tags", *(["owners"] if owners is None else [])],
                additional_secret_outputs=self._secret_names(
                    "displayName", "oauth2PermissionScopes"
                ),
            ),
        )
        self.application_owners = self._declare_application_owners(owners)
        if owners is None:  # left to the portal, and watched: a change there is drift
            UnmanagedOwners(
                f"{name}-owners",
                application_object_id=self.application.application_object_id,
                service_principal_id=self.service_principal.object_id,
                opts=self._dynamic,
            )
        self.signing_certificates, self.signing = self._declare_sso(sso) if sso else ({}, None)
        self.assignments = {}  # declared by `declare`, last
        provisioning = settings.provisioning
        self.token = self.template = self.secret = self.job = None
        self.attribute_mappings = {}
        if provisioning is not None:
            self._declare_provisioning(provisioning)

    def _secret_names(self, *outputs: str) -> list[str]:
        """Outputs that repeat the app's display name: secret when `appDisplayName` is (the
        bridge keeps an output secret only when the input of the same name was)."""
        return list(outputs) if self._is_secret("appDisplayName") else []

    def _owner_id(self, reference: str) -> pulumi.Input[str]:
        """An owner's object id: given, or looked up by user principal name."""
        if is_guid(reference):
            return self._input("appOwners", reference)
        upn = self._input("appOwners", reference)
        found = azuread.get_user_output(user_principal_name=upn, opts=self._invoke).object_id
        return self._input("appOwners", found)

    def _declare_application_owners(
        self, owners: list[pulumi.Input[str]] | None
    ) -> list[azuread.ApplicationOwner]:
        """The application's owners, one resource each (the service principal takes its own as
        a property). With `appOwners` unset, none: the portal's owners are left alone."""
        secret = self._is_secret("appOwners")
        return [
            azuread.ApplicationOwner(
                named(f"{self._name}-app-owner", reference, secret),
                application_id=self.application.application_id,
                owner_object_id=owner,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for reference, owner in zip(self._settings.owners or (), owners or (), strict=True)
        ]

    def _declare_sso(
        self, sso: SsoSettings
    ) -> tuple[dict[str, azuread.ServicePrincipalTokenSigningCertificate], SamlSigningCertificates]:
        child = pulumi.ResourceOptions(parent=self)
        azuread.ApplicationIdentifierUri(
            f"{self._name}-saml-identifier",
            application_id=self.application.application_id,
            identifier_uri=self._input("ssoIdentifier", sso.identifier),
            opts=child,
        )
        azuread.ApplicationRedirectUris(
            f"{self._name}-saml-reply-url",
            application_id=self.application.application_id,
            type="Web",
            redirect_uris=self._input("ssoReplyUrl", [sso.reply_url]),
            opts=child,
        )
        certificates = {
            certificate.name: self._signing_certificate(certificate, sso)
            for certificate in sso.certificates
        }
        active = certificates[sso.active_certificate]
        signing = SamlSigningCertificates(
            f"{self._name}-saml-signing",
            service_principal_id=self.service_principal.object_id,
            certificates=[
                {"key_id": c.key_id, "thumbprint": c.thumbprint} for c in certificates.values()
            ],
            active_thumbprint=active.thumbprint,
            opts=self._dynamic,
        )
        return certificates, signing

    def _signing_certificate(
        self, certificate: SigningCertificate, sso: SsoSettings
    ) -> azuread.ServicePrincipalTokenSigningCertificate:
        return azuread.ServicePrincipalTokenSigningCertificate(
            certificate_name(
                self._name, certificate, self._is_secret("ssoCertificates", "ssoCertificateName")
            ),
            service_principal_id=self.service_principal.id,
            display_name=self._input("ssoCertificates", certificate.name, "ssoCertificateName"),
            end_date=self._input("ssoCertificates", certificate.end_date, "ssoCertificateEndDate"),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The azuread provider deletes a signing certificate by removing the key pair of
                # the *last* keyCredential that is not its own, which with two certificates is
                # the other one's: `SamlSigningCertificates` removes a retired certificate's own
                # key pair instead, and the provider's delete never runs.
                retain_on_delete=True,
                # The one certificate of a stack deployed before rotations existed had this name.
                aliases=(
                    [pulumi.Alias(name=f"{self._name}-saml-signing-certificate")]
                    if certificate.name == sso.active_certificate
                    else []
                ),
            ),
        )

    def _assignment_args(
        self,
    ) -> list[tuple[Principal, str, azuread.AppRoleAssignmentArgs, pulumi.ResourceOptions]]:
        """Each principal's assignment: name, arguments and options, which `_declare_assignments`
        declares.

        `_declare_assignments` makes the resources itself, in a plain loop: the SDK records
        every frame under a resource's constructor in its state (`stackTrace`), which the
        engine writes again at every checkpoint, so a helper's frame (or a comprehension's)
        would be one more in each assignment's record."""
        wanted = self._settings.app_role
        secret_role = self._is_secret("assignmentAppRole")
        app_role_id = self._input(
            "assignmentAppRole",
            self.service_principal.app_roles.apply(
                lambda roles: choose_app_role(roles or [], wanted, secret_role)
            ),
        )
        # The service principal once, in `dependencies` (see `without_dependencies`).
        app_role_id = without_dependencies(pulumi.Output.from_input(app_role_id))
        resource_object_id = without_dependencies(self.service_principal.object_id)
        return [
            (
                principal,
                assignment_name(self._name, principal),
                azuread.AppRoleAssignmentArgs(
                    app_role_id=app_role_id,
                    principal_object_id=self._object_id(principal),
                    resource_object_id=resource_object_id,
                ),
                pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[self.service_principal],
                    # Graph's names of the two ends repeat what a secret setting hid.
                    additional_secret_outputs=[
                        *(["principalDisplayName"] if principal.secret else []),
                        *self._secret_names("resourceDisplayName"),
                    ],
                ),
            )
            for principal in self._settings.principals
        ]

    def _object_id(self, principal: Principal) -> pulumi.Input[str]:
        """The principal's object id, looked up in the directory; a secret (and looked up with
        a secret) when the principal was listed in a secret setting.

        One given by object id was looked up before the component was declared
        (`components.principal_lookup`), so an id that names nothing has already failed."""
        reference: pulumi.Input[str] = (
            pulumi.Output.secret(principal.reference) if principal.secret else principal.reference
        )
        found: pulumi.Input[str]
        if principal.is_object_id:
            found = self._existing[principal]
        elif principal.kind == "group":
            found = azuread.get_group_output(display_name=reference, opts=self._invoke).object_id
        else:
            found = azuread.get_user_output(
                user_principal_name=reference, opts=self._invoke
            ).object_id
        return pulumi.Output.secret(found) if principal.secret else found

    def _is_secret(self, *settings: str) -> bool:
        """Whether any of these settings was set with `--secret`."""
        return not self._settings.secret_settings.isdisjoint(settings)

    def _input(self, setting: str, value: T | pulumi.Output[T], *more: str) -> pulumi.Input[T]:
        """A value made from a setting (and `more` settings) as a resource input: a secret when
        the stack set any of them with `--secret`, so Pulumi encrypts it in state and shows it
        as [secret]."""
        if value is None or not self._is_secret(setting, *more):
            return value
        return pulumi.Output.secret(value)

    def _credential(self, key: str, value: pulumi.Input[str]) -> pulumi.Input[str]:
        """A synchronization secret credential, secret when a setting it is made from is."""
        secret = self._is_secret(*_CREDENTIAL_SOURCES.get(key, ()))
        return pulumi.Output.secret(value) if secret else value

    def _declare_provisioning(self, provisioning: ProvisioningSettings) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.token = AsanaServiceAccountToken(
            f"{self._name}-token",
            token=pulumi.Output.secret(provisioning.token),
            scim_base_url=self._input("scimTenantUrl", provisioning.tenant_url),
            opts=self._dynamic,
        )
        self.template = ProvisioningTemplate(
            f"{self._name}-provisioning-template",
            service_principal_id=self.service_principal.object_id,
            opts=self._dynamic,
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
                azuread.SynchronizationSecretCredentialArgs(
                    key=key, value=self._credential(key, value)
                )
                for key, value in credentials.items()
            ],
            opts=child,
        )
        self.job = azuread.SynchronizationJob(
            f"{self._name}-provisioning-job",
            service_principal_id=self.service_principal.id,
            template_id=self.template.template_id,
            enabled=self._input("provisioningStatus", provisioning.running),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.secret]),
        )
        for kind, setting, spec in (
            ("user", "userMappings", provisioning.user_mappings),
            ("group", "groupMappings", provisioning.group_mappings),
        ):
            if spec is not None:
                self.attribute_mappings[kind] = ProvisioningAttributeMappings(
                    f"{self._name}-{kind}-attribute-mappings",
                    service_principal_id=self.service_principal.object_id,
                    job_id=self.job.id,
                    kind=kind,
                    spec={key: self._input(setting, value) for key, value in spec.items()},
                    restart_on_change=self._restart_on_change(provisioning),
                    opts=self._dynamic,
                )

    def _restart_on_change(self, provisioning: ProvisioningSettings) -> pulumi.Input[bool]:
        """Restart after a mapping change only for a job the stack wants running: whether
        Graph's restart of a paused job resumes it is not documented
        (https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-restart),
        so with provisioningStatus "off" it is never restarted. A secret when either setting
        is (the value tells both)."""
        restart = provisioning.restart_on_mapping_change and provisioning.running
        return self._input("restartOnMappingChange", restart, "provisioningStatus")

    def provisioning_page(self) -> pulumi.Output[str]:
        """The app's Provisioning page in the Entra admin center."""
        return self._app_blade("ProvisioningManagement")

    def provisioning_logs_page(self) -> pulumi.Output[str]:
        """The app's Provisioning logs in the Entra admin center. Microsoft documents no deep
        link to this blade; the menu item's name is the one the admin center uses in its own
        links (docs/health.md says so and how to get there by hand)."""
        return self._app_blade("ProvisioningActivity")

    def _app_blade(self, menu_item: str) -> pulumi.Output[str]:
        """A page of the enterprise app's menu (ManagedAppMenuBlade) in the admin center."""
        return pulumi.Output.concat(
            self._settings.portal,
            f"/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/{menu_item}/appId/",
            self.client_id,
            "/objectId/",
            self.service_principal.object_id,
        )

    def sso_metadata(self) -> dict[str, Any] | None:
        """What Asana's Admin Console asks for (Security > SAML Authentication): Entra's sign-in
        URL and the active certificate in Base64, plus the issuer and expiry (docs/sso.md).

        The certificate is public: it is what Entra's federation metadata publishes to anyone
        and what the portal offers as "Certificate (Base64)". The azuread provider marks its
        `value` sensitive, which would make the whole `sso` output secret, so it is unsecreted
        here on purpose; the private key never leaves Entra.
        """
        sso = self._settings.sso
        if sso is None or self.signing is None:
            return None
        tenant = azuread.get_client_config_output(opts=self._invoke).tenant_id
        authority = self._input("authorityHost", self._settings.authority_host)
        active = self.signing_certificates[sso.active_certificate]
        return {
            "signInUrl": pulumi.Output.concat(authority, "/", tenant, "/saml2"),
            "entraIdentifier": pulumi.Output.concat(self._settings.saml_issuer, tenant, "/"),
            "metadataUrl": pulumi.Output.concat(
                authority,
                "/",
                tenant,
                "/federationmetadata/2007-06/federationmetadata.xml?appid=",
                self.client_id,
            ),
            "appIdentifier": self._input("ssoIdentifier", sso.identifier),
            "replyUrl": self._input("ssoReplyUrl", sso.reply_url),
            "certificateThumbprint": active.thumbprint,
            "certificateBase64": pulumi.Output.unsecret(active.value),
            "certificateExpires": active.end_date,
            "activeThumbprint": self.signing.active_thumbprint,
            "certificates": [
                {
                    "name": self._input("ssoCertificates", name, "ssoCertificateName"),
                    "thumbprint": certificate.thumbprint,
                    "certificateBase64": pulumi.Output.unsecret(certificate.value),
                    "expires": certificate.end_date,
                    "active": name == sso.active_certificate,
                }
                for name, certificate in self.signing_certificates.items()
            ],
        }
