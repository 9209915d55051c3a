"""Fixtures shared by several test modules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from dbt_harness import git

from livetier import PROJECT_ROOT


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the project's files as they are now (uncommitted edits included),
    committed once: a working tree to change and diff against HEAD (`livetier diff`)."""
    repo = tmp_path_factory.mktemp("project_repo") / "project"
    listed = subprocess.run(["git", "-C", str(PROJECT_ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file() and not source.is_symlink():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm", "base")
    return repo
