"""The paper's claims, one module each, every one a runnable exact check.

Each module defines ``CLAIM`` (a :class:`proofs_checks.framework.Claim`): the claim's
name and statement, a ``check(instance) -> CheckResult`` and the instances of its
default (fast) and full sweeps. ``pytest proofs_checks`` runs every claim on its
default sweep; ``symhess check`` runs the same registry (:func:`registry`).
"""
