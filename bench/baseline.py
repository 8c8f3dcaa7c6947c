"""docqa at an older commit, for ``python -m bench --baseline-commit REF`` (issue 16: "against the
last commit before this change").

The commit's tree is written with ``git archive`` into ``bench/.baseline/<sha12>`` (no worktree
is registered) and gets its own venv from its own ``scripts/setup.sh``, once; a stamp file says
the tree is complete. Its commands run from that folder with that venv's python, so ``docqa``
and ``bench.variant`` are the commit's own. Both sides share the model cache: the prepared model
directory is the same (``CONVERSION_VERSION``), and the ONNX graph files the newer code adds
beside it are ignored by older code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FOLDER = HERE / ".baseline"


def resolve(ref: str) -> str:
    """The full commit id of ``ref`` (an error naming it when git does not know it)."""
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(f"--baseline-commit {ref}: not a commit of this repository")
    return proc.stdout.strip()


def ensure_tree(ref: str, log=print) -> Path:
    """The folder holding ``ref``'s tree with its venv, made on first use."""
    sha = resolve(ref)
    tree = FOLDER / sha[:12]
    stamp = tree / ".bench-baseline"
    if stamp.is_file() and stamp.read_text() == sha:
        return tree
    log(f"writing {sha[:12]} into {tree} and making its venv (scripts/setup.sh); a few minutes once")
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(tree)], stdin=archive.stdout, check=True)
    if archive.wait():
        raise RuntimeError(f"git archive {sha} failed")
    subprocess.run(["bash", "scripts/setup.sh"], cwd=tree, check=True)
    stamp.write_text(sha)
    return tree


def python(tree: Path) -> Path:
    return tree / ".venv" / "bin" / "python"
