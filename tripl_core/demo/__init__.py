"""The demo project's synthetic warehouse and the plan that matches it (pure data, no database)."""

from tripl_core.demo.cases import (
    DeadEvent,
    DemoCases,
    DistributionShift,
    MissingOnRelease,
    NewField,
    Release,
    ShadowEvent,
    Silence,
    VolumeAnomaly,
)
from tripl_core.demo.plan import DEMO_PLAN, DemoPlan
from tripl_core.demo.warehouse import generate_demo_warehouse

__all__ = [
    "DEMO_PLAN",
    "DeadEvent",
    "DemoCases",
    "DemoPlan",
    "DistributionShift",
    "MissingOnRelease",
    "NewField",
    "Release",
    "ShadowEvent",
    "Silence",
    "VolumeAnomaly",
    "generate_demo_warehouse",
]
