"""The README's commands as a newcomer types them, in a fresh copy of the repository.

The copy holds what a clone holds (tracked files, and new ones not yet committed), alone in a
folder, so nothing outside the repository can be relied on; what `make` would build and a clone
lacks (the virtualenv, the engine) is linked from this checkout rather than rebuilt.

The blocks marked `runs: offline` run as written, in order, as one bash script against the local
tenant with the real CLI: the engine, a passphrase file, `pulumi stack init`, the token typed at
`pulumi config set --secret`'s prompt (here: on standard input), `make preview`, `pulumi up`
(the "yes" a person answers: PULUMI_SKIP_CONFIRMATIONS) and the outputs. Before they run,
`pulumi login` points at another backend, as for a user logged in to Pulumi Cloud; the stack
must still be created, previewed and deployed in the one backend `Pulumi.yaml` names.

The blocks marked `runs: tenant` cannot run here: each `make` target is checked with `make -n`,
each `pulumi` command with its own `--help` (the CLI refuses an unknown flag), each `python -m`
module's flags against its `--help`, and each exported `ARM_*` variable against what our
providers read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from tests.e2e.engine import cli_environment
from tests.e2e.stacks import named_principals, shipped_settings
from tests.e2e.tenant import CLIENT_ID, PROJECT, TENANT_ID, LocalTenant
from tests.e2e.workspace import leftover_processes, run_command
from tests.readme_blocks import Block, commands, shell_blocks
from tests.repository import ROOT, copy_repository

STACK = "dev"
LINKED_BUILDS = (".venv", ".tools")
"""What `make` builds and a clone lacks."""
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
CONNECTION = ROOT / "clients" / "connection.py"
"""Where our providers read the `ARM_*` variables."""


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = copy_repository(tmp_path_factory.mktemp("readme") / "asana-provisioning")
    for name in LINKED_BUILDS:
        (target / name).symlink_to((ROOT / name).resolve())
    # The linked virtualenv was built from these same requirement files; tell make so, or it
    # would reinstall into it.
    built = (ROOT / ".venv" / "bin" / ".installed-dev").stat().st_mtime
    for name in REQUIREMENTS:
        os.utime(target / name, (built - 1, built - 1))
    return target


def blocks(clone: Path, kind: str) -> list[Block]:
    found = [b for b in shell_blocks((clone / "README.md").read_text("utf-8")) if b.kind == kind]
    assert found, f"the README has no block marked `runs: {kind}`"
    return found


def test_the_offline_commands_run_as_written_and_use_one_backend(clone: Path, tmp_path: Path):
    settings = shipped_settings(clone / "stacks" / f"Pulumi.{STACK}.yaml")
    tenant = LocalTenant.start(*named_principals(settings))
    home, pulumi_home, elsewhere = (tmp_path / name for name in ("home", "plugins", "elsewhere"))
    for folder in (home, pulumi_home, elsewhere):
        folder.mkdir()
    try:
        # The edit the README asks for: the stack file made to name this tenant.
        stack_file = clone / "stacks" / f"Pulumi.{STACK}.yaml"
        config = {**settings, **tenant.plain_settings()}
        stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
        env = cli_environment(backend=elsewhere, home=pulumi_home, ca_bundle=tenant.ca_bundle)
        del env["PULUMI_BACKEND_URL"], env["PULUMI_CONFIG_PASSPHRASE"]  # the README sets these
        env.update(
            HOME=str(home),
            ARM_TENANT_ID=TENANT_ID,  # the README's `export ARM_…` line, for this tenant
            ARM_CLIENT_ID=CLIENT_ID,
            ARM_CLIENT_SECRET=tenant.client_secret,
            PULUMI_SKIP_CONFIRMATIONS="true",  # the "yes" at `pulumi up`'s question
        )
        login = ["pulumi", "login", elsewhere.as_uri()]
        logged_in = run_command(login, cwd=tmp_path, env=env, timeout=120)
        assert logged_in.exit_code == 0, logged_in.output

        script = "set -e -o pipefail\n" + "\n".join(b.text for b in blocks(clone, "offline"))
        bash = ["bash", "--noprofile", "--norc", "-c", script]
        run = run_command(bash, cwd=clone, env=env, timeout=900, stdin=tenant.asana_token)

        tail = "\n".join(run.output.splitlines()[-60:])
        assert run.exit_code == 0, tail
        assert tenant.asana_token not in run.output
        # One backend: the stack `pulumi stack init` created is the one `make preview` read and
        # `pulumi up` deployed, in the clone's .pulumi-state; nothing reached the other one.
        state = clone / ".pulumi-state" / ".pulumi" / "stacks" / PROJECT / f"{STACK}.json"
        assert state.is_file(), tail
        assert "asana-service-principal" in state.read_text(encoding="utf-8")
        assert list(elsewhere.rglob(f"{STACK}.json*")) == []
        assert run.output.count(f"Created stack '{STACK}'") == 1, tail
        # The token was encrypted for that stack, and Asana accepted it at `up`.
        written = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
        assert "encryptionsalt" in written
        assert "secure" in written["config"][f"{PROJECT}:asanaToken"]
        assert "asanaTokenFingerprint" in run.stdout
        names = [sp.get("displayName") for sp in tenant.emulator.service_principals()]
        assert settings[f"{PROJECT}:appDisplayName"] in names
        assert leftover_processes(pulumi_home) == []
    finally:
        tenant.stop()


def problems_with(argv: list[str], clone: Path, env: Mapping[str, str]) -> list[str]:
    """What the command's own tool says is wrong with `argv` (nothing is run for real)."""
    shown = " ".join(argv)
    if argv[0] == "make":
        run = run_command(["make", "-n", *argv[1:]], cwd=clone, env=env, timeout=120)
        return [] if run.exit_code == 0 else [f"{shown}: {run.stderr.strip()}"]
    if argv[0] == "pulumi":
        run = run_command([*argv, "--help"], cwd=clone, env=env, timeout=120)
        usage = re.search(r"Usage:\s*\n\s*(.+)", run.stdout)
        path = re.match(r"((?:[a-z][a-z-]*\s?)+)", usage.group(1)).group(1).split() if usage else []
        if run.exit_code != 0 or len(path) < 2 or argv[1 : len(path)] != path[1:]:
            return [f"{shown}: {(run.stderr or run.stdout).strip()[:300]}"]
        return []
    if argv[0].endswith("python") and argv[1:2] == ["-m"]:
        run = run_command([*argv[:3], "--help"], cwd=clone, env=env, timeout=120)
        flags = {a.split("=", 1)[0] for a in argv[3:] if a.startswith("-")}
        unknown = sorted(flag for flag in flags if flag not in run.stdout)
        return [f"{shown}: {run.stderr.strip()[:300]}"] if run.exit_code else unknown
    if argv[0] == "export":
        names = [a.split("=", 1)[0] for a in argv[1:] if "=" in a]
        read = CONNECTION.read_text(encoding="utf-8")
        unread = [name for name in names if name.startswith("ARM_") and name not in read]
        return [f"{shown}: our providers read no {name}" for name in unread]
    return []


def test_the_tenant_only_commands_are_known_to_their_tools(clone: Path, tmp_path: Path):
    env = cli_environment(backend=tmp_path, home=tmp_path / "plugins", ca_bundle=None)
    problems = [
        problem
        for block in blocks(clone, "tenant")
        for argv in commands(block)
        for problem in problems_with(argv, clone, env)
    ]
    assert problems == []


@pytest.mark.parametrize(
    "argv",
    [
        ["make", "no-such-target"],
        ["pulumi", "up", "--no-such-flag"],
        ["pulumi", "no-such-command"],
        [".venv/bin/python", "-m", "scripts.drift_check", "--no-such-flag"],
        ["export", "ARM_NO_SUCH_SETTING=1"],
    ],
)
def test_the_check_of_tenant_only_commands_finds_a_wrong_one(
    argv: list[str], clone: Path, tmp_path: Path
):
    env = cli_environment(backend=tmp_path, home=tmp_path / "plugins", ca_bundle=None)

    assert problems_with(argv, clone, env) != []
