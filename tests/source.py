"""Reading the package's source in tests that check it (the layers, the error catalog)."""
from __future__ import annotations

import ast


def parse_source(text: str):
    """``ast.parse``, tried again when CPython 3.11's shared AST recursion counter was upset by
    another thread formatting a traceback at the same moment (SystemError "AST constructor
    recursion depth mismatch", gh-106905; fixed in 3.12)."""
    for attempt in range(3):
        try:
            return ast.parse(text)
        except SystemError:
            if attempt == 2:
                raise
