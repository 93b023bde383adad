"""metric counts packed per series and day: metric_days, metric_breakdown_days, metric_app_version_days
replace the row-per-point tables (their points are moved over, and back on downgrade)

Revision ID: 0014
Revises: 0013
"""

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DAY_SECONDS = 86_400
BATCH = 5_000
INTERVAL_SECONDS = {'15m': 900, '1h': 3_600, '6h': 21_600, '1d': 86_400, '1w': 604_800}
# (old table, new table, the key columns after scan_config_id, extra key columns' types)
KINDS: list[tuple[str, str, list[tuple[str, Any]]]] = [
    ('metric_points', 'metric_days', []),
    ('metric_breakdown_points', 'metric_breakdown_days',
     [('breakdown_column', sa.String(length=255)), ('breakdown_value', sa.String(length=500)),
      ('is_other', sa.Boolean())]),
    ('metric_app_version_points', 'metric_app_version_days', [('version', sa.String(length=100))]),
]


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _day_table(name: str, extra: list[tuple[str, Any]]) -> None:
    op.create_table(name,
    *[sa.Column(column, kind, nullable=False) for column, kind in extra],
    sa.Column('scan_config_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('scope_ref', sa.String(length=64), nullable=False),
    sa.Column('day', sa.DateTime(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('counts', sa.LargeBinary(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['scan_config_id'], ['scan_configs.id'], name=op.f(f'fk_{name}_scan_config_id_scan_configs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scan_config_id', 'scope', 'scope_ref', *[c for c, _ in extra], 'day',
                            name=op.f(f'pk_{name}'))
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f'ix_{name}_config_day', ['scan_config_id', 'day'], unique=False)


def _point_table(name: str, extra: list[tuple[str, Any]]) -> None:
    """The row-per-point table of 0006."""
    args: list[Any] = [
        sa.Column('scan_config_id', sa.Uuid(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('scope_ref', sa.String(length=64), nullable=False),
        *[sa.Column(column, kind, nullable=False) for column, kind in extra],
        sa.Column('bucket', sa.DateTime(), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['scan_config_id'], ['scan_configs.id'],
                                name=op.f(f'fk_{name}_scan_config_id_scan_configs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    ]
    if name == 'metric_points':
        args.append(sa.UniqueConstraint('scan_config_id', 'scope', 'scope_ref', 'bucket',
                                        name=op.f('uq_metric_points_scan_config_id_scope_scope_ref_bucket')))
    op.create_table(name, *args)
    with op.batch_alter_table(name, schema=None) as batch_op:
        if name == 'metric_points':
            batch_op.create_index('ix_metric_points_config_bucket', ['scan_config_id', 'bucket'], unique=False)
        elif name == 'metric_breakdown_points':
            batch_op.create_index('ix_metric_breakdown_points_lookup', ['scan_config_id', 'scope', 'scope_ref',
                                                                        'breakdown_column', 'bucket'], unique=False)
        else:
            batch_op.create_index('ix_metric_app_version_points_lookup', ['scan_config_id', 'scope', 'scope_ref',
                                                                          'bucket'], unique=False)


def _drop_point_table(name: str) -> None:
    index = {'metric_points': 'ix_metric_points_config_bucket',
             'metric_breakdown_points': 'ix_metric_breakdown_points_lookup',
             'metric_app_version_points': 'ix_metric_app_version_points_lookup'}[name]
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.drop_index(index)
    op.drop_table(name)


def _drop_day_table(name: str) -> None:
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.drop_index(f'ix_{name}_config_day')
    op.drop_table(name)


def _tables(old: str, new: str, extra: list[tuple[str, Any]]) -> tuple[sa.Table, sa.Table]:
    meta = sa.MetaData()

    def keys() -> list[sa.Column[Any]]:
        return [sa.Column('scan_config_id', sa.Uuid()), sa.Column('scope', sa.String(16)),
                sa.Column('scope_ref', sa.String(64)), *[sa.Column(c, kind) for c, kind in extra]]

    points = sa.Table(old, meta, sa.Column('id', sa.Uuid()), *keys(),
                      sa.Column('bucket', sa.DateTime()), sa.Column('count', sa.BigInteger()))
    days = sa.Table(new, meta, *keys(), sa.Column('day', sa.DateTime()),
                    sa.Column('step', sa.Integer()), sa.Column('counts', sa.LargeBinary()),
                    sa.Column('total', sa.BigInteger()))
    return points, days


def _steps(bind: sa.Connection) -> dict[Any, int]:
    configs = sa.table('scan_configs', sa.column('id', sa.Uuid()), sa.column('interval', sa.String()))
    return {config_id: INTERVAL_SECONDS.get(interval or '', 900)
            for config_id, interval in bind.execute(sa.select(configs.c.id, configs.c.interval))}


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _to_days(bind: sa.Connection, points: sa.Table, days: sa.Table, steps: dict[Any, int],
             key_names: list[str]) -> Iterator[dict[str, Any]]:
    """One day row per series and UTC day; a point off its config's interval grid (the interval changed
    after it was written) has no slot and is left out, as reads on the new grid ignored it already."""
    order = [points.c[name] for name in key_names] + [points.c.bucket]
    current: tuple[Any, ...] | None = None
    values: np.ndarray | None = None
    step = 900
    for row in bind.execute(sa.select(*[points.c[name] for name in key_names], points.c.bucket, points.c.count)
                            .order_by(*order)):
        bucket = _naive(row.bucket)
        day = bucket.replace(hour=0, minute=0, second=0, microsecond=0)
        key = (*[getattr(row, name) for name in key_names], day)
        if key != current:
            if current is not None and values is not None and values.any():
                yield _day_row(key_names, current, step, values)
            current = key
            step = steps.get(row.scan_config_id, 900)
            values = np.zeros(max(1, DAY_SECONDS // step), dtype='<i8')
        offset = int((bucket - day).total_seconds())
        assert values is not None
        if offset % step == 0 and offset // step < len(values):
            values[offset // step] += row.count
    if current is not None and values is not None and values.any():
        yield _day_row(key_names, current, step, values)


def _day_row(key_names: list[str], key: tuple[Any, ...], step: int, values: np.ndarray) -> dict[str, Any]:
    return {**dict(zip(key_names, key[:-1], strict=True)), 'day': key[-1], 'step': step,
            'counts': values.tobytes(), 'total': int(values.sum())}


def upgrade() -> None:
    bind = op.get_bind()
    steps = _steps(bind)
    for old, new, extra in KINDS:
        _day_table(new, extra)
        points, days = _tables(old, new, extra)
        names = ['scan_config_id', 'scope', 'scope_ref', *[c for c, _ in extra]]
        for batch in _batches(_to_days(bind, points, days, steps, names)):
            bind.execute(days.insert(), batch)
        _drop_point_table(old)


def downgrade() -> None:
    bind = op.get_bind()
    for old, new, extra in KINDS:
        _point_table(old, extra)
        points, days = _tables(old, new, extra)
        names = ['scan_config_id', 'scope', 'scope_ref', *[c for c, _ in extra]]

        def expanded(days: sa.Table = days, names: list[str] = names) -> Iterator[dict[str, Any]]:
            query = sa.select(*[days.c[name] for name in names], days.c.day, days.c.step, days.c.counts)
            for row in bind.execute(query):
                values = np.frombuffer(row.counts, dtype='<i8')
                for slot in np.flatnonzero(values):
                    yield {'id': uuid.uuid4(), **{name: getattr(row, name) for name in names},
                           'bucket': _naive(row.day) + timedelta(seconds=int(slot) * row.step),
                           'count': int(values[slot])}

        rows = list(expanded())
        for batch in _batches(iter(rows)):
            bind.execute(points.insert(), batch)
        _drop_day_table(new)
