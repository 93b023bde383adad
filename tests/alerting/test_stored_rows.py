"""Rows loaded in their stored form (`db.bulk.StoredForm`, `load_rows(stored=True)`) read back as the ORM
writes them, on SQLite and PostgreSQL; generated ids are random version-4 UUIDs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, select

from tests.alerting.support import Clock, add_signal, destination, rule, seed
from tests.support.workspace import Workspace
from tripl_core.alerting.models import CorrelationGroup
from tripl_core.db.bulk import StoredForm, load_rows, uuid4_block


def test_generated_ids_are_random_version_4_uuids() -> None:
    ids = uuid4_block(2000)
    parsed = [uuid.UUID(hex=value) for value in ids]
    assert len(set(ids)) == 2000
    assert all(len(value) == 32 for value in ids)
    assert {value.version for value in parsed} == {4}
    assert {value.variant for value in parsed} == {uuid.RFC_4122}


def test_stored_values_read_back_as_written(ws: Workspace) -> None:
    s = seed(ws)
    add_signal(ws.db, s, bucket=Clock().now - timedelta(minutes=5))
    hook = destination(ws, {"type": "webhook", "target_url": "https://hooks.example.com/x"})
    made = rule(ws, hook["id"])
    moment = datetime(2026, 3, 10, 12, 30, 15, 123456, tzinfo=UTC)
    with ws.db.unit_of_work() as session:
        form = StoredForm.of(session)
        group_id = form.new_id()
        load_rows(session, cast(Table, CorrelationGroup.__table__),
                  ("id", "project_id", "scan_config_id", "rule_id", "scope", "scope_ref", "scope_name", "direction",
                   "status", "item_count", "false_positive_count", "first_bucket", "latest_bucket", "created_at",
                   "updated_at"),
                  [(group_id, form.uuid(s.project_id), form.uuid(s.scan_id), form.uuid(uuid.UUID(made["id"])),
                    "event", "e1", "e1", "spike", "open", 1, 0, form.moment(moment), form.moment(moment),
                    form.moment(moment), form.moment(moment))], stored=True)
    with ws.db.unit_of_work() as session:
        group = session.get(CorrelationGroup, uuid.UUID(hex=group_id))
        assert group is not None
        assert group.first_bucket == moment
        assert group.created_at == moment
        assert group.rule_id == uuid.UUID(made["id"])
        assert group.project_id == s.project_id
        # a stored moment compares in SQL as the ORM's own binding of it does
        assert session.scalar(select(CorrelationGroup.id).where(CorrelationGroup.latest_bucket >= moment)) == group.id
        assert session.scalar(select(CorrelationGroup.id).where(
            CorrelationGroup.latest_bucket > moment - timedelta(microseconds=1))) == group.id
