"""Lexical search of one branch: SQLite FTS5 (bm25) or PostgreSQL full text (ts_rank), each query word
matched as itself, as a prefix, and — when the branch does not know it — as its nearest vocabulary words."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from tripl_core.search.fuzzy import Vocabulary

CANDIDATES = 50  # per side: RRF gives ranks deeper than this almost nothing
# A word in a row's name counts most, one in its description, options or tags next, one among the values an
# event sends least (the field that declares an option outranks the events that merely use it).
NAMES_WEIGHT, BODY_WEIGHT, EXTRA_WEIGHT = 4.0, 1.0, 0.25


@dataclass(frozen=True)
class Filters:
    branch_id: uuid.UUID
    types: Sequence[str]
    include_archived: bool


def alternatives(words: Sequence[str], vocabulary: Vocabulary) -> list[list[str]]:
    """For each query word, the terms that may match it: itself (also as a prefix) and near spellings."""
    return [[word, *vocabulary.similar(word)] for word in words]


def search(session: Session, filters: Filters, terms: list[list[str]], *, limit: int = CANDIDATES,
           every_word: bool = False) -> list[int]:
    """Ids of documents matching any query word, best first; with `every_word`, only those matching all."""
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite(session, filters, terms, limit, " AND " if every_word else " OR ")
    return _postgres(session, filters, terms, limit, " & " if every_word else " | ")


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _sqlite(session: Session, filters: Filters, terms: list[list[str]], limit: int, joiner: str) -> list[int]:
    groups = []
    for options in terms:
        word, *near = options
        parts = [_quote(word) + ("*" if len(word) >= 2 else "")] + [_quote(n) for n in near]
        groups.append("(" + " OR ".join(parts) + ")")
    match = joiner.join(groups)
    type_list = ", ".join(f":t{i}" for i in range(len(filters.types)))
    params: dict[str, object] = {f"t{i}": t for i, t in enumerate(filters.types)}
    statement = sql(
        "SELECT d.id FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid "
        "WHERE search_fts MATCH :match AND d.branch_id = :branch "
        f"AND d.doc_type IN ({type_list}) " + ("" if filters.include_archived else "AND d.archived = 0 ") +
        f"ORDER BY bm25(search_fts, {NAMES_WEIGHT}, {BODY_WEIGHT}, {EXTRA_WEIGHT}), d.id LIMIT :limit")
    params.update(match=match, branch=filters.branch_id.hex, limit=limit)
    return [row[0] for row in session.execute(statement, params)]


_PG_VECTOR = ("(setweight(to_tsvector('simple', names), 'A') || setweight(to_tsvector('simple', body), 'B') || "
              "setweight(to_tsvector('simple', extra), 'C'))")


def _pg_term(term: str, *, prefix: bool) -> str:
    # Only word characters reach here (text.words), but tsquery syntax is quoted all the same.
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + "'" + (":*" if prefix else "")


def _postgres(session: Session, filters: Filters, terms: list[list[str]], limit: int, joiner: str) -> list[int]:
    groups = []
    for options in terms:
        word, *near = options
        groups.append("(" + " | ".join([_pg_term(word, prefix=len(word) >= 2)] +
                                       [_pg_term(n, prefix=False) for n in near]) + ")")
    statement = sql(
        f"SELECT id FROM search_documents, to_tsquery('simple', :query) q "
        f"WHERE {_PG_VECTOR} @@ q AND branch_id = :branch AND doc_type = ANY(:types) " +
        ("" if filters.include_archived else "AND NOT archived ") +
        f"ORDER BY ts_rank('{{0.0, {EXTRA_WEIGHT / NAMES_WEIGHT}, {BODY_WEIGHT / NAMES_WEIGHT}, 1.0}}', "
        f"{_PG_VECTOR}, q) DESC, id LIMIT :limit")
    return [row[0] for row in session.execute(statement, {"query": joiner.join(groups), "branch": filters.branch_id,
                                                          "types": list(filters.types), "limit": limit})]
