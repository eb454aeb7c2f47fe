"""schemathesis against the app's own OpenAPI document, in-process through WSGI.

Shared by ``tests/test_schemathesis.py`` (a bounded run in CI) and
``scripts/schemathesis_long.py`` (the long form, thousands of requests).  Every operation of
``/api/v1/openapi.json`` is fed positive data (what the document allows) and negative data
(what it refuses), signed in as zone staff with a bearer token; path parameters are, half of
the time, ids of real documents, so the handlers behind them run too, not only the 404.
Each response is checked: never a 5xx, and its status, content type, headers and body as
the document says.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from matchmaker import create_app
from matchmaker.core.users import User
from matchmaker.accounts.service import issue_token
from matchmaker.storage import get_backend

API = "/api/v1"
OPENAPI = f"{API}/openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
#: Argon2id of "schemathesis staff 2012", computed once: hashing it here would cost a second a run.
STAFF_HASH = "$argon2id$v=19$m=65536,t=3,p=4$0Fz9swsCUf9uQHa1VJlduQ$0wuJ/tAkVLqitgke8ZEu/TtzON/7b4h7ggMZN29w9BY"


def make_app(data_dir: str):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "schemathesis"})
    get_backend(app).init()
    return app


def _user(backend, username: str, role: str, **binding) -> dict:
    doc = {"username": username, "display_name": username, "role": role, "active": True,
           "password_hash": STAFF_HASH, "session_generation": 0, **binding}
    return backend.create("users", doc, doc_id=username)


def bearer(backend, user_doc: dict) -> dict:
    return {"Authorization": f"Bearer {issue_token(backend, User(user_doc), ttl_hours=24)['token']}"}


def seed(app) -> tuple[dict, dict[str, list[str]], dict]:
    """Staff, a few institutions, enterprises, needs, and the brokering records between them.

    Returns the staff's headers, real ids by path-parameter name, and the staff user document.
    """
    from tests.conftest import enterprise_doc, institution_doc, need_doc

    backend = get_backend(app)
    staff_doc = _user(backend, "fuzzstaff", "staff")
    staff = bearer(backend, staff_doc)
    client = app.test_client()

    def post(path, body, status=201):
        r = client.post(API + path, json=body, headers=staff)
        assert r.status_code == status, (path, r.status_code, r.get_json())
        return r.get_json()

    insts = [post("/institutions", institution_doc()),
             post("/institutions", institution_doc(name="华苑科技融资担保有限公司", name_en="Huayuan Guarantee",
                                                  type="guarantee", instruments=["guarantee"], industries=[],
                                                  stages=["growth", "expansion"], ticket_min=1_000_000, ticket_max=20_000_000,
                                                  description="为科技企业银行贷款提供担保")),
             post("/institutions", institution_doc(name="渤海银行科技支行", name_en="Bohai Bank Tech Branch", type="bank",
                                                  instruments=["debt"], industries=["biomedicine", "new_energy"]))]
    ents = [post("/enterprises", enterprise_doc()),
            post("/enterprises", enterprise_doc(industry="biomedicine", description="生物制药 biopharma")),
            post("/enterprises", enterprise_doc(stage="startup", description="工业机器人 industrial robots"))]
    needs = []
    for ent in ents:
        needs.append(post("/needs", need_doc(ent["id"])))
        needs.append(post("/needs", need_doc(ent["id"], status="draft", title="草稿 draft need")))
        needs.append(post("/needs", need_doc(ent["id"], instrument="debt", amount=3_000_000, equity_offered_pct=None,
                                             title="流动资金贷款 working capital loan")))
    open_needs = [n for n in needs if n["status"] == "open"]
    interest = post("/interests", {"need_id": open_needs[0]["id"], "response": "interested",
                                   "institution_id": insts[0]["id"]})
    intro = post("/introductions", {"need_id": open_needs[1]["id"], "institution_id": insts[1]["id"]})
    meeting = post("/meetings", {"need_id": open_needs[0]["id"], "institution_id": insts[0]["id"],
                                 "starts_at": "2030-03-04T10:00:00+08:00", "ends_at": "2030-03-04T11:00:00+08:00",
                                 "location": "滨海高新区管委会 301"})
    saved = post("/saved-searches", {"name": "电池", "q": "电池", "institution_id": insts[0]["id"]})
    users = [_user(backend, "fuzzent", "enterprise", enterprise_id=ents[0]["id"]),
             _user(backend, "fuzzinst", "institution", institution_id=insts[0]["id"])]
    notes = client.get(f"{API}/notifications", query_string={"per_page": 100}, headers=bearer(backend, users[0])).get_json()
    audit = client.get(f"{API}/audit", query_string={"per_page": 20}, headers=staff).get_json()
    ids = {
        "institution_id": [d["id"] for d in insts],
        "enterprise_id": [d["id"] for d in ents],
        "need_id": [d["id"] for d in needs],
        "interest_id": [interest["id"]],
        "intro_id": [intro["id"]],
        "meeting_id": [meeting["id"]],
        "saved_id": [saved["id"]],
        "user_id": [u["id"] for u in users],  # never the staff doing the fuzzing: PATCH could disable it
        "notification_id": [n["id"] for n in (notes or {}).get("items", [])] or ["none"],
        "entry_id": [e["id"] for e in (audit or {}).get("items", [])][:5] or ["none"],
    }
    return staff, ids, staff_doc


def _doc_kind(path: str) -> str | None:
    for kind, name in (("/institutions/{doc_id}", "institution_id"), ("/enterprises/{doc_id}", "enterprise_id"),
                       ("/needs/{doc_id}", "need_id")):
        if path.endswith(kind):
            return name
    return None


@dataclass
class Report:
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # (operation, check title) -> first message
    seconds: float = 0.0
    unsatisfiable: list = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.requests} requests in {self.seconds:.1f} s over {len(self.by_operation)} operations; "
                 f"status codes: {dict(sorted(self.by_status.items()))}; {len(self.failures)} distinct failures",
                 f"no cases to generate: {', '.join(self.unsatisfiable) or 'none'}"]
        for (label, title), message in sorted(self.failures.items()):
            lines.append(f"--- {label}: {title}\n{message[:3000]}")
        return "\n".join(lines)


def _operations(schema):
    ops = [result.ok() for result in schema.get_all_operations()]
    # deletions last, so the other operations still find the seeded documents
    return sorted(ops, key=lambda op: op.method.lower() == "delete")


def fuzz(app, *, max_examples: int, modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
         seed_value: int | None = None, operation_filter=None, log=None) -> Report:
    """Run every operation of the app's OpenAPI document; collect failures instead of stopping."""
    staff, ids, staff_doc = seed(app)
    backend = get_backend(app)
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    # every request as staff: a missing or mangled token only tests the 401 (the access matrix does that)
    schema.config.generation.update(with_security_parameters=False)
    report = Report()
    started = time.monotonic()
    for op in _operations(schema):
        label = f"{op.method.upper()} {op.path}"
        if operation_filter and not operation_filter(label):
            continue
        for mode in modes:
            strategy = op.as_strategy(generation_mode=mode)

            @settings(max_examples=max_examples, deadline=None, database=None, derandomize=seed_value is None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=strategy, data=st.data())
            def run(case, data):
                # half of the time a real id where the path names a document, so the handler does real work
                for name in list(case.path_parameters or {}):
                    pool = ids.get(_doc_kind(op.path) if name == "doc_id" else name)
                    if pool and data.draw(st.booleans(), label=f"real {name}"):
                        case.path_parameters[name] = data.draw(st.sampled_from(pool), label=name)
                # and in a body: a meeting, an interest or a need about real documents can be accepted
                if isinstance(case.body, dict):
                    for name in ("need_id", "institution_id", "enterprise_id"):
                        if name in case.body and data.draw(st.booleans(), label=f"real body {name}"):
                            case.body[name] = data.draw(st.sampled_from(ids[name]), label=name)
                headers = staff
                if label == f"DELETE {API}/auth/token":  # signing out revokes the token: use a spare one
                    headers = bearer(backend, staff_doc)
                response = case.call(headers=headers)
                report.requests += 1
                report.by_status[response.status_code] += 1
                report.by_operation[label] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = (label, failure.title)
                        if key not in report.failures:
                            report.failures[key] = f"[{mode.value}] {failure.message}\n{case.as_curl_command(headers=headers)}"

            if seed_value is not None:
                from hypothesis import seed as hypothesis_seed
                run = hypothesis_seed(seed_value)(run)
            try:
                run()
            except Unsatisfiable:  # nothing to make negative: no parameters and no body
                report.unsatisfiable.append(f"{label} [{mode.value}]")
        if log:
            log(f"{label}: {report.by_operation[label]} requests, {report.requests} so far")
    report.seconds = time.monotonic() - started
    return report
