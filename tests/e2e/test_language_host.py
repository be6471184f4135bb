"""The project's Python language host (engine/langhost, engine/bin) under the real CLI, against
what upstream's host defines: sdk/python/cmd/pulumi-language-python/main.go, the executor
sdk/python/cmd/pulumi-language-python-exec, the launcher sdk/python/dist/
pulumi-resource-pulumi-python and sdk/python/lib/pulumi/policy/__main__.py of
github.com/pulumi/pulumi. Each test names the upstream behaviour it proves; docs/engine.md's
language host table lists them.

The probes (tests/e2e/langhost_probes) report from inside the processes the host starts, one
JSON line each in the file LANGHOST_PROBE_OUT names. They register no resources, so no tenant
is needed, except for `pulumi import`, which reads a service principal from the local tenant.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.e2e.engine import ROOT, TOOLS_BIN
from tests.e2e.tenant import CLIENT_ID, TENANT_ID, LocalTenant
from tests.e2e.workspace import Workspace, leftover_processes, run_command
from tests.test_adopt import SP, hand_configured

pytestmark = pytest.mark.e2e

PROBES = Path(__file__).parent / "langhost_probes"
PROJECT = "langhost-probe"
STACK = "dev"
BAIL_EXIT_CODE = 32
"""Upstream main.go: the executor's exit code after it has shown the user the error."""
CANCEL_GRACE_SECONDS = 5.0
"""Upstream main.go, Run: `cmd.WaitDelay = 5 * time.Second` after the SIGINT of a cancel."""
RUN_ERROR_EXIT_CODE = 1


class Probe:
    """The probe program in a workspace of its own, and what its processes reported."""

    def __init__(self, base: Path, *, mode: str = "observe", linked: tuple[str, ...] = ()) -> None:
        self.out = base / "probe.jsonl"
        env = {"LANGHOST_PROBE_OUT": str(self.out), "LANGHOST_PROBE_MODE": mode}
        self.workspace = Workspace(
            base / "ws", source=PROBES / "program", linked=linked, extra_env=env
        )
        self.project = self.workspace.project

    def records(self, event: str) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        lines = self.out.read_text(encoding="utf-8").splitlines()
        return [record for record in map(json.loads, lines) if record["event"] == event]

    def preview(self, *args: str, expect: int | tuple[int, ...] = 0) -> str:
        self.workspace.pulumi("stack", "select", "--create", STACK)
        run = self.workspace.pulumi("preview", "--non-interactive", *args, expect=expect)
        return run.output


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[Probe]:
    probe = Probe(tmp_path, linked=("__main__.py",))
    yield probe
    assert probe.workspace.leftover_processes() == []


def probe_pack(base: Path) -> Path:
    """A copy of the probe policy pack, its `venv` the repository's policies/venv."""
    pack = base / "pack"
    shutil.copytree(PROBES / "policy_pack", pack, ignore=shutil.ignore_patterns("__pycache__"))
    (pack / "venv").symlink_to(ROOT / "policies" / "venv")
    return pack


def test_a_policy_pack_runs_in_its_own_directory_with_the_stack_context(
    probe: Probe, tmp_path: Path
):
    # Upstream main.go, RunPlugin: `cmd.Dir = req.Info.ProgramDirectory` for analyzers, and the
    # PolicyProxy's ConfigureStack turned into PULUMI_ORGANIZATION/PROJECT/STACK/DRY_RUN/CONFIG.
    pack = probe_pack(tmp_path)
    probe.workspace.pulumi("stack", "select", "--create", STACK)
    probe.workspace.pulumi("config", "set", "--stack", STACK, "greeting", "hello")

    probe.preview("--stack", STACK, "--policy-pack", str(pack))

    [seen] = probe.records("policy_pack")
    assert seen["cwd"] == str(pack)
    assert seen["sys_path"][0] == str(pack)
    assert str(probe.project) not in seen["sys_path"]
    assert (seen["stack"], seen["project"]) == (STACK, PROJECT)
    environment = seen["environment"]
    assert (environment["PULUMI_STACK"], environment["PULUMI_PROJECT"]) == (STACK, PROJECT)
    assert environment["PULUMI_DRY_RUN"] == "true"
    assert environment["PULUMI_ORGANIZATION"]  # the diy backend's "organization"
    assert json.loads(environment["PULUMI_CONFIG"]) == {f"{PROJECT}:greeting": "hello"}


