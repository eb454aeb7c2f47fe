"""/api/v1/health: one word for anyone (a load balancer's probe), the parts and the writes
searches cannot see yet for staff.  The unreachable search cluster is in
``test_es_unreachable.py``."""
from __future__ import annotations

import threading

from tests.conftest import enterprise_doc, need_doc

URL = "/api/v1/health"


def test_anyone_gets_one_word_and_staff_the_parts(client, actors, backend):
    anonymous = client.get(URL)
    assert (anonymous.status_code, anonymous.get_json()) == (200, {"status": "ok"})
    ent = backend.create("enterprises", enterprise_doc())
    assert client.get(URL, headers=actors.as_enterprise(ent["id"])).get_json() == {"status": "ok"}
    staff = client.get(URL, headers=actors.as_staff()).get_json()
    assert staff == {"status": "ok", "records": "ok", "search": "ok", "unseen": 0}


def test_unseen_counts_the_writes_waiting_for_the_index(client, actors, backend):
    """Another thread's writes held for one drain (as a request holds them) are unseen
    until it lets them go."""
    staff = actors.as_staff()
    ent = backend.create("enterprises", enterprise_doc())
    written, go = threading.Event(), threading.Event()

    def request_with_two_writes():
        backend.hold_indexing()
        backend.create("needs", need_doc(ent["id"], title="储能 health"))
        backend.create("needs", need_doc(ent["id"], title="储能 health 2"))
        written.set()
        go.wait(30)
        backend.release_indexing()

    writer = threading.Thread(target=request_with_two_writes)
    writer.start()
    try:
        assert written.wait(30)
        assert client.get(URL, headers=staff).get_json()["unseen"] == 2
    finally:
        go.set()
        writer.join(30)
    assert client.get(URL, headers=staff).get_json()["unseen"] == 0
