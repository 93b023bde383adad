"""The tracking plan the demo project starts with, as plain data matching the demo warehouse.

It declares every generated event except the shadow one (so reconciliation finds it), declares the
dead event as `live` (so dead-event detection finds it), and leaves the new JSON key undeclared (so a
scan raises a `new_field` drift). Field names are the warehouse column or the JSON path a scan reads
(`properties.currency`), so the plan lines up with what a scan observes.
"""

from __future__ import annotations

from dataclasses import dataclass

from tripl_core.demo import app_events

FieldType = str  # string | number | boolean | json | enum | url


@dataclass(frozen=True)
class PlanField:
    name: str
    field_type: FieldType
    description: str
    is_required: bool = False
    enum_options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PlanEventType:
    name: str
    display_name: str
    description: str
    color: str
    fields: tuple[PlanField, ...]


@dataclass(frozen=True)
class PlanEvent:
    event_type: str
    name: str
    description: str
    status: str
    tags: tuple[str, ...] = ()
    meta_values: tuple[tuple[str, str], ...] = ()
    """(meta field name, value); values may use `${variable}` tokens."""


@dataclass(frozen=True)
class PlanMetaField:
    name: str
    field_type: str  # string | url | boolean | enum | date
    description: str
    enum_options: tuple[str, ...] | None = None
    default_value: str | None = None
    link_template: str | None = None


@dataclass(frozen=True)
class PlanVariable:
    name: str
    source_name: str
    variable_type: str
    description: str


@dataclass(frozen=True)
class ScanSetup:
    """The scan config the demo project should create over the demo warehouse."""

    name: str
    base_query: str
    time_column: str
    event_type_column: str
    event_name_format: str
    interval: str
    cardinality_threshold: int
    json_value_paths: tuple[str, ...]
    metric_breakdown_columns: tuple[str, ...]
    metric_breakdown_values_limit: int
    distribution_drift_fields: tuple[str, ...]
    app_version_column: str


@dataclass(frozen=True)
class DemoPlan:
    event_types: tuple[PlanEventType, ...]
    events: tuple[PlanEvent, ...]
    meta_fields: tuple[PlanMetaField, ...]
    variables: tuple[PlanVariable, ...]
    scan: ScanSetup


_COMMON_FIELDS = (
    PlanField("platform", "enum", "Client platform", True, ("ios", "android", "web")),
    PlanField("app_version", "string", "SemVer of the build that sent the event", True),
    PlanField("country", "string", "ISO country of the user"),
    PlanField("user_id", "string", "Pseudonymous user id", True),
)
_AB = PlanField("properties.ab.variant", "enum", "A/B test arm", enum_options=("control", "treatment"))

_TYPE_FIELDS: dict[str, tuple[PlanField, ...]] = {
    app_events.SCREEN_VIEW: (
        PlanField("properties.screen", "enum", "Screen shown", True, tuple(app_events.SCREENS.values())),
        PlanField("properties.referrer", "enum", "How the user got there", enum_options=app_events.REFERRERS),
        PlanField("properties.load_ms", "number", "Time to first render in milliseconds"),
        _AB,
    ),
    app_events.CLICK: (
        PlanField("properties.screen", "enum", "Screen clicked on", True, tuple(app_events.SCREENS.values())),
        PlanField("properties.button", "string", "Button identifier", True),
        PlanField("properties.position", "number", "Position of the element in its list"),
        _AB,
    ),
    app_events.PURCHASE: (
        PlanField("properties.price", "number", "Amount in the purchase currency", True),
        PlanField("properties.currency", "enum", "ISO 4217 currency", True, app_events.CURRENCIES),
        PlanField("properties.items", "number", "Items in the basket"),
        PlanField("properties.payment.method", "enum", "Payment method", enum_options=app_events.PAYMENT_METHODS),
    ),
    app_events.AUTH: (
        PlanField("properties.method", "enum", "Sign-in method", True, app_events.AUTH_METHODS),
        PlanField("properties.success", "boolean", "Whether the attempt succeeded", True),
    ),
    app_events.SYSTEM: (
        PlanField("properties.network", "enum", "Connectivity", enum_options=app_events.NETWORKS),
        PlanField("properties.memory_mb", "number", "Device memory in MiB"),
        PlanField("properties.battery", "number", "Battery level in percent"),
    ),
}

_TYPE_TEXT: dict[str, tuple[str, str, str]] = {
    app_events.SCREEN_VIEW: ("Screen views", "A screen became visible", "#6366f1"),
    app_events.CLICK: ("Clicks", "The user tapped or clicked a control", "#0ea5e9"),
    app_events.PURCHASE: ("Purchases", "Checkout and payment steps", "#22c55e"),
    app_events.AUTH: ("Authentication", "Sign-in, sign-up and sign-out", "#f59e0b"),
    app_events.SYSTEM: ("System", "App lifecycle and device events", "#64748b"),
}

_TEAMS = {
    app_events.SCREEN_VIEW: "growth",
    app_events.CLICK: "growth",
    app_events.PURCHASE: "payments",
    app_events.AUTH: "identity",
    app_events.SYSTEM: "platform",
}


def _events() -> tuple[PlanEvent, ...]:
    planned = []
    for type_name, events in app_events.WEIGHTS.items():
        for name in events:
            if name == app_events.SHADOW_EVENT:
                continue
            planned.append(
                PlanEvent(
                    event_type=type_name,
                    name=name,
                    description=f"{name.replace('_', ' ').capitalize()} ({_TYPE_TEXT[type_name][0].lower()})",
                    status="live",
                    tags=(type_name, _TEAMS[type_name]),
                    meta_values=(("owner_team", _TEAMS[type_name]), ("jira", "TRIPL-101")),
                )
            )
    return tuple(planned)


DEMO_PLAN = DemoPlan(
    event_types=tuple(
        PlanEventType(name, *_TYPE_TEXT[name][:2], _TYPE_TEXT[name][2], _COMMON_FIELDS + _TYPE_FIELDS[name])
        for name in app_events.WEIGHTS
    ),
    events=_events(),
    meta_fields=(
        PlanMetaField("owner_team", "enum", "Team that owns the event", ("growth", "payments", "identity", "platform")),
        PlanMetaField("jira", "url", "Tracking ticket", link_template="https://jira.example.com/browse/${value}"),
        PlanMetaField("pii_reviewed", "boolean", "Privacy review done", default_value="false"),
    ),
    variables=(
        PlanVariable("user_id", "user_id", "string", "Pseudonymous user id (high cardinality)"),
        PlanVariable("app_version", "app_version", "string", "Build version"),
        PlanVariable("price", "properties.price", "number", "Purchase amount"),
        PlanVariable("load_ms", "properties.load_ms", "number", "Screen load time"),
    ),
    scan=ScanSetup(
        name="Demo events (15 min)",
        base_query="SELECT * FROM events",
        time_column="ts",
        event_type_column="event_type",
        event_name_format="{event_name}",
        interval="15m",
        cardinality_threshold=100,
        json_value_paths=("properties.screen", "properties.button", "properties.currency"),
        metric_breakdown_columns=("platform", "country"),
        metric_breakdown_values_limit=10,
        distribution_drift_fields=("properties.currency", "platform"),
        app_version_column="app_version",
    ),
)
