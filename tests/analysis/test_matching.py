"""Pure alert matching: include flags, direction, filters, gates (percent gate skipped when expected is
0), raised thresholds, cooldown per scope, suppressed groups, sources delivered once."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tripl_core.analysis.matching import (
    MAX_THRESHOLD_RAISE,
    Candidate,
    MatchState,
    RuleFilter,
    RuleView,
    passes,
    percent_label,
    raised_threshold,
    select,
)

SCAN = uuid.uuid4()
T = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _signal(ref: str = "e1", direction: str = "spike", actual: float = 200, expected: float = 100,
            scope: str = "event", z: float = 6.0, **extra: object) -> Candidate:
    return Candidate(kind="signal", source_id=str(uuid.uuid4()), scan_config_id=SCAN, scope=scope, scope_ref=ref,
                     scope_name=ref, direction=direction, bucket=T, actual=actual, expected=expected, z=z,
                     event=ref, event_type="page", **extra)  # type: ignore[arg-type]


def test_include_flags_and_directions() -> None:
    rule = RuleView(uuid.uuid4(), include_events=False, notify_on_drop=False)
    assert not passes(rule, _signal())
    assert passes(rule, _signal(scope="event_type"))
    assert not passes(rule, _signal(scope="event_type", direction="drop"))
    drift = Candidate(kind="schema_drift", source_id="d", scan_config_id=SCAN, scope="schema_drift", scope_ref="x",
                      scope_name="x", direction="spike", bucket=T)
    assert not passes(rule, drift)
    assert passes(replace(rule, include_schema_drifts=True), drift)  # no counts: gates do not apply


def test_filters_are_anded_and_match_names_or_ids() -> None:
    rule = RuleView(uuid.uuid4(), filters=(RuleFilter("event", "in", ("e1", "e2")),
                                           RuleFilter("direction", "ne", ("drop",))))
    assert passes(rule, _signal("e1"))
    assert not passes(rule, _signal("e3"))
    assert not passes(rule, _signal("e2", direction="drop"))
    by_type = RuleView(uuid.uuid4(), filters=(RuleFilter("event_type", "not_in", ("page",)),))
    assert not passes(by_type, _signal())


def test_gates_and_zero_expected() -> None:
    rule = RuleView(uuid.uuid4(), min_percent_delta=50, min_absolute_delta=30, min_expected_count=10)
    assert passes(rule, _signal(actual=160, expected=100))
    assert not passes(rule, _signal(actual=140, expected=100))  # +40%
    assert not passes(rule, _signal(actual=20, expected=5))  # expected below 10
    assert not passes(RuleView(uuid.uuid4(), min_absolute_delta=30), _signal(actual=120, expected=100))
    zero = _signal(actual=40, expected=0)
    assert passes(RuleView(uuid.uuid4(), min_percent_delta=1000), zero)  # percent gate skipped
    assert percent_label(zero) == "n/a"
    assert percent_label(_signal(actual=50, expected=100)) == "-50.0%"


def test_false_positives_raise_the_threshold_up_to_a_cap() -> None:
    assert raised_threshold(4.0, 1) == 4.5
    assert raised_threshold(4.0, 100) == 4.0 + MAX_THRESHOLD_RAISE
    rule, signal = RuleView(uuid.uuid4()), _signal(z=4.4)
    assert passes(rule, signal, min_z=4.0)
    assert not passes(rule, signal, min_z=raised_threshold(4.0, 1))


def test_cooldown_suppression_and_delivered_sources() -> None:
    rule = RuleView(uuid.uuid4(), cooldown_minutes=60)
    first, other = _signal("e1"), _signal("e2")
    state = MatchState()
    chosen = select(rule, [first, other], state, T)
    assert chosen.to_send == [first, other]
    state.record_sent(chosen.to_send, T)
    again = replace(first, source_id="next", bucket=T + timedelta(minutes=30))
    later = select(rule, [first, again], state, T + timedelta(minutes=30))
    assert later.matched == [again]  # `first` was delivered: never again
    assert later.in_cooldown == [again]
    assert select(rule, [again], state, T + timedelta(minutes=60)).to_send == [again]
    assert select(rule, [again], state, T + timedelta(minutes=30), cooldown_minutes=10).to_send == [again]
    state.suppressed.add(again.group_key)
    assert select(rule, [again], state, T + timedelta(hours=5)).suppressed == [again]


def test_a_silence_is_notified_like_a_drop_and_its_alert_text_says_silence() -> None:
    from tripl_core.alerting.fanout import item_variables
    from tripl_core.alerting.models import MessageFormat
    from tripl_core.alerting.templates import render

    silence = _signal(direction="silence", actual=0, expected=8, z=-5.1)
    assert passes(RuleView(uuid.uuid4()), silence)
    assert not passes(RuleView(uuid.uuid4(), notify_on_drop=False), silence)
    assert passes(RuleView(uuid.uuid4(), notify_on_spike=False), silence)
    text = render(None, None, MessageFormat.plain, {"project_name": "p", "rule_name": "r", "scan_name": "s",
                                                     "matched_count": "1"}, [item_variables(silence)])
    assert "e1: silence 0.0 vs 8.0 expected" in text
