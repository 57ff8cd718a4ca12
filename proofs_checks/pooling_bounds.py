"""Pooling: average pooling as a strided conv, max pooling as a fixed selection (docs/theory.md §9.5).

Checked on every draw (certified exact ranks):

* **reparametrisation** (identity): ``Conv(k, s) → AvgPool(k_p, s_p)`` is ``Conv(k + (k_p − 1)s, s s_p)`` with
  the filter ``w̃ = R w`` (:func:`symhess.theory.sequential_bounds.avgpool_conv_weight`); the pooled net's
  exact ``H_O``, ``H_F`` equal ``Rᵀ H R`` of the strided net at ``R θ`` (observed: differing entries);
* one hidden ``Conv → AvgPool → Linear``: Theorems 7/8 with ``d_1`` = pooled positions and the *unpooled*
  patch size ``k`` (:func:`~symhess.theory.sequential_bounds.conv_theorem7_terms`, ``conv_theorem8_terms``),
  and the looser bounds of the strided equivalent (:func:`~symhess.theory.sequential_bounds.avgpool_reparametrised_bounds`);
* max pooling (kink-free draws, ties redrawn): ``H_O ≤ min(nK, p − σ)`` (rescaling only: max commutes with
  positive scaling, not with mixing) and, one hidden layer, ``H_F ≤ 2m min(k, d_1 min(K, n))``; deeper stacks:
  :func:`~symhess.theory.sequential_bounds.sequential_bounds`.

The one-hidden AvgPool formulas are attained on every instance of the sweep (reported ``tight``).
"""

from __future__ import annotations

import numpy as np

from symhess.hessian.sequential import sequential_hessians
from symhess.linalg.matrices import to_fmpq_mat
from symhess.nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.sequential import SequentialArchitecture, SequentialNetwork
from symhess.scalars import InputError
from symhess.theory.sequential_bounds import (avgpool_as_conv, avgpool_conv_weight, avgpool_reparametrised_bounds,
                                              conv_theorem7_terms, conv_theorem8_terms, one_hidden,
                                              piecewise_one_hidden_functional_terms, sequential_bounds,
                                              sequential_outer_terms)

from ._block_routes import differing_entries
from ._sequential import StackInstance, compare_draws, draws
from .framework import Claim, compare_exact

NAME = "Pooling: average pooling as a strided conv, max pooling as a selection"


def strided_theta(net: SequentialNetwork) -> list:
    """``R θ``: the parameters of :func:`avgpool_as_conv` of ``net.arch`` (a filter ``w̃`` per pooled conv)."""
    placed = net.arch.placed
    params = {p.position: wb for p, wb in zip(net.arch.layers, net.params)}
    theta = []
    for q, p in enumerate(placed):
        if not p.has_params:
            continue
        w, b = params[q]
        layer, nxt = p.layer, q + 1
        while isinstance(layer, Conv) and nxt < len(placed) and isinstance(placed[nxt].layer, AvgPool):
            pool = placed[nxt].layer
            w = avgpool_conv_weight(w, layer, pool)
            layer = Conv(layer.out_channels, w.shape[2:], tuple(s * sp for s, sp in zip(layer.stride, pool.stride)),
                         layer.padding, layer.bias)
            nxt += 1
        theta += list(w.reshape(-1)) + (list(b) if b is not None else [])
    return theta


def reparametrisation_mismatch(net: SequentialNetwork, data) -> int:
    """Differing entries between ``H`` of the pooled net and ``Rᵀ H R`` of the strided net."""
    arch = avgpool_as_conv(net.arch)
    p = net.arch.num_params
    zero = [0] * p
    R_cols = []
    for i in range(p):
        e = list(zero)
        e[i] = 1
        R_cols.append(strided_theta(net.with_theta(e)))
    R = to_fmpq_mat(np.array(R_cols, dtype=object).T)
    strided = _network(arch, strided_theta(net))
    a, b = sequential_hessians(net, data), sequential_hessians(strided, data)
    Rt = R.transpose()
    return sum(differing_entries(getattr(a, part), Rt * getattr(b, part) * R) for part in ("outer", "functional"))


def _network(arch: SequentialArchitecture, theta: list) -> SequentialNetwork:
    params = []
    for p in arch.layers:
        chunk = theta[p.offset:p.offset + p.num_params]
        w = np.array(chunk[:p.num_weights], dtype=object).reshape(p.weight_shape)
        b = np.array(chunk[p.num_weights:], dtype=object) if p.bias_shape is not None else None
        params.append((w, b))
    return SequentialNetwork(arch, tuple(params))


def one_hidden_kind(arch: SequentialArchitecture) -> str | None:
    try:
        return "piecewise" if one_hidden(arch).piecewise else "linear"
    except InputError:
        return None


def avg2d(C, spatial, m, kernel, pool, K, pool_stride=None, bias=False) -> SequentialArchitecture:
    return SequentialArchitecture((C,) + spatial, (conv2d(m, kernel, bias=bias), AvgPool(pool, pool_stride), Flatten(),
                                                   Dense(K, bias=bias)))


