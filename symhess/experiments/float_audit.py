"""Where float64 goes wrong: the certified exact ranks next to the float ranks the field uses.

:func:`float_audit` puts, for one network on one data set, the certified exact ranks of
``H_O``, ``H_F``, ``H_L`` (and ``r = rank Σ_xx``) from :func:`symhess.hessian.assembly.hessian_ranks`
next to the ranks of *the same Hessians assembled in float64*
(:func:`symhess.hessian.assembly.assemble` with ``arithmetic="float64"``) under the rank conventions
used in practice (:data:`CONVENTIONS`). Each convention is a threshold on the singular values
(numpy SVD, ``compute_uv=False``):

==============  ==================================================================  ==========================================
name            rank = #{σ_i > τ}, τ =                                              source
==============  ==================================================================  ==========================================
``numpy``       ``σ_max · max(m, n) · ε``  (ε = 2^-52)                              ``numpy.linalg.matrix_rank``, ``tol=None``
``torch``       ``max(atol, σ_max · rtol)``, ``atol = 0``, ``rtol = max(m, n) · ε``  ``torch.linalg.matrix_rank`` defaults
``jax-x64``     ``S.max(-1) · max(M.shape[-2:]) · finfo(S.dtype).eps``               ``jnp.linalg.matrix_rank``, ``rtol=None``
``jax-float32`` the same in float32 (ε = 2^-23): JAX's default dtype without x64     ``jax_enable_x64`` off (the default)
``rtol=1e-6``   ``10^-6 · σ_max``                                                   a common relative threshold
``atol=1e-7/p`` ``10^-7 / p`` (``p`` parameters; the same number for ``Σ_xx``)       an absolute threshold
``H_L-H_O``     numpy's τ; ``H_L`` by ``torch.func.hessian``, ``H_F = H_L − H_O``      ``H_F`` by subtraction
==============  ==================================================================  ==========================================

``numpy``, ``torch`` and ``jax-x64`` are the same formula (for a ``p × p`` Hessian
``τ = σ_max · p · ε``); they are listed separately because users name them separately.
The JAX formula is read from ``jax/_src/numpy/linalg.py`` (``matrix_rank``: ``if rtol is
None: rtol = S.max(-1) * np.max(M.shape[-2:]).astype(S.dtype) * jnp.finfo(S.dtype).eps``,
then ``sum(S > rtol)``; note that a *user-given* ``rtol`` is compared with ``S`` directly,
i.e. used as an absolute threshold). Without ``jax.config.update("jax_enable_x64", True)``
JAX computes in float32, hence ``jax-float32`` (the float64 Hessian rounded to float32 and
ranked by a float32 SVD: optimistic, a float32 assembly would be worse).

For every convention the audit reports the ranks, whether they agree with the exact ranks
(``agrees``: all three Hessians), which parts are wrong (``wrong``, ``"r"`` included), and
the singular values at the cut: ``tol``, ``smallest_kept`` and ``largest_dropped`` (the
computed ``σ_rank`` and ``σ_{rank+1}``), and ``sigma_at_exact``: the computed
``σ_{r*}`` and ``σ_{r*+1}`` at the exact rank ``r*``, i.e. what a threshold would have had
to separate. No float enters the exact path: the exact ranks are computed first, by the
integer assembly, and the float matrices are assembled separately.

The generated families of :func:`family_instance` (one knob each) are where the conventions
break; ``symhess table float-failures`` sweeps them (``docs/float.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np

from ..hessian.assembly import DEFAULT_CERTIFY_LIMIT, assemble, hessian_ranks
from ..hessian.hessians import PARTS
from ..io.torch_import import torch_mse
from ..nets.architecture import Architecture, ConvLayer, Network, random_network
from ..nets.data import Dataset, random_dataset
from ..nets.toeplitz import network_output
from ..scalars import InputError
from ..theory.bounds import data_ranks
from .sweep import PartRanks, TableRow

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Convention:
    """A float rank convention: threshold ``kind`` (``"maxdim"``: ``σ_max · max(m, n) · ε``,
    ``"rtol"``: ``value · σ_max``, ``"atol"``: ``value / p``) in ``dtype``; ``difference``:
    ``H_F`` formed as ``fl(H_L) − fl(H_O)``."""

    name: str
    formula: str
    source: str
    kind: str = "maxdim"
    value: float = 0.0
    dtype: str = "float64"
    difference: bool = False
    same_as: str = ""
    """Name of a convention with the identical threshold (the audit still lists both)."""

    def threshold(self, sv: np.ndarray, shape: tuple[int, int], params: int) -> float:
        top = float(sv[0]) if len(sv) else 0.0
        if self.kind == "maxdim":
            eps = EPS32 if self.dtype == "float32" else EPS64
            return top * max(shape) * eps
        if self.kind == "rtol":
            return top * self.value
        if self.kind == "atol":
            return self.value / params
        raise ValueError(self.kind)


CONVENTIONS: tuple[Convention, ...] = (
    Convention("numpy", "sigma > sigma_max * max(m, n) * eps64",
               "numpy.linalg.matrix_rank default (tol=None: S.max() * max(M, N) * eps)"),
    Convention("torch", "sigma > max(0, sigma_max * max(m, n) * eps64)",
               "torch.linalg.matrix_rank default (atol=None -> 0, rtol=None -> max(m, n) * eps)", same_as="numpy"),
    Convention("jax-x64", "sigma > sigma_max * max(m, n) * eps64",
               "jax.numpy.linalg.matrix_rank default with jax_enable_x64 (rtol=None -> S.max(-1) * max(M.shape[-2:]) "
               "* finfo(S.dtype).eps)", same_as="numpy"),
    Convention("jax-float32", "float32 SVD, sigma > sigma_max * max(m, n) * eps32",
               "jax.numpy.linalg.matrix_rank default dtype (x64 disabled: float32)", dtype="float32"),
    Convention("rtol=1e-6", "sigma > 1e-6 * sigma_max", "a relative threshold", kind="rtol", value=1e-6),
    Convention("atol=1e-7/p", "sigma > 1e-7 / p", "an absolute threshold (p parameters)", kind="atol", value=1e-7),
    Convention("H_L-H_O", "H_F := H_L - H_O in float64 (H_L by torch.func.hessian), numpy default tol",
               "functional Hessian by subtraction: H_L from autodiff (torch.func.hessian of the float64 loss; "
               "the assembled float64 H_O + H_F without PyTorch), H_O = J^T J / n", difference=True),
)
CONVENTION_NAMES = tuple(c.name for c in CONVENTIONS)


def get_convention(name: str) -> Convention:
    for c in CONVENTIONS:
        if c.name == name:
            return c
    raise InputError("convention", f"one of {', '.join(CONVENTION_NAMES)}", name)


@dataclass(frozen=True)
class Cut:
    """Singular values at a convention's cut of one matrix (all computed in floating point)."""

    rank: int
    tol: float
    smallest_kept: float | None
    largest_dropped: float | None
    sigma_at_exact: tuple[float | None, float | None]
    sigma_max: float

    def to_dict(self) -> dict[str, Any]:
        return {"tol": self.tol, "smallest_kept": self.smallest_kept, "largest_dropped": self.largest_dropped,
                "sigma_at_exact": list(self.sigma_at_exact), "sigma_max": self.sigma_max}


