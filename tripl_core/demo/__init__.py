"""The demo project's synthetic warehouse and the plan that matches it (pure data, no database)."""

from tripl_core.demo.cases import (
    DeadEvent,
    DemoCases,
    DistributionShift,
    MissingOnRelease,
    NewField,
    Release,
    ShadowEvent,
    VolumeAnomaly,
)
from tripl_core.demo.warehouse import generate_demo_warehouse

__all__ = [
    "DeadEvent",
    "DemoCases",
    "DistributionShift",
    "MissingOnRelease",
    "NewField",
    "Release",
    "ShadowEvent",
    "VolumeAnomaly",
    "generate_demo_warehouse",
]
