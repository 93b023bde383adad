"""The one way a unit of work is split in two.

Services flush and never commit: the owner of the session — the request (`tripl_api.transaction`'s
TransactionalRoute) or `Database.unit_of_work` — commits once, at its end. Two things cannot wait for that
end, and only they call `commit_so_far`:
- a run's job row must be committed before the run is launched, because the run reads it from another
  process or thread (`tripl_core.jobs.launch.launch`);
- no app-database transaction may stay open while something slow outside the app answers (a warehouse
  probe, a notification channel, writing a demo warehouse): on SQLite the open transaction would hold the
  one write lock for seconds.
What the caller does afterwards is a second unit of work in the same session, which the owner commits (or
rolls back) at its end as usual."""

from __future__ import annotations

from sqlalchemy.orm import Session


def commit_so_far(session: Session) -> None:
    """Commit the unit of work up to here; the session goes on in a fresh transaction."""
    session.commit()
