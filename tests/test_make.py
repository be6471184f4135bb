"""The Makefile's own help, what `make engine` (so `make preview` and `make drift`) says when
there is neither a Pulumi CLI nor a Go to build one, and what a build prints (one line per phase;
Go's log only when a phase fails), with a stand-in for `go`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")
# What engine/build.sh runs before it knows whether it can build.
_BASIC_TOOLS = ("dirname", "awk", "tr", "grep", "paste", "sort", "head", "cat", "cut", "sha256sum")


def phony_targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    found = re.search(r"^\.PHONY:(.*)$", text, flags=re.MULTILINE)
    assert found is not None, "the Makefile declares no .PHONY targets"
    return found.group(1).split()


def make(*args: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    return subprocess.run(
        [MAKE, "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_phony_target_has_a_description_on_its_line():
    text = (ROOT / "Makefile").read_text()
    missing = [
        target
        for target in phony_targets()
        if not re.search(rf"^{re.escape(target)}:[^\n]*## \S", text, flags=re.MULTILINE)
    ]

    assert missing == []


@needs_make
def test_make_help_lists_every_phony_target_on_one_line_each():
    run = make("help")

    assert run.returncode == 0, run.stderr
    listed = {
        line.split()[1]: line
        for line in run.stdout.splitlines()
        if line.startswith("  make ") and len(line.split()) > 2
    }
    assert set(phony_targets()) <= set(listed)
    assert len(listed) == len(set(listed))  # one line per target


@needs_make
def test_make_without_a_target_prints_the_help():
    assert make().stdout == make("help").stdout


@needs_make
@pytest.mark.parametrize("target", ["preview", "drift"])
def test_preview_and_drift_get_the_engine_before_running_pulumi(target: str):
    commands = make("-n", target, "STACK=dev").stdout.splitlines()

    engine = next(i for i, line in enumerate(commands) if "engine/build.sh" in line)
    # The commands that run the CLI put the engine's folder first on PATH.
    uses_cli = next(i for i, line in enumerate(commands) if "/.tools/bin:" in line)
    assert engine < uses_cli


def cli_commands(target: str) -> list[str]:
    """The lines of `make -n target` that run the Pulumi CLI itself (`pulumi <verb>`)."""
    lines = make("-n", target, "STACK=dev").stdout.splitlines()
    return [line for line in lines if re.search(r"(^|\s)pulumi (preview|up)\b", line)]


@needs_make
def test_make_preview_runs_the_preview_without_checkpoints_and_make_up_never_does():
    """A preview writes no state, so skipping the engine's checkpoints only makes it linear; a
    deploy under it would leave nothing to recover (rules/checkpoints.py)."""
    (preview,) = cli_commands("preview")
    (up,) = cli_commands("up")

    assert preview.startswith("PULUMI_SKIP_CHECKPOINTS=true ")
    assert " pulumi preview " in preview
    assert "SKIP_CHECKPOINTS" not in up


def engine_copy(tmp_path: Path) -> Path:
    """engine/ in a scratch project, so a build (should one start) never touches .tools/."""
    engine = tmp_path / "project" / "engine"
    shutil.copytree(ROOT / "engine", engine, ignore=shutil.ignore_patterns(".*"))
    return engine


def path_without_go_or_pulumi(tmp_path: Path) -> Path:
    """A PATH folder with only the basic tools build.sh uses: no go, no pulumi."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in _BASIC_TOOLS:
        found = shutil.which(name)
        assert found is not None, f"{name} is needed to run engine/build.sh"
        (folder / name).symlink_to(found)
    return folder


def run_build(engine: Path, path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(engine / "build.sh")],
        env={"PATH": str(path), "HOME": str(engine.parent), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def pinned_versions(engine: Path) -> tuple[str, str]:
    """(the Pulumi CLI version, the Go version) engine/go.mod pins."""
    go_mod = (engine / "go.mod").read_text()
    pulumi = re.search(r"github\.com/pulumi/pulumi/pkg/v3 v(\S+)", go_mod)
    go = re.search(r"^go (\S+)$", go_mod, flags=re.MULTILINE)
    assert pulumi is not None and go is not None
    return pulumi.group(1), go.group(1)


def assert_says_how_to_get_an_engine(run: subprocess.CompletedProcess[str], engine: Path) -> None:
    pulumi, go = pinned_versions(engine)
    assert run.returncode == 1
    assert run.stdout == ""
    assert f"install Go {go} or newer (https://go.dev/dl/)" in run.stderr
    assert "run `make engine` again" in run.stderr
    assert f"install the Pulumi CLI v{pulumi}" in run.stderr
    assert "https://www.pulumi.com/docs/install/" in run.stderr and "on PATH" in run.stderr
    assert "command not found" not in run.stderr and "Traceback" not in run.stderr
    assert not (engine.parent / ".tools").exists()  # stopped before building anything


def test_without_go_or_pulumi_the_engine_step_says_how_to_get_one(tmp_path: Path):
    engine = engine_copy(tmp_path)

    run = run_build(engine, path_without_go_or_pulumi(tmp_path))

    assert_says_how_to_get_an_engine(run, engine)
    assert "no pulumi >= v" in run.stderr and "no Go to build one" in run.stderr


def test_a_go_older_than_go_mod_without_toolchain_download_says_how_to_get_one(tmp_path: Path):
    engine = engine_copy(tmp_path)
    path = path_without_go_or_pulumi(tmp_path)
    fake_go = path / "go"
    fake_go.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in\n'
        '  "env GOVERSION") echo go1.22.0 ;;\n'
        '  "env GOTOOLCHAIN") echo local ;;\n'
        '  *) echo "fake go: $*" >&2; exit 3 ;;\n'
        "esac\n"
    )
    fake_go.chmod(0o755)

    run = run_build(engine, path)

    assert_says_how_to_get_an_engine(run, engine)
    assert "Go 1.22.0 is older than the go" in run.stderr and "GOTOOLCHAIN=local" in run.stderr


