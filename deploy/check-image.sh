#!/usr/bin/env bash
# What the Dockerfile does, without Docker (no engine runs on the development machine): the same files copied into
# an empty folder, the same pip install in a fresh virtual environment on this machine's Python, then the image's
# command (`newsbot run`) started with no token, which must stop at once with the token message and exit status 2.
# Usage: deploy/check-image.sh [python3.11]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
WORK="$(mktemp -d /tmp/newsbot-image.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/app" "$WORK/data"
cp pyproject.toml README.md "$WORK/app/"            # COPY pyproject.toml README.md ./
cp -r index bot "$WORK/app/"                          # COPY index ./index ; COPY bot ./bot
find "$WORK/app" -name __pycache__ -prune -exec rm -rf {} +
"$PY" -m venv "$WORK/venv"
(cd "$WORK/app" && PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$WORK/venv/bin/pip" install --quiet '.[postgres]')
cd "$WORK/data"                                       # WORKDIR /data, no .env there
set +e
out="$(env -i PATH="$WORK/venv/bin:/usr/bin:/bin" NEWSBOT_DB="$WORK/data/newsbot.db" newsbot run 2>&1)"
status=$?
set -e
echo "newsbot run -> exit $status: $out"
[ "$status" -eq 2 ] && [[ "$out" == *"DISCORD_TOKEN is not set"* ]] || { echo "FAILED: expected exit 2 and the token message"; exit 1; }
env -i PATH="$WORK/venv/bin:/usr/bin:/bin" newsbot --help > /dev/null
echo "OK: the image's install step and its command work from the copied files alone"