def float_singular_values(m: np.ndarray, dtype: str = "float64") -> np.ndarray:
    """Singular values, largest first, by numpy's SVD in ``dtype`` (inf/nan refused)."""
    a = np.asarray(m, dtype=np.float32 if dtype == "float32" else np.float64)
    if not np.isfinite(a).all():
        raise InputError("float64 Hessian", "finite values (the float64 assembly overflowed)", "inf/nan")
    if 0 in a.shape:
        return np.zeros(0)
    return np.linalg.svd(a, compute_uv=False).astype(np.float64)


def cut(sv: np.ndarray, tol: float, exact_rank: int) -> Cut:
    """The rank ``#{σ > tol}`` and the singular values around it and around ``exact_rank``."""
    r = int((sv > tol).sum())

    def at(i: int) -> float | None:  # σ_i, 1-based
        return float(sv[i - 1]) if 1 <= i <= len(sv) else None

    return Cut(r, float(tol), at(r), at(r + 1), (at(exact_rank), at(exact_rank + 1)),
               float(sv[0]) if len(sv) else 0.0)


@dataclass(frozen=True)
class ConventionResult:
    """One convention's ranks of ``Σ_xx`` (``r``) and of the three Hessians, with the cuts."""

    convention: Convention
    ranks: dict[str, int]
    r: int
    cuts: dict[str, Cut]
    exact: dict[str, int]
    exact_r: int

    @property
    def wrong(self) -> tuple[str, ...]:
        """Parts whose float rank differs from the exact one (``"r"`` for ``rank Σ_xx``)."""
        out = tuple(p for p in PARTS if self.ranks[p] != self.exact[p])
        return out + (("r",) if self.r != self.exact_r else ())

    @property
    def agrees(self) -> bool:
        """All three Hessian ranks equal the certified exact ones."""
        return all(self.ranks[p] == self.exact[p] for p in PARTS)

    def to_dict(self) -> dict[str, Any]:
        c = self.convention
        return {"convention": c.name, "ranks": dict(self.ranks), "r": self.r, "agrees": self.agrees,
                "wrong": list(self.wrong), "cut": {k: v.to_dict() for k, v in self.cuts.items()},
                "formula": c.formula, "source": c.source, **({"same_as": c.same_as} if c.same_as else {})}


