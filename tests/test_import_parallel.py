"""Importing with validation in a second process gives exactly what the one-process import gives."""
import json

import pytest

from matchmaker import create_app
from matchmaker.importexport import import_file
from matchmaker.search import Query, Terms
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, institution_doc, need_doc

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory):
    lines = [{"kind": "institution", "id": "i1", **institution_doc()}]
    for e in range(300):
        lines.append({"kind": "enterprise", "id": f"e{e:03d}", **enterprise_doc(name=f"企业{e}")})
    for n in range(2500):
        need = need_doc(f"e{n % 300:03d}", title=f"融资需求 {n}", amount=1_000_000 + n)
        if n % 97 == 0:
            need["amount"] = -5  # a field error
        if n % 211 == 0:
            need["enterprise_id"] = "nobody"  # no such enterprise
        lines.append({"kind": "need", "id": f"n{n:05d}", **need})
    # a later line for the same need wins, though another worker validated it
    lines.append({"kind": "need", "id": "n00001", **need_doc("e001", title="重复的需求 replacement", amount=7_000_000)})
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    text += '\n{"kind": "need", broken json\n{"kind": "spaceship"}\n{"kind": "need", "id": "n-twice", "kind": "institution"}\n'
    path = tmp_path_factory.mktemp("parallel") / "data.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def load(folder, path, parallel):
    backend = get_backend(create_app({"DATA_DIR": str(folder)}))
    backend.init()
    report = import_file(backend, path, parallel=parallel)
    needs = {d["id"]: {k: v for k, v in d.items() if k not in ("created_at", "updated_at", "published_at", "published_month")}
             for d in backend.scan("needs")}
    # the full-text tokens were made in the workers: text search must find what it finds serially
    found = {text: [d["id"] for d in backend.search("needs", Query(text=text, per_page=100)).items]
             for text in ("融资需求 12", "replacement", "企业7", "需求")}
    # the enterprises' readiness was assessed, and their first snapshots made, in the workers
    snapshots = sorted((s["enterprise_id"], s["board"], s["score"], s["ready"], s["latest"], s["enterprise_name"])
                       for s in backend.scan("readiness"))
    found["latest snapshots"] = backend.count("readiness", Query(filters=[Terms("latest", [True])]))
    return report, needs, found, snapshots


def test_parallel_import_equals_the_serial_one(tmp_path, jsonl):
    serial_report, serial_needs, serial_found, serial_snapshots = load(tmp_path / "serial", jsonl, parallel=False)
    parallel_report, parallel_needs, parallel_found, parallel_snapshots = load(tmp_path / "parallel", jsonl, parallel=True)
    assert parallel_found == serial_found
    assert parallel_snapshots == serial_snapshots and len(serial_snapshots) == serial_found["latest snapshots"] > 300
    assert serial_found["replacement"] == ["n00001"] and len(serial_found["融资需求 12"]) > 5
    assert serial_needs["n00001"]["amount"] == 7_000_000
    assert parallel_report.imported == serial_report.imported
    assert [(r.line, r.message) for r in parallel_report.rejected] == [(r.line, r.message) for r in serial_report.rejected]
    assert parallel_needs == serial_needs
    bad = {r.line for r in serial_report.rejected}
    # 26 amounts below zero and 12 unknown enterprises (need 0 is both), and the three broken lines
    # (the last one's kind twice: parsed where its batch is validated, in a worker when parallel)
    assert len(bad) == len(serial_report.rejected) == 26 + 12 - 1 + 3
    assert serial_report.rejected[-1].message == '"kind" appears twice (\'need\' and \'institution\')'
    assert serial_report.imported["need"] == 2500 - (26 + 12 - 1) + 1


def test_reimported_enterprises_update_the_copies_their_stored_needs_carry(tmp_path, jsonl):
    backend = get_backend(create_app({"DATA_DIR": str(tmp_path)}))
    backend.init()
    import_file(backend, jsonl, parallel=False)
    changed = tmp_path / "enterprises.jsonl"
    changed.write_text("\n".join(
        json.dumps({"kind": "enterprise", "id": f"e{e:03d}", **enterprise_doc(name=f"企业{e}", industry="biomedicine")},
                   ensure_ascii=False) for e in range(0, 300, 2)) + "\n", encoding="utf-8")
    assert not import_file(backend, changed).rejected
    industries = {}
    for need in backend.scan("needs"):
        industries.setdefault(int(need["enterprise_id"][1:]) % 2, set()).add(need["industry"])
    assert industries == {0: {"biomedicine"}, 1: {"new_energy"}}


def test_lines_without_ids_are_not_stored_twice_when_the_file_is_imported_again(backend, tmp_path):
    from tests.conftest import institution_doc

    path = tmp_path / "no-ids.jsonl"
    lines = [{"kind": "institution", **institution_doc(name=f"机构 {n}")} for n in range(5)]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    first = import_file(backend, path, parallel=False)
    assert first.imported["institution"] == 5 and not first.rejected
    ids = {doc["id"] for doc in backend.scan("institutions")}
    again = import_file(backend, path, parallel=False)  # a re-run, as after a killed import
    assert again.imported["institution"] == 5
    assert {doc["id"] for doc in backend.scan("institutions")} == ids and len(ids) == 5


def test_a_parallel_reimport_keeps_the_history_the_file_lacks(tmp_path, jsonl):
    """The workers store what they validated; the fields the server keeps (a need's
    brokering facts, when it was published) are taken from the stored copy afterwards,
    and must reach the record and the index all the same."""
    backend = get_backend(create_app({"DATA_DIR": str(tmp_path)}))
    backend.init()
    import_file(backend, jsonl, parallel=True)
    before = backend.get("needs", "n00002")
    facts = {"answered": 1, "first_answer_at": "2012-05-02T10:00:00+00:00"}
    backend.replace("needs", "n00002", {**{k: v for k, v in before.items() if k != "version"}, "brokering": facts,
                                        "published_at": "2012-05-01T02:00:00+00:00", "published_month": "2012-05"})
    assert import_file(backend, jsonl, parallel=True).imported["need"] > 0
    after = backend.get("needs", "n00002")
    assert after["brokering"] == facts and after["published_at"] == "2012-05-01T02:00:00+00:00"
    may = Query(filters=[Terms("published_month", ["2012-05"])])
    assert [d["id"] for d in backend.search("needs", may).items] == ["n00002"]
