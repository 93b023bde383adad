"""Typo tolerance, the same on SQLite and PostgreSQL: a query word absent from a branch's vocabulary is
widened to the vocabulary words most like it by trigram similarity (pg_trgm's measure: shared trigrams of
the space-padded words over all their trigrams)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

MIN_SIMILARITY = 0.34
MAX_ALTERNATIVES = 3
MIN_WORD_LENGTH = 4  # shorter words have too few trigrams to tell a typo from another word


def trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


class Vocabulary:
    """The distinct words of a branch's documents, indexed by trigram."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = set(words)
        self._by_trigram: dict[str, list[str]] = defaultdict(list)
        self._sizes: dict[str, int] = {}
        for word in self.words:
            grams = trigrams(word)
            self._sizes[word] = len(grams)
            for gram in grams:
                self._by_trigram[gram].append(word)
        self._sorted = sorted(self.words)

    def has_prefix(self, prefix: str) -> bool:
        from bisect import bisect_left

        at = bisect_left(self._sorted, prefix)
        return at < len(self._sorted) and self._sorted[at].startswith(prefix)

    def similar(self, word: str) -> list[str]:
        """Up to MAX_ALTERNATIVES vocabulary words like `word`, most similar first; none for a word the
        vocabulary knows (as a word or a prefix) or one too short to judge."""
        if len(word) < MIN_WORD_LENGTH or word in self.words or self.has_prefix(word):
            return []
        grams = trigrams(word)
        shared: dict[str, int] = defaultdict(int)
        for gram in grams:
            for candidate in self._by_trigram.get(gram, ()):
                shared[candidate] += 1
        allowed = 1 if len(word) <= 5 else 2
        scored = []
        for candidate, common in shared.items():
            if common < 2:
                continue
            similarity = common / (len(grams) + self._sizes[candidate] - common)
            distance = edit_distance(word, candidate, limit=allowed + 1)
            # Trigrams miss swapped letters (`prodcut`); a small edit distance catches them.
            if similarity >= MIN_SIMILARITY or distance <= allowed:
                scored.append((distance, -similarity, candidate))
        scored.sort()
        return [candidate for _, _, candidate in scored[:MAX_ALTERNATIVES]]


def edit_distance(a: str, b: str, *, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours counts once), capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)
