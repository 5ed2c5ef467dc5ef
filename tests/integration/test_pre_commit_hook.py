"""The pre-commit hooks of .pre-commit-hooks.yaml, driven by the real ``pre-commit`` tool.

This repository is snapshotted into a throwaway git repository (what a user's pre-commit
would clone: the tracked files plus new, not ignored ones), and a throwaway user project
uses it. pre-commit builds its own virtualenv and pip-installs tsinspect with its core
dependencies from the package index: the test checks that torch is not among them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

BAD_MODEL = """\
import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activation = lambda t: torch.relu(t)
        return activation(self.fc(x))
"""
BAD_LINE = 11  # the lambda

# TS501 (an unannotated `mask=None`) is fixed mechanically by `tsinspect check --fix`.
FIXABLE_MODEL = BAD_MODEL.replace(
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
    "        activation = lambda t: torch.relu(t)\n        return activation(self.fc(x))\n",
    "    def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:\n"
    "        if mask is not None:\n            x = x * mask\n        return self.fc(x)\n",
)

GOOD_MODEL = BAD_MODEL.replace(
    "        activation = lambda t: torch.relu(t)\n        return activation(self.fc(x))\n",
    "        return torch.relu(self.fc(x))\n",
)


def _environment(home: Path) -> dict[str, str]:
    """A hermetic environment: no user git config or hooks, a private pre-commit cache."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT", "VIRTUAL_ENV"))
    }
    home.mkdir(parents=True, exist_ok=True)
    git_config = home / "gitconfig"
    git_config.write_text("[init]\n\tdefaultBranch = main\n")
    env.update(
        GIT_CONFIG_GLOBAL=str(git_config),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        PRE_COMMIT_HOME=str(home / "cache"),
        PRE_COMMIT_COLOR="never",
    )
    return env


def _run(
    args: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )


def _git(cwd: Path, env: Mapping[str, str], *args: str) -> str:
    result = _run(["git", *args], cwd, env)
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def _pre_commit(cwd: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pre_commit", *args], cwd, env)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository as a commit in a throwaway git repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the snapshot needs `git ls-files`")
    base = tmp_path_factory.mktemp("hooks")
    env = _environment(base / "home")
    # The user's own git config here (CI containers often need their safe.directory setting).
    listing = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT, os.environ
    )
    if listing.returncode == 0:
        files = sorted(filter(None, listing.stdout.split("\0")))
    else:  # git refuses this checkout: take what building the package and the hooks needs
        files = [
            str(p.relative_to(ROOT))
            for p in sorted((ROOT / "src").rglob("*"))
            if "__pycache__" not in p.parts
        ]
        files += ["pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"]
    snapshot = base / "tsinspect"
    for relative in files:
        source = ROOT / relative
        if source.is_file() and not source.is_symlink():
            target = snapshot / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(snapshot, env, "init", "-q")
    _git(snapshot, env, "add", "-A")
    _git(snapshot, env, "commit", "-q", "--no-verify", "-m", "snapshot")
    return snapshot


def _project(path: Path, env: Mapping[str, str]) -> Path:
    path.mkdir(parents=True)
    _git(path, env, "init", "-q")
    return path


def test_try_repo_reports_an_unscriptable_model(hook_repo: Path, tmp_path: Path) -> None:
    env = _environment(tmp_path / "home")
    project = _project(tmp_path / "project", env)
    (project / "model.py").write_text(BAD_MODEL)
    _git(project, env, "add", "model.py")

    result = _pre_commit(
        project, env, "try-repo", str(hook_repo), "tsinspect", "--files", "model.py"
    )

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"model.py:{BAD_LINE}:22: TS101" in output
    assert "Failed" in output


def _site_packages(cache: Path) -> list[Path]:
    return sorted(cache.glob("repo*/py_env-*/lib/python*/site-packages"))


