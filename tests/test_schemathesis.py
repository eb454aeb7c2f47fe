"""schemathesis against /api/v1/openapi.json, every operation, in CI.

A bounded run: a few positive and a few negative examples per operation, through the Flask
app in-process (WSGI), signed in as staff, over seeded institutions, enterprises, needs,
an interest, an introduction, a meeting and a saved search.  No answer may be a 5xx, and
every answer must be what the document says (status, content type, headers, body).  The
long form, thousands of requests: ``python scripts/schemathesis_long.py``.
"""
from __future__ import annotations

import os

import pytest

from tests.api_fuzz import fuzz, make_app
from matchmaker.storage import get_backend

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")

#: examples per operation and generation mode; MATCHMAKER_SCHEMATHESIS_EXAMPLES for more
EXAMPLES = int(os.environ.get("MATCHMAKER_SCHEMATHESIS_EXAMPLES", "5"))


def test_every_operation_conforms_and_never_fails(tmp_path):
    app = make_app(tmp_path)
    try:
        report = fuzz(app, max_examples=EXAMPLES)
    finally:
        get_backend(app).close()
    print(report.summary())
    assert not report.failures, report.summary()
    assert len(report.by_operation) >= 60, "every operation of the document is exercised"
    # the seeded ids make the handlers do real work, not only answer 404 and 422
    assert sum(n for status, n in report.by_status.items() if status < 300) >= len(report.by_operation)
