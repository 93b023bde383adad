"""Turning plan text into search words: identifiers split into their words (`addToCart`, `add_to_cart`,
`add-to-cart` all give `add to cart`), lower-cased, accents kept as the tokenizers see them."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 12


def words(text: str | None) -> list[str]:
    """The lower-case words of `text`, identifiers split at case changes, digits and separators."""
    if not text:
        return []
    return [w.lower() for w in _WORD.findall(_CAMEL.sub(" ", text))]


def joined(parts: Iterable[str | None]) -> str:
    """The words of every part, space separated (what the lexical index stores)."""
    return " ".join(w for part in parts for w in words(part))


def query_words(query: str) -> list[str]:
    """A query's distinct words in order, at most MAX_QUERY_WORDS."""
    seen: dict[str, None] = {}
    for word in words(query):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


def same_name(query: str, name: str) -> bool:
    """`Add To Cart`, `add_to_cart` and `addToCart` name the same thing."""
    return bool(name) and words(query) == words(name)


def snippet(*parts: str | None, limit: int = 240) -> str:
    text = " · ".join(p.strip() for p in parts if p and p.strip())
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
