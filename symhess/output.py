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
import tempfile
from pathlib import Path
from typing import Any, Sequence

from .scalars import InputError

FORMATS = ("md", "csv", "json")


def write_atomic(path: str | os.PathLike, content: str | bytes) -> None:
    """Write ``content`` to ``path`` all at once (temporary file + rename)."""
    target = Path(path)
    if not target.parent.exists():
        raise InputError("--out", f"a path in an existing directory (no directory {str(target.parent)!r})", str(path))
    mode = "wb" if isinstance(content, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, mode) as fh:
            fh.write(content)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
