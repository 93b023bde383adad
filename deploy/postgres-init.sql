-- The app database (POSTGRES_DB, `tripl`) and Dagster's storage live in separate databases of one server:
-- Dagster's schedule storage has a `jobs` table, and so does tripl.
CREATE DATABASE dagster;
