#!/usr/bin/env bash
# The README's second command: set up, then run every test (real model, real Kiwi, real FAISS).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
