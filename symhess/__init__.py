"""symhess: exact, certified Hessian ranks of 1D CNNs."""

from .torch_import import from_torch, load_torch_model  # torch itself is imported only when called

__all__ = ["from_torch", "load_torch_model"]
