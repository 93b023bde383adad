"""Project search (SEMANTICS §12): lexical and semantic rankings fused by reciprocal rank, over the
documents of one branch; and the embedding of documents after their text changed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.search import index, lexical, semantic
from tripl_core.search.documents import DocType, embedding_text
from tripl_core.search.embedders import Embedder, to_bytes
from tripl_core.search.embedding_queue import EmbeddingQueue
from tripl_core.search.fuzzy import Vocabulary
from tripl_core.search.models import SearchDocument
from tripl_core.search.text import query_words, same_name, words

log = logging.getLogger(__name__)

RRF_K = 60  # the usual constant: ranks deep in either list still count, the top of each dominates
EXACT_NAME_BONUS = 1.0  # larger than any fused score: a row named exactly as asked comes first
# Next come rows named as the query reads with its misspelt words corrected (`purchse` → `purchase`), whatever
# the semantic side makes of the misspelling or of rows not embedded yet.
CORRECTED_NAME_BONUS = 0.5
EMBED_BATCH = 256
BOTH = frozenset({"lexical", "semantic"})

ChooseEmbedder = Callable[[Session], Embedder | None]
"""The embedder the settings select now, or None when semantic search is switched off."""


@dataclass(frozen=True)
class Hit:
    type: str
    id: uuid.UUID
    title: str
    snippet: str
    score: float
    event_type_id: uuid.UUID | None
    event_id: uuid.UUID | None


@dataclass(frozen=True)
class Results:
    items: list[Hit]
    total: int
    semantic_used: bool


class SearchEngine:
    """One per process: the embedder choice, the per-branch caches and the embedding queue."""

    def __init__(self, db: Database, choose_embedder: ChooseEmbedder) -> None:
        self.db = db
        self.choose_embedder = choose_embedder
        self.queue = EmbeddingQueue(self.embed_branch)
        self._vocabularies: semantic.BranchCache[Vocabulary] = semantic.BranchCache()
        self._matrices: semantic.BranchCache[semantic.Matrix] = semantic.BranchCache()
        self._stamps = semantic.RecentStamps()

    # --- searching -----------------------------------------------------------------------------
    def search(self, session: Session, branch_id: uuid.UUID, query: str, *, types: Sequence[str] | None = None,
               include_archived: bool = False, limit: int = 20, sides: frozenset[str] = BOTH) -> Results:
        """`sides` narrows the ranking to `lexical` or `semantic` alone (the quality benchmark compares them)."""
        kinds = list(dict.fromkeys(types)) if types else [t.value for t in DocType]
        current = self._stamps.get(session, branch_id)
        vocabulary = self._vocabularies.get((branch_id, "vocabulary"), (*current[:2], None),
                                            lambda: semantic.load_vocabulary(session, branch_id))
        filters = lexical.Filters(branch_id, kinds, include_archived)
        terms = lexical.alternatives(query_words(query), vocabulary)
        lexical_ids = lexical.search(session, filters, terms) if "lexical" in sides else []
        # Documents holding every word of a several-word query get one more first-rank vote.
        complete = lexical.search(session, filters, terms, every_word=True) \
            if "lexical" in sides and len(terms) > 1 else []
        semantic_ids, semantic_used = self._semantic(session, branch_id, query, current, set(kinds),
                                                     include_archived) if "semantic" in sides else ([], False)
        fused = fuse([lexical_ids, semantic_ids])
        for doc_id in complete:
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + 1)
        corrected = " ".join(options[1] if len(options) > 1 else options[0] for options in terms) \
            if any(len(options) > 1 for options in terms) else None
        return self._results(session, query, corrected, fused, limit, semantic_used)

    def _semantic(self, session: Session, branch_id: uuid.UUID, query: str, current: semantic.Stamp,
                  kinds: set[str], include_archived: bool) -> tuple[list[int], bool]:
        embedder = self.choose_embedder(session)
        if embedder is None or current[2] is None:
            return [], False
        matrix = self._matrices.get((branch_id, embedder.model), current,
                                    lambda: semantic.load_matrix(session, branch_id, embedder.model))
        if matrix.vectors.shape[0] == 0:
            return [], False
        try:
            vector = embedder.embed([semantic.query_text(query)])[0]
        except Exception as exc:  # a provider down must not take lexical search with it
            log.warning("semantic search skipped: the embedder failed: %s", exc)
            return [], False
        return semantic.rank(matrix, vector, kinds, include_archived), True

    def _results(self, session: Session, query: str, corrected: str | None, fused: dict[int, float], limit: int,
                 semantic_used: bool) -> Results:
        """`corrected` is the query's words with each one the branch does not know replaced by its nearest
        vocabulary word (None when the branch knows every word)."""
        if not fused:
            return Results([], 0, semantic_used)
        d = SearchDocument
        asked = " ".join(words(query))
        names = {row[0]: (row[1], row[2]) for row in session.execute(select(d.id, d.names, d.title)
                                                                       .where(d.id.in_(list(fused))))}
        for doc_id, (doc_names, title) in names.items():
            # Cheap tests first: the title is only split into words when its first letter fits.
            if asked and (doc_names == asked or (title[:1].lower() == asked[:1] and same_name(query, title))):
                fused[doc_id] += EXACT_NAME_BONUS
            elif corrected and (doc_names == corrected or same_name(corrected, title)):
                fused[doc_id] += CORRECTED_NAME_BONUS
        ranked = sorted((doc_id for doc_id in fused if doc_id in names), key=lambda i: (-fused[i], i))
        shown = ranked[:limit]
        rows = {row.id: row for row in session.execute(
            select(d.id, d.doc_type, d.entity_id, d.title, d.snippet, d.event_type_id, d.event_id)
            .where(d.id.in_(shown)))} if shown else {}
        items = [Hit(type=rows[i].doc_type, id=rows[i].entity_id, title=rows[i].title, snippet=rows[i].snippet,
                     score=round(fused[i], 6), event_type_id=rows[i].event_type_id, event_id=rows[i].event_id)
                 for i in shown]
        return Results(items, len(ranked), semantic_used)

    # --- indexing ------------------------------------------------------------------------------
    def reindex(self, session: Session, branch_id: uuid.UUID) -> tuple[int, bool]:
        """Rebuild the branch's documents in the caller's transaction; embeddings follow its commit."""
        count = index.reindex(session, branch_id)
        scheduled = self.choose_embedder(session) is not None
        if scheduled:
            pending_embeddings(session).add(branch_id)
        return count, scheduled

    def reindex_now(self, session: Session, branch_id: uuid.UUID) -> int:
        """Rebuild the branch's documents, embeddings left to the caller (the pipeline embeds right after)."""
        return index.reindex(session, branch_id)

    def embed_branch(self, branch_id: uuid.UUID) -> int:
        """Embed the branch's documents whose vector is missing, stale or from another model. Batches are
        read and embedded outside any write transaction; each batch's vectors are then written in a short one."""
        with self.db.session(write=False) as session:
            embedder = self.choose_embedder(session)
        if embedder is None:
            return 0
        done = 0
        while True:
            with self.db.session(write=False) as session:
                batch = session.execute(
                    select(SearchDocument.id, SearchDocument.content_hash, SearchDocument.doc_type,
                           SearchDocument.names, SearchDocument.body, SearchDocument.extra)
                    .where(SearchDocument.branch_id == branch_id,
                           (SearchDocument.embedded_hash.is_(None))
                           | (SearchDocument.embedded_hash != SearchDocument.content_hash)
                           | (SearchDocument.embedding_model != embedder.model))
                    .order_by(SearchDocument.id).limit(EMBED_BATCH)).all()
            if not batch:
                return done
            vectors = embedder.embed([embedding_text(doc_type, names, body, extra)
                                      for _, _, doc_type, names, body, extra in batch])
            now = utcnow()
            rows = [{"row_id": doc_id, "hash": content_hash, "vector": to_bytes(np.asarray(vector))}
                    for (doc_id, content_hash, *_), vector in zip(batch, vectors, strict=True)]
            with self.db.unit_of_work() as session:
                # Only where the text is still the one embedded: a write in between re-queues the branch.
                session.connection().execute(
                    update(SearchDocument).where(SearchDocument.id == bindparam("row_id"),
                                                 SearchDocument.content_hash == bindparam("hash"))
                    .values(embedding=bindparam("vector"), embedding_model=embedder.model,
                            embedded_hash=bindparam("hash"), embedded_at=now), rows)
            done += len(batch)


def fuse(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to the documents it ranks."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for position, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + position)
    return scores


PENDING_KEY = "search_pending_embeddings"


def pending_embeddings(session: Session) -> set[uuid.UUID]:
    """Branches whose embeddings to refresh once this session commits (see freshness.py)."""
    pending: set[uuid.UUID] = session.info.setdefault(PENDING_KEY, set())
    return pending
