"""A setting the service cannot run with stops it at start-up, naming the setting."""
from __future__ import annotations

import pytest

from matchmaker import create_app
from matchmaker.errors import ConfigurationError
from tests.server import cli


@pytest.mark.parametrize("setting, value", [
    ("MAX_PER_PAGE", "many"),
    ("MAX_PER_PAGE", 0),
    ("TOKEN_TTL_HOURS", -1),
    ("SIGNIN_MAX_FAILURES", True),
    ("SESSION_COOKIE_SECURE", "perhaps"),
    ("TODAY", "30 June 2012"),
    ("BABEL_DEFAULT_LOCALE", "fr"),
    ("TARGETS_FILE", "/nonexistent/targets.json"),
    ("SCORING_FILE", "/nonexistent/scoring.json"),
    ("BOARD_RULES_DIR", "/nonexistent/boards"),
])
def test_a_bad_setting_is_refused_by_name(tmp_path, setting, value):
    with pytest.raises(ConfigurationError) as caught:
        create_app({"DATA_DIR": tmp_path, "TESTING": True, setting: value})
    assert f"MATCHMAKER_{setting}" in caught.value.message


def test_numbers_and_booleans_given_as_text_are_taken(tmp_path):
    app = create_app({"DATA_DIR": tmp_path, "TESTING": True, "MAX_PER_PAGE": "50", "SESSION_COOKIE_SECURE": "true"})
    assert app.config["MAX_PER_PAGE"] == 50 and app.config["SESSION_COOKIE_SECURE"] is True


def test_a_damaged_scoring_file_stops_start_up_not_a_page(tmp_path):
    (tmp_path / "scoring.json").write_text("{not json")
    with pytest.raises(ConfigurationError) as caught:
        create_app({"DATA_DIR": tmp_path, "TESTING": True})
    assert "scoring.json" in caught.value.message


@pytest.mark.slow
def test_the_command_line_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_TODAY", "yesterday")
    result = cli(tmp_path, "init")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "MATCHMAKER_TODAY" in lines[0], result.stderr
