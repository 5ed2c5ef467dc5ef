"""The server's project state without the protocol: what an edit re-reads, re-walks, re-lints."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import write_project

from tsinspect.server.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    folder = tmp_path / "demo"
    folder.mkdir()
    write_project(folder)
    state = Project(root=str(folder))
    state.load()
    for name in ("model.py", "helpers.py", "unrelated.py", "base.py", "blocks.py"):
        state.open(str(folder / name), (folder / name).read_text())
    return state


def _codes(project: Project, name: str) -> list[str]:
    path = next(p for p in project.opened if p.endswith(name))
    return sorted(d.code for d in project.diagnose(path).diagnostics)


def test_an_edit_inside_a_function_relints_that_file_only(project: Project) -> None:
    model = next(p for p in project.opened if p.endswith("model.py"))
    text = project.opened[model].text
    walks = project.walks
    project.relinted = ()
    project.change(model, text.replace("t * 2", "t * 3"))
    assert project.relinted == (model,)
    # Lines moved (a line inserted in a body): the summary differs only in positions, and no
    # position of this file reaches other facts: no program walk either.
    project.change(
        model, text.replace("        y = self.linear(x)\n", "        y = self.linear(x)\n\n")
    )
    assert project.walks == walks


def test_an_edit_of_a_base_class_relints_its_dependents_only(project: Project) -> None:
    base = next(p for p in project.opened if p.endswith("base.py"))
    blocks = next(p for p in project.opened if p.endswith("blocks.py"))
    assert "TS101" in _codes(project, "blocks.py")
    project.relinted = ()
    results = project.change(base, project.opened[base].text.replace("(nn.Module)", ""))
    assert sorted(project.relinted) == sorted([base, blocks])
    by_path = {r.path: r for r in results}
    assert "TS101" not in [d.code for d in by_path[blocks].diagnostics]


def test_the_reverse_import_map(project: Project) -> None:
    importers = project.importers()
    assert importers["base"] == frozenset({"blocks"})
    assert importers["helpers"] == frozenset({"model"})


def test_a_syntax_error_keeps_the_last_good_findings(project: Project) -> None:
    model = next(p for p in project.opened if p.endswith("model.py"))
    good = project.diagnose(model).diagnostics
    broken = project.change(model, project.opened[model].text + "\ndef (:\n")[0]
    assert broken.syntax_note is not None and broken.syntax_note.code == "TS001"
    assert broken.diagnostics == good


def test_a_model_that_stops_calling_a_helper_relints_the_helper(project: Project) -> None:
    """helpers.py does not import model.py, but what model.py compiles decides what is
    compiled in helpers.py: the helper's finding goes when the model stops calling it."""
    model = next(p for p in project.opened if p.endswith("model.py"))
    helpers = next(p for p in project.opened if p.endswith("helpers.py"))
    with_lambda = project.opened[helpers].text.replace(
        "return t * 2", "f = lambda u: u\n    return f(t)"
    )
    project.change(helpers, with_lambda)
    assert "TS101" in _codes(project, "helpers.py")
    project.relinted = ()
    results = project.change(model, project.opened[model].text.replace("scale(act(y))", "act(y)"))
    assert helpers in project.relinted
    by_path = {r.path: r for r in results}
    assert "TS101" not in [d.code for d in by_path[helpers].diagnostics]
