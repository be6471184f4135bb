"""Every stack file loads under the real CLI, and common mistakes fail the real preview with
the message the mocked tests expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.settings import SettingsError, load_settings
from tests.e2e.stacks import STACK_FILES, named_principals, shipped_settings, stack_name, typed
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace
from tests.test_settings import INVALID, SECRET_KEYS, with_changes

COMMON_MISTAKES = [
    "empty display name",
    "sso on without a sign-on URL",
    "sign-on URL over http",
    "unknown provisioning status",
    "unknown scope",
    "malformed notification email",
    "mapping expression with an unknown function",
]
"""Mistakes whose values pass the CLI's own type check of Pulumi.yaml's declarations, so that
it is the program that refuses them."""


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=stack_name)
def test_every_shipped_stack_file_previews_under_the_real_cli(
    stack_file: Path, tenant: LocalTenant, workspace: Workspace
):
    settings = shipped_settings(stack_file)
    tenant.add_principals(*named_principals(settings))
    stack = stack_name(stack_file)
    local = tenant.plain_settings(local_asana=False)
    workspace.create_stack(stack, {**settings, **local}, tenant.secret_settings())

    run = workspace.pulumi("preview", "--stack", stack, "--non-interactive", "--diff")

    assert "to create" in run.stdout
    assert "AsanaEnterpriseApp" in run.stdout and "SynchronizationJob" in run.stdout


@pytest.mark.parametrize("mistake", COMMON_MISTAKES)
def test_a_common_mistake_fails_the_real_preview_with_the_mocked_message(
    mistake: str, tenant: LocalTenant, workspace: Workspace
):
    (changes, key) = next(case[1:] for case in INVALID if case[0] == mistake)
    config = with_changes(changes)
    with pytest.raises(SettingsError) as expected:  # what the mocked tests see
        load_settings(config, SECRET_KEYS)
    token = config.pop(f"{PROJECT}:asanaToken")
    settings = {**typed(config), **tenant.plain_settings()}
    workspace.create_stack(
        "mistake", settings, {**tenant.secret_settings(), f"{PROJECT}:asanaToken": token}
    )

    run = workspace.pulumi("preview", "--stack", "mistake", "--non-interactive", expect=1)

    for problem in expected.value.problems:
        assert problem in run.output, run.output
    assert key in run.output
    assert "Traceback" not in run.output
    assert "AsanaEnterpriseApp" not in run.stdout  # stopped before declaring anything
