"""One dialect per SQL family: ClickHouse (clickhouse, chdb), PostgreSQL, GoogleSQL (BigQuery)."""
