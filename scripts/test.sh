#!/usr/bin/env bash
# The README's second command: set up, lint (scripts/lint.sh), then run every test (real model, real Kiwi, real FAISS).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The browser tests drive Debian's Chromium (Playwright cannot download browsers on a closed
# network) and need a Korean font to draw the page; the PDF tests print pages with the same
# Chromium and OCR scanned pages with Tesseract and its Korean and traditional Chinese data. Installed once, when missing.
if [ ! -x /usr/bin/chromium ] || [ -z "$(fc-list :lang=ko family 2>/dev/null)" ] \
    || ! tesseract --list-langs 2>/dev/null | grep -qx chi_tra; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum \
        tesseract-ocr tesseract-ocr-kor tesseract-ocr-chi-tra >/dev/null; }; then
    echo "setup: could not install chromium, fonts-nanum and tesseract-ocr (needs root);" \
      "the browser and PDF tests will fail" >&2
  fi
fi
bash scripts/setup.sh
bash scripts/lint.sh
exec .venv/bin/python -m pytest "$@"
