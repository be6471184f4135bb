"""The Pulumi program: the stack's settings, the Asana enterprise app, and what to show."""

import asyncio
import os

import pulumi

from components.asana_app import AsanaEnterpriseApp
from components.principal_lookup import existing_principals
from components.settings import load_settings
from components.stack_config import engine_config
from rules.checkpoints import UNRECORDED_DEPLOY, skips_checkpoints

# Only a deploy is told: a preview writes no state either way, and ours run with the variable
# set (`make preview`, the preview workflow; rules/checkpoints.py). `make up` refuses it.
if skips_checkpoints(os.environ) and not pulumi.runtime.is_dry_run():
    pulumi.log.warn(UNRECORDED_DEPLOY)
settings = load_settings(*engine_config(), env=os.environ)


async def main() -> None:
    """The app, once every principal given by object id is found in the directory
    (`components.principal_lookup`): before anything is declared, so a wrong id fails with
    nothing registered. `pulumi.run` awaits this after the module's own code; the lookup's
    requests wait on a thread, not on the loop that talks to the engine."""
    existing = await asyncio.to_thread(existing_principals, settings.principals)
    app = await AsanaEnterpriseApp.declare("asana", settings, existing=existing)

    pulumi.export("applicationObjectId", app.application.application_object_id)
    pulumi.export("servicePrincipalObjectId", app.service_principal.object_id)
    pulumi.export("clientId", app.client_id)
    pulumi.export(
        "assignedPrincipals",
        [
            # A principal listed in a secret setting: neither its name nor its id in plain text.
            {
                "kind": p.kind,
                "reference": "[secret]",
                "objectId": pulumi.Output.secret(a.principal_object_id),
            }
            if p.secret
            else {"kind": p.kind, "reference": p.reference, "objectId": a.principal_object_id}
            for p, a in app.assignments.items()
        ],
    )
    pulumi.export("provisioningPage", app.provisioning_page())
    pulumi.export("provisioningLogsPage", app.provisioning_logs_page())
    if app.job is not None and app.template is not None and app.token is not None:
        pulumi.export("provisioningJobId", app.job.id)
        pulumi.export("provisioningTemplateId", app.template.template_id)
        pulumi.export("asanaTokenFingerprint", app.token.fingerprint)
    if (sso := app.sso_metadata()) is not None:
        pulumi.export("sso", sso)


pulumi.run(main)