def test_the_repository_pack_without_its_sys_path_line_cannot_import_rules(
    probe: Probe, tmp_path: Path
):
    # A copy of the repository's pack and rules/: run from its own directory, as upstream's host
    # runs packs, the pack finds rules/ only through the sys.path line of policies/__main__.py.
    copy = tmp_path / "repository"
    ignore = shutil.ignore_patterns("venv", "__pycache__")
    for folder in ("policies", "rules"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    (copy / "policies" / "venv").symlink_to(ROOT / "policies" / "venv")
    pack = copy / "policies"
    # The one line policies/__main__.py adds for this; other helpers may reword its comment.
    line = "sys.path.append(str(Path(__file__).resolve().parent.parent))\n"

    as_shipped = probe.preview("--stack", STACK, "--policy-pack", str(pack), expect=(0, 1))
    assert "asana-provisioning-guardrails@" in as_shipped  # loaded and judged the stack
    assert "ModuleNotFoundError" not in as_shipped

    source = (pack / "__main__.py").read_text(encoding="utf-8")
    assert line in source
    (pack / "__main__.py").write_text(source.replace(line, ""), encoding="utf-8")
    without = probe.preview("--stack", STACK, "--policy-pack", str(pack), expect=(1, 255))
    assert "ModuleNotFoundError: No module named 'rules'" in without


def test_the_program_runs_in_its_directory_with_a_thread_pool_of_four_per_parallel(probe: Probe):
    # Upstream executor, _set_default_executor: ThreadPoolExecutor(max_workers=parallel * 4);
    # upstream main.go, constructArguments: the entry point "." run from --pwd.
    probe.preview("--stack", STACK, "--parallel", "3")

    [seen] = probe.records("observe")
    assert seen["workers"] == 12
    assert seen["cwd"] == str(probe.project)
    assert seen["argv"] == ["."]
    assert (seen["stack"], seen["project"]) == (STACK, PROJECT)


def test_a_configuration_larger_than_an_environment_string_may_be_reaches_program_and_pack(
    probe: Probe, tmp_path: Path
):
    # Upstream's host puts the whole configuration in PULUMI_CONFIG (main.go, constructConfig;
    # RunPlugin for packs), and Linux starts no process with one environment string over
    # MAX_ARG_STRLEN, 32 pages (include/uapi/linux/binfmts.h): about 3,100 object ids in one
    # list setting. Ours passes it through the launcher's pipe, so both see it whole, as
    # PULUMI_CONFIG in their environment, and nothing they start inherits the pipe's variable.
    ids = [f"{n:08x}-0000-4000-8000-{n:012x}" for n in range(5000)]
    assert len(json.dumps(ids)) > 32 * 4096
    with pytest.raises(OSError, match="Argument list too long"):
        subprocess.run(["true"], env={"PULUMI_CONFIG": json.dumps(ids)}, check=False)
    probe.workspace.pulumi("stack", "select", "--create", STACK)
    stack_file = probe.project / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(
        f"config:\n  {PROJECT}:greeting: {json.dumps(json.dumps(ids))}\n", encoding="utf-8"
    )
    pack = probe_pack(tmp_path)

    probe.preview("--stack", STACK, "--policy-pack", str(pack))

    [program] = probe.records("observe")
    assert json.loads(program["greeting"]) == ids
    assert json.loads(program["config_variable"]) == {f"{PROJECT}:greeting": json.dumps(ids)}
    assert program["descriptor_variable"] is None
    [policy_pack] = probe.records("policy_pack")
    pack_config = json.loads(policy_pack["environment"]["PULUMI_CONFIG"])
    assert pack_config == {f"{PROJECT}:greeting": json.dumps(ids)}


def test_a_stack_without_configuration_runs_without_pulumi_config(probe: Probe):
    # Upstream main.go, constructConfig: no configuration, no PULUMI_CONFIG (never "null").
    probe.preview("--stack", STACK)

    [seen] = probe.records("observe")
    assert seen["config_variable"] is None
    assert seen["greeting"] is None


def test_a_run_error_shows_its_message_and_exits_1(tmp_path: Path):
    # Upstream executor: `except pulumi.RunError: pulumi.log.error(str(e))` keeps exit code 1;
    # upstream main.go, Run: "program exited with non-zero exit code: 1".
    probe = Probe(tmp_path, mode="run_error", linked=("__main__.py",))

    output = probe.preview("--stack", STACK, expect=(1, 255))

    assert "error: probe: a RunError" in output
    assert f"program exited with non-zero exit code: {RUN_ERROR_EXIT_CODE}" in output
    assert "Traceback" not in output


def test_an_unhandled_exception_shows_the_programs_frames_only(tmp_path: Path):
    # Upstream executor, _get_user_stacktrace: the traceback starts at the program's frame; exit
    # 32 so the host adds nothing.
    probe = Probe(tmp_path, mode="exception", linked=("__main__.py",))

    output = probe.preview("--stack", STACK, expect=(1, 255))

    assert "Program failed with an unhandled exception:" in output
    traceback = output.split("Traceback (most recent call last):", 1)[1]
    first_frame = traceback.strip().splitlines()[0]
    assert first_frame.startswith(f'File "{probe.project}/__main__.py"')
    assert "in fail_in_the_program" in traceback
    assert "ValueError: probe: an unhandled exception" in traceback
    for foreign in ("pulumi-language-python-exec", "runpy", "site-packages"):
        assert foreign not in traceback
    assert "non-zero exit code" not in output


def test_a_program_directory_without_main_py_is_named(tmp_path: Path):
    # Upstream executor: "unable to find main python program `__main__.py` in `DIR`", exit 32.
    probe = Probe(tmp_path)  # nothing linked: no __main__.py

    output = probe.preview("--stack", STACK, expect=(1, 255))

    assert f"unable to find main python program `__main__.py` in `{probe.project}`" in output
    assert "non-zero exit code" not in output


def test_an_environment_without_the_sdk_says_how_to_install_it(tmp_path: Path):
    # Upstream executor: the ImportError, then how to install the SDK; exit 1.
    probe = Probe(tmp_path, linked=("__main__.py",))
    (probe.project / ".venv").unlink()
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(probe.project / ".venv")],
        check=True,
    )

    output = probe.preview("--stack", STACK, expect=(1, 255))

    assert "ModuleNotFoundError: No module named 'pulumi'" in output
    assert (
        "It looks like the Pulumi SDK has not been installed. Have you run pip install?" in output
    )
    assert "program exited with non-zero exit code: 1" in output


