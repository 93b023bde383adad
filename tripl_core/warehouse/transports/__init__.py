"""One transport per driver: chDB, clickhouse-connect, psycopg, google-cloud-bigquery."""
