"""An import of needs reads the copy each enterprise's import kept of it, instead of
working out the enterprise's readiness on every board again, and only while that copy is
still the enterprise's own: the enterprise unchanged since, and the same day."""
import json
from datetime import date

import pytest

from matchmaker import clock, create_app, importexport
from matchmaker.importexport import import_file
from matchmaker.needs.service import enterprise_copy
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, need_doc

DAY = date(2012, 9, 3)


def write(path, lines):
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def imported(tmp_path, monkeypatch):
    """Ten enterprises imported on DAY, and a needs file for them; yields the backend, the
    needs file and the enterprises whose copy the needs import worked out."""
    backend = get_backend(create_app({"DATA_DIR": str(tmp_path / "data")}))
    backend.init()
    enterprises = write(tmp_path / "enterprises.jsonl", [
        {"kind": "enterprise", "id": f"e{n}", **enterprise_doc(name=f"企业{n}", stage="expansion")} for n in range(10)])
    needs = write(tmp_path / "needs.jsonl", [
        {"kind": "need", "id": f"n{n}", **need_doc(f"e{n}", title=f"扩大产能 {n}")} for n in range(10)])
    with clock.as_of(DAY):
        assert not import_file(backend, enterprises, parallel=False).rejected
    worked_out = []

    def counted(enterprise):
        worked_out.append(enterprise["id"])
        return enterprise_copy(enterprise)

    monkeypatch.setattr(importexport, "enterprise_copy", counted)
    yield backend, needs, worked_out
    backend.close()


def copies_carried(backend):
    return {need["enterprise_id"]: {k: need[k] for k in ("industry", "stage", "enterprise_name", "enterprise")}
            for need in backend.scan("needs")}


def test_the_needs_import_reads_the_copies_the_enterprises_import_kept(imported):
    backend, needs, worked_out = imported
    with clock.as_of(DAY):
        assert not import_file(backend, needs, parallel=False).rejected
        expected = {e["id"]: enterprise_copy(e) for e in backend.scan("enterprises")}
    assert worked_out == []
    assert copies_carried(backend) == expected
    assert all(copy["enterprise"]["listing_readiness"] is not None for copy in expected.values())


def test_an_enterprise_changed_since_gets_its_copy_worked_out_again(imported):
    backend, needs, worked_out = imported
    changed = backend.get("enterprises", "e3")
    backend.replace("enterprises", "e3", {**changed, "name": "改名企业", "high_tech_certified": False})
    with clock.as_of(DAY):
        assert not import_file(backend, needs, parallel=False).rejected
    assert worked_out == ["e3"]
    carried = copies_carried(backend)["e3"]
    assert carried["enterprise_name"] == "改名企业" and carried["enterprise"]["high_tech_certified"] is False


def test_on_another_day_every_copy_is_worked_out_again(imported):
    backend, needs, worked_out = imported
    later = date(2016, 9, 3)
    with clock.as_of(later):
        assert not import_file(backend, needs, parallel=False).rejected
        expected = {e["id"]: enterprise_copy(e) for e in backend.scan("enterprises")}
    assert sorted(worked_out) == sorted(f"e{n}" for n in range(10))
    assert copies_carried(backend) == expected