def pinned_sdk() -> str:
    """The Pulumi SDK line of the repository's requirements.txt (the one pin)."""
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return next(line for line in lines if line.startswith("pulumi=="))


def test_a_missing_virtualenv_is_created_and_the_requirements_installed(tmp_path: Path):
    # Upstream main.go, GetRequiredPackages: toolchain EnsureVenv before listing packages. Needs
    # the package index the machine's pip uses (as `make venv` does).
    probe = Probe(tmp_path, linked=("__main__.py",))
    (probe.project / ".venv").unlink()
    (probe.project / "requirements.txt").write_text(pinned_sdk() + "\n", encoding="utf-8")
    pip = {name: value for name, value in os.environ.items() if name.startswith("PIP_")}
    probe.workspace.extra_env = {**probe.workspace.extra_env, **pip}

    output = probe.preview("--stack", STACK)

    assert "Creating virtual environment..." in output
    assert "Finished installing dependencies" in output
    assert (probe.project / ".venv" / "bin" / "python").exists()
    [seen] = probe.records("observe")
    assert seen["stack"] == STACK


def test_cancel_interrupts_the_program_then_kills_it_after_the_grace_period(tmp_path: Path):
    # Upstream main.go, Cancel and Run: the first ^C of the CLI makes the engine call Cancel, and
    # the host interrupts the program; one that ignores SIGINT is killed 5 s later. The CLI also
    # interrupts the host's process group when it closes the plugin (pkg/v3 resource/plugin
    # plugin.go, the same 5 s), so the program sees SIGINT twice and this proves what the user
    # sees, not which of the two sent each signal.
    probe = Probe(tmp_path, mode="wait_for_cancel", linked=("__main__.py",))
    interrupted, output = cancel_the_preview(probe)

    assert "^C received; cancelling." in output
    sigint = probe.records("sigint")[0]
    assert sigint["t"] - interrupted < 2.0
    last_beat = probe.records("beat")[-1]["t"]
    assert CANCEL_GRACE_SECONDS - 1.0 < last_beat - sigint["t"] < CANCEL_GRACE_SECONDS + 2.0
    assert gone(sigint["pid"], within=5.0)
    assert leftover_processes(probe.workspace.home) == []


