"""Microsoft Graph v1.0 synchronization API for service principals: templates, jobs, job
schema (with parseExpression) and secrets (reference: graph-synchronization.md §1.1, §1.5,
§1.6, §2).

State lives in the tenant store so tests can also change it out of band (drift) and read it
back unmasked, and so deleting a service principal takes its synchronization with it.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from .expression_parser import PARSE_ERROR_CODE, ExpressionParseError, parse
from .graphreply import Reply, bad_request, error, no_content, ok, resource_not_found
from .messages import JsonObject, Request, Response
from .routing import Handler
from .schema_rules import undefined_targets
from .scim import Scim
from .scoping import FILTER_OPERATORS
from .store import SyncJob, SyncState, Tenant
from .sync_status import new_status, paused, reset_scopes, restarted, started

_SYNC = "/v1.0/servicePrincipals/{sp}/synchronization"

SECRET_KEYS = frozenset(
    [
        "None",
        "UserName",
        "Password",
        "SecretToken",
        "AppKey",
        "BaseAddress",
        "ClientIdentifier",
        "ClientSecret",
        "SingleSignOnType",
        "Sandbox",
        "Url",
        "Domain",
        "ConsumerKey",
        "ConsumerSecret",
        "TokenKey",
        "TokenExpiration",
        "Oauth2AccessToken",
        "Oauth2AccessTokenCreationTime",
        "Oauth2RefreshToken",
        "SyncAll",
        "InstanceName",
        "Oauth2ClientId",
        "Oauth2ClientSecret",
        "CompanyId",
        "UpdateKeyOnSoftDelete",
        "SynchronizationSchedule",
        "SystemOfRecord",
        "SandboxName",
        "EnforceDomain",
        "SyncNotificationSettings",
        "SkipOutOfScopeDeletions",
        "Oauth2AuthorizationCode",
        "Oauth2RedirectUri",
        "ApplicationTemplateIdentifier",
        "Oauth2TokenExchangeUri",
        "Oauth2AuthorizationUri",
        "AuthenticationType",
        "Server",
        "PerformInboundEntitlementGrants",
        "HardDeletesEnabled",
        "SyncAgentCompatibilityKey",
        "SyncAgentADContainer",
        "ValidateDomain",
        "TestReferences",
        "ConnectionString",
    ]
)
"""The synchronizationSecret enum (§1.6); Graph rejects keys outside it."""

SENSITIVE_SECRET_KEYS = frozenset(
    [
        "SecretToken",
        "Password",
        "ClientSecret",
        "Oauth2ClientSecret",
        "Oauth2AccessToken",
        "Oauth2RefreshToken",
        "ConsumerSecret",
        "TokenKey",
        "AppKey",
    ]
)
"""Keys whose values GET /secrets answers as "*" (§1.1, "Read secrets")."""

MASK = "*"


class Synchronization:
    """Synchronization state per service principal, reachable only through `Graph`."""

    def __init__(self, base_url: str, tenant: Tenant, scim: Scim) -> None:
        self._base_url = base_url
        self._tenant = tenant
        self._scim = scim

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", f"{_SYNC}/templates", self._list_templates),
            ("GET", f"{_SYNC}/jobs", self._list_jobs),
            ("POST", f"{_SYNC}/jobs", self._create_job),
            ("GET", f"{_SYNC}/jobs/{{job}}", self._get_job),
            ("DELETE", f"{_SYNC}/jobs/{{job}}", self._delete_job),
            ("POST", f"{_SYNC}/jobs/{{job}}/start", self._start),
            ("POST", f"{_SYNC}/jobs/{{job}}/pause", self._pause),
            ("POST", f"{_SYNC}/jobs/{{job}}/restart", self._restart),
            ("POST", f"{_SYNC}/jobs/{{job}}/validateCredentials", self._validate),
            ("GET", f"{_SYNC}/jobs/{{job}}/schema", self._get_schema),
            ("PUT", f"{_SYNC}/jobs/{{job}}/schema", self._put_schema),
            ("DELETE", f"{_SYNC}/jobs/{{job}}/schema", self._delete_schema),
            ("PATCH", f"{_SYNC}/jobs/{{job}}/schema", self._patch_schema),
            ("POST", f"{_SYNC}/jobs/{{job}}/schema/parseExpression", self._parse_expression),
            ("GET", f"{_SYNC}/jobs/{{job}}/schema/filterOperators", self._filter_operators),
            ("GET", f"{_SYNC}/secrets", self._get_secrets),
            ("PUT", f"{_SYNC}/secrets", self._put_secrets),
        ]

    # ----- state access for the Emulator facade (out of band, no HTTP) -----

    def add(self, sp_id: str, templates: list[JsonObject]) -> None:
        """Add a service principal offering `templates` (each with id, factoryTag, schema); it
        has synchronization state only, no directory object."""
        if sp_id in self._tenant.synchronization:
            raise ValueError(f"service principal {sp_id!r} already exists")
        self._tenant.synchronization[sp_id] = SyncState(template_map(templates))

    def set_secrets(self, sp_id: str, values: dict[str, str]) -> None:
        """Out of band: the saved synchronization secrets become `values` (copied), as if an
        admin saved them in the portal's Provisioning blade; keys must be in the enum."""
        principal = self._principal_state(sp_id)
        for key, value in values.items():
            if key not in SECRET_KEYS:
                raise ValueError(f"{key!r} is not a synchronizationSecret")
            if not isinstance(value, str):
                raise ValueError(f"the value of {key!r} must be a string")
        principal.secrets = dict(values)

    def set_templates(self, sp_id: str, templates: list[JsonObject]) -> None:
        """Out of band: Entra now offers `templates` for this service principal."""
        principal = self._principal_state(sp_id)
        principal.templates = {template["id"]: copy.deepcopy(template) for template in templates}

    def job(self, sp_id: str, job_id: str) -> JsonObject:
        return copy.deepcopy(self._job_state(sp_id, job_id).resource)

    def jobs(self, sp_id: str) -> list[JsonObject]:
        return [copy.deepcopy(job.resource) for job in self._principal_state(sp_id).jobs.values()]

    def schema(self, sp_id: str, job_id: str) -> JsonObject:
        return copy.deepcopy(self._job_state(sp_id, job_id).schema)

    def secrets(self, sp_id: str) -> dict[str, str]:
        """The saved synchronization secrets, unmasked."""
        return dict(self._principal_state(sp_id).secrets)

    def restarts(self, sp_id: str, job_id: str) -> list[JsonObject | None]:
        """The `criteria` of each restart call on the job, oldest first (None if omitted)."""
        return copy.deepcopy(self._job_state(sp_id, job_id).restarts)

    def new_job(self, sp_id: str, template_id: str) -> str:
        """Create a job out of band, exactly as POST .../jobs would; returns its id. Raises
        ValueError for a template the service principal lacks."""
        principal = self._principal_state(sp_id)
        template = principal.templates.get(template_id)
        if template is None:
            raise ValueError(f"template {template_id!r} is not offered by {sp_id!r}")
        job_id = f"{template_id}.{uuid.uuid4().hex}.{uuid.uuid4()}"
        principal.jobs[job_id] = SyncJob(
            _new_job_resource(job_id, template_id), copy.deepcopy(template["schema"])
        )
        return job_id

    def edit_schema(self, sp_id: str, job_id: str, edit: Callable[[JsonObject], None]) -> None:
        """Let `edit` change the live job schema in place (drift made in the portal); bumps
        its version."""
        job = self._job_state(sp_id, job_id)
        edit(job.schema)
        job.schema["version"] = _new_version()

    def delete_job(self, sp_id: str, job_id: str) -> None:
        """Out of band: the provisioning job is deleted as DELETE .../jobs/{id} does (its schema
        goes with it; secrets stay)."""
        self._job_state(sp_id, job_id)
        del self._tenant.synchronization[sp_id].jobs[job_id]

    def pause_job(self, sp_id: str, job_id: str) -> None:
        _pause(self._job_state(sp_id, job_id).resource)

    def start_job(self, sp_id: str, job_id: str) -> None:
        """Out of band: Provisioning Status switched On in the portal."""
        _start(self._job_state(sp_id, job_id).resource)

    def set_status(self, sp_id: str, job_id: str, status: JsonObject) -> None:
        """Replace the job's `status` (a synchronizationStatus JSON object) as the service
        would have."""
        if not isinstance(status, dict):
            raise ValueError("status must be a synchronizationStatus object")
        self._job_state(sp_id, job_id).resource["status"] = copy.deepcopy(status)

    def _principal_state(self, sp_id: str) -> SyncState:
        try:
            return self._tenant.synchronization[sp_id]
        except KeyError:
            raise KeyError(f"unknown service principal {sp_id!r}") from None

    def _job_state(self, sp_id: str, job_id: str) -> SyncJob:
        try:
            return self._principal_state(sp_id).jobs[job_id]
        except KeyError:
            raise KeyError(f"unknown job {job_id!r} on {sp_id!r}") from None

    # ----- route handlers -----

    def _list_templates(self, request: Request, sp: str) -> Response:
        principal = self._principal(request, sp)
        return ok(request, self._collection(sp, "templates", list(principal.templates.values())))

    def _list_jobs(self, request: Request, sp: str) -> Response:
        principal = self._principal(request, sp)
        jobs = [job.resource for job in principal.jobs.values()]
        return ok(request, self._collection(sp, "jobs", jobs))

    def _create_job(self, request: Request, sp: str) -> Response:
        principal = self._principal(request, sp)
        template_id = request.body.get("templateId") if isinstance(request.body, dict) else None
        if not isinstance(template_id, str) or template_id not in principal.templates:
            raise bad_request(
                request,
                f"The templateId '{template_id}' does not match any synchronization "
                "template of this service principal.",
                "BadRequest",
            )
        job_id = self.new_job(sp, template_id)
        return ok(request, principal.jobs[job_id].resource, status=201)

    def _get_job(self, request: Request, sp: str, job: str) -> Response:
        return ok(request, self.job_for(request, sp, job).resource)

    def _delete_job(self, request: Request, sp: str, job: str) -> Response:
        self.job_for(request, sp, job)
        self.delete_job(sp, job)
        return no_content(request)

    def _start(self, request: Request, sp: str, job: str) -> Response:
        _start(self.job_for(request, sp, job).resource)
        return no_content(request)

    def _pause(self, request: Request, sp: str, job: str) -> Response:
        _pause(self.job_for(request, sp, job).resource)
        return no_content(request)

    def _restart(self, request: Request, sp: str, job: str) -> Response:
        """Restart resets what its `resetScope` names, all of it without criteria (the
        portal's full restart "clears escrows, removes the app from quarantine, and clears any
        watermarks"): `Watermark` makes the next cycle re-process every object, `Escrows`
        forgets failed ones, `QuarantineState` lifts quarantine (sync_status.restarted)."""
        state = self.job_for(request, sp, job)
        body = {} if request.body is None else request.body  # criteria are optional
        criteria = body.get("criteria") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(criteria, dict | None):
            raise bad_request(request, "Invalid restart criteria.", "BadRequest")
        try:
            scopes = reset_scopes(criteria)
        except ValueError as problem:
            raise Reply(error(400, "BadRequest", str(problem), request)) from None
        state.restarts.append(copy.deepcopy(criteria))
        if scopes & {"Watermark", "Full"}:
            state.watermark.clear()
        if scopes & {"Escrows", "Full"}:
            state.escrows.clear()
        state.resource["status"] = restarted(state.resource["status"], scopes)
        return no_content(request)

    def _validate(self, request: Request, sp: str, job: str) -> Response:
        self.job_for(request, sp, job)
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("useSavedCredentials") is True:
            credentials = self._tenant.synchronization[sp].secrets
        else:
            credentials = _pairs_to_dict(body.get("credentials") or [], request)
        detail = credential_problem(self._scim, credentials)
        if detail is None:
            return no_content(request)
        raise bad_request(
            request,
            "Failed to connect to the target application. Error code: "
            f"{CREDENTIAL_ERROR_CODE}. {detail}",
            "BadRequest",
        )

    def _get_schema(self, request: Request, sp: str, job: str) -> Response:
        return ok(request, self.job_for(request, sp, job).schema)

    def _filter_operators(self, request: Request, sp: str, job: str) -> Response:
        """The operators a scoping filter may use (synchronization-synchronizationschema-
        filteroperators): the emulated service's list, scoping.FILTER_OPERATORS."""
        self.job_for(request, sp, job)
        items = copy.deepcopy(FILTER_OPERATORS)
        return ok(request, self._collection(sp, f"jobs('{job}')/schema/filterOperators", items))

    def _put_schema(self, request: Request, sp: str, job: str) -> Response:
        state = self.job_for(request, sp, job)
        document = request.body
        if not isinstance(document, dict) or not isinstance(
            document.get("synchronizationRules"), list
        ):
            raise bad_request(
                request,
                "The request body must be a synchronizationSchema with a "
                "'synchronizationRules' collection.",
                "BadRequest",
            )
        undefined = undefined_targets(document)
        if undefined:
            raise Reply(error(400, "BadRequest", " ".join(undefined), request))
        state.schema = copy.deepcopy(document)
        state.schema["version"] = _new_version()
        return no_content(request)

    def _delete_schema(self, request: Request, sp: str, job: str) -> Response:
        state = self.job_for(request, sp, job)
        template = self._tenant.synchronization[sp].templates[state.resource["templateId"]]
        state.schema = copy.deepcopy(template["schema"])
        return no_content(request)

    def _parse_expression(self, request: Request, sp: str, job: str) -> Response:
        """parseExpression (§1.1): the expression as an attributeMappingSource. An expression
        it cannot parse is still a 200, with `parsingSucceeded: false` and the reason in
        `error` (expression_parser.py says what is and is not confirmed). Evaluation against a
        `testInputObject` is not emulated: `evaluationSucceeded` stays false."""
        self.job_for(request, sp, job)
        body = request.body if isinstance(request.body, dict) else None
        if body is None or not isinstance(body.get("expression"), str):
            raise bad_request(request, "The request body must have an 'expression'.", "BadRequest")
        answer: JsonObject = {
            "@odata.context": f"{self._base_url}/v1.0/$metadata#microsoft.graph."
            "parseExpressionResponse",
            "error": None,
            "evaluationResult": None,
            "evaluationSucceeded": False,
            "parsedExpression": None,
            "parsingSucceeded": False,
        }
        try:
            answer["parsedExpression"] = parse(body["expression"])
            answer["parsingSucceeded"] = True
        except ExpressionParseError as failure:
            answer["error"] = {"code": PARSE_ERROR_CODE, "message": str(failure)}
        return ok(request, answer)

    def _patch_schema(self, request: Request, sp: str, job: str) -> Response:
        """The service has no PATCH route for a job schema; the SDKs that send PATCH get this
        404 from the syncfabric backend (microsoftgraph/msgraph-sdk-python#820)."""
        uri = (
            f"https://syncfabric.windowsazure.com/api/servicePrincipals('{sp}')"
            f"/synchronization/jobs('{job}')/schema?api-version=2.0"
        )
        message = json.dumps(
            {"Message": f"No HTTP resource was found that matches the request URI '{uri}'."},
            separators=(",", ":"),
        )
        return error(404, "UnknownError", message, request)

    def _get_secrets(self, request: Request, sp: str) -> Response:
        principal = self._principal(request, sp)
        pairs = [
            {"key": key, "value": MASK if key in SENSITIVE_SECRET_KEYS else value}
            for key, value in principal.secrets.items()
        ]
        return ok(request, self._collection(sp, "secrets", pairs))

    def _put_secrets(self, request: Request, sp: str) -> Response:
        """The PUT replaces the saved set; a key sent with an empty value is not saved. That is
        how the azuread provider deletes secrets ("We delete secrets by setting values to empty
        strings"), and its destroy waits until GET lists none of those keys, which its
        acceptance tests pass against Graph."""
        principal = self._principal(request, sp)
        pairs = request.body.get("value") if isinstance(request.body, dict) else None
        if not isinstance(pairs, list):
            raise bad_request(request, "The request body must have a 'value' array.", "BadRequest")
        saved = _pairs_to_dict(pairs, request)
        principal.secrets = {key: value for key, value in saved.items() if value != ""}
        return no_content(request)

    # ----- helpers -----

    def _principal(self, request: Request, sp: str) -> SyncState:
        principal = self._tenant.synchronization.get(sp)
        if principal is None:
            raise resource_not_found(request, sp)
        return principal

    def job_for(self, request: Request, sp: str, job: str) -> SyncJob:
        """The job a route names, or Graph's 404 for an unknown principal or job."""
        state = self._principal(request, sp).jobs.get(job)
        if state is None:
            raise Reply(
                error(404, "NotFound", f"The synchronization job '{job}' was not found.", request)
            )
        return state

    def _collection(self, sp: str, segment: str, items: list[JsonObject]) -> JsonObject:
        context = (
            f"{self._base_url}/v1.0/$metadata#servicePrincipals('{sp}')/synchronization/{segment}"
        )
        return {"@odata.context": context, "value": items}


