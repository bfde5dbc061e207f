#!/usr/bin/env bash
# Locates or starts the system services the tests use, on their standard loopback ports, and exports their URLs
# (TEST_REDIS_URL, TEST_DATABASE_URL) for the test suites. Sourced by .ci/run; usable by hand:
#   source scripts/services.sh && ensure_redis && ensure_postgres

apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$@" >/dev/null
}

# Chromium drives the e2e tests (Debian's build; Playwright never downloads a browser here).
ensure_system_packages() {
  command -v chromium >/dev/null || apt_install chromium
}

ensure_redis() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    command -v redis-server >/dev/null || apt_install redis-server redis-tools
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/scrawl-ci-redis.log
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
}

ensure_postgres() {
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  # A database of our own, reachable over TCP as the postgres superuser.
  if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d scrawl_test -c 'select 1' >/dev/null 2>&1; then
    su postgres -c "psql -q -c \"alter user postgres password 'postgres'\"" >/dev/null 2>&1 || true
    su postgres -c "createdb scrawl_test" >/dev/null 2>&1 || \
      PGPASSWORD=postgres createdb -h 127.0.0.1 -U postgres scrawl_test >/dev/null 2>&1 || true
  fi
  export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/scrawl_test}
}
