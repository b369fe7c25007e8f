"""Config and CLI slips found in review: a ``~`` in a database URL given outside the file,
``init`` pointed below a file, durations in ``check-config`` written as in the config, and a
templates folder that is not there while no mode reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.cli import app
from monitor.settings_file import load_settings, settings_warnings
from tests.test_settings import BASE, mutate, write

# ------------------------------------------------------------ ~ in --database-url and env


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of its own, and a working folder apart from it and from the config."""
    home = tmp_path / "home"
    cwd = tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    monkeypatch.chdir(cwd)
    return home


def test_a_tilde_in_database_url_option_is_the_home_folder(tmp_path: Path, home: Path) -> None:
    """The shell leaves ``~`` inside a URL alone: SQLite made a folder named ``~`` in the cwd."""
    config = write(tmp_path, BASE)
    result = CliRunner().invoke(
        app, ["db", "upgrade", "-c", str(config), "--database-url", "sqlite:///~/x.db"]
    )
    assert result.exit_code == 0, result.output
    assert (home / "x.db").is_file()
    assert not Path("~").exists() and list(Path.cwd().iterdir()) == []
    assert f"(sqlite:///{home / 'x.db'})" in "".join(result.stdout.split())  # rich folds it


def test_a_tilde_in_the_database_url_variable_is_the_home_folder(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, BASE)
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", "sqlite:///~/y.db")
    result = CliRunner().invoke(app, ["db", "upgrade", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert (home / "y.db").is_file()
    assert not Path("~").exists() and list(Path.cwd().iterdir()) == []


def test_a_relative_database_url_option_is_still_the_callers(tmp_path: Path, home: Path) -> None:
    """Only ``~`` is expanded: a relative file given outside the config is in the cwd, as the
    caller wrote it, not beside the config file."""
    config = write(tmp_path, BASE)
    result = CliRunner().invoke(
        app, ["db", "upgrade", "-c", str(config), "--database-url", "sqlite:///rel.db"]
    )
    assert result.exit_code == 0, result.output
    assert (Path.cwd() / "rel.db").is_file() and not (tmp_path / "rel.db").exists()
    assert not (home / "rel.db").exists()


# -------------------------------------------------------------------- init below a file


@pytest.mark.parametrize("given", ["afile/", "afile/sub/", "afile/sub/x.yaml"])
def test_init_below_a_file_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """``init afile/`` said "cannot write afile/replywatch.yaml: File exists"."""
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("mine\n", encoding="utf-8")
    for force in ([], ["--force"]):
        result = CliRunner().invoke(app, ["init", given, *force])
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: cannot write afile/"), line
        assert line.endswith(": afile is a file, not a folder; give a folder or a new file name"), (
            line
        )
        assert Path("afile").read_text(encoding="utf-8") == "mine\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# ------------------------------------------------------------ durations in check-config


@pytest.mark.parametrize(("written", "shown"), [("90s", "90s"), ("60s", "1m"), ("3h", "3h")])
def test_check_config_writes_poll_intervals_as_in_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str, shown: str
) -> None:
    """It printed Python's ``0:01:30``."""
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    config = write(
        tmp_path, yaml.safe_dump(mutate(lambda d: d["sources"][0].update(poll_interval=written)))
    )
    result = CliRunner().invoke(app, ["check-config", "-c", str(config)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert f"demo (jsonl, every {shown})" in text, result.stdout
    assert "0:0" not in result.stdout and "3:00:00" not in result.stdout


# ------------------------------------------------- a templates folder no mode reads yet


def _with_templates(tmp_path: Path, templates: str, modes: dict[str, str]) -> Path:
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    acks = {"templates": templates, "modes": modes}
    return write(tmp_path, yaml.safe_dump(mutate(lambda d: _x_lines(d, acknowledgements=acks))))


def _x_lines(data: dict[str, Any], **changes: Any) -> None:
    """BASE's jsonl lines read as x, where its brand account is: no other warning."""
    data["sources"][0]["platform"] = "x"
    data.update(changes)


def test_a_missing_templates_folder_is_a_warning_while_every_mode_is_off(tmp_path: Path) -> None:
    settings = load_settings(_with_templates(tmp_path, "replies", {}), environ={})
    assert settings_warnings(settings) == [
        f"acknowledgements.templates: {tmp_path / 'replies'} does not exist; it is not read "
        "while every acknowledgements mode is off, but turning one on will fail until it is a "
        "folder of <lang>.yaml templates (or leave templates unset for the shipped ones)"
    ]
    (tmp_path / "replies").write_text("", encoding="utf-8")
    (warning,) = settings_warnings(load_settings(tmp_path / "replywatch.yaml", environ={}))
    assert "replies is a file, not a folder" in warning
    (tmp_path / "replies").unlink()
    (tmp_path / "replies").mkdir()
    assert settings_warnings(load_settings(tmp_path / "replywatch.yaml", environ={})) == []
    assert settings_warnings(load_settings(write(tmp_path, mutate(_x_lines)), environ={})) == []


def test_check_config_warns_of_a_missing_templates_folder_and_still_says_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said OK and nothing else: the slip surfaced the day a mode was turned on."""
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    config = _with_templates(tmp_path, "replies", {"x": "off"})
    result = CliRunner().invoke(app, ["check-config", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert f"warning: acknowledgements.templates: {tmp_path / 'replies'} does not exist" in (
        " ".join(result.stderr.split())
    )
    assert "replywatch.yaml:OK" in "".join(result.stdout.split())  # rich folds the title


def test_check_config_refuses_a_missing_templates_folder_a_mode_would_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    config = _with_templates(tmp_path, "replies", {"x": "dry-run"})
    result = CliRunner().invoke(app, ["check-config", "-c", str(config)])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"config error: acknowledgements.templates: {tmp_path / 'replies'} does not exist"
    )
