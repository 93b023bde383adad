"""Per-project anomaly settings (SEMANTICS §4): read by every role and key, changed by editors."""

from __future__ import annotations

from tripl_api.deps import DbSession, ProjectReader, ProjectWriter
from tripl_api.routing import api_router
from tripl_core.metrics import anomaly_settings
from tripl_core.metrics.anomaly_settings import AnomalySettingsOut, AnomalySettingsUpdate

router = api_router("anomaly-settings", "/projects/{slug}/anomaly-settings")


@router.get("", response_model=AnomalySettingsOut)
def get_project_anomaly_settings(project: ProjectReader, session: DbSession) -> AnomalySettingsOut:
    return AnomalySettingsOut.model_validate(anomaly_settings.get(session, project.id))


@router.patch("", response_model=AnomalySettingsOut)
def update_project_anomaly_settings(body: AnomalySettingsUpdate, project: ProjectWriter,
                                    session: DbSession) -> AnomalySettingsOut:
    """Absent fields are kept; min_history_buckets may not exceed baseline_window_buckets (422)."""
    return AnomalySettingsOut.model_validate(anomaly_settings.update(session, project.id, body))
