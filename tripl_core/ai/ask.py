"""Ask the plan (SEMANTICS §13): the question retrieves the top documents of project search, which go to the
model as labelled, quoted data; the answer cites the labels it relied on, returned as `sources`."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.ai.chat import ChatModel
from tripl_core.ai.prompts import ASK_SYSTEM, quoted
from tripl_core.ai.schemas import AskOut, AskSource, ModelAnswer
from tripl_core.search.engine import SearchEngine
from tripl_core.search.models import SearchDocument
from tripl_core.service_settings.schema import AiSettings

RETRIEVED = 12


def ask(session: Session, engine: SearchEngine, branch_id: uuid.UUID, model: ChatModel, ai: AiSettings,
        question: str) -> AskOut:
    results = engine.search(session, branch_id, question, limit=RETRIEVED)
    hits = results.items
    bodies = {(d.doc_type, d.entity_id): d.body for d in session.scalars(
        select(SearchDocument).where(SearchDocument.branch_id == branch_id,
                                     SearchDocument.entity_id.in_([h.id for h in hits])))} if hits else {}
    labelled = {f"S{i}": hit for i, hit in enumerate(hits, start=1)}
    documents = [{"label": label, "type": hit.type, "title": hit.title, "summary": hit.snippet,
                  "words": bodies.get((hit.type, hit.id), "")[:600]} for label, hit in labelled.items()]
    messages = [{"role": "system", "content": ai.ask_system_prompt or ASK_SYSTEM},
                {"role": "user", "content": quoted({"documents": documents}) +
                 "\n\nQuestion (answer it from the documents above):\n" + quoted({"question": question})}]
    answer = model.structured(messages, ModelAnswer)
    cited = [labelled[label] for label in dict.fromkeys(s.strip() for s in answer.sources) if label in labelled]
    return AskOut(answer=answer.answer, semantic_used=results.semantic_used,
                  sources=[AskSource(type=h.type, id=h.id, title=h.title) for h in cited])
