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


def _pip(*args: str) -> int:
    """``pip install -q ARGS`` inside the venv; pip's messages are shown except index-location noise."""
    proc = subprocess.run([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout.splitlines():
        if proc.returncode != 0 or not line.startswith("WARNING: Location"):
            print(line, file=sys.stderr)
    return proc.returncode


def ensure_env() -> None:
    """Create the virtual environment and install symhess (idempotent)."""
    stamp_text = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".symhess-installed"
    if stamp.exists() and stamp.read_text() == stamp_text and PY.exists():
        return
    if not PY.exists():
        print("run.py: creating virtual environment .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("run.py: installing symhess and its dependencies into .venv (first run only)", file=sys.stderr)
    if _pip("-e", f"{ROOT}[test,plot,data,dask]") != 0:
        sys.exit("run.py: installing symhess failed (see pip's message above)")
    if os.environ.get("SYMHESS_NO_TORCH") != "1" and _pip("-e", f"{ROOT}[torch]") != 0:
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
