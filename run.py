#!/usr/bin/env python3
"""One-command set-up and run, needing only ``python3``.

    python3 run.py check [symhess check options]   # the main job
    python3 run.py test  [pytest options]          # the test suite
    python3 run.py symhess ARGS...                 # any symhess command

Creates ``.venv`` next to this file on first use, installs symhess with its
extras into it (again only when ``pyproject.toml`` changes), then runs the command
inside it. Set ``SYMHESS_NO_TORCH=1`` to skip installing the PyTorch extra (the
tests that need it then skip).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def _pip(step: str, *args: str) -> int:
    """``pip install ARGS`` inside the venv, announcing ``step``; pip's progress lines stream to stderr
    (one per package: "Collecting …", "Downloading … (size)", "Installing collected packages …")."""
    print(f"run.py: {step}", file=sys.stderr, flush=True)
    proc = subprocess.Popen([str(PY), "-m", "pip", "install", "--disable-pip-version-check", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if not line.startswith(("WARNING: Location", "  Using cached", "Requirement already satisfied")):
            print(f"  {line.rstrip()}", file=sys.stderr, flush=True)
    return proc.wait()


def ensure_env() -> None:
    """Create the virtual environment and install symhess (idempotent)."""
    stamp_text = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".symhess-installed"
    if stamp.exists() and stamp.read_text() == stamp_text and PY.exists():
        return
    if not PY.exists():
        print("run.py: creating virtual environment .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if _pip("step 1/2: symhess and its dependencies (sympy, numpy, mpmath, networkx, python-flint, pytest, "
            "hypothesis, matplotlib, scikit-learn, dask; about 300 MB, first run only)",
            "-e", f"{ROOT}[test,plot,data,dask]") != 0:
        sys.exit("run.py: installing symhess failed (see pip's message above)")
    if os.environ.get("SYMHESS_NO_TORCH") != "1" and _pip(
            "step 2/2: PyTorch 2.13 CPU for the comparison tests (about 900 MB; SYMHESS_NO_TORCH=1 skips it)",
            "-e", f"{ROOT}[torch]") != 0:
        print("run.py: PyTorch could not be installed; the tests that compare with it will skip",
              file=sys.stderr)
    stamp.write_text(stamp_text)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "test", "symhess"):
        print(__doc__, file=sys.stderr)
        return 2
    ensure_env()
    cmd, rest = argv[0], argv[1:]
    if cmd == "test":
        args = [str(PY), "-m", "pytest", "-q", *rest]
    elif cmd == "check":
        args = [str(BIN / "symhess"), "check", *rest]
    else:
        args = [str(BIN / "symhess"), *rest]
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
