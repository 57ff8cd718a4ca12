"""symhess: exact, certified Hessian ranks of 1D CNNs.

The top-level names are resolved on first use (PEP 562), so ``import symhess`` — and with it
``symhess --help`` and input errors — does not pay for sympy, FLINT or PyTorch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {"float_audit": "symhess.experiments.float_audit", "from_torch": "symhess.io.torch_import",
         "load_torch_model": "symhess.io.torch_import"}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'symhess' has no attribute {name!r}")
