"""Imports every model module so `Base.metadata` is complete (Alembic autogenerate, test schemas)."""

from tripl_core.access import models as access_models
from tripl_core.alerting import models as alerting_models
from tripl_core.branching import models as branching_models
from tripl_core.db.base import Base
from tripl_core.jobs import models as jobs_models
from tripl_core.metrics import models as metrics_models
from tripl_core.observe import models as observe_models
from tripl_core.photos import models as photos_models
from tripl_core.plan import models as plan_models
from tripl_core.scan_configs import models as scan_configs_models
from tripl_core.search import models as search_models
from tripl_core.service_settings import models as service_settings_models
from tripl_core.sources import models as sources_models

__all__ = ["Base", "access_models", "alerting_models", "branching_models", "jobs_models", "metrics_models",
           "observe_models", "photos_models", "plan_models", "scan_configs_models", "search_models",
           "service_settings_models", "sources_models"]
