"""Scan configs as dynamic partitions: one partition per scan config id, kept equal to the app database
by `sensors.scan_config_partitions`. No time dimension: time buckets live in SQL and result tables."""

from __future__ import annotations

from dagster import DynamicPartitionsDefinition

from tripl_core.scans.launching import PARTITIONS

scan_configs = DynamicPartitionsDefinition(name=PARTITIONS)
