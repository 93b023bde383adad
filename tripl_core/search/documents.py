"""Search documents built from the plan rows of one branch (SEMANTICS §12): what each kind of row says in
words (names and display names; descriptions, values, tags, enum options), for the lexical index and the
embedder alike."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventMetaValue,
    EventStatus,
    EventTag,
    EventType,
    FieldDefinition,
    MetaField,
    Variable,
)
from tripl_core.search import text

CHUNK = 500  # ids per IN (...) list


class DocType(StrEnum):
    event_type = "event_type"
    event = "event"
    field = "field"
    meta_field = "meta_field"
    variable = "variable"


@dataclass(frozen=True)
class Document:
    doc_type: DocType
    entity_id: uuid.UUID
    title: str
    names: str
    body: str
    snippet: str
    extra: str = ""
    archived: bool = False
    event_type_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None

    @property
    def content_hash(self) -> str:
        parts = [self.title, self.names, self.body, self.extra, self.snippet, str(self.archived),
                 str(self.event_type_id)]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()



@dataclass
class Wanted:
    """Which rows of a branch to (re)build; `everything` rebuilds the whole branch. `type_members` names
    event types whose events and fields to rebuild too (their documents carry the type's name)."""

    everything: bool = False
    event_types: set[uuid.UUID] = field(default_factory=set)
    events: set[uuid.UUID] = field(default_factory=set)
    fields: set[uuid.UUID] = field(default_factory=set)
    meta_fields: set[uuid.UUID] = field(default_factory=set)
    variables: set[uuid.UUID] = field(default_factory=set)
    type_members: set[uuid.UUID] = field(default_factory=set)

    def ids(self, doc_type: DocType) -> set[uuid.UUID]:
        value: set[uuid.UUID] = getattr(self, _ATTR[doc_type])
        return value

    def empty(self) -> bool:
        return not self.everything and not any(self.ids(t) for t in DocType)


_ATTR = {DocType.event_type: "event_types", DocType.event: "events", DocType.field: "fields",
         DocType.meta_field: "meta_fields", DocType.variable: "variables"}


def build(session: Session, branch_id: uuid.UUID, wanted: Wanted) -> list[Document]:
    """The documents of the wanted rows that exist on the branch (rows gone are simply absent)."""
    types = {t.id: t for t in session.scalars(select(EventType).where(EventType.branch_id == branch_id))}
    docs: list[Document] = []
    docs += _event_type_docs(session, branch_id, types, wanted)
    docs += _field_docs(session, branch_id, types, wanted)
    docs += _event_docs(session, branch_id, types, wanted)
    docs += _meta_field_docs(session, branch_id, wanted)
    docs += _variable_docs(session, branch_id, wanted)
    return docs


def _rows(session: Session, model: Any, branch_id: uuid.UUID, ids: set[uuid.UUID] | None) -> Iterator[Any]:
    """All rows of the branch (ids None) or those with the given ids, in chunks."""
    if ids is None:
        yield from session.scalars(select(model).where(model.branch_id == branch_id))
        return
    for chunk in chunks(sorted(ids)):
        yield from session.scalars(select(model).where(model.branch_id == branch_id, model.id.in_(chunk)))


def chunks(ids: Sequence[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])


def _wanted_ids(wanted: Wanted, doc_type: DocType) -> set[uuid.UUID] | None:
    return None if wanted.everything else wanted.ids(doc_type)


def _event_type_docs(session: Session, branch_id: uuid.UUID, types: dict[uuid.UUID, EventType],
                     wanted: Wanted) -> list[Document]:
    ids = set(types) if wanted.everything else wanted.ids(DocType.event_type) & set(types)
    if not ids:
        return []
    field_names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for chunk in chunks(sorted(ids)):
        for type_id, name in session.execute(select(FieldDefinition.event_type_id, FieldDefinition.name)
                                             .where(FieldDefinition.event_type_id.in_(chunk))):
            field_names[type_id].append(name)
    docs = []
    for type_id in ids:
        t = types[type_id]
        docs.append(Document(DocType.event_type, t.id, title=t.display_name or t.name,
                             names=text.joined([t.name, t.display_name]),
                             body=text.joined([t.description, "fields", *field_names[t.id]]),
                             snippet=text.snippet(t.description, ", ".join(sorted(field_names[t.id]))),
                             event_type_id=t.id))
    return docs


def _field_docs(session: Session, branch_id: uuid.UUID, types: dict[uuid.UUID, EventType],
                wanted: Wanted) -> list[Document]:
    ids = _wanted_ids(wanted, DocType.field)
    if ids is not None and not ids:
        return []
    docs = []
    for f in _rows(session, FieldDefinition, branch_id, ids):
        owner = types.get(f.event_type_id)
        options = list(f.enum_options or [])
        docs.append(Document(DocType.field, f.id, title=f.name, names=text.joined([f.name, f.display_name]),
                             body=text.joined([f.description, f.field_type, *options,
                                               owner.name if owner else None]),
                             snippet=text.snippet(f.description, ", ".join(options),
                                                  f"on {owner.name}" if owner else None),
                             event_type_id=f.event_type_id))
    return docs


def _event_docs(session: Session, branch_id: uuid.UUID, types: dict[uuid.UUID, EventType],
                wanted: Wanted) -> list[Document]:
    ids = _wanted_ids(wanted, DocType.event)
    if ids is not None and not ids:
        return []
    events = list(_rows(session, Event, branch_id, ids))
    if not events:
        return []
    tags: dict[uuid.UUID, list[str]] = defaultdict(list)
    values: dict[uuid.UUID, list[str]] = defaultdict(list)
    for chunk in chunks([e.id for e in events]):
        for event_id, tag in session.execute(select(EventTag.event_id, EventTag.tag)
                                             .where(EventTag.event_id.in_(chunk))):
            tags[event_id].append(tag)
        for model in (EventFieldValue, EventMetaValue):
            for event_id, value in session.execute(select(model.event_id, model.value)
                                                   .where(model.event_id.in_(chunk))):
                values[event_id].append(value)
    docs = []
    for e in events:
        owner = types.get(e.event_type_id)
        docs.append(Document(DocType.event, e.id, title=e.name, names=text.joined([e.name, e.source_name]),
                             body=text.joined([e.description, *tags[e.id], owner.name if owner else None,
                                               owner.display_name if owner else None]),
                             extra=text.joined(values[e.id]),
                             snippet=text.snippet(e.description, ", ".join(sorted(tags[e.id]))),
                             archived=e.status == EventStatus.archived.value,
                             event_type_id=e.event_type_id, event_id=e.id))
    return docs


def _meta_field_docs(session: Session, branch_id: uuid.UUID, wanted: Wanted) -> list[Document]:
    ids = _wanted_ids(wanted, DocType.meta_field)
    if ids is not None and not ids:
        return []
    docs = []
    for m in _rows(session, MetaField, branch_id, ids):
        options = list(m.enum_options or [])
        docs.append(Document(DocType.meta_field, m.id, title=m.name, names=text.joined([m.name, m.display_name]),
                             body=text.joined([m.field_type, *options, m.default_value]),
                             snippet=text.snippet(m.display_name, ", ".join(options))))
    return docs


def _variable_docs(session: Session, branch_id: uuid.UUID, wanted: Wanted) -> list[Document]:
    ids = _wanted_ids(wanted, DocType.variable)
    if ids is not None and not ids:
        return []
    return [Document(DocType.variable, v.id, title=v.name, names=text.joined([v.name, v.source_name]),
                     body=text.joined([v.description, v.variable_type]), snippet=text.snippet(v.description))
            for v in _rows(session, Variable, branch_id, ids)]


def embedding_text(doc_type: str, names: str, body: str, extra: str) -> str:
    """What the embedder reads: the kind, the name in words, then the rest."""
    return f"{doc_type.replace('_', ' ')}: {names}. {body}. {extra}"[:2000]
