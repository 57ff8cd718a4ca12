"""Refresh the outputs shown in README.md's ``console`` blocks by running their commands.

    .venv/bin/python tools/readme_outputs.py [--skip-heavy]

Each ``$ COMMAND`` line of a ``console`` block is run as ``tests/test_readme.py`` runs it (in a
temporary directory with ``examples/``), and the lines after it are replaced by its stdout;
volatile numbers (elapsed seconds, peak memory) become ``[...]``. ``tests/test_readme.py``
then checks that the README and the commands agree.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = [(re.compile(r"elapsed: [0-9.]+ s, peak memory [0-9]+ MiB"), "elapsed: [...]"),
            (re.compile(r'"elapsed_seconds": [0-9.]+'), '"elapsed_seconds": [...]'),
            (re.compile(r'"peak_memory_bytes": [0-9]+'), '"peak_memory_bytes": [...]')]
HEAVY = re.compile(r"^symhess check(?!.*--claim)|--full")


def run(cmd: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "examples", Path(tmp) / "examples")
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", COLUMNS="200")
        out = subprocess.run(cmd, shell=True, cwd=tmp, env=env, capture_output=True, text=True).stdout
    for pattern, repl in VOLATILE:
        out = pattern.sub(repl, out)
    return out.rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-heavy", action="store_true",
                    help="leave the outputs of `symhess check` (without --claim) and --full commands as they are")
    skip_heavy = ap.parse_args(argv).skip_heavy
    text = (ROOT / "README.md").read_text()

    def refresh(block: re.Match) -> str:
        out: list[str] = []
        keeping = False
        for line in block.group(1).splitlines():
            if line.startswith("$ "):
                cmd = line[2:].strip()
                keeping = bool(skip_heavy and HEAVY.search(cmd))
                out.append(line)
                if not keeping:
                    out.append(run(cmd))
            elif keeping:
                out.append(line)
        return "```console\n" + "\n".join(out) + "\n```"

    text = re.sub(r"^```console\n(.*?)^```", refresh, text, flags=re.S | re.M)
    (ROOT / "README.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
