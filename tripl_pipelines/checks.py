"""Asset checks: what each asset promises, declared with the asset (`check_specs`) and judged from what its
materialisation did. The results are built here so an asset body says what it did, not how it is judged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

CONTRACTS_CHECK = "field_contracts"
CATALOG_CHECKS = [AssetCheckSpec(CONTRACTS_CHECK, asset="catalog",
                                 description="Field contracts of the plan hold on the rows this scan read")]
EVENT_METRICS_CHECKS = [
    AssetCheckSpec("collection_complete", asset="event_metrics",
                   description="Every chunk of the window was collected and the stored windows reach its end"),
    AssetCheckSpec("points_written", asset="event_metrics",
                   description="The window wrote count points (a warning when the warehouse returned no rows "
                               "for it)"),
]
SIGNALS_CHECKS = [AssetCheckSpec("complete_buckets_only", asset="anomaly_signals",
                                 description="No signal sits on a bucket younger than the scan config's data "
                                             "delay (its rows may still be landing)")]
DRIFTS_CHECKS = [AssetCheckSpec("drifts_written", asset="distribution_drifts",
                                description="Each configured drift field got a drift score (a warning when none "
                                            "could be computed)")]
REGRESSIONS_CHECKS = [AssetCheckSpec("app_versions_collected", asset="release_regressions",
                                     description="A config with an app version column has app-version series in "
                                                 "the window (else releases cannot be compared)")]


def contracts(checks: list[Any]) -> AssetCheckResult:
    """One check over every field contract: it fails (a warning) when any contract was violated."""
    violated = [check for check in checks if not getattr(check, "passed", False)]
    return AssetCheckResult(
        check_name=CONTRACTS_CHECK, passed=not violated, severity=AssetCheckSeverity.WARN,
        metadata={"contracts": len(checks), "violated": len(violated),
                  "violations": "\n".join(str(check) for check in violated[:50]) or "none"},
    )


def not_collected(reason: str) -> list[AssetCheckResult]:
    """event_metrics collected nothing (a catalog-only config, a cancelled replay): its checks say why."""
    return [AssetCheckResult(check_name=spec.name, passed=True, metadata={"skipped": reason})
            for spec in EVENT_METRICS_CHECKS]


def collection(summary: dict[str, int | str], stored_end: datetime | None, time_to: datetime) -> list[AssetCheckResult]:
    complete = summary["chunks_done"] == summary["chunks"] and stored_end is not None and stored_end >= time_to
    return [
        AssetCheckResult(check_name="collection_complete", passed=bool(complete),
                         metadata={"chunks": summary["chunks"], "chunks_done": summary["chunks_done"],
                                   "stored_until": iso(stored_end) if stored_end else "nothing"}),
        AssetCheckResult(check_name="points_written", passed=int(summary["metric_points_written"]) > 0,
                         severity=AssetCheckSeverity.WARN,
                         metadata={"points_written": summary["metric_points_written"],
                                   "rows_read": summary["rows_read"]}),
    ]


def complete_buckets_only(until: datetime | None, early: int) -> AssetCheckResult:
    return AssetCheckResult(check_name="complete_buckets_only", passed=not early,
                            metadata={"judged_until": iso(until) if until is not None else "",
                                      "signals_on_unsettled_buckets": early})


def drifts_written(fields: list[str], written: int) -> AssetCheckResult:
    return AssetCheckResult(check_name="drifts_written", passed=not fields or written > 0,
                            severity=AssetCheckSeverity.WARN,
                            metadata={"drift_fields": ", ".join(fields) or "none configured", "drifts": written})


def app_versions_collected(wanted: bool, points: int) -> AssetCheckResult:
    return AssetCheckResult(check_name="app_versions_collected", passed=not wanted or bool(points),
                            severity=AssetCheckSeverity.WARN,
                            metadata={"app_version_points": points, "app_version_column": "set" if wanted else "none"})


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
