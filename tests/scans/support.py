"""Scan config bodies and job polling for the scans API tests (warehouses and the job poll from sources_support)."""

from __future__ import annotations

from typing import Any

from tests.sources.support import poll_job
from tests.support.workspace import Actor

SCANS = "/api/v1/projects/{slug}/scans"
EVENTS_QUERY = "SELECT id, ts, category, properties FROM events"


def scan_body(source: dict[str, Any], name: str = "events", **extra: Any) -> dict[str, Any]:
    return {"data_source_id": source["id"], "name": name, "base_query": EVENTS_QUERY,
            "event_type_column": "category", "time_column": "ts", **extra}


def create_scan(actor: Actor, source: dict[str, Any], slug: str = "shop", **extra: Any) -> dict[str, Any]:
    response = actor.post(SCANS.format(slug=slug), json=scan_body(source, **extra))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def wait_for_scan_job(actor: Actor, scan: dict[str, Any], job_id: str, slug: str = "shop",
                      seconds: float = 60.0) -> dict[str, Any]:
    """Poll Get Scan Job until the job has finished; fail (not hang) when it never does."""
    return poll_job(actor, f"{SCANS.format(slug=slug)}/{scan['id']}/jobs/{job_id}", seconds)
