"""The repository's own files: what a clone of it holds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def repository_files() -> list[Path]:
    """Every file git tracks, plus new ones not yet committed and not ignored; symbolic links
    (the checkout's links to prebuilt environments) and files deleted meanwhile are left out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    paths = (ROOT / name for name in listed.split("\0") if name)
    return [path for path in paths if path.is_file() and not path.is_symlink()]


def copy_repository(target: Path) -> Path:
    """The repository's files copied under `target`, as in a fresh clone; returns `target`."""
    for path in repository_files():
        copy = target / path.relative_to(ROOT)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
    return target
