#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster on 127.0.0.1, its URL
# in RINGBACK_TEST_POSTGRES_URL; the cluster and its directory are gone
# afterwards, whether the command passed, failed or was interrupted.
#   tests/postgres/with-postgres.sh cargo test --workspace
# PG_TEST_PORT (54329) picks the port; Debian's own cluster may hold 5432.
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
port=${PG_TEST_PORT:-54329}
if [ ! -x "$bin/initdb" ]; then
  echo "installing Debian's postgresql (PostgreSQL 15)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

dir=$(mktemp -d /tmp/ringback-pg.XXXXXX)
# PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
as_postgres=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_postgres=(runuser -u postgres --)
fi
stop() {
  "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" \
  || { cat "$dir/initdb.log"; exit 1; }
# fsync off: a test cluster need not survive a power cut.
"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300" start >/dev/null \
  || { cat "$dir/postgres.log"; exit 1; }

export RINGBACK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "PostgreSQL for the tests: $RINGBACK_TEST_POSTGRES_URL"
# In the background, so a signal to this script stops the command and the
# cluster at once (bash runs traps only between foreground commands).
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true; wait "$child" || true; exit 143' INT TERM
wait "$child"