CREDENTIAL_ERROR_CODE = "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable"
"""The error code the service reports when the tenant URL or secret token does not work."""


def credential_problem(scim: Scim, credentials: dict[str, str]) -> str | None:
    """Why `BaseAddress`/`SecretToken` would not reach the emulated Asana SCIM (None: they
    work); shared by validateCredentials, the provisioning cycle and provision on demand."""
    base_address = credentials.get("BaseAddress", "")
    if base_address.rstrip("/") != scim.base_url.rstrip("/"):
        return f"Could not reach a SCIM endpoint at the tenant URL '{base_address}'."
    if not scim.accepts(credentials.get("SecretToken", "")):
        return "The tenant URL answered 401 Unauthorized: the secret token was rejected."
    return None


def template_map(templates: list[JsonObject]) -> dict[str, JsonObject]:
    """Templates by id, copied; each needs what the service always returns."""
    for template in templates:
        if not {"id", "factoryTag", "schema"} <= template.keys():
            raise ValueError("each template needs 'id', 'factoryTag' and 'schema'")
    return {template["id"]: copy.deepcopy(template) for template in templates}


def _new_job_resource(job_id: str, template_id: str) -> JsonObject:
    """A freshly created job: disabled and never run (§1.1 "Create job", §1.5 shapes)."""
    return {
        "id": job_id,
        "templateId": template_id,
        "schedule": {"expiration": None, "interval": "PT40M", "state": "Disabled"},
        "status": new_status(),
        "synchronizationJobSettings": [],
    }


