"""Every command the README shows is run here, and gives what the README shows.

Conventions of ``README.md``:

* a fenced ``console`` block holds ``$ COMMAND`` lines, each followed by the exact output (stdout)
  it prints; ``[...]`` in an expected line matches any text (timings, memory);
* a fenced ``sh`` block holds commands (comments after ``#``) that must exit with status 0
  (their output is not shown); a trailing ``# exit N`` comment expects status ``N``;
* ``python3 run.py test`` is the README's test command itself (CI runs it), not re-run here;
  ``python3 run.py check`` and the sweeps of ``symhess check`` are marked heavy.

Commands run with ``shell=True`` in a temporary directory holding a copy of ``examples/``, with this
interpreter's ``bin`` first on ``PATH`` (so ``symhess`` and ``python3`` are the installed ones). They
are independent, so they run in the background lane of ``tests/conftest.py`` (on the second core)
from the start of the session; the tests read their results in README order.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(console|sh)\n(.*?)^```", re.S | re.M)
HEAVY = (re.compile(r"^symhess check(?!.*--claim)"), re.compile(r"--full"), re.compile(r"^python3 run\.py check"))


def _commands() -> list[tuple[str, str | None, int]]:
    """``(command, expected output or None, expected exit status)`` in README order."""
    out = []
    for kind, body in FENCE.findall(README.read_text()):
        if kind == "sh":
            for line in body.splitlines():
                cmd, _, comment = line.partition(" #")
                status = re.search(r"\bexit (\d+)\s*$", comment)  # a trailing `# exit N` only
                if cmd.strip():
                    out.append((cmd.strip(), None, int(status.group(1)) if status else 0))
            continue
        current: list[str] | None = None
        for line in body.splitlines():
            if line.startswith("$ "):
                current = []
                out.append((line[2:].strip(), current, 0))
            elif current is not None:
                current.append(line)
    return [(c, None if e is None else "\n".join(e), s) for c, e, s in out]


COMMANDS = [c for c in _commands() if c[0] != "python3 run.py test"]


NEEDS = {"--float-audit": "torch", "--torch": "torch", "examples/lenet.py": "torch", "--dataset digits": "sklearn"}
"""Commands whose shown output needs an optional package (the H_L − H_O convention uses torch autodiff)."""


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _param(cmd: str, expected: str | None, status: int):
    marks = [pytest.mark.heavy] if any(p.search(cmd) for p in HEAVY) else []
    marks += [pytest.mark.skipif(not _installed(pkg), reason=f"needs {pkg}") for flag, pkg in NEEDS.items()
              if flag in cmd]
    return pytest.param(cmd, expected, status, id=cmd[:70], marks=marks)


def _matches(expected: str, actual: str) -> bool:
    exp, act = expected.rstrip("\n").splitlines(), actual.rstrip("\n").splitlines()
    if len(exp) != len(act):
        return False
    for e, a in zip(exp, act):
        pattern = ".*".join(re.escape(part) for part in e.rstrip().split("[...]"))
        if not re.fullmatch(pattern, a.rstrip()):
            return False
    return True


def test_readme_has_commands_with_outputs():
    assert sum(e is not None for _, e, _ in COMMANDS) >= 5
    assert any(c.startswith("symhess rank") for c, _, _ in COMMANDS)


def _run(cmd: str, workdir: Path) -> subprocess.CompletedProcess:
    """``cmd`` in ``workdir`` (a fresh copy of ``examples/`` there), as the README's reader would run it."""
    shutil.copytree(ROOT / "examples", workdir / "examples")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               COLUMNS="200")
    if cmd.startswith("python3 run.py"):
        cmd = f"{sys.executable} {ROOT / 'run.py'}" + cmd[len("python3 run.py"):]
    return subprocess.run(cmd, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=1200)


def _selected(items) -> list[str]:
    """The commands of the selected ``test_readme_command`` items that will not skip, in test order."""
    return list(dict.fromkeys(
        item.callspec.params["cmd"] for item in items if getattr(item, "originalname", None) == "test_readme_command"
        and not any(flag in item.callspec.params["cmd"] and not _installed(pkg) for flag, pkg in NEEDS.items())))


def background_jobs(items, mktemp):
    """Every selected command, for the background lane (``tests/conftest.py``): they are independent."""
    return {cmd: functools.partial(_run, cmd, mktemp("readme")) for cmd in _selected(items)}


@pytest.mark.parametrize("cmd, expected, status", [_param(*c) for c in COMMANDS])
def test_readme_command(cmd, expected, status, background, tmp_path):
    proc = background(__name__, cmd, lambda: _run(cmd, tmp_path))
    assert proc.returncode == status, f"{cmd}: exit {proc.returncode}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr
    if expected is not None:
        assert _matches(expected, proc.stdout), f"{cmd}: README shows\n{expected}\n--- but it printed\n{proc.stdout}"