def max2d(C, spatial, m, kernel, pool, K, relu=False) -> SequentialArchitecture:
    mods = (conv2d(m, kernel),) + ((ReLU(),) if relu else ()) + (MaxPool(pool), Flatten(), Dense(K))
    return SequentialArchitecture((C,) + spatial, mods)


def inst(arch: SequentialArchitecture, n: int | None = None, seeds=(0, 1)) -> StackInstance:
    return StackInstance(arch, n if n is not None else arch.input_dim + arch.outputs + 1, tuple(seeds))


DEFAULT = [
    inst(avg2d(1, (5, 5), 2, (2, 2), (2, 2), 2)),
    inst(avg2d(1, (5, 6), 3, (2, 3), (2, 2), 2)),
    inst(avg2d(2, (4, 4), 2, (1, 1), (2, 2), 2, bias=True)),
    inst(max2d(1, (4, 4), 2, (2, 2), (2, 2), 2), 6),
    inst(max2d(1, (5, 5), 2, (2, 2), (2, 2), 2, relu=True), 8),
    inst(SequentialArchitecture((1, 8), (conv1d(2, 3), AvgPool((2,)), conv1d(2, 2), MaxPool((2,)), Flatten(),
                                         Dense(2))), 6),
]
FULL = DEFAULT + [
    inst(avg2d(1, (6, 6), 2, (3, 3), (2, 2), 3)),
    inst(avg2d(1, (5, 5), 2, (2, 2), (2, 2), 2, (1, 1))),
    inst(avg2d(1, (6, 5), 1, (2, 2), (3, 2), 3)),
    inst(max2d(1, (5, 4), 3, (2, 1), (2, 2), 2), 10),
    inst(max2d(2, (4, 4), 2, (2, 2), (3, 3), 3, relu=True), 4),
    inst(SequentialArchitecture((1, 5, 5), (conv2d(2, 2), MaxPool((2, 2)), conv2d(2, 2, padding=1, bias=True), ReLU(),
                                            AvgPool((2, 2)), Flatten(), Dense(2))), 8),
    inst(SequentialArchitecture((1, 6, 6), (conv2d(2, 3, padding=1), AvgPool((2, 2)), conv2d(2, 2), AvgPool((2, 2), (1, 1)),
                                            Flatten(), Dense(2))), 39),
]


def instances(full: bool) -> list[StackInstance]:
    return FULL if full else DEFAULT


def check(instance: StackInstance):
    arch = instance.arch
    ds = draws(instance)
    out = []
    has_avg = any(isinstance(p.layer, AvgPool) for p in arch.placed)
    if has_avg and any(isinstance(p.layer, Conv) and q + 1 < len(arch.placed)
                       and isinstance(arch.placed[q + 1].layer, AvgPool) for q, p in enumerate(arch.placed)):
        bad = sum(reparametrisation_mismatch(d.net, d.data) for d in ds)
        out.append(compare_exact(NAME, f"{instance.label} [H(pooled) = Rᵀ H(strided conv) R]", 0, bad,
                                 f"differing entries of H_O and H_F over {len(ds)} draws; strided net "
                                 f"{avgpool_as_conv(arch).describe()}"))
        out.append(compare_draws(NAME, instance, "H_O <= bound of the strided conv", ds, "outer",
                                 lambda d: avgpool_reparametrised_bounds(arch, d.ranks)[0]))
        out.append(compare_draws(NAME, instance, "H_F <= bound of the strided conv", ds, "functional",
                                 lambda d: avgpool_reparametrised_bounds(arch, d.ranks)[1]))
    kind = one_hidden_kind(arch)
    if kind == "linear":
        out.append(compare_draws(NAME, instance, "H_O <= Thm 7, d_1 = pooled positions", ds, "outer",
                                 lambda d: conv_theorem7_terms(arch, d.ranks).value))
        out.append(compare_draws(NAME, instance, "H_F <= Thm 8, d_1 = pooled positions", ds, "functional",
                                 lambda d: conv_theorem8_terms(arch, d.ranks).value))
    elif kind == "piecewise":
        out.append(compare_draws(NAME, instance, "H_F <= 2m min(k, d_1 min(K, n))", ds, "functional",
                                 lambda d: piecewise_one_hidden_functional_terms(arch, d.ranks).value))
    if any(isinstance(p.layer, MaxPool) for p in arch.placed):
        out.append(compare_draws(NAME, instance, "H_O <= min(nK, p - sigma) (rescaling only)", ds, "outer",
                                 lambda d: sequential_outer_terms(arch, d.ranks).value))
    for part in ("outer", "functional", "loss"):
        out.append(compare_draws(NAME, instance, f"H_{part[0].upper()} <= sequential_bounds", ds, part,
                                 lambda d, part=part: getattr(sequential_bounds(arch, d.ranks), part)))
    return out


CLAIM = Claim(NAME, "Conv(k,s)+AvgPool(kp,sp) = Conv(k+(kp-1)s, s*sp) with a constrained filter (H = R^T H R); "
              "one hidden conv + avg pool: Theorems 7/8 with d_1 = pooled positions; max pool at kink-free "
              "points: rank H_O <= min(nK, p - sigma), one hidden: rank H_F <= 2m min(k, d_1 min(K, n))",
              check, instances, tags=("beyond", "pooling"))
