"""Fixtures shared by several test modules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_harness import UNIT_TESTS_OFF, git

from livetier import PROJECT_ROOT

# A pytest-xdist worker's __main__ is bare (no __file__, no __spec__). pyspark.sql.connect, which
# Great Expectations imports whenever pyspark is installed (make test installs it), takes a bare
# __main__ for a doctest run and calls sys.exit(0): the quality gate's tests would fail on import.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "pytest-xdist-worker"


@pytest.fixture(scope="session", autouse=True)
def dbt_scratch(tmp_path_factory: pytest.TempPathFactory):
    """What every dbt run started by a test inherits (the CLI's too): dbt's target/ and logs/ in this
    test process's own folder, never the checkout's (`make test` runs two pytest workers at once, and
    `make run`'s artifacts stay as they were); dbt's unit tests left out, as in the harness."""
    scratch = tmp_path_factory.mktemp("dbt_scratch")
    patch = pytest.MonkeyPatch()
    patch.setenv("DBT_TARGET_PATH", str(scratch / "target"))
    patch.setenv("DBT_LOG_PATH", str(scratch / "logs"))
    patch.setenv(*UNIT_TESTS_OFF)
    yield scratch
    patch.undo()


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
