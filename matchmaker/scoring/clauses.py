"""Search filters evaluated in Python (:func:`holds`, :func:`compile_clause`): they live
beside the query they evaluate, in :mod:`matchmaker.search.filters`, where the embedded
backend's record scans use them too."""
from ..search.filters import compile_clause, holds

__all__ = ["compile_clause", "holds"]