@dataclass(frozen=True)
class FloatAudit:
    """Certified exact ranks and every convention's float ranks of the same Hessians."""

    network: str
    params: int
    samples: int
    exact: dict[str, int]
    exact_r: int
    certified: bool
    results: tuple[ConventionResult, ...]

    @property
    def disagreements(self) -> tuple[ConventionResult, ...]:
        return tuple(res for res in self.results if res.wrong)

    def result(self, name: str) -> ConventionResult:
        for res in self.results:
            if res.convention.name == name:
                return res
        raise KeyError(name)

    def to_list(self) -> list[dict[str, Any]]:
        """The ``"float_audit"`` value of ``symhess rank --float-audit --json``."""
        return [res.to_dict() for res in self.results]

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.network, "params": self.params, "samples": self.samples,
                "exact": {"ranks": dict(self.exact), "r": self.exact_r, "certified": self.certified},
                "float_audit": self.to_list()}

    def to_text(self) -> str:
        """A table in which a disagreement cannot be missed (``NO <-`` and a ``*`` on each wrong rank)."""
        head = f"{'convention':<13}{'r':>5} {'rank_O':>8} {'rank_F':>8} {'rank_L':>8}  agrees"
        lines = ["float64 audit: the same Hessians assembled in float64, ranked by the conventions in use",
                 "", head,
                 f"{'exact':<13}{self.exact_r:>5} " + "".join(f"{self.exact[p]:>8} " for p in PARTS)
                 + f" {'(certified)' if self.certified else '(monte-carlo)'}"]
        for res in self.results:
            cells = [_mark(res.r, self.exact_r, 5)] + [_mark(res.ranks[p], self.exact[p], 8) for p in PARTS]
            verdict = "yes" if not res.wrong else ("NO <-" if not res.agrees else "r wrong <-")
            lines.append(f"{res.convention.name:<13}" + "".join(cells) + f" {verdict}")
        lines.append("")
        bad = self.disagreements
        if not bad:
            lines.append("every convention agrees with the exact ranks on this instance")
        else:
            lines.append(f"{len(bad)} of {len(self.results)} conventions disagree (* = wrong rank); at the cut "
                         "(sigma relative to sigma_max; 'needed' = sigma_r*, sigma_r*+1 at the exact rank r*):")
            names = {res.convention.name for res in bad}
            for res in bad:
                if res.convention.same_as in names:
                    continue
                for part in res.wrong:
                    c = res.cuts[part]
                    lines.append(f"  {res.convention.name} {_symbol(part)}: rank {c.rank} vs exact "
                                 f"{self.exact_r if part == 'r' else self.exact[part]}; tol {_rel(c.tol, c)}, "
                                 f"kept down to {_rel(c.smallest_kept, c)}, dropped from {_rel(c.largest_dropped, c)}; "
                                 f"needed {_rel(c.sigma_at_exact[0], c)} kept, {_rel(c.sigma_at_exact[1], c)} dropped")
            same = [res.convention.name for res in bad if res.convention.same_as in names]
            if same:
                lines.append(f"  {', '.join(same)}: the same threshold as numpy, the same cut")
        return "\n".join(lines) + "\n"


