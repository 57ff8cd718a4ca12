"""The Hessian routes: production exact (Eq. 1), fast integer assembly, block formulas (Props 2–4),
sympy differentiation, softmax cross-entropy (and the layer-stack routes of :mod:`.sequential`)."""
