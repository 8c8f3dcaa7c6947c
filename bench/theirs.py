"""txtai's own virtual environment (bench/.venv-txtai), created on first use.

txtai never goes into the project's venv: it could move shared packages. torch is installed
first and pinned (2.13.0 is the CPU build on this machine's disk; an unpinned torch pulls a
multi-GB CUDA build), then txtai with sentence-transformers/transformers pinned to the
project's versions, so both sides run the same model code.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-txtai"
PYTHON = VENV / "bin" / "python"
SCRIPT = HERE / "txtai_side.py"
TXTAI = "txtai==9.14.0"
TORCH = "torch==2.13.0"
SAME_AS_OURS = ("sentence-transformers", "transformers", "tokenizers", "faiss-cpu")
EXTRAS = ("fastapi", "uvicorn")
STAMP = VENV / ".bench-installed"


def requirements() -> list[str]:
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in SAME_AS_OURS]
    return [TXTAI, *pins, *EXTRAS]


def ensure_env(log=print) -> Path:
    """Create or complete the venv; a stamp file records what was installed."""
    want = "\n".join([TORCH, *requirements()])
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == want:
        return PYTHON
    log(f"creating {VENV} ({TORCH} first, then {TXTAI}); this takes a few minutes once")
    if not PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, TORCH], check=True)
    subprocess.run([*pip, *requirements()], check=True)
    STAMP.write_text(want)
    return PYTHON


def versions() -> dict:
    code = (
        "import importlib.metadata as m, json; print(json.dumps({n: m.version(n) for n in "
        "('txtai', 'torch', 'sentence-transformers', 'transformers', 'faiss-cpu')}))"
    )
    out = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, check=True)
    import json

    return json.loads(out.stdout)
