"""What the app holds for its lifetime: settings, the database, the rate limiter, the secret box, the
job worker, the run launcher (Dagster) scans go through, the service settings store and project search."""

from __future__ import annotations

from dataclasses import dataclass, field

from tripl_api.runs import UnconfiguredLauncher
from tripl_core.access.rate_limit import Rate, RateLimiter
from tripl_core.db.engine import Database
from tripl_core.jobs.launch import RunLauncher
from tripl_core.search.engine import SearchEngine
from tripl_core.security import SecretBox
from tripl_core.service_settings.store import SettingsStore
from tripl_core.settings import Settings
from tripl_core.sources.worker import JobWorker


@dataclass
class AppState:
    settings: Settings
    db: Database
    secrets: SecretBox
    store: SettingsStore
    search: SearchEngine
    limiter: RateLimiter = field(default_factory=RateLimiter)
    jobs: JobWorker = field(default_factory=JobWorker)
    launcher: RunLauncher = field(default_factory=UnconfiguredLauncher)

    @property
    def login_rate(self) -> Rate:
        return Rate.parse(self.store.current().security.login_rate_limit)

    @property
    def register_rate(self) -> Rate:
        return Rate.parse(self.store.current().security.register_rate_limit)

    @property
    def trusted_proxies(self) -> str:
        """The proxies whose X-Forwarded-For is believed, as the security settings hold them now."""
        return ",".join(self.store.current().security.trusted_proxies)
