#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Creates Fireline's own role and database, separate from the
# databases Temporal's auto-setup creates for itself (temporal, temporal_visibility).
# On an existing volume it does not run: create them by hand with the same statements.
set -eu

psql -v ON_ERROR_STOP=1 \
    --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    --set fireline_password="${FIRELINE_DB_PASSWORD:?FIRELINE_DB_PASSWORD is not set}" <<'SQL'
CREATE ROLE fireline LOGIN PASSWORD :'fireline_password';
CREATE DATABASE fireline OWNER fireline;
REVOKE ALL ON DATABASE fireline FROM PUBLIC;
SQL
