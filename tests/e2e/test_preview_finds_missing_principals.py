"""A principal given by object id that names nothing fails `pulumi preview`, under the real CLI
(the program checks ids itself, `GET /groups?$filter=id in (…)` and the same on `/users`),
naming the setting and the id, or "set (value hidden)" for a secret setting; nothing is
created, by `up --skip-preview` either: the lookup comes before any resource is declared.
Before, the id went through unchecked and `up` failed at the assignment (Graph: "Not a valid
reference update") after other resources were created."""

from __future__ import annotations

from tests.e2e.demo import GROUP, SSO_ONLY, USER
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace

STACK = "principals"
MISSING = "9f0e5c1e-9999-4c3b-9a7e-2b1e0d9c8a09"


def test_a_missing_group_object_id_fails_the_preview_naming_the_setting_and_creates_nothing(
    tenant: LocalTenant, workspace: Workspace
):
    tenant.add_principals([GROUP], [USER])
    settings = {
        **SSO_ONLY,
        **tenant.plain_settings(),
        f"{PROJECT}:assignmentGroups": [MISSING],
    }
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    posts_before = tenant.emulator.count(service="graph", method="POST")

    run = workspace.pulumi("preview", "--stack", STACK, "--non-interactive", expect=1)

    output = run.said
    assert f'{PROJECT}:assignmentGroups lists the object id "{MISSING}"' in output
    assert "not a group in the tenant" in output
    assert tenant.emulator.count(service="graph", method="POST") == posts_before

    up = ("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    run = workspace.pulumi(*up, expect=1)
    assert f'{PROJECT}:assignmentGroups lists the object id "{MISSING}"' in run.said
    assert tenant.emulator.count(service="graph", method="POST") == posts_before


def test_a_missing_user_object_id_in_a_secret_setting_is_named_without_its_value(
    tenant: LocalTenant, workspace: Workspace
):
    tenant.add_principals([GROUP], [USER])
    settings = {**SSO_ONLY, **tenant.plain_settings()}
    settings.pop(f"{PROJECT}:assignmentUsers")
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    workspace.pulumi(
        "config", "set", "--secret", "--path", "--stack", STACK,
        f"{PROJECT}:assignmentUsers[0]", stdin=MISSING,
    )  # fmt: skip

    run = workspace.pulumi("preview", "--stack", STACK, "--non-interactive", expect=1)

    output = run.said
    assert f"{PROJECT}:assignmentUsers is set (value hidden)" in output
    assert MISSING not in output
