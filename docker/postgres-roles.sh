#!/usr/bin/env bash
# Run once by the official postgres image on its first start (/docker-entrypoint-initdb.d):
# the two roles Baton uses, neither a superuser (docs/operations.md, "Database roles").
#   baton_owner      owns the database and its schema; only `baton-scheduler migrate` uses it.
#   baton_scheduler  the schedulers' role: rows only, granted by each migration.
# Passwords come from the environment, never a default. The names can be changed with
# BATON_PG_OWNER_ROLE and BATON_PG_SCHEDULER_ROLE.
set -euo pipefail
: "${BATON_PG_OWNER_PASSWORD:?set BATON_PG_OWNER_PASSWORD}"
: "${BATON_PG_SCHEDULER_PASSWORD:?set BATON_PG_SCHEDULER_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v owner="${BATON_PG_OWNER_ROLE:-baton_owner}" -v owner_password="$BATON_PG_OWNER_PASSWORD" \
    -v scheduler="${BATON_PG_SCHEDULER_ROLE:-baton_scheduler}" \
    -v scheduler_password="$BATON_PG_SCHEDULER_PASSWORD" -v database="${POSTGRES_DB:-postgres}" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"scheduler" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'scheduler_password';
-- PostgreSQL 15 gives the public schema to the database's owner.
ALTER DATABASE :"database" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"owner", :"scheduler";
SQL
