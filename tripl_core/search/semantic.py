"""Semantic search of one branch: the query's vector against the branch's document vectors (cosine; all
vectors are unit length, so a matrix product), held in memory per branch until the index changes."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.search.embedders import Vectors, from_bytes
from tripl_core.search.fuzzy import Vocabulary
from tripl_core.search.models import SearchDocument
from tripl_core.search.text import words

CANDIDATES = 50  # per side: RRF gives ranks deeper than this almost nothing
STAMP_SECONDS = 0.5
MIN_COSINE = 0.12  # below this the model is guessing
RELATIVE_FLOOR = 0.5  # and hits far below the best one are noise beside it

T = TypeVar("T")
Stamp = tuple[int, object, object]


def stamp(session: Session, branch_id: uuid.UUID) -> Stamp:
    """Changes whenever a document of the branch is added, removed, rewritten or (re)embedded."""
    where = SearchDocument.branch_id == branch_id
    row = session.execute(select(
        select(func.count(SearchDocument.branch_id)).where(where).scalar_subquery(),
        select(func.max(SearchDocument.indexed_at)).where(where).scalar_subquery(),
        select(func.max(SearchDocument.embedded_at)).where(where).scalar_subquery())).one()
    return int(row[0] or 0), row[1], row[2]


class RecentStamps:
    """Each branch's stamp, re-read at most every STAMP_SECONDS: the caches it guards (typo vocabulary,
    vectors) may trail a write by that much; lexical matching itself always reads the committed index."""

    def __init__(self) -> None:
        self._seen: dict[uuid.UUID, tuple[float, Stamp]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, branch_id: uuid.UUID) -> Stamp:
        now = time.monotonic()
        with self._lock:
            found = self._seen.get(branch_id)
        if found is not None and now - found[0] < STAMP_SECONDS:
            return found[1]
        current = stamp(session, branch_id)
        with self._lock:
            self._seen[branch_id] = (now, current)
            if len(self._seen) > 256:
                self._seen.pop(next(iter(self._seen)))
        return current


class BranchCache(Generic[T]):
    """A few branches' derived structures, rebuilt when their stamp moves."""

    def __init__(self, size: int = 16) -> None:
        self._items: OrderedDict[tuple[uuid.UUID, str], tuple[Stamp, T]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[uuid.UUID, str], current: Stamp, build: Callable[[], T]) -> T:
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == current:
                self._items.move_to_end(key)
                return found[1]
        value = build()
        with self._lock:
            self._items[key] = (current, value)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


TYPE_CODES = {name: code for code, name in enumerate(("event_type", "event", "field", "meta_field", "variable"))}


@dataclass(frozen=True)
class Matrix:
    ids: npt.NDArray[np.int64]
    type_codes: npt.NDArray[np.int8]
    archived: npt.NDArray[np.bool_]
    vectors: Vectors


def load_matrix(session: Session, branch_id: uuid.UUID, model: str) -> Matrix:
    rows = session.execute(select(SearchDocument.id, SearchDocument.doc_type, SearchDocument.archived,
                                  SearchDocument.embedding)
                           .where(SearchDocument.branch_id == branch_id, SearchDocument.embedding.is_not(None),
                                  SearchDocument.embedding_model == model)).all()
    if not rows:
        return Matrix(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.bool_),
                      np.zeros((0, 0), np.float32))
    return Matrix(ids=np.array([r[0] for r in rows], dtype=np.int64),
                  type_codes=np.array([TYPE_CODES.get(r[1], -1) for r in rows], dtype=np.int8),
                  archived=np.array([bool(r[2]) for r in rows]),
                  vectors=np.vstack([from_bytes(bytes(r[3] or b"")) for r in rows]))


def load_vocabulary(session: Session, branch_id: uuid.UUID) -> Vocabulary:
    vocabulary: set[str] = set()
    for names, body, extra in session.execute(select(SearchDocument.names, SearchDocument.body, SearchDocument.extra)
                                              .where(SearchDocument.branch_id == branch_id)):
        vocabulary.update(names.split())
        vocabulary.update(body.split())
        vocabulary.update(extra.split())
    return Vocabulary(vocabulary)


def rank(matrix: Matrix, query: Vectors, types: set[str], include_archived: bool,
         limit: int = CANDIDATES) -> list[int]:
    """Ids of the documents nearest the query vector, best first."""
    if matrix.vectors.shape[0] == 0 or matrix.vectors.shape[1] != query.shape[0]:
        return []
    # einsum, not BLAS: a threaded gemv on a busy small machine waits on its own threads (10x slower here).
    scores = np.einsum("ij,j->i", matrix.vectors, query)
    allowed = np.isin(matrix.type_codes, [TYPE_CODES[t] for t in types if t in TYPE_CODES])
    if not include_archived:
        allowed &= ~matrix.archived
    scores = np.where(allowed, scores, -1.0)
    best = float(scores.max())
    floor = max(MIN_COSINE, best * RELATIVE_FLOOR)
    count = min(limit, int((scores >= floor).sum()))
    if count == 0:
        return []
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(matrix.ids[i]) for i in top]


def query_text(query: str) -> str:
    """Identifiers in a query read as words, like the documents' names."""
    return " ".join(words(query)) or query
