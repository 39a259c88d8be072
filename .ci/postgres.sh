#!/usr/bin/env bash
# Starts a local PostgreSQL for the checkpoint tests and prints the connection string (AKKABYZ_TEST_POSTGRES).
# Installs Debian's postgresql when it is missing (as root, through apt). Prints nothing and exits 0 when it cannot:
# the PostgreSQL test cases then skip, saying why.
set -uo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || { echo "postgres: apt-get install postgresql failed" >&2; exit 0; }
  else
    echo "postgres: not installed and not root; the PostgreSQL cases skip" >&2; exit 0
  fi
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
[ -n "$version" ] || { echo "postgres: no cluster in /etc/postgresql" >&2; exit 0; }
pg_ctlcluster "$version" main start >&2 2>&1 || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "postgres: the server did not start" >&2; exit 0; }
psql_as() { if [ "$(id -u)" = 0 ]; then su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -c \"$1\""; else psql -v ON_ERROR_STOP=1 -qAt -c "$1"; fi; }
psql_as "SELECT 1 FROM pg_roles WHERE rolname = 'akkabyz'" | grep -q 1 || psql_as "CREATE ROLE akkabyz LOGIN PASSWORD 'akkabyz'" >&2
psql_as "SELECT 1 FROM pg_database WHERE datname = 'akkabyz_test'" | grep -q 1 || psql_as "CREATE DATABASE akkabyz_test OWNER akkabyz" >&2
echo "Host=127.0.0.1;Port=5432;Database=akkabyz_test;Username=akkabyz;Password=akkabyz"
