"""Text analysis shared by every search backend.

Elasticsearch and OpenSearch analyse text with the ``cjk_en`` analyzer declared in
``search_mappings/*.json``: a char filter that turns apostrophes and underscores into
spaces, the standard tokenizer, ``cjk_width``, ``lowercase``, ``cjk_bigram``, the
English stop list and the English (Porter) stemmer.  The embedded backend runs this
module on the text first and hands tantivy the resulting tokens separated by spaces (its
``whitespace`` tokenizer), so "新能源汽车电池" matches "电池" there as on a cluster.  Queries
go through the same function, so a word matches on every backend in the same way.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from operator import add

import snowballstemmer

#: Lucene's English stop words (``_english_``), the list the ``stop`` filter uses.
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the "
    "their then there these they this to was will with".split()
)

# Han, Hiragana, Katakana and Hangul: the scripts ``cjk_bigram`` turns into bigrams.
_CJK = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
)
# A token is a run of CJK characters (made into bigrams below), or a run of letters and
# digits in any other script.  Underscores and apostrophes split words, as the
# ``cjk_en`` analyzer's char filter makes them do.  (A word character that is no
# underscore and no CJK is one class, not a lookahead before each character: the same
# runs in three quarters of the time.)
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")

# A snowball stemmer keeps its state in the object between calls: one shared by several
# threads mixes their words up (and raises IndexError), so each thread gets its own.
_local = threading.local()


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("porter")
    return stemmer


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    # Lucene's Porter stemmer leaves words of one or two letters alone; so do we.
    if len(word) > 2 and word.isascii() and word.isalpha():
        return _stemmer().stemWord(word)
    return word


def tokenize(text: str | None) -> list[str]:
    """Split text into the tokens both backends index: CJK bigrams and stemmed words.

    A run of CJK characters gives its overlapping bigrams (a lone character stands for
    itself), as ``cjk_bigram`` does; other words are lower-cased, stop words dropped, and
    ASCII words Porter-stemmed.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for cjk_run, word in _TOKEN.findall(text):
        if cjk_run:
            if len(cjk_run) == 1:
                tokens.append(cjk_run)
            else:
                tokens += map(add, cjk_run, cjk_run[1:])  # each character with the next
        elif word not in ENGLISH_STOP_WORDS:
            stem = _stem(word)
            if stem:
                tokens.append(stem)
    return tokens


def analyzed(text: str | None) -> str:
    """The tokens of ``text`` as one space-separated string: what an index that splits on
    whitespace (tantivy's ``whitespace`` tokenizer) reads back as the same tokens."""
    return " ".join(tokenize(text))
