"""Helpers for the photo API tests: a project with one event, uploads, URLs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.plan.support import make_event, make_type, ok, url
from tests.support.workspace import Actor, Workspace


@dataclass
class Shop:
    slug: str
    event_id: str
    event_type_id: str

    def photos(self, path: str = "", branch: str | None = None) -> str:
        suffix = f"?branch={branch}" if branch else ""
        return url(self.slug, f"/events/{self.event_id}/photos{path}{suffix}")


def shop(ws: Workspace, slug: str = "shop") -> Shop:
    ws.project(slug, slug.title())
    event_type = make_type(ws.owner, slug, "checkout")
    event = make_event(ws.owner, slug, event_type["id"], "checkout_started")
    return Shop(slug=slug, event_id=event["id"], event_type_id=event_type["id"])


def upload(actor: Actor, target: str, content: bytes, filename: str = "screen.png",
           content_type: str = "image/png") -> httpx.Response:
    return actor.post(target, files={"file": (filename, content, content_type)})


def uploaded(actor: Actor, place: Shop, content: bytes, filename: str = "screen.png",
             branch: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = ok(upload(actor, place.photos(branch=branch), content, filename), 201)
    return result


def stored_files(state_dir: Path) -> list[Path]:
    root = state_dir / "photos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