def test_a_cancelled_program_ends_at_once_without_a_traceback(tmp_path: Path):
    # The executor's own SIGINT handler (end_quietly_when_interrupted): upstream's would raise
    # KeyboardInterrupt wherever the program was and print its traceback after the engine's
    # message, as a policy failure's preview once showed (test_policy_pack.py).
    probe = Probe(tmp_path, mode="busy_when_cancelled", linked=("__main__.py",))
    interrupted, output = cancel_the_preview(probe)

    assert "^C received; cancelling." in output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    last_beat = probe.records("beat")[-1]
    assert last_beat["t"] - interrupted < 2.0  # not the 5 s grace of a program that ignores it
    assert gone(last_beat["pid"], within=2.0)
    assert leftover_processes(probe.workspace.home) == []


def cancel_the_preview(probe: Probe) -> tuple[float, str]:
    """Starts `pulumi preview`, sends the CLI (only) one SIGINT once the probe program has
    started, and returns when that was and the CLI's output."""
    probe.workspace.pulumi("stack", "select", "--create", STACK)
    with subprocess.Popen(
        ["pulumi", "preview", "--non-interactive", "--stack", STACK],
        cwd=probe.project,
        env=probe.workspace.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the SIGINT below reaches the CLI only, not the program
    ) as cli:
        try:
            deadline = time.monotonic() + 60
            while not probe.records("started") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert probe.records("started"), "the probe program never started"
            interrupted = time.time()
            cli.send_signal(signal.SIGINT)
            output, _ = cli.communicate(timeout=60)
        finally:
            if cli.poll() is None:
                os.killpg(cli.pid, signal.SIGKILL)
    return interrupted, output


