#!/usr/bin/env bash
# The README's first command: set up, ingest the sample corpus if the data directory is empty,
# then serve it at http://$DOCQA_HOST:$DOCQA_PORT (default http://127.0.0.1:8000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export DOCQA_DATA_DIR="${DOCQA_DATA_DIR:-data/index}"
if [ ! -f "$DOCQA_DATA_DIR/manifest.json" ]; then
  .venv/bin/docqa ingest data/corpus
fi
exec .venv/bin/docqa serve "$@"
