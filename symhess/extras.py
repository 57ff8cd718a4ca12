"""Optional dependencies (pip extras): one error type for "this needs an extra that is not installed".

symhess's main job (``symhess check``) runs after a plain ``pip install symhess``; a claim or
command that needs an optional package raises :class:`MissingExtra`, which ``symhess check``
reports as ``skipped`` with the install hint (not a failure), and any other command as one
line with exit status 2.
"""

from __future__ import annotations

from .scalars import InputError


class MissingExtra(InputError):
    """``package`` is not installed; ``pip install 'symhess[extra]'`` brings it."""

    def __init__(self, field: str, package: str, extra: str):
        self.package, self.extra = package, extra
        super().__init__(field, f"{package} installed (pip install 'symhess[{extra}]')", f"no {package}")

    @property
    def hint(self) -> str:
        return f"needs {self.package}: pip install 'symhess[{self.extra}]'"
