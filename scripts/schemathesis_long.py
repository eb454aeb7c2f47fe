#!/usr/bin/env python3
"""The long form of tests/test_schemathesis.py: thousands of generated requests.

Every operation of ``/api/v1/openapi.json``, positive and negative data, through the Flask
app in-process (WSGI), signed in as staff, over seeded documents (see ``tests/api_fuzz.py``).
Fails on any 5xx and on any answer the document does not describe.

    .venv/bin/python scripts/schemathesis_long.py                    # 50 examples per operation and mode: over 5,000 requests
    .venv/bin/python scripts/schemathesis_long.py --examples 100 --seed 7
    .venv/bin/python scripts/schemathesis_long.py --only /needs      # operations whose label contains it

Prints the number of requests, status codes and every distinct failure; exit status 0 when
there is none.  Without ``--seed`` the run is random (a new seed each time, printed).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.api_fuzz import fuzz, make_app  # noqa: E402
from matchmaker.storage import get_backend  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="examples per operation and generation mode")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", default=None, help="only operations whose label (METHOD /path) contains this")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"seed {seed}, {args.examples} examples per operation and mode", flush=True)
    with tempfile.TemporaryDirectory(prefix="matchmaker-schemathesis-") as data_dir:
        app = make_app(data_dir)
        try:
            report = fuzz(app, max_examples=args.examples, seed_value=seed,
                          operation_filter=(lambda label: args.only in label) if args.only else None,
                          log=lambda line: print(line, flush=True))
        finally:
            get_backend(app).close()
    print(report.summary())
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
