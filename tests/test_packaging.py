"""What a wheel must carry besides the Python modules (setup.cfg)."""
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_template_folder_is_installed_with_the_wheel():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    installed = {key.strip() for key in config["options.data_files"]}
    folders = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.html")}
    assert {f"share/matchmaker/{folder}" for folder in folders} <= installed
    assert "share/matchmaker/search_mappings" in installed