def _symbol(part: str) -> str:
    return {"outer": "H_O", "functional": "H_F", "loss": "H_L", "r": "Sigma_xx"}[part]


def _mark(value: int, exact: int, width: int) -> str:
    return f"{value:>{width}}" + ("*" if value != exact else " ")


def _rel(v: float | None, c: Cut) -> str:
    if v is None:
        return "-"
    return f"{v / c.sigma_max:.2g}" if c.sigma_max > 0 else f"{v:.2g}"


# --- the float matrices ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class FloatMatrices:
    """The float64 matrices the conventions rank: ``Σ_xx`` and ``H_O``, ``H_F``, ``H_L`` (``p × p``),
    and ``H_L − H_O`` (the subtraction convention's ``H_F``)."""

    covariance: np.ndarray
    outer: np.ndarray
    functional: np.ndarray
    loss: np.ndarray
    autodiff_loss: np.ndarray | None = None
    """``H_L`` by ``torch.func.hessian`` of the float64 loss (``None`` without PyTorch)."""

    @property
    def loss_for_difference(self) -> np.ndarray:
        """The ``H_L`` a practitioner subtracts from: autodiff's when available, else the assembled one."""
        return self.autodiff_loss if self.autodiff_loss is not None else self.loss

    @property
    def difference(self) -> np.ndarray:
        return self.loss_for_difference - self.outer

    def part(self, name: str, difference: bool = False) -> np.ndarray:
        if difference and name == "functional":
            return self.difference
        if difference and name == "loss":
            return self.loss_for_difference
        return {"outer": self.outer, "functional": self.functional, "loss": self.loss, "r": self.covariance}[name]


def autodiff_loss_hessian(net: Network, data: Dataset) -> np.ndarray | None:
    """``H_L`` as the field computes it: ``torch.func.hessian`` of the float64 MSE loss
    (:func:`symhess.io.torch_import.torch_mse`); ``None`` if PyTorch is missing or the net is not a conv stack."""
    try:
        import torch  # optional extra, imported on use (torch)
    except ImportError:
        return None

    if not all(s.shared for s in net.arch.layers):
        return None
    loss = torch_mse(net.arch, data)
    theta = torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)
    return torch.func.hessian(loss)(theta).detach().numpy()


def float_matrices(net: Network, data: Dataset, autodiff: bool = True) -> FloatMatrices:
    """``Σ_xx = XᵀX / n`` and the Hessians assembled in float64 (weights and data rounded to doubles);
    ``autodiff``: also ``H_L`` by ``torch.func.hessian`` (:func:`autodiff_loss_hessian`)."""
    with np.errstate(over="ignore", invalid="ignore"):
        A = assemble(net, data, functional=True, outer=True, arithmetic="float64")
        X = np.array([[float(v) for v in row] for row in data.inputs], dtype=np.float64)
        mats = FloatMatrices(X.T @ X / data.n, A.to_float("outer"), A.to_float("functional"), A.to_float("loss"),
                             autodiff_loss_hessian(net, data) if autodiff else None)
    for name in ("outer", "functional", "loss"):
        if not (np.isfinite(mats.part(name)).all() and np.isfinite(mats.part(name, True)).all()):
            raise InputError("float64 Hessian", "finite float64 values (the exact path has no such limit)",
                             f"inf/nan in the float64 {name} Hessian")
    return mats


def audit_matrices(mats: FloatMatrices, exact: dict[str, int], exact_r: int, params: int,
                   conventions: Sequence[Convention] = CONVENTIONS) -> tuple[ConventionResult, ...]:
    """Every convention on the float matrices ``mats`` against the exact ranks."""
    cache: dict[tuple[str, str, bool], np.ndarray] = {}

    def sv(name: str, dtype: str, diff: bool) -> np.ndarray:
        key = (name, dtype, diff and name == "functional")
        if key not in cache:
            cache[key] = float_singular_values(mats.part(name, key[2]), dtype)
        return cache[key]

    out = []
    for conv in conventions:
        cuts = {}
        for name in (*PARTS, "r"):
            s = sv(name, conv.dtype, conv.difference)
            m = mats.part(name)
            target = exact_r if name == "r" else exact[name]
            cuts[name] = cut(s, conv.threshold(s, m.shape, params), target)
        out.append(ConventionResult(conv, {p: cuts[p].rank for p in PARTS}, cuts["r"].rank,
                                    cuts, dict(exact), exact_r))
    return tuple(out)