def _start(resource: JsonObject) -> None:
    """Start moves schedule.state and status.code to Active and clears quarantine."""
    resource["schedule"]["state"] = "Active"
    resource["status"] = started(resource["status"])


def _pause(resource: JsonObject) -> None:
    resource["schedule"]["state"] = "Paused"
    resource["status"] = paused(resource["status"])


def _new_version() -> str:
    """A fresh schema version in the service's `Date:..., ActivityId:...` style."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"Date:{now}, ActivityId:{uuid.uuid4()}"


def _pairs_to_dict(pairs: object, request: Request) -> dict[str, str]:
    """Validate a synchronizationSecretKeyStringValuePair collection into key -> value."""
    if not isinstance(pairs, list):
        raise bad_request(request, "Credentials must be an array.", "BadRequest")
    result: dict[str, str] = {}
    for pair in pairs:
        key = pair.get("key") if isinstance(pair, dict) else None
        value = pair.get("value") if isinstance(pair, dict) else None
        if not isinstance(key, str) or not isinstance(value, str):
            raise bad_request(request, "Each pair needs a string 'key' and 'value'.", "BadRequest")
        if key not in SECRET_KEYS:
            raise bad_request(request, f"Requested value '{key}' was not found.", "BadRequest")
        result[key] = value
    return result
