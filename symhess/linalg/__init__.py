"""Exact and numeric linear algebra: FLINT matrices, exact integer arrays, certified ranks,
the mpmath gap rule, exact inertia, memory estimates."""