def float_audit(net: Network, data: Dataset, conventions: Sequence[Convention | str] = CONVENTIONS,
                certify_limit: int | None = None, memory_limit: int | None = None,
                exact_ranks: dict[str, int] | None = None, certified: bool | None = None) -> FloatAudit:
    """Certified exact ranks of ``H_O``, ``H_F``, ``H_L`` and ``r`` next to each convention's float ranks.

    ``exact_ranks`` (with ``certified``): ranks already computed by
    :func:`symhess.hessian.assembly.hessian_ranks` (``symhess rank`` passes its own), else computed here.
    """
    convs = tuple(get_convention(c) if isinstance(c, str) else c for c in conventions)
    if exact_ranks is None:
        hr = hessian_ranks(net, data, PARTS, certify_limit=certify_limit or DEFAULT_CERTIFY_LIMIT,
                           memory_limit=memory_limit)
        exact_ranks = {p: hr.ranks[p].rank for p in PARTS}
        certified = hr.certified
    exact_r = data_ranks(net, data)[0]
    mats = float_matrices(net, data)
    p = net.arch.num_params
    return FloatAudit(net.arch.describe(), p, data.n, dict(exact_ranks), exact_r, bool(certified),
                      audit_matrices(mats, exact_ranks, exact_r, p, convs))


# --- generated families with one knob each ---------------------------------------------------------

FAMILY_ARCH = Architecture(8, (ConvLayer(3, 3),), 2)
"""The families' network (except ``depth``): ``d0=8 conv(2,k3) conv(2,k3) -> K=2``, ``p = 34``."""
FAMILY_SAMPLES = 10


def family_samples(arch: Architecture) -> int:
    """Every family uses ``n = 10`` samples."""
    return FAMILY_SAMPLES


def _z(seed: str, n: int, k: int) -> np.ndarray:
    """Small non-zero integers in ``{−3..3}∖{0}`` (the perturbation pattern), deterministic from ``seed``."""
    import random

    rng = random.Random(seed)
    return np.array([[Fraction(rng.choice((-3, -2, -1, 1, 2, 3))) for _ in range(k)] for _ in range(n)], dtype=object)


def collinear_instance(a: int, seed: int = 0) -> tuple[Network, Dataset]:
    """Nearly collinear inputs: ``x_i[1] = x_i[0] + 2^-a z_i`` (small integers ``z_i``); exact ``r`` stays ``d_0``."""
    arch = FAMILY_ARCH
    net = random_network(arch, seed)
    data = random_dataset(arch, FAMILY_SAMPLES, seed)
    X = data.inputs.copy()
    z = _z(f"collinear:{seed}", data.n, 1)
    for i in range(data.n):
        X[i, 1] = X[i, 0] + Fraction(1, 2 ** a) * z[i, 0]
    return net, Dataset(X, data.targets)


def interpolation_instance(a: int, seed: int = 0) -> tuple[Network, Dataset]:
    """Near interpolation: targets ``y_i = F(x_i) + 2^-a z_i`` (residuals exactly ``−2^-a z_i``).

    The weights are rationals with denominators up to 3 (``random_network(rational=True)``), so
    float64 rounds them, as it rounds trained weights: with integer weights every float
    product would be exact and the subtraction ``H_L − H_O`` would cancel without error."""
    arch = FAMILY_ARCH
    net = random_network(arch, seed, rational=True)
    data = random_dataset(arch, FAMILY_SAMPLES, seed)
    z = _z(f"interpolation:{seed}", data.n, arch.outputs)
    Y = np.empty(data.targets.shape, dtype=object)
    for i in range(data.n):
        out = network_output(net, data.inputs[i])
        for c in range(arch.outputs):
            Y[i, c] = out[c] + Fraction(1, 2 ** a) * z[i, c]
    return net, Dataset(data.inputs, Y)