def gone(pid: int, *, within: float) -> bool:
    """Whether process `pid` has ended (or is a zombie waiting to be reaped) within `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_convert_writes_a_python_project_from_pcl(tmp_path: Path):
    # Upstream main.go, GenerateProject and Link: pkg/v3/codegen/python.
    source, target = tmp_path / "pcl", tmp_path / "python"
    source.mkdir()
    (source / "main.pp").write_text(
        'config greeting string {\n  default = "hello"\n}\n\n'
        'output message {\n  value = "${greeting}, world"\n}\n',
        encoding="utf-8",
    )
    workspace = Workspace(tmp_path / "ws", source=PROBES / "program", linked=())
    command = ["pulumi", "convert", "--from", "pcl", "--language", "python", "--generate-only"]
    run = run_command([*command, "--out", str(target)], cwd=source, env=workspace.env, timeout=120)
    assert run.exit_code == 0, run.output

    program = (target / "__main__.py").read_text(encoding="utf-8")
    assert "import pulumi" in program
    assert 'pulumi.export("message", f"{greeting}, world")' in program
    assert "runtime: python" in (target / "Pulumi.yaml").read_text(encoding="utf-8")
    assert "pulumi" in (target / "requirements.txt").read_text(encoding="utf-8")
    assert "error" not in run.output.lower()


def test_gen_sdk_writes_a_python_package_from_a_schema(tmp_path: Path):
    # Upstream main.go, GeneratePackage: pkg/v3/codegen/python.
    schema = {
        "name": "probe",
        "version": "0.1.0",
        "resources": {
            "probe:index:Thing": {
                "properties": {"size": {"type": "integer"}},
                "inputProperties": {"size": {"type": "integer"}},
            }
        },
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    workspace = Workspace(tmp_path / "ws", source=PROBES / "program", linked=())

    workspace.pulumi(
        "package", "gen-sdk", str(tmp_path / "schema.json"), "--language", "python",
        "--out", str(tmp_path / "sdk"),
    )  # fmt: skip

    thing = (tmp_path / "sdk" / "python" / "pulumi_probe" / "thing.py").read_text()
    assert "class Thing(pulumi.CustomResource):" in thing


def test_import_prints_python_code_for_what_it_imported(tmp_path: Path):
    # Upstream main.go, GenerateProgram: `pulumi import` without --generate-code=false. The
    # azuread stand-in reads the service principal from the local tenant.
    tenant = LocalTenant.start()
    try:
        seeded = SimpleNamespace(asana_token=tenant.asana_token, client_secret=tenant.client_secret)
        hand_configured(tenant.emulator, seeded, provisioning=False)
        probe = Probe(tmp_path, linked=("__main__.py",))
        probe.workspace.ca_bundle = tenant.ca_bundle
        probe.workspace.extra_env = {
            **probe.workspace.extra_env,
            "ARM_TENANT_ID": TENANT_ID,
            "ARM_CLIENT_ID": CLIENT_ID,
            "ARM_CLIENT_SECRET": tenant.client_secret,
            "ARM_METADATA_HOSTNAME": tenant.metadata_host,
        }
        probe.workspace.pulumi("stack", "select", "--create", STACK)
        run = probe.workspace.pulumi(
            "import", "--stack", STACK, "--yes", "--non-interactive",
            "azuread:index/servicePrincipal:ServicePrincipal", "asana", f"/servicePrincipals/{SP}",
        )  # fmt: skip
    finally:
        tenant.stop()

    assert "Please copy the following code into your Pulumi application." in run.stdout
    assert "import pulumi_azuread as azuread" in run.stdout
    assert 'azuread.ServicePrincipal("asana",' in run.stdout  # the schema's module names
    assert tenant.client_secret not in run.output


LAUNCHER = TOOLS_BIN / "pulumi-resource-pulumi-python"
FAKE_PYTHON = """#!/bin/sh
echo "python=$0"
echo "args=$*"
echo "path=$PATH"
echo "pythonhome=${PYTHONHOME:-<unset>}"
"""


def fake_venv(folder: Path) -> Path:
    """A virtual environment whose python prints how it was started."""
    python = folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    return folder


def launch(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.defpath, "PYTHONHOME": "/somewhere", **env}
    return subprocess.run(
        [str(LAUNCHER), "127.0.0.1:1"], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "venv"),
    [
        ({"PULUMI_RUNTIME_VIRTUALENV": "venv"}, "venv"),
        ({"PULUMI_RUNTIME_TOOLCHAIN": "uv"}, ".venv"),
    ],
    ids=["virtualenv option", "uv toolchain"],
)
def test_the_dynamic_provider_launcher_activates_the_virtualenv(
    tmp_path: Path, env: dict[str, str], venv: str
):
    # Upstream sdk/python/dist/pulumi-resource-pulumi-python: a relative virtualenv is taken
    # from the working directory (uv: .venv), its bin goes first on PATH, PYTHONHOME is unset.
    folder = fake_venv(tmp_path / venv)

    result = launch(tmp_path, **env)

    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert lines["python"] == f"{folder}/bin/python"
    assert lines["args"] == "-u -m pulumi.dynamic 127.0.0.1:1"
    assert lines["path"].split(":")[0] == f"{folder}/bin"
    assert lines["pythonhome"] == "<unset>"


def test_the_dynamic_provider_launcher_names_a_missing_virtualenv(tmp_path: Path):
    result = launch(tmp_path, PULUMI_RUNTIME_VIRTUALENV="gone")

    assert result.returncode == 1
    assert f'is set to "{tmp_path}/gone", but "{tmp_path}/gone" doesn\'t exist.' in result.stderr
    assert f"python3 -m venv {tmp_path}/gone" in result.stderr


def test_the_dynamic_provider_launcher_without_a_virtualenv_uses_pulumi_python_cmd(
    tmp_path: Path,
):
    python = fake_venv(tmp_path / "elsewhere") / "bin" / "python"

    result = launch(tmp_path, PULUMI_PYTHON_CMD=str(python))

    assert result.returncode == 0, result.stderr
    assert f"python={python}" in result.stdout
