"""Warehouse adapters: dialects build SQL, transports run it, `Warehouse` answers in plain values."""

from tripl_core.warehouse.base import ColumnRef, FieldRef, JsonRef, RowSample, TimeWindow
from tripl_core.warehouse.config import DB_TYPES, DbType, WarehouseConfig
from tripl_core.warehouse.errors import UnsafeQuery, WarehouseError, WarehouseTimeout
from tripl_core.warehouse.factory import create_warehouse, dialect_for
from tripl_core.warehouse.folders import folder_problem
from tripl_core.warehouse.intervals import Interval, bucket_start
from tripl_core.warehouse.sql_guard import check_read_only
from tripl_core.warehouse.warehouse import (
    BucketCount,
    ConnectionTest,
    JsonKey,
    Preview,
    TableSchema,
    ValueCount,
    Warehouse,
)

__all__ = [
    "DB_TYPES",
    "BucketCount",
    "ColumnRef",
    "ConnectionTest",
    "DbType",
    "FieldRef",
    "Interval",
    "JsonKey",
    "JsonRef",
    "Preview",
    "RowSample",
    "TableSchema",
    "TimeWindow",
    "UnsafeQuery",
    "ValueCount",
    "Warehouse",
    "WarehouseConfig",
    "WarehouseError",
    "WarehouseTimeout",
    "bucket_start",
    "check_read_only",
    "create_warehouse",
    "dialect_for",
    "folder_problem",
]
