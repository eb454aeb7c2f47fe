"""``search_mappings/*.json``: the one description of every index, read by both backends.

Each file is ``<index>-v<N>.json`` and holds what Elasticsearch's create-index API takes
(``settings`` and ``mappings``).  ``mappings._meta`` adds what a mapping cannot say:
``search_fields`` (text fields searched by ``q``, with their weights), ``arrays`` (fields
that hold lists of values), ``facets`` and ``sortable`` (fields results are often sorted
by: the SQLite backend gives each an index of its own).  The SQLite backend derives its tables from
the same file through :class:`IndexSpec`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigurationError
from ..resources import data_folder

MAPPINGS_DIR = data_folder("search_mappings")
_FILE_NAME = re.compile(r"^(?P<index>[a-z_]+)-v(?P<version>\d+)\.json$")

SCALAR_TYPES = {"keyword", "long", "integer", "short", "byte", "float", "double", "date", "boolean"}
NUMERIC_TYPES = {"long", "integer", "short", "byte", "float", "double"}


@dataclass(frozen=True)
class FieldSpec:
    path: str  # dotted path, e.g. "requirements.min_revenue"
    type: str
    indexed: bool = True
    array: bool = False

    @property
    def column(self) -> str:
        """The SQL column name for this path."""
        return self.path.replace(".", "__")


@dataclass(frozen=True)
class IndexSpec:
    name: str
    version: int
    body: dict  # the file as Elasticsearch takes it
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    text_fields: tuple[str, ...] = ()
    search_fields: dict[str, float] = field(default_factory=dict)
    facets: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ()

    @property
    def scalar_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.type in SCALAR_TYPES and not f.array]

    @property
    def array_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.array]

    def field(self, path: str) -> FieldSpec:
        try:
            return self.fields[path]
        except KeyError:
            raise ConfigurationError(f"index {self.name!r} has no field {path!r}") from None


def _walk(properties: dict, prefix: str = ""):
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            yield from _walk(spec["properties"], f"{path}.")
        else:
            yield path, spec


def parse_index(name: str, version: int, body: dict) -> IndexSpec:
    mappings = body.get("mappings", {})
    meta = mappings.get("_meta", {})
    arrays = set(meta.get("arrays", []))
    fields: dict[str, FieldSpec] = {}
    text_fields = []
    for path, spec in _walk(mappings.get("properties", {})):
        ftype = spec.get("type", "object")
        if ftype == "object" and spec.get("enabled") is False:
            continue  # kept in the stored document only
        if ftype == "text":
            text_fields.append(path)
        elif ftype not in SCALAR_TYPES:
            raise ConfigurationError(f"{name}: field {path} has unsupported type {ftype!r}")
        fields[path] = FieldSpec(path, ftype, spec.get("index", True), path in arrays)
    unknown = (arrays | set(meta.get("facets", [])) | set(meta.get("search_fields", {})) | set(meta.get("sortable", []))) - set(fields)
    if unknown:
        raise ConfigurationError(f"{name}: _meta names unknown fields {sorted(unknown)}")
    return IndexSpec(
        name=name,
        version=version,
        body=body,
        fields=fields,
        text_fields=tuple(text_fields),
        search_fields={k: float(v) for k, v in meta.get("search_fields", {}).items()},
        facets=tuple(meta.get("facets", [])),
        sortable=tuple(meta.get("sortable", [])),
    )


@lru_cache(maxsize=None)
def load_indexes(directory: Path = MAPPINGS_DIR) -> dict[str, IndexSpec]:
    """Every index described in ``directory``, at its newest version."""
    found: dict[str, IndexSpec] = {}
    for path in sorted(directory.glob("*.json")):
        m = _FILE_NAME.match(path.name)
        if not m:
            raise ConfigurationError(f"{path.name}: mapping files are named <index>-v<N>.json")
        version = int(m["version"])
        if m["index"] in found and found[m["index"]].version > version:
            continue
        body = json.loads(path.read_text(encoding="utf-8"))
        found[m["index"]] = parse_index(m["index"], version, body)
    if not found:
        raise ConfigurationError(f"no mappings in {directory}")
    return found


def get_value(doc: dict, path: str):
    """The value at a dotted path of a document, or None."""
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
