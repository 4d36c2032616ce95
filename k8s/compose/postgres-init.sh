#!/usr/bin/env bash
# First start of the compose `postgres` service (/docker-entrypoint-initdb.d, run once on an empty
# volume, as the superuser): the exporter's role and database, and Grafana's read-only role.
#
# The exporter's role, password and database come from its own URL secret (one source, so the two
# can never disagree): postgres://ibkr:<password>@postgres:5432/<database>?sslmode=disable. The
# role must be `ibkr`, the name ledger-readonly.sql grants for. The password is percent-decoded.
set -euo pipefail

url=$(head -n 1 "${LEDGER_URL_FILE:?must name the file of the exporter database URL}")
url=${url%$'\r'}
pattern='^postgres(ql)?://([^:@/]+):([^@/]+)@[^/]+/([^?/]+)(\?.*)?$'
if [[ ! $url =~ $pattern ]]; then
  echo "postgres-init: $LEDGER_URL_FILE must hold postgres://ibkr:<password>@postgres:5432/<database>" >&2
  exit 1
fi
user=${BASH_REMATCH[2]}
password=${BASH_REMATCH[3]}
database=${BASH_REMATCH[4]}
if [[ $user != ibkr ]]; then
  echo "postgres-init: the exporter's role in $LEDGER_URL_FILE must be ibkr (got $user)" >&2
  exit 1
fi
decode() { printf '%b' "${1//%/\\x}"; }
password=$(decode "$password")
database=$(decode "$database")
grafana_password=$(head -n 1 "${GRAFANA_LEDGER_PASSWORD_FILE:?must name the file of the ibkr_grafana password}")
grafana_password=${grafana_password%$'\r'}

# Passwords go in as psql variables (:'name' quotes them), never on a command line.
sql() { psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" "$@"; }
sql --dbname "${POSTGRES_DB:-postgres}" -v password="$password" -v database="$database" <<'SQL'
CREATE ROLE ibkr LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER ibkr;
SQL
sql --dbname "$database" -f "${LEDGER_READONLY_SQL:?must name ledger-readonly.sql}"
sql --dbname "$database" -v password="$grafana_password" <<'SQL'
ALTER ROLE ibkr_grafana PASSWORD :'password';
SQL
