"""Writing results: tables as Markdown, CSV or JSON, and files written atomically.

Every file the CLI writes goes through :func:`write_atomic`: the content is written
to a temporary file next to the target and renamed into place only when complete,
so a failure never leaves a partial output file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Sequence

from ..scalars import InputError

FORMATS = ("md", "csv", "json")


def check_target(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Raise :class:`InputError` unless ``path`` can be written by :func:`write_atomic`.

    Called before long work, so that a bad ``--out`` is reported at once, not after a sweep: the
    directory must exist and accept a new file, and the target must be absent or a regular file
    (never a directory, device, pipe or socket, which :func:`write_atomic` would replace).
    """
    target = Path(path)
    if str(path) == "" or str(path).endswith(os.sep):
        raise InputError(flag, "a file name (not a directory)", str(path))
    parent = target.parent
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as err:  # e.g. a parent that is a regular file (ENOTDIR), or a symlink loop
        raise InputError(flag, "a file in an existing, writable directory", f"{path} ({err.strerror or err})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(flag, "a file name (this is a directory)", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise InputError(flag, "a regular file or a new file name (not a device, pipe or socket)", str(path))
    if not parent.is_dir():
        what = "does not exist" if not parent.exists() else "is not a directory"
        raise InputError(flag, f"a file in an existing directory ({str(parent)!r} {what})", str(path))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(flag, f"a file in a writable directory ({str(parent)!r} is read-only)", str(path))
    try:  # the decisive test: can a file be created next to the target?
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".probe")
    except OSError as err:
        raise InputError(flag, f"a file in a writable directory ({str(parent)!r}: {err.strerror or err})",
                         str(path)) from None
    os.close(fd)
    os.unlink(tmp)
    return target


def write_atomic(path: str | os.PathLike, content: str | bytes, flag: str = "--out") -> None:
    """Write ``content`` to ``path`` all at once (temporary file + rename).

    The target must be absent or a regular file (:func:`check_target`); a failure (a full disk,
    a file-size limit, a read-only directory) raises :class:`InputError` and leaves nothing behind.
    """
    target = check_target(path, flag)
    mode = "wb" if isinstance(content, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise InputError(flag, "a file in a writable directory", f"{path} ({err.strerror or err})") from None
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):  # appeared meanwhile: still never replace it
            raise InputError(flag, "a regular file or a new file name (not a device, pipe or socket)", str(path))
        os.replace(tmp, target)
    except OSError as err:
        _remove(tmp)
        raise InputError(flag, "a location with room for the file", f"{path} ({err.strerror or err})") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def render_table(rows: Sequence[dict[str, Any]], fmt: str = "md", columns: Sequence[str] | None = None) -> str:
    """Render a list of flat dicts as a Markdown table, CSV, or a JSON list."""
    if fmt not in FORMATS:
        raise InputError("--format", "one of md, csv, json", fmt)
    cols = list(columns) if columns is not None else (list(rows[0].keys()) if rows else [])
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in cols} for r in rows], indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: _cell(r.get(c)) for c in cols})
        return buf.getvalue()
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(c)) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)
