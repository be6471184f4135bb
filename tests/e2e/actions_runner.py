"""Runs one job of a GitHub workflow of this repository step by step, as a hosted runner would.

Each job gets a runner of its own (a new folder: workspace, temp, home, tools): the workflow is
read from the commit being run, `if:` conditions, `env:`, `with:` and outputs are evaluated with
GitHub's expression rules (`tests/workflow_runner.py`), `run:` scripts run with bash as GitHub
runs them (a file, `bash -e` for a workflow step, `bash --noprofile --norc -eo pipefail` for
`shell: bash`), with GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY as files.

Actions are performed, not recorded:

- `actions/checkout`: a `git clone` of the origin repository's HEAD into the workspace;
- `./.github/actions/…`: the composite action's own steps, read from the checkout;
- `actions/setup-python`: the Python 3.11 this test runs on, first on PATH as `python`; its pip
  cache is this machine's;
- `pulumi/actions`: the pinned CLI `make engine` built (`.tools/bin`), put on PATH after checking
  it is the version the step asks for, with the azuread stand-in beside it (the real plugin
  cannot be built here; docs/engine.md);
- `gh`: a stand-in on PATH that records its arguments and answers what the test says: it is the
  only thing that would talk to GitHub's API.

Anything else fails the job: the runner never skips what it does not know.

Cancelling follows https://docs.github.com/en/actions/reference/workflow-cancellation-reference:
SIGINT to the step's entry process (bash), SIGTERM after 7.5 s, the process tree killed 2.5 s
later; then the job's remaining steps run only when their `if:` holds with `cancelled()` true.
At the end of every job the processes it left (those carrying its RUNNER_TRACKING_ID) are
reported and ended, as the runner's "Cleaning up orphan processes" does. The signals go to the
entry process only (actions/runner `src/Sdk/ProcessInvoker.cs`, `kill(_proc.Id, signal)`): a
`pulumi` the script started never sees the SIGINT, so a cancelled `run:` step is a hard kill of
the CLI about 10 s later. A step past its time limit (600 s unless the test gives another) is
ended the same way and fails, as `timeout-minutes` ends one.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.engine import STANDIN_BIN, engine_bin
from tests.workflow_runner import STAND_IN, Strict, condition, interpolate

RUNNER_PATH = "/usr/bin:/bin"
"""What a runner image has that the steps use (bash, git, jq, python3, coreutils)."""
STEP_TIMEOUT_SECONDS = 600.0
SIGINT_GRACE_SECONDS = 7.5
SIGTERM_GRACE_SECONDS = 2.5
REPOSITORY = "contoso/asana-provisioning"
_RUNNERS = itertools.count(1)


class RunnerError(AssertionError):
    """The job uses something this runner does not provide."""


@dataclass
class StepCache:
    """Steps that only install pinned packages into a folder, run for real the first time in a
    test session and restored from that run afterwards, as `actions/cache` would restore them
    (installing both virtualenvs takes half a minute a job). The key is the step's name, its
    script and the contents of the files it installs from: a changed step or requirements file
    runs again, and a step that is gone restores nothing."""

    folder: Path
    recipes: Mapping[str, tuple[str, tuple[str, ...]]]
    """step name -> (the folder it makes, relative to the workspace; the files it reads)"""
    _kept: dict[str, Path] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def key(self, name: str, script: str, workspace: Path) -> str | None:
        if name not in self.recipes:
            return None
        _, inputs = self.recipes[name]
        digest = hashlib.sha256(f"{name}\0{script}".encode())
        for path in inputs:
            digest.update((workspace / path).read_bytes() if (workspace / path).is_file() else b"")
        return digest.hexdigest()[:16]

    def lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def restore(self, name: str, key: str, workspace: Path) -> bool:
        kept = self._kept.get(key)
        if kept is None:
            return False
        made = workspace / self.recipes[name][0]
        made.parent.mkdir(parents=True, exist_ok=True)
        made.symlink_to(kept, target_is_directory=True)
        return True

    def keep(self, name: str, key: str, workspace: Path) -> None:
        """Move what the step made into the cache and link it back (a virtualenv works through
        a link to its folder: Python finds pyvenv.cfg beside the path it was started by)."""
        made = workspace / self.recipes[name][0]
        if not made.is_dir() or made.is_symlink():
            return
        kept = self.folder / key / made.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), str(kept))
        made.symlink_to(kept, target_is_directory=True)
        self._kept[key] = kept


@dataclass
class Machine:
    """What every runner of a test shares: the repository its jobs check out, the CAs it
    trusts (as a machine trusts the public ones), the step cache and the runner-level
    variables a hosted runner would not have but this one needs (no update checks or plugin
    downloads: there is no internet here)."""

    origin: Path
    base: Path
    ca_bundle: Path
    cache: StepCache | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class StepRun:
    name: str
    id: str | None
    outcome: str
    """success, failure, skipped or cancelled"""
    exit_code: int | None
    log: str
    outputs: dict[str, str]
    seconds: float


@dataclass
class JobRun:
    workflow: str
    job: str
    result: str
    """success, failure or cancelled"""
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str
    gh_calls: list[list[str]]
    leftovers: list[str]
    workspace: Path

    def step(self, name_or_id: str) -> StepRun:
        """The step with this id, or the one whose name starts with this text."""
        found = [
            s
            for s in self.steps
            if s.id == name_or_id or s.name.split(" / ")[-1].startswith(name_or_id)
        ]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} steps match {name_or_id!r}: {self.outline}")
        return found[0]

    @property
    def outline(self) -> str:
        return ", ".join(f"{s.name} [{s.outcome}]" for s in self.steps)

    @property
    def log(self) -> str:
        return "\n".join(f"## {s.name} [{s.outcome}]\n{s.log}" for s in self.steps)


def workflow_at_head(origin: Path, name: str) -> dict[str, Any]:
    """The workflow file as the commit being run has it."""
    text = subprocess.run(
        ["git", "-C", str(origin), "show", f"HEAD:.github/workflows/{name}.yml"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    document = yaml.safe_load(text)
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def _processes() -> dict[int, tuple[int, Path]]:
    """pid -> (parent pid, /proc entry) of every process this user can see."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), entry)
    return found


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, children first found first."""
    table = _processes()
    below, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, (ppid, _) in table.items() if ppid == parent]
        below.extend(children)
        frontier.extend(children)
    return below


def _tracked(tracking_id: str) -> list[str]:
    """Processes whose environment holds RUNNER_TRACKING_ID=`tracking_id`, as "pid command"."""
    marker = f"RUNNER_TRACKING_ID={tracking_id}".encode()
    found = []
    for pid, (_, entry) in _processes().items():
        if pid == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append(f"{pid} {command.strip()}")
    return found


def _outputs_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for text in lines:
                if text == delimiter:
                    break
                block.append(text)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


class _Job:
    def __init__(
        self,
        machine: Machine,
        workflow: str,
        job_id: str,
        context: dict[str, Any],
        gh_answers: list[tuple[list[str], dict[str, Any]]],
        extra_env: Mapping[str, str],
        cancel: threading.Event | None,
        label: str,
        step_timeouts: Mapping[str, float],
    ) -> None:
        self.machine, self.workflow, self.job_id = machine, workflow, job_id
        self.context, self.cancel, self.label = context, cancel, label
        self.step_timeouts, self.step_timeout, self.timed_out = step_timeouts, 0.0, False
        self.folder = machine.base / f"runner-{next(_RUNNERS)}-{workflow}-{job_id}"
        self.workspace, self.temp, self.home, self.tools = (
            self.folder / name for name in ("work", "temp", "home", "tools")
        )
        for folder in (self.workspace, self.temp, self.home, self.tools / "gh"):
            folder.mkdir(parents=True)
        gh = self.tools / "gh" / "gh"
        gh.write_text(STAND_IN.format(python=sys.executable, name="gh"), encoding="utf-8")
        gh.chmod(0o755)
        self.gh_log = self.temp / "gh-calls"
        self.gh_log.write_text("", encoding="utf-8")
        self.path: list[str] = []
        """GITHUB_PATH additions, latest first."""
        self.env_file: dict[str, str] = {}
        self.extra_env = extra_env
        self.base_env = {
            "PATH": RUNNER_PATH,
            "HOME": str(self.home),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": context["github"]["run_id"],
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_EVENT_NAME": context["github"]["event_name"],
            "GITHUB_SHA": context["github"]["sha"],
            "GITHUB_SERVER_URL": "https://github.com",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_TRACKING_ID": f"github_{uuid.uuid4()}",
            "SSL_CERT_FILE": str(machine.ca_bundle),
            "REQUESTS_CA_BUNDLE": str(machine.ca_bundle),
            "STAND_IN_LOG": str(self.gh_log),
            "STAND_IN_ANSWERS": json.dumps({"gh": gh_answers}),
            **machine.env,
        }
        self.steps: list[StepRun] = []
        self.summary: list[str] = []
        self.cancelled = False
        self.scripts = itertools.count(1)

    # -- conditions and environment

    def status(self, failed: bool) -> dict[str, bool]:
        return {
            "success": not failed and not self.cancelled,
            "failure": failed,
            "cancelled": self.cancelled,
            "always": True,
        }

    def say(self, text: str) -> None:
        print(f"[{self.label}] {text}", flush=True)

    # -- running steps

    def run_steps(
        self, steps: list[dict[str, Any]], context: dict[str, Any], env: dict[str, str], prefix: str
    ) -> bool:
        """Run `steps` in order; False when one failed or was cancelled."""
        failed = False
        for step in steps:
            name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            full = f"{prefix}{name}"
            context["env"] = env
            if not condition(step.get("if"), context, self.status(failed)):
                self.record(full, step, "skipped", None, "", {}, 0.0, context)
                continue
            started = time.monotonic()
            step_env = {
                **env,
                **{k: interpolate(v, context) for k, v in (step.get("env") or {}).items()},
            }
            if "uses" in step:
                outcome, code, log, outputs = self.use(step, context, step_env, f"{full} / ")
            else:
                outcome, code, log, outputs = self.script(step, full, step_env, context)
            seconds = time.monotonic() - started
            self.say(f"{full}: {outcome} ({seconds:.1f} s)")
            self.record(full, step, outcome, code, log, outputs, seconds, context)
            if outcome in ("failure", "cancelled"):
                failed = True
        return not failed

    def record(
        self,
        name: str,
        step: dict[str, Any],
        outcome: str,
        code: int | None,
        log: str,
        outputs: dict[str, str],
        seconds: float,
        context: dict[str, Any],
    ) -> None:
        self.steps.append(StepRun(name, step.get("id"), outcome, code, log, outputs, seconds))
        if step.get("id"):
            context["steps"][step["id"]] = {
                "outputs": outputs,
                "outcome": outcome,
                "conclusion": outcome,
            }

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        path = os.pathsep.join([*self.path, str(self.tools / "gh"), RUNNER_PATH])
        return {**self.base_env, **self.env_file, **self.extra_env, **env, "PATH": path}

    def script(
        self, step: dict[str, Any], name: str, env: dict[str, str], context: dict[str, Any]
    ) -> tuple[str, int | None, str, dict[str, str]]:
        run = interpolate(step["run"], context)
        cache = self.machine.cache
        key = cache.key(name.split(" / ")[-1], run, self.workspace) if cache else None
        if cache is not None and key is not None:
            with cache.lock(key):
                if cache.restore(name.split(" / ")[-1], key, self.workspace):
                    return "success", 0, "(restored from this session's first run)", {}
                result = self.execute(name, run, step.get("shell"), env)
                if result[0] == "success":
                    cache.keep(name.split(" / ")[-1], key, self.workspace)
                return result
        return self.execute(name, run, step.get("shell"), env)

    def execute(
        self, name: str, run: str, shell: str | None, env: dict[str, str]
    ) -> tuple[str, int | None, str, dict[str, str]]:
        number = next(self.scripts)
        script = self.temp / f"step-{number}.sh"
        script.write_text(run, encoding="utf-8")
        files = {
            name: self.temp / f"{name.lower()}-{number}"
            for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
        }
        for path in files.values():
            path.write_text("", encoding="utf-8")
        if shell is None:
            argv = ["bash", "-e", str(script)]
        elif shell == "bash":
            argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        else:
            raise RunnerError(f"shell {shell!r} is not provided here")
        log_path = self.temp / f"step-{number}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=self.workspace,
                env=self.environment({**env, **{k: str(v) for k, v in files.items()}}),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.timed_out = False
        self.step_timeout = self.step_timeouts.get(name.split(" / ")[-1], STEP_TIMEOUT_SECONDS)
        cancelled = self.wait(process)
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if self.timed_out:
            text += f"\n[the step ran past its {self.step_timeout:.0f} s and was ended]\n"
        outputs = _outputs_file(files["GITHUB_OUTPUT"])
        self.env_file.update(_outputs_file(files["GITHUB_ENV"]))
        added = files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines()
        self.path[:0] = [line for line in reversed(added) if line]
        self.summary.append(files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))
        if cancelled:
            return "cancelled", process.returncode, text, outputs
        return (
            ("success" if process.returncode == 0 else "failure"),
            process.returncode,
            text,
            outputs,
        )

    def wait(self, process: subprocess.Popen[bytes]) -> bool:
        """Wait for the step's process; True when the job was cancelled meanwhile."""
        deadline = time.monotonic() + self.step_timeout
        while process.poll() is None:
            if self.cancel is not None and self.cancel.is_set() and not self.cancelled:
                self.cancelled = True
                self.say("cancel: SIGINT to the step's bash")
                process.send_signal(signal.SIGINT)
                if not self.ended(process, SIGINT_GRACE_SECONDS):
                    self.say("cancel: SIGTERM after 7.5 s")
                    process.send_signal(signal.SIGTERM)
                    if not self.ended(process, SIGTERM_GRACE_SECONDS):
                        self.say("cancel: the process tree killed after 2.5 s more")
                for pid in [process.pid, *_descendants(process.pid)]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                process.wait(timeout=30)
                return True
            if time.monotonic() > deadline:
                # As a step's `timeout-minutes` ends it: the tree goes, the step fails.
                self.say(f"a step ran past {self.step_timeout:.0f} s; its process tree is killed")
                self.timed_out = True
                for pid in [process.pid, *_descendants(process.pid)]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                process.wait(timeout=30)
                return False
            time.sleep(0.1)
        return self.cancelled

    @staticmethod
    def ended(process: subprocess.Popen[bytes], seconds: float) -> bool:
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    # -- actions

    def use(
        self, step: dict[str, Any], context: dict[str, Any], env: dict[str, str], prefix: str
    ) -> tuple[str, int | None, str, dict[str, str]]:
        uses: str = step["uses"]
        given = {k: interpolate(v, context) for k, v in (step.get("with") or {}).items()}
        if uses.startswith("./"):
            return self.composite(uses, given, context, env, prefix)
        action = uses.split("@", 1)[0]
        if action == "actions/checkout":
            return self.checkout()
        if action == "actions/setup-python":
            return self.setup_python(given)
        if action == "pulumi/actions":
            return self.install_pulumi(given)
        raise RunnerError(f"no stand-in for {uses} on this runner")

    def checkout(self) -> tuple[str, int | None, str, dict[str, str]]:
        cloned = subprocess.run(
            ["git", "clone", "--quiet", str(self.machine.origin), str(self.workspace)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outcome = "success" if cloned.returncode == 0 else "failure"
        return outcome, cloned.returncode, cloned.stdout + cloned.stderr, {}

    def setup_python(self, given: dict[str, str]) -> tuple[str, int | None, str, dict[str, str]]:
        interpreter = Path(sys._base_executable).resolve()  # the base Python
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        if given.get("python-version") != version:
            raise RunnerError(
                f"setup-python asks for {given.get('python-version')}, have {version}"
            )
        tools = self.tools / "python" / "bin"
        tools.mkdir(parents=True)
        for name in ("python", "python3"):
            (tools / name).symlink_to(interpreter)
        self.path.insert(0, str(tools))
        if given.get("cache") == "pip":
            pip_cache = subprocess.run(
                [str(interpreter), "-m", "pip", "cache", "dir"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout.strip()
            if pip_cache:
                self.env_file["PIP_CACHE_DIR"] = pip_cache
        return "success", 0, f"Python {version} ({interpreter})", {}

    def install_pulumi(self, given: dict[str, str]) -> tuple[str, int | None, str, dict[str, str]]:
        folder = engine_bin()
        shown = subprocess.run(
            [str(folder / "pulumi"), "version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={"PATH": RUNNER_PATH, "HOME": str(self.home), "PULUMI_SKIP_UPDATE_CHECK": "true"},
        ).stdout.strip()
        wanted = given.get("pulumi-version", "")
        if shown.removeprefix("v") != wanted.removeprefix("v"):
            log = f"the step asks for Pulumi {wanted!r}; the pinned CLI is {shown}"
            return "failure", 1, log, {}
        self.path[:0] = [str(folder), str(STANDIN_BIN)]
        return "success", 0, f"Pulumi {shown} from {folder} (and the azuread stand-in)", {}

    def composite(
        self,
        uses: str,
        given: dict[str, str],
        outer: dict[str, Any],
        env: dict[str, str],
        prefix: str,
    ) -> tuple[str, int | None, str, dict[str, str]]:
        path = self.workspace / uses / "action.yml"
        if not path.is_file():
            return "failure", None, f"Can't find 'action.yml' under '{path.parent}'", {}
        action = yaml.safe_load(path.read_text(encoding="utf-8"))
        if action["runs"]["using"] != "composite":
            raise RunnerError(f"{uses} is not a composite action")
        declared = action.get("inputs") or {}
        unknown = set(given) - set(declared)
        if unknown:
            raise RunnerError(f"{uses} has no input {sorted(unknown)}")
        context = {**outer, "steps": {}, "inputs": Strict()}
        for name, spec in declared.items():
            if name in given:
                context["inputs"][name] = given[name]
            elif "default" in spec:
                context["inputs"][name] = interpolate(spec["default"], context)
            elif spec.get("required"):
                raise RunnerError(f"{uses} needs input {name}")
            else:
                context["inputs"][name] = ""
        passed = self.run_steps(action["runs"]["steps"], context, dict(env), prefix)
        outputs = {
            name: interpolate(spec["value"], context)
            for name, spec in (action.get("outputs") or {}).items()
        }
        if self.cancelled:
            return "cancelled", None, "", outputs
        return ("success" if passed else "failure"), None, "", outputs

    def finish(self) -> list[str]:
        """The runner's "Cleaning up orphan processes": every process still carrying the job's
        RUNNER_TRACKING_ID is reported and ended."""
        left = _tracked(self.base_env["RUNNER_TRACKING_ID"])
        for line in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        return left


def run_job(
    machine: Machine,
    workflow: str,
    job_id: str,
    *,
    vars: Mapping[str, str],
    secrets: Mapping[str, str],
    matrix: Mapping[str, Any] | None = None,
    needs: Mapping[str, Any] | None = None,
    event: Mapping[str, Any] | None = None,
    extra_env: Mapping[str, str] | None = None,
    gh_answers: list[tuple[list[str], dict[str, Any]]] | None = None,
    cancel: threading.Event | None = None,
    label: str | None = None,
    step_timeouts: Mapping[str, float] | None = None,
) -> JobRun:
    """Run job `job_id` of `.github/workflows/<workflow>.yml` at the origin's HEAD on a new
    runner. `vars` and `secrets` must name every value the job reads (the empty string for one
    that is not set); `extra_env` is the runner's environment for the job (see the tests for
    what each variable stands in for); `gh_answers` are (argument prefix, {"stdout", "exit"})
    pairs, the first matching prefix answers `gh`; setting `cancel` cancels the job as GitHub
    does; a step running past its time limit (`step_timeouts`, by step name; 600 s unless
    given) is ended and fails, as one past its `timeout-minutes`."""
    document = workflow_at_head(machine.origin, workflow)
    job = document["jobs"][job_id]
    sha = subprocess.run(
        ["git", "-C", str(machine.origin), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    github = {
        "repository": REPOSITORY,
        "run_id": str(4000 + next(_RUNNERS)),
        "run_attempt": "1",
        "server_url": "https://github.com",
        "token": "stand-in-github-token",
        "event_name": next(iter(document["on"])),
        "event": dict(event or {}),
        "sha": sha,
        "workspace": "",
    }
    context: dict[str, Any] = {
        "github": github,
        "vars": Strict(vars),
        "secrets": Strict(secrets),
        "matrix": dict(matrix or {}),
        "needs": dict(needs or {}),
        "runner": {"os": "Linux"},
        "steps": {},
        "env": {},
    }
    name = label or f"{workflow}/{job_id}"
    runner = _Job(
        machine, workflow, job_id, context, gh_answers or [], extra_env or {}, cancel, name,
        step_timeouts or {},
    )  # fmt: skip
    github["workspace"] = str(runner.workspace)
    env: dict[str, str] = {}
    for scope in (document, job):
        context["env"] = env
        env.update({k: interpolate(v, context) for k, v in (scope.get("env") or {}).items()})
    runner.say(f"runner {runner.folder}")
    try:
        passed = runner.run_steps(job["steps"], context, env, "")
    finally:
        leftovers = runner.finish()
    outputs = {k: interpolate(v, context) for k, v in (job.get("outputs") or {}).items()}
    result = "cancelled" if runner.cancelled else ("success" if passed else "failure")
    calls = [json.loads(line)["args"] for line in runner.gh_log.read_text().splitlines()]
    runner.say(f"job {result}")
    return JobRun(
        workflow, job_id, result, runner.steps, outputs, "".join(runner.summary), calls,
        leftovers, runner.workspace,
    )  # fmt: skip