# A stand-in for `go` that answers build.sh's questions, "downloads" one module and "builds" a
# pulumi that prints the pinned version; FAKE_GO_FAILS names the phase that fails (list, or the
# package a build is for), as a checksum mismatch or a compile error would.
FAKE_GO = """#!/bin/sh
case "$1" in
  env) [ "$2" = GOVERSION ] && echo go{go}; [ "$2" = GOTOOLCHAIN ] && echo auto; exit 0 ;;
  version) echo "go version go{go} linux/amd64"; exit 0 ;;
  list)
    echo "go: downloading example.com/module v1.0.0" >&2
    [ "$FAKE_GO_FAILS" = list ] && {{ echo "example.com/module: checksum mismatch" >&2; exit 1; }}
    exit 0 ;;
  build)
    for arg in "$@"; do [ "$previous" = -o ] && out=$arg; previous=$arg; done
    [ "$FAKE_GO_FAILS" = "$arg" ] && {{ echo "$arg: undefined: broken" >&2; exit 1; }}
    printf '#!/bin/sh\\necho v{pulumi}\\n' > "$out" && chmod 0755 "$out"
    echo "built $arg" >> "$FAKE_GO_BUILDS" ;;
esac
"""
PHASES = ("downloading modules", "building pulumi", "building the language host")
FAILS = {
    "downloading modules": "list",
    "building pulumi": "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    "building the language host": "./langhost",
}


def path_with_a_fake_go(tmp_path: Path, engine: Path) -> Path:
    """The basic tools, the few more a build runs, and the stand-in `go`."""
    folder = path_without_go_or_pulumi(tmp_path)
    for name in ("mkdir", "rm", "date", "install", "chmod"):
        found = shutil.which(name)
        assert found is not None, f"{name} is needed to run engine/build.sh"
        (folder / name).symlink_to(found)
    pulumi, go = pinned_versions(engine)
    (folder / "go").write_text(FAKE_GO.format(go=go, pulumi=pulumi))
    (folder / "go").chmod(0o755)
    return folder


def test_a_build_prints_one_line_per_phase_with_its_time_and_keeps_gos_output_in_a_log(
    tmp_path: Path,
):
    engine = engine_copy(tmp_path)
    path = path_with_a_fake_go(tmp_path, engine)
    builds = tmp_path / "builds"
    tools = engine.parent / ".tools"

    first = run_build(engine, path, FAKE_GO_BUILDS=str(builds))
    second = run_build(engine, path, FAKE_GO_BUILDS=str(builds))

    assert first.returncode == 0 and first.stderr == "", first.stderr
    header, *phases, done = first.stdout.splitlines()
    assert header.startswith("engine: building the Pulumi CLI v")
    assert f"Go's log: {tools / 'engine-build.log'}" in header
    assert [re.sub(r"\d+ s$", "N s", line) for line in phases] == [
        f"engine: {phase} … N s" for phase in PHASES
    ]
    pulumi, _ = pinned_versions(engine)
    assert re.fullmatch(rf"engine: done: {tools}/bin/pulumi \(v{pulumi}\) in \d+ s", done)
    assert "go: downloading" not in first.stdout
    assert "go: downloading example.com/module v1.0.0" in (tools / "engine-build.log").read_text()
    # Nothing changed: the second run builds nothing.
    assert second.stdout == f"engine: {tools}/bin/pulumi is up to date (v{pulumi})\n"
    assert builds.read_text().count("built ") == 2  # the CLI and the host, once each


@pytest.mark.parametrize("failing", PHASES)
def test_a_failed_phase_prints_the_whole_go_log_and_names_the_file_that_keeps_it(
    tmp_path: Path, failing: str
):
    engine = engine_copy(tmp_path)
    path = path_with_a_fake_go(tmp_path, engine)
    log = engine.parent / ".tools" / "engine-build.log"

    run = run_build(
        engine, path, FAKE_GO_FAILS=FAILS[failing], FAKE_GO_BUILDS=str(tmp_path / "builds")
    )

    assert run.returncode == 1
    *done, last = run.stdout.splitlines()[1:]
    assert [line.rsplit(" … ", 1)[0] for line in done] == [
        f"engine: {phase}" for phase in PHASES[: PHASES.index(failing)]
    ]
    assert re.fullmatch(rf"engine: {failing} … failed after \d+ s", last)
    # The whole log, the first phase's download included, then where it is kept.
    assert "go: downloading example.com/module v1.0.0" in run.stderr
    assert ("checksum mismatch" if failing == PHASES[0] else "undefined: broken") in run.stderr
    assert run.stderr.rstrip().endswith(f"engine: {failing} failed; the log above is kept in {log}")
    assert log.read_text() in run.stderr
    assert not (engine.parent / ".tools" / "bin" / ".engine-fingerprint").exists()  # builds again