def test_commit_hook_blocks_unscriptable_staged_code_and_passes_clean_code(
    hook_repo: Path, tmp_path: Path
) -> None:
    env = _environment(tmp_path / "home")
    project = _project(tmp_path / "project", env)
    revision = _git(hook_repo, env, "rev-parse", "HEAD").strip()
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hook_repo}\n"
        f"    rev: {revision}\n"
        "    hooks:\n"
        "      - id: tsinspect\n"
        "      - id: tsinspect-github\n"
        "        stages: [manual]\n"
    )
    installed = _pre_commit(project, env, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # A commit with an unscriptable model fails, and the finding is printed.
    (project / "model.py").write_text(BAD_MODEL)
    _git(project, env, "add", ".pre-commit-config.yaml", "model.py")
    blocked = _run(["git", "commit", "-m", "add model"], project, env)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert f"model.py:{BAD_LINE}:22: TS101" in output
    assert (
        _run(["git", "rev-parse", "--verify", "HEAD"], project, env).returncode != 0
    )  # nothing committed

    # The environment pre-commit built has tsinspect and its core dependencies, never torch.
    site_packages = _site_packages(Path(env["PRE_COMMIT_HOME"]))
    assert len(site_packages) == 1, site_packages
    installed_names = {p.name.split("-")[0].lower() for p in site_packages[0].iterdir()}
    assert {"tsinspect", "libcst", "click", "jinja2", "networkx"} <= installed_names
    assert "torch" not in installed_names

    # Only staged files are checked: an unscriptable file left unstaged does not block the commit.
    (project / "model.py").write_text(GOOD_MODEL)
    (project / "scratch.py").write_text(BAD_MODEL)
    _git(project, env, "add", "model.py")
    committed = _run(["git", "commit", "-m", "add model"], project, env)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert "Passed" in committed.stdout + committed.stderr

    # The GitHub variant prints workflow commands that annotate the file and line.
    annotated = _pre_commit(
        project, env, "run", "tsinspect-github", "--hook-stage", "manual", "--files", "scratch.py"
    )
    assert annotated.returncode == 1, annotated.stdout + annotated.stderr
    assert f"::error file=scratch.py,line={BAD_LINE}," in annotated.stdout

    # The documented `args: [--fix]` recipe: the hook rewrites the file, and pre-commit fails the
    # run because a file changed, so the fix is reviewed before it is committed.
    (project / "fix-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hook_repo}\n"
        f"    rev: {revision}\n"
        "    hooks:\n"
        "      - id: tsinspect\n"
        "        args: [--fix]\n"
    )
    (project / "fixable.py").write_text(FIXABLE_MODEL)
    _git(project, env, "add", "fixable.py")  # pre-commit sees a hook's changes to tracked files
    fixing = _pre_commit(
        project, env, "run", "--config", "fix-config.yaml", "--files", "fixable.py"
    )
    assert fixing.returncode == 1, fixing.stdout + fixing.stderr
    assert "files were modified by this hook" in fixing.stdout
    assert "mask: Optional[torch.Tensor] = None" in (project / "fixable.py").read_text()
    again = _pre_commit(project, env, "run", "--config", "fix-config.yaml", "--files", "fixable.py")
    assert again.returncode == 0, again.stdout + again.stderr


def _documented_config() -> str:
    """The first ``.pre-commit-config.yaml`` of docs/ci.md, as a user copies it."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "rev:" in block and "id: tsinspect" in block
    return block


def test_the_documented_config_pins_a_commit_and_runs(hook_repo: Path, tmp_path: Path) -> None:
    """docs/ci.md's recipe as written: its config, `pre-commit autoupdate --bleeding-edge
    --freeze` pinning the newest commit (no release tag exists), then the hook runs."""
    env = _environment(tmp_path / "home")
    project = _project(tmp_path / "project", env)
    documented = _documented_config()
    upstream = "https://github.com/tsinspect/tsinspect"
    assert upstream in documented
    # The snapshot stands in for GitHub; everything else is the documented text.
    (project / ".pre-commit-config.yaml").write_text(documented.replace(upstream, str(hook_repo)))
    pinned = _pre_commit(
        project, env, "autoupdate", "--bleeding-edge", "--freeze", "--repo", str(hook_repo)
    )
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    revision = _git(hook_repo, env, "rev-parse", "HEAD").strip()
    config = (project / ".pre-commit-config.yaml").read_text()
    assert f"rev: {revision}" in config, config

    (project / "model.py").write_text(BAD_MODEL)
    _git(project, env, "add", "model.py")
    result = _pre_commit(project, env, "run", "--files", "model.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"model.py:{BAD_LINE}:22: TS101" in output
