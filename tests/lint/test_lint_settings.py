"""[tool.tsinspect] in pyproject.toml: discovery, keys, errors, patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinspect.errors import InputError
from tsinspect.settings import Settings, discover_settings, find_config, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_discovery_walks_up_to_the_first_pyproject_with_our_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.tsinspect]\nignore = ["TS101"]\n')
    write(tmp_path / "pkg" / "pyproject.toml", "[tool.black]\nline-length = 80\n")
    model = write(tmp_path / "pkg" / "models" / "net.py", "")
    assert find_config(model) == tmp_path / "pyproject.toml"
    settings = discover_settings(model)
    assert settings.ignore == ("TS101",)
    assert settings.root == str(tmp_path.resolve())


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    settings = discover_settings(tmp_path)
    assert settings.select == ("ALL",)
    assert settings.ignore == ()


def test_all_keys(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        """
[tool.tsinspect]
select = ["TS1"]
extend-select = ["TS2"]
ignore = ["TS113"]
exclude = ["legacy"]
extend-exclude = ["*_pb2.py"]

[tool.tsinspect.per-file-ignores]
"tests/*" = ["TS101", "TS102"]
""",
    )
    settings = load_settings(config)
    assert settings.select == ("TS1", "TS2")
    assert settings.ignore == ("TS113",)
    assert settings.exclude == ("legacy", "*_pb2.py")
    assert settings.ignores_for(str(tmp_path / "tests" / "test_x.py")) == ("TS101", "TS102")
    assert settings.ignores_for(str(tmp_path / "src" / "x.py")) == ()
    assert settings.is_excluded(tmp_path / "legacy")
    assert settings.is_excluded(tmp_path / "src" / "legacy")
    assert settings.is_excluded(tmp_path / "src" / "model_pb2.py")
    assert settings.is_excluded(tmp_path / ".venv")
    assert not settings.is_excluded(tmp_path / "src" / "model.py")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.tsinspect\n", "not valid TOML"),
        ('[tool.tsinspect]\nselect = "TS1"\nunknown = 1\n', "unknown key"),
        ("[tool.tsinspect]\nignore = [1]\n", "must be a list of strings"),
    ],
)
def test_bad_config_is_an_input_error(tmp_path: Path, text: str, message: str) -> None:
    config = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(InputError, match=message) as error:
        load_settings(config)
    assert str(config) in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_command_line_overrides() -> None:
    settings = Settings(select=("TS1",), ignore=("TS113",), exclude=("a",))
    merged = settings.with_overrides(
        select=["TS2"], extend_select=["TS4"], ignore=["TS201"], exclude=["b"]
    )
    assert merged.select == ("TS2", "TS4")
    assert merged.ignore == ("TS201",)  # a new select starts a new selection, as in ruff
    assert settings.with_overrides(ignore=["TS201"]).ignore == ("TS113", "TS201")
    assert merged.exclude == ("a", "b")
    assert settings.with_overrides().select == ("TS1",)
