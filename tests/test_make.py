"""The Makefile's own help, and what `make engine` (so `make preview` and `make drift`) says when
there is neither a Pulumi CLI nor a Go to build one."""

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


def run_build(engine: Path, path: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(engine / "build.sh")],
        env={"PATH": str(path), "HOME": str(engine.parent)},
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