def rebalanced_instance(a: int, seed: int = 0) -> tuple[Network, Dataset]:
    """Rebalanced weights: ``W^1 · 2^a``, ``W^L · 2^-a`` (same function; the Hessians are congruent by
    ``D = diag(2^-a I, I, 2^a I)``, so every exact rank equals that at ``a = 0``)."""
    arch = FAMILY_ARCH
    net = random_network(arch, seed)
    data = random_dataset(arch, FAMILY_SAMPLES, seed)
    ws = list(net.weights)
    ws[0] = ws[0] * Fraction(2 ** a)
    ws[-1] = ws[-1] * Fraction(1, 2 ** a)
    return Network(arch, tuple(ws)), data


def depth_arch(depth: int) -> Architecture:
    """``d0=8``, ``depth − 1`` conv layers of 2 filters of size 3 with padding 1 (length stays 8), ``K = 2``."""
    return Architecture(8, tuple(ConvLayer(2, 3, 1, 1) for _ in range(depth - 1)), 2)


def depth_instance(depth: int, seed: int = 0) -> tuple[Network, Dataset]:
    """A deep linear net with weights ``{−3..3}∖{0} / 16`` (gain about 1/3 per layer)."""
    arch = depth_arch(depth)
    net = random_network(arch, seed)
    net = Network(arch, tuple(w * Fraction(1, 16) for w in net.weights))
    return net, random_dataset(arch, FAMILY_SAMPLES, seed)


def scale_instance(a: int, seed: int = 0) -> tuple[Network, Dataset]:
    """Every weight times ``2^-a`` (the function shrinks; exact ranks generic at every ``a``)."""
    arch = FAMILY_ARCH
    net = random_network(arch, seed)
    net = Network(arch, tuple(w * Fraction(1, 2 ** a) for w in net.weights))
    return net, random_dataset(arch, FAMILY_SAMPLES, seed)


@dataclass(frozen=True)
class Family:
    """A generated family: ``build(knob, seed) -> (net, data)``, the knob's name and how to print it."""

    name: str
    knob: str
    label: Callable[[int], str]
    build: Callable[[int, int], tuple[Network, Dataset]]
    values: tuple[int, ...]
    full_values: tuple[int, ...]
    description: str
    arch: Callable[[int], Architecture] = field(default=lambda v: FAMILY_ARCH)


def _neg_pow(v: int) -> str:
    return f"2^-{v}"


def _pos_pow(v: int) -> str:
    return f"2^{v}"


def _depth_label(v: int) -> str:
    return f"L={v}"


def _family_arch(v: int) -> Architecture:
    return FAMILY_ARCH


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("collinear", "a", _neg_pow, collinear_instance, (0, 8, 16, 20, 24, 26, 28, 32, 40, 56),
           tuple(range(0, 61, 2)), "x_i[1] = x_i[0] + 2^-a z_i", _family_arch),
    Family("interpolation", "a", _neg_pow, interpolation_instance, (0, 8, 16, 24, 32, 36, 40, 44, 48, 56),
           tuple(range(0, 61, 2)), "y_i = F(x_i) + 2^-a z_i", _family_arch),
    Family("rebalanced", "a", _pos_pow, rebalanced_instance, (0, 4, 8, 10, 12, 14, 16, 20, 24),
           tuple(range(0, 33)), "W^1 * 2^a, W^L * 2^-a (same function)", _family_arch),
    Family("depth", "L", _depth_label, depth_instance, (2, 4, 6, 8, 10, 12),
           tuple(range(1, 17)), "depth L, weights {-3..3}/16", depth_arch),
    Family("scale", "a", _neg_pow, scale_instance, (0, 2, 4, 6, 8, 10, 12, 16),
           tuple(range(0, 25)), "every weight * 2^-a", _family_arch),
)}


def family_instance(family: str, knob: int, seed: int = 0) -> tuple[Network, Dataset]:
    """The instance of ``family`` (a name in :data:`FAMILIES`) at knob value ``knob``."""
    if family not in FAMILIES:
        raise InputError("family", f"one of {', '.join(FAMILIES)}", family)
    return FAMILIES[family].build(knob, seed)


# --- the float-failures table ---------------------------------------------------------------------

