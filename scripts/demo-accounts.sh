#!/usr/bin/env bash
# Create one demo account per role, if missing, for `make run`:
#   participant@example.org, moderator@example.org, editor@example.org, admin@example.org
# A new account gets a random password, printed here once; an existing one is left alone.
# Runs `flask users create` (from PATH, or $FLASK) with the environment it is given
# (make run sets APP_CONFIG=development).
set -euo pipefail
cd "$(dirname "$0")/.."

FLASK=${FLASK:-flask}
PYTHON=${PYTHON:-python3}
command -v "$FLASK" >/dev/null || FLASK=.venv/bin/flask
[ -x .venv/bin/python ] && PYTHON=.venv/bin/python

created=()
for role in participant moderator editor admin; do
  email="${role}@example.org"
  name="Demo ${role^}"
  password=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(15))')
  if output=$(printf '%s\n' "$password" |
    "$FLASK" users create "$email" --name "$name" --role "$role" --password-stdin 2>&1); then
    created+=("$(printf '  %-26s %-12s %s' "$email" "$role" "$password")")
  elif grep -qi "already exists" <<<"$output"; then
    echo "Demo account ${email} exists (its password is unchanged)."
  else
    printf 'Could not create %s:\n%s\n' "$email" "$output" >&2
    exit 1
  fi
done

# The new passwords come last, in a block of their own, so that they stand out just
# above the server's first lines.
if [ ${#created[@]} -gt 0 ]; then
  rule=$(printf '%.0s=' {1..72})
  echo
  echo "$rule"
  echo "  Demo accounts created. Note the passwords now: they are not shown again."
  echo
  printf '  %-26s %-12s %s\n' "e-mail" "role" "password"
  printf '%s\n' "${created[@]}"
  echo "$rule"
  echo
fi
