"""Alert items say what each kind of item is: a signal compares counts, a freshness signal says the source
fell, a schema or distribution drift names its field and sample (never "spike n/a vs n/a expected")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tripl_core.alerting import templates
from tripl_core.alerting.fanout import item_variables
from tripl_core.alerting.models import MessageFormat
from tripl_core.analysis.matching import Candidate
from tripl_core.metrics.signals import FRESHNESS

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _text(candidate: Candidate) -> str:
    return templates.render(None, None, MessageFormat.plain, {"project_name": "Shop", "rule_name": "all",
                                                              "scan_name": "web", "matched_count": "1"},
                            [item_variables(candidate)])


def _candidate(kind: str, scope: str, **extra: object) -> Candidate:
    return Candidate(kind=kind, source_id="x", scan_config_id=uuid.uuid4(), scope=scope, scope_ref="r",
                     scope_name="purchase.properties.coupon (new_field)" if kind == "schema_drift" else "web",
                     direction=str(extra.pop("direction", "spike")), bucket=AT, **extra)  # type: ignore[arg-type]


def test_each_kind_of_item_reads_as_what_it_is() -> None:
    drift = _text(_candidate("schema_drift", "schema_drift", drift_field="properties.coupon", sample_value="SPRING"))
    assert "• purchase.properties.coupon (new_field): schema drift: field properties.coupon (sample value SPRING)" \
        in drift
    assert "n/a vs n/a" not in drift
    distribution = _text(_candidate("distribution_drift", "distribution_drift", drift_field="currency",
                                    sample_value="EUR"))
    assert "distribution drift of currency (most changed value EUR)" in distribution
    regression = _text(_candidate("release_regression", "release_regression", direction="drop", actual=3.0,
                                  expected=120.0))
    assert "release regression: 3.0 vs 120 expected (-97.5%)" in regression
    spike = _text(_candidate("signal", "event", actual=500.0, expected=100.0))
    assert "• web: spike 500 vs 100 expected (+400.0%) at 2026-03-02T10:00:00Z" in spike
    fell = _text(_candidate("signal", FRESHNESS, direction="drop", actual=0.0, expected=360.0))
    assert "the source fell to 0.0 rows vs 360 expected (-100.0%): its data stopped arriving or is late" in fell


def test_a_parsed_template_substitutes_as_safe_substitute_does() -> None:
    from string import Template

    values = {"x": "X", "y": "Y$", "_a1": 3, "ab": "w"}
    for text in ["", "$", "$$", "a$", "${x}", "$x y", "${x", "$1", "$$x", "${y}z$$${x}$", "${unknown} $x${x}",
                 "€ $x", "$_a1 ${ab}", "$ {x}", "${ x}", "$X", "• ${scope_name}: ${summary} at ${bucket}"]:
        assert templates.compiled(text).substitute(values) == Template(text).safe_substitute(values), text