TABLE_CONVENTIONS = ("numpy", "jax-float32", "rtol=1e-6", "atol=1e-7/p", "H_L-H_O")
"""Columns of ``symhess table float-failures`` (``torch`` and ``jax-x64`` share numpy's threshold)."""
TABLE_COLUMN = {"numpy": "numpy=torch=jax64"}


@dataclass(frozen=True)
class FailureInstance:
    """One family instance: certified exact ranks and each table convention's ``(r, O, F, L)``."""

    family: str
    knob: int
    seed: int
    params: int
    samples: int
    exact: tuple[int, int, int, int]
    certified: bool
    floats: tuple[tuple[str, tuple[int, int, int, int]], ...]


def measure_float_failures(point: Any, seed: int) -> FailureInstance:
    """Table measurement: the ``point.series`` family at knob ``point.value``, audited."""
    net, data = family_instance(point.series, point.value, seed)
    audit = float_audit(net, data, [get_convention(c) for c in TABLE_CONVENTIONS])
    ex = (audit.exact_r, *(audit.exact[p] for p in PARTS))
    floats = tuple((res.convention.name, (res.r, *(res.ranks[p] for p in PARTS))) for res in audit.results)
    return FailureInstance(point.series, point.value, seed, audit.params, audit.samples, ex, audit.certified, floats)


def _cell(ranks: Sequence[int], exact: Sequence[int]) -> str:
    if tuple(ranks) == tuple(exact):
        return "ok"
    return "NO " + "/".join(f"{v}*" if v != e else str(v) for v, e in zip(ranks, exact))


def fold_float_failures(point: Any, results: Sequence[FailureInstance]) -> Any:
    """One row: the knob, the exact ``r/O/F/L`` and, per convention, ``ok`` or ``NO`` with the wrong ranks starred."""
    res = results[0]
    fam = FAMILIES[res.family]
    extra = [("setting", fam.label(res.knob)), ("exact r/O/F/L", "/".join(map(str, res.exact)))]
    floats = dict(res.floats)
    for name in TABLE_CONVENTIONS:
        extra.append((TABLE_COLUMN.get(name, name), _cell(floats[name], res.exact)))
    return TableRow(value=res.knob, series=res.family, params=res.params, samples=res.samples, r=res.exact[0], s=0,
                    ranks=PartRanks(*res.exact[1:]), bounds=None, bound_source="", holds=None, tight=(),
                    seeds=len(results), degenerate=0, certified=all(x.certified for x in results),
                    extra=tuple(extra))


TABLE_COLUMNS = ("series", "setting", "p", "exact r/O/F/L",
                 *(TABLE_COLUMN.get(n, n) for n in TABLE_CONVENTIONS), "certified")


def first_breaks(rows: Sequence[Any]) -> dict[str, dict[str, str]]:
    """Per family and convention: the first knob setting at which the convention is wrong
    (``"-"`` if never within the sweep), and ``"+"`` appended when it is right again later."""
    out: dict[str, dict[str, str]] = {}
    for fam in FAMILIES:
        fam_rows = sorted((r for r in rows if r.series == fam), key=lambda r: r.value)
        if not fam_rows:
            continue
        out[fam] = {}
        for name in TABLE_CONVENTIONS:
            col = TABLE_COLUMN.get(name, name)
            marks = [dict(r.extra)[col] != "ok" for r in fam_rows]
            if not any(marks):
                out[fam][col] = "-"
                continue
            i = marks.index(True)
            again = not all(marks[i:])
            out[fam][col] = dict(fam_rows[i].extra)["setting"] + (" (right again later)" if again else "")
    return out


def float_failure_notes(result: Any) -> list[str]:
    """Notes of the table: the first setting at which each convention breaks, per family."""
    lines = ["cells: ok = all of r, rank H_O, H_F, H_L equal the certified exact ranks; NO = some differ "
             "(wrong ones starred, order r/O/F/L); float matrices assembled in float64 (assembly.assemble)"]
    for fam, breaks in first_breaks(result.rows).items():
        f = FAMILIES[fam]
        lines.append(f"{fam} ({f.description}): first wrong at " +
                     "; ".join(f"{col} {at}" for col, at in breaks.items()))
    return lines
