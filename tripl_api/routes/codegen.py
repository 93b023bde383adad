"""Typed tracking code generated from a branch of the plan (beyond the reference, SEMANTICS §15)."""

from __future__ import annotations

from fastapi import Response

from tripl_api.deps import DbSession
from tripl_api.plan_deps import PlanReader
from tripl_api.routing import api_router
from tripl_core.codegen import service
from tripl_core.codegen.generate import Language

router = api_router("codegen", "/projects/{slug}/codegen")


@router.get("/{language}", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "One source file"}})
def get_codegen(language: Language, scope: PlanReader, session: DbSession) -> Response:
    """One source file for the branch's events: deterministic, headed "generated, do not edit"."""
    generated = service.source(session, scope, language)
    return Response(generated.text, media_type=f"{generated.media_type}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{generated.file_name}"',
                             "ETag": f'"{generated.plan_hash}"'})
