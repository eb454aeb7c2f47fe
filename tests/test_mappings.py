"""search_mappings/ is the one description of the fields: keep it consistent."""
import json
import re

import pytest

from matchmaker.search import analysis
from matchmaker.search.analysis import tokenize
from matchmaker.search.mappings import MAPPINGS_DIR, load_indexes

FILES = sorted(MAPPINGS_DIR.glob("*.json"))
CANONICAL = json.loads((MAPPINGS_DIR / "needs-v1.json").read_text())["settings"]["analysis"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_index_is_strict_and_text_uses_the_shared_analyzer(path):
    body = json.loads(path.read_text())
    assert body["mappings"]["dynamic"] == "strict"
    assert body["mappings"]["properties"]["id"] == {"type": "keyword"}
    spec = load_indexes()[path.name.split("-v")[0]]
    if spec.text_fields:
        assert body["settings"]["analysis"] == CANONICAL, "copy the analysis block of needs-v1.json"
    for field in spec.text_fields:
        node = body["mappings"]["properties"]
        for part in field.split("."):
            node = node[part].get("properties", node[part])
        assert node["analyzer"] == "cjk_en"


def test_the_python_twin_follows_the_declared_analyzer():
    analyzer = CANONICAL["analyzer"]["cjk_en"]
    # analysis.py implements exactly this chain; if it changes, change tokenize() too
    assert analyzer["tokenizer"] == "standard"
    assert analyzer["filter"] == ["cjk_width", "lowercase", "cjk_bigram", "english_stop", "english_stem"]
    assert CANONICAL["filter"]["english_stem"] == {"type": "stemmer", "language": "english"}
    assert CANONICAL["char_filter"]["word_joiners"]["pattern"] == "['’_]"


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("新能源汽车电池", ["新能", "能源", "源汽", "汽车", "车电", "电池"]),
        ("担保", ["担保"]),
        ("药", ["药"]),
        ("The company's patents on batteries", ["compani", "s", "patent", "batteri"]),
        ("Ｆｕｌｌ-width ＡＢＣ", ["full", "width", "abc"]),
        ("知识产权质押 loans", ["知识", "识产", "产权", "权质", "质押", "loan"]),
        ('"quoted" NEAR( x* ) AND', ["quot", "near", "x"]),
        ("", []),
    ],
)
def test_tokens(text, tokens):
    assert tokenize(text) == tokens


def test_words_are_runs_of_word_characters_that_are_neither_underscores_nor_cjk():
    """Every character of Unicode splits text as its definition says (a CJK run, or a run of
    word characters other than the underscore and CJK), lower-cased or not."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    cjk = analysis._CJK
    defined = re.compile(rf"([{cjk}]+)|((?:(?![{cjk}_])\w)+)")
    for text in (every, every.lower(), " ".join(every)):
        assert analysis._TOKEN.findall(text) == defined.findall(text)
