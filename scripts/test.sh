#!/usr/bin/env bash
# The test suite in two legs: SQLite (always), then PostgreSQL.
#
#   scripts/test.sh [sqlite] [postgres]      (both when no leg is named)
#
# The PostgreSQL leg uses $TEST_POSTGRES_URL, by default
# postgresql+psycopg://postgres@127.0.0.1:5432/tpc_test, and creates that database when
# it is missing. When PostgreSQL cannot be reached, or refuses the log-in, the leg is
# skipped with the reason — unless CI is set, then it fails. After the leg the databases
# it made are dropped: that one (when this run created it) and the workers' (`_gw0`, …).
# pytest's exit code 5 (no tests ran) is a failure.
# Each leg leaves test-results/<leg>.status and, when pytest ran, test-results/<leg>.xml.
# Tests run in $TEST_WORKERS processes (pytest-xdist; default 2, 0 for one process; on
# PostgreSQL each worker gets its own database beside $TEST_POSTGRES_URL's); an idle worker
# takes tests queued for another (`--dist worksteal`), so that the long tests left at the
# end are not all waiting on one worker.
# $PYTEST_ARGS is added to every pytest command line.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
RESULTS=test-results
PG_URL=${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/tpc_test}
read -r -a EXTRA <<<"-n ${TEST_WORKERS:-2} --dist worksteal ${PYTEST_ARGS:-}"

in_ci() {
  case "${CI:-}" in 1 | [Tt][Rr][Uu][Ee] | [Yy][Ee][Ss]) return 0 ;; *) return 1 ;; esac
}

# In CI a hung leg must not eat the whole time budget.
LIMIT=()
if in_ci && command -v timeout >/dev/null; then
  LIMIT=(timeout --kill-after=30 "${TEST_LEG_TIMEOUT:-1500}")
fi

mkdir -p "$RESULTS"

status() { # leg text
  printf '%s\n' "$2" >"$RESULTS/$1.status"
}

run_pytest() { # leg, then environment assignments; pytest's exit code decides
  local leg=$1 rc started
  shift
  started=$SECONDS
  rm -f "$RESULTS/$leg.xml"
  env "$@" "${LIMIT[@]}" "$BIN/pytest" --junitxml="$RESULTS/$leg.xml" "${EXTRA[@]}"
  rc=$?
  case $rc in
    0) status "$leg" "passed in $((SECONDS - started))s"; return 0 ;;
    5) echo "$leg leg FAILED: pytest collected no tests (exit code 5)" ;;
    124 | 137) echo "$leg leg FAILED: stopped after ${TEST_LEG_TIMEOUT:-1500}s" ;;
    *) echo "$leg leg FAILED (pytest exit code $rc)" ;;
  esac
  status "$leg" "failed (exit $rc)"
  return 1
}

leg_sqlite() {
  echo "=== SQLite leg ==="
  # Without TEST_DATABASE_URL, tests/conftest.py uses a fresh SQLite file per run.
  run_pytest sqlite -u TEST_DATABASE_URL
}

# The databases the PostgreSQL leg made: the workers' (tests/conftest.py drops its own at
# the end of a session; this also covers an interrupted run) and, when this run created
# it, the leg's database.
PG_DROP=()
drop_test_databases() {
  [ ${#PG_DROP[@]} -gt 0 ] || return 0
  "$BIN/python" scripts/prepare-test-db.py --drop "$PG_URL" "${PG_DROP[@]}" >/dev/null ||
    echo "could not drop the test databases ${PG_DROP[*]}"
  PG_DROP=()
}
trap drop_test_databases EXIT

worker_count() {
  case ${TEST_WORKERS:-2} in
    '' | *[!0-9]*) nproc 2>/dev/null || echo 2 ;;
    *) echo "${TEST_WORKERS:-2}" ;;
  esac
}

leg_postgres() {
  local reason rc name i
  echo "=== PostgreSQL leg: ${PG_URL} ==="
  reason=$("$BIN/python" scripts/prepare-test-db.py "$PG_URL" 2>&1)
  rc=$?
  if [ $rc -eq 3 ] || [ $rc -eq 4 ]; then
    if in_ci; then
      echo "PostgreSQL leg FAILED: ${reason} (CI is set, so this leg must run)"
      status postgres "failed: ${reason}"
      return 1
    fi
    echo "PostgreSQL leg skipped: ${reason}"
    status postgres "skipped: ${reason}"
    return 0
  elif [ $rc -ne 0 ]; then
    echo "PostgreSQL leg FAILED: could not prepare the test database: ${reason}"
    status postgres "failed: ${reason}"
    return 1
  fi
  [ -z "$reason" ] || echo "$reason"
  name=${PG_URL##*/}
  name=${name%%\?*}
  [[ $reason == "created database "* ]] && PG_DROP+=("$name")
  for ((i = 0; i < $(worker_count); i++)); do PG_DROP+=("${name}_gw$i"); done
  run_pytest postgres TEST_DATABASE_URL="$PG_URL"
  rc=$?
  drop_test_databases
  return $rc
}

legs=("$@")
[ ${#legs[@]} -gt 0 ] || legs=(sqlite postgres)
failed=()
for leg in "${legs[@]}"; do
  case $leg in
    sqlite | postgres) rm -f "$RESULTS/$leg.status"; "leg_$leg" || failed+=("$leg") ;;
    *) echo "unknown leg: $leg (sqlite or postgres)" >&2; exit 2 ;;
  esac
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED legs: ${failed[*]}"
  exit 1
fi
