"""A settings file whose SQLite database holds the team's corrected labels."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from monitor.db import make_engine, make_sessionmaker, upgrade
from monitor.models import Label
from monitor.settings_file import load_settings

CONFIG = """\
database_url: sqlite:///{db}
entities:
  - id: acme
    kind: brand
    name: Acme
    terms: [Acme]
    team: support
sources:
  - name: demo
    type: jsonl
    path: posts.jsonl
teams:
  support:
    slack_channel: "#support"
"""


def write_config(tmp_path: Path, extra: str = "") -> Path:
    """``replywatch.yaml`` in ``tmp_path``, its database ``rw.db`` beside it."""
    config = tmp_path / "replywatch.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "rw.db") + extra, encoding="utf-8")
    return config


def store_labels(config: Path, labels: Iterable[Label]) -> None:
    engine = make_engine(load_settings(config).database_url)
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        session.add_all(labels)
    engine.dispose()
