"""Prometheus metrics: request counts and latencies per route (recorded by the API), and job outcomes and
alert deliveries read from the app database at scrape time — so runs in Dagster's processes count too."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from tripl_core.alerting.models import AlertDelivery
from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job


class DatabaseCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("tripl_jobs", "Jobs (scans, previews, metrics…) by kind and outcome",
                                 labels=["kind", "status"])
        deliveries = GaugeMetricFamily("tripl_alert_deliveries", "Alert deliveries by channel and outcome",
                                       labels=["channel", "status"])
        with self.db.session(write=False) as session:
            for kind, job_status, count in session.execute(select(Job.kind, Job.status, func.count())
                                                       .group_by(Job.kind, Job.status)):
                jobs.add_metric([kind, job_status], count)
            for channel, status, count in session.execute(
                    select(AlertDelivery.channel, AlertDelivery.status, func.count())
                    .group_by(AlertDelivery.channel, AlertDelivery.status)):
                deliveries.add_metric([channel, status], count)
        yield jobs
        yield deliveries


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tripl_http_requests", "HTTP requests by route template, method and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("tripl_http_request_duration_seconds", "HTTP request latency by route template",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.registry.register(DatabaseCollector(db))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
