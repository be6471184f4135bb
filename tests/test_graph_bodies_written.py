"""Every body our providers write to Graph, driven through the engine harness (so every number
has crossed the engine's protobuf Struct as a double), must parse into its msgraph-sdk model
with no unknown property and no value of the wrong type (tests/graph_models.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import SERVICE_PRINCIPAL_ID, Tenant
from tests.emulator import Emulator
from tests.emulator.routing import matches
from tests.engine import ProviderServer
from tests.graph_models import graph_body_problems
from tests.lifecycles import mappings_lifecycle, template_lifecycle, token_lifecycle
from tests.mapping_resources import group_inputs, job_inputs, mappings_resource

_SYNC = "/v1.0/servicePrincipals/{sp}/synchronization"
WRITE_MODELS: dict[tuple[str, str], str] = {
    ("PUT", f"{_SYNC}/jobs/{{job}}/schema"): "synchronizationSchema",
    ("POST", f"{_SYNC}/jobs/{{job}}/schema/parseExpression"): (
        "synchronizationSchema.parseExpression"
    ),
    ("POST", f"{_SYNC}/jobs/{{job}}/restart"): "synchronizationJob.restart",
    ("POST", f"{_SYNC}/jobs/{{job}}/validateCredentials"): (
        "synchronizationJob.validateCredentials"
    ),
    ("PUT", f"{_SYNC}/secrets"): "synchronization.secrets",
}
"""The model of each request body a provider may send; a write elsewhere fails the test."""


def exact_user_inputs(job: str) -> dict[str, Any]:
    """An exact set: userName matched with priority 1, expressions, a filter, a restart."""
    return job_inputs(
        job,
        "user",
        mode="exact",
        restart_on_change=True,
        mappings=[
            {"target": "userName", "attribute": "userPrincipalName", "matchingPriority": 1},
            {"target": "active", "expression": "Not([IsSoftDeleted])"},
            {
                "target": "title",
                "expression": 'Coalesce([jobTitle], "Staff")',
                "flowType": "Always",
            },
            {"target": "name.formatted", "constant": "Someone", "defaultValue": "x"},
        ],
        scoping_filter=[[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]],
    )


def test_every_body_we_write_has_graphs_declared_types(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    users = mappings_resource(server, "users")
    groups = mappings_resource(server, "groups")
    users.up(exact_user_inputs(job))
    groups.up(group_inputs(job))
    changed = exact_user_inputs(job)
    changed["mappings"][1] = {
        "target": "active",
        "expression": 'Switch([IsSoftDeleted], "True", "True", "False")',
    }
    users.up(changed)
    users.destroy()
    groups.destroy()
    # Built one after the other: the template lifecycle replaces the principal's templates.
    for lifecycle in (
        lambda: token_lifecycle(server, emulator, tenant.asana_token),
        lambda: mappings_lifecycle(server, emulator, SERVICE_PRINCIPAL_ID),
        lambda: template_lifecycle(server, emulator, SERVICE_PRINCIPAL_ID),
    ):
        for _, step in lifecycle():
            step()

    written = [r for r in emulator.requests if r.service == "graph" and r.method in {"PUT", "POST"}]
    problems: list[str] = []
    judged: set[str] = set()
    for request in written:
        model = next(
            (
                m
                for (method, route), m in WRITE_MODELS.items()
                if method == request.method and matches(route, request.path)
            ),
            None,
        )
        if model is None:
            problems.append(f"{request.method} {request.path}: no model to judge this body by")
            continue
        judged.add(model)
        problems += [
            f"{request.method} {request.path}: {problem}"
            for problem in graph_body_problems(model, request.body)
        ]

    assert problems == []
    assert judged >= {
        "synchronizationSchema",
        "synchronizationSchema.parseExpression",
        "synchronizationJob.restart",
    }
