"""`azuread:index/synchronizationJob:SynchronizationJob` (upstream:
`internal/services/synchronization/synchronization_job_resource.go`).

A provisioning job made from one of the service principal's synchronization templates
(https://learn.microsoft.com/graph/api/synchronization-synchronization-post-jobs); Graph creates
it disabled, and `enabled` starts or pauses it.

Wire, in order (job calls repeated, bounded, on 409 and 403 as upstream):
- create: `GET /v1.0/servicePrincipals/{sp}` (404: "was not found"); `POST
  .../synchronization/jobs` `{"@odata.type": "#microsoft.graph.synchronizationJob",
  "templateId"}`; `GET .../jobs/{jobId}` until found `confirmations` times in a row; with
  `enabled`, `POST .../jobs/{jobId}/start` (a failure there leaves the job recorded); then read;
- read: `GET .../jobs/{jobId}` (404: gone); `enabled` is `schedule.state == "Active"`;
- update (only `enabled`): `POST .../start` or `.../pause`, then read;
- delete: `DELETE .../jobs/{jobId}`, then `GET` until it answers 404.
`servicePrincipalId` and `templateId` force replacement; `enabled` defaults to true. Nothing is
secret. The id is `/servicePrincipals/{sp}/synchronization/jobs/{jobId}`.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin import ids
from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import PartialFailure, StandinError
from tests.azuread_standin.graph import GraphError, segment
from tests.azuread_standin.resources.base import Resource, State
from tests.azuread_standin.resources.synchronization_secret import retry_synchronization
from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.validation import service_principal_id

JOB_ODATA_TYPE = "#microsoft.graph.synchronizationJob"


class SynchronizationJob(Resource):
    schema = ResourceSchema(
        "azuread:index/synchronizationJob:SynchronizationJob",
        "Manages a synchronization (provisioning) job of a service principal.",
        (
            Prop(
                "servicePrincipalId",
                "string",
                required=True,
                force_new=True,
                validators=(service_principal_id,),
            ),
            Prop("templateId", "string", required=True, force_new=True),
            Prop("enabled", "bool", optional=True, default=True),
            Prop(
                "schedules",
                "objects",
                computed=True,
                fields=(
                    Prop("expiration", "string", computed=True),
                    Prop("interval", "string", computed=True),
                    Prop("state", "string", computed=True),
                ),
            ),
        ),
    )

    def parse_id(self, resource_id: str) -> ids.SynchronizationJobId:
        return ids.SynchronizationJobId.parse(resource_id)

    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        sp_id = ids.service_principal(inputs["servicePrincipalId"])
        sp_path = f"/servicePrincipals/{segment(sp_id)}"
        with ctx.locked("serviceprincipal", sp_id):
            if ctx.graph.get_if_exists(sp_path) is None:
                raise StandinError(f"/servicePrincipals/{sp_id} was not found")
            created = ctx.graph.request(
                "POST",
                f"{sp_path}/synchronization/jobs",
                body={"@odata.type": JOB_ODATA_TYPE, "templateId": inputs["templateId"]},
                retry_when=retry_synchronization,
            ).body
            job_id = str(created.get("id") or "") if isinstance(created, dict) else ""
            if not job_id:
                raise StandinError(
                    f"API error creating synchronization job for {sp_path}: nil or empty id "
                    "received"
                )
            parsed = ids.SynchronizationJobId(sp_id, job_id)
            resource_id = str(parsed)
            ctx.wait_until(
                f"creation of {resource_id}",
                lambda: ctx.graph.get_if_exists(_job_path(parsed)) is not None,
            )
        if inputs.get("enabled", True):
            try:
                self._switch(ctx, parsed, on=True)
            except GraphError as error:
                raise PartialFailure(
                    resource_id, self.read(ctx, resource_id, {}) or {}, f"Starting {error}"
                ) from None
        state = self.read(ctx, resource_id, {})
        if state is None:
            raise PartialFailure(resource_id, {}, f"Retrieving {resource_id}: not found")
        return resource_id, state

    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        parsed = self.parse_id(resource_id)
        job = _get_job(ctx, parsed)
        if job is None:
            return None
        schedule = job.get("schedule") if isinstance(job.get("schedule"), dict) else None
        schedules = (
            [
                {
                    "expiration": schedule.get("expiration") or "",
                    "interval": schedule.get("interval") or "",
                    "state": schedule.get("state") or "",
                }
            ]
            if schedule is not None
            else []
        )
        return {
            "servicePrincipalId": f"/servicePrincipals/{parsed.service_principal_id}",
            "templateId": job.get("templateId") or "",
            "enabled": bool(schedule) and schedule.get("state") == "Active",
            "schedules": schedules,
        }

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        parsed = self.parse_id(resource_id)
        enabled = bool(news.get("enabled", True))
        if enabled != bool(olds.get("enabled")):
            self._switch(ctx, parsed, on=enabled)
        state = self.read(ctx, resource_id, olds)
        if state is None:
            raise StandinError(f"Retrieving {resource_id}: the job disappeared")
        return state

    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        parsed = self.parse_id(resource_id)
        with ctx.locked("serviceprincipal", parsed.service_principal_id):
            ctx.graph.request("DELETE", _job_path(parsed), retry_when=retry_synchronization)
            ctx.wait_until(
                f"deletion of {resource_id}",
                lambda: ctx.graph.get_if_exists(_job_path(parsed)) is None,
            )

    @staticmethod
    def _switch(ctx: Context, parsed: ids.SynchronizationJobId, *, on: bool) -> None:
        action = "start" if on else "pause"
        ctx.graph.request("POST", f"{_job_path(parsed)}/{action}", retry_when=retry_synchronization)


def _job_path(parsed: ids.SynchronizationJobId) -> str:
    return (
        f"/servicePrincipals/{segment(parsed.service_principal_id)}/synchronization/jobs/"
        f"{segment(parsed.job_id)}"
    )


def _get_job(ctx: Context, parsed: ids.SynchronizationJobId) -> dict[str, Any] | None:
    reply = ctx.graph.request(
        "GET", _job_path(parsed), ok=(200, 404), retry_when=retry_synchronization
    )
    if reply.status == 404 or not isinstance(reply.body, dict):
        return None
    return reply.body
