#!/usr/bin/env bash
# Lint: ruff (rules and formatting) and mypy (strict on ingest/ and index/). scripts/test.sh runs it first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# mypy reads the package as it installs (docqa.ingest is ingest/, ...: pyproject's package-dir),
# from a tree of links made here, since it cannot follow setuptools' editable finder.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/docqa"
for path in docqa/*; do
  [ "$(basename "$path")" = "__pycache__" ] || ln -s "$PWD/$path" "$tree/docqa/"
done
for stage in ingest index service eval; do
  ln -s "$PWD/$stage" "$tree/docqa/$stage"
done
MYPYPATH="$tree" .venv/bin/mypy --config-file pyproject.toml -p docqa
