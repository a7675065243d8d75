"""Search: the rep's words against their accounts' notes, by meaning and by exact words, answered with passages.

Two rankings of the same chunks: the dense one from the vector index (paraphrases) and the lexical one from the
database's full-text index (names, numbers, rare words), each scoped to what the user may see inside its own
query. They are fused in code (``fusion.py``), cut at a relevance floor, and each hit is shown as the sentence
window that matched (``passages.py``) with its span in the interaction's text.
"""

from coach.search.query import STOP_WORDS, ParsedQuery, parse, tokenize
from coach.search.searcher import Searcher, SearchHit

__all__ = ["STOP_WORDS", "ParsedQuery", "SearchHit", "Searcher", "parse", "tokenize"]
