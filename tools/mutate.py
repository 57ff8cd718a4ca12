"""Mutation testing for symhess: does ``symhess check`` (and a targeted pytest selection) catch a bug?

Usage (from the repository root; see docs/mutation.md)::

    .venv/bin/python tools/mutate.py --list                 # the catalogue
    .venv/bin/python tools/mutate.py --validate             # every snippet occurs exactly once at HEAD
    nohup .venv/bin/python tools/mutate.py --log /tmp/mutation.log --json /tmp/mutation.json &
    .venv/bin/python tools/mutate.py --only rank-skip-kernel --always-pytest

Each mutation is ``(id, file, original snippet, replacement, reason, pytest selection)``. The
harness never touches the working tree: it exports the committed tree (``git archive``, the
``--rev``, default ``HEAD``) into a temporary directory once, then for each mutation copies
that export to a fresh directory, replaces the snippet (which must occur exactly once; else
the mutation is reported ``stale``), and runs there, with ``PYTHONPATH`` pointing at the copy:

(a) ``python -m symhess check --jobs J`` (default sweep): exit status ``1`` (a violation, an
    error or an unchecked claim) or a crash means **killed**; ``0`` means survived;
(b) ``python -m pytest -q -x -m "not heavy" <selection>``: any failure means killed. By default
    (b) runs only when (a) survived (the union is what matters); ``--always-pytest`` runs both.

Copies live in their own temporary directories, so several harnesses (or ``--workers 2``)
can run side by side. Results: one line per mutation on stdout / ``--log``, a JSON file with
``--json``, and kill rates over the non-equivalent, non-stale mutations.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    original: str
    replacement: str
    reason: str
    tests: tuple[str, ...]
    equivalent: str = ""       # non-empty: why the mutation cannot change any result (not counted)
    flag: str = ""             # e.g. "Theorems 5/6 being rewritten: snippet may need updating"


T_RANK = ("tests/test_certificate.py",)
T_DIXON = ("tests/test_dixon.py", "tests/test_rank_scale.py")
T_FW = ("tests/test_verdicts.py", "tests/test_check_command.py")
T_ASM = ("tests/test_assembly.py", "tests/test_kinks.py")
T_HESS = ("tests/test_hessian_routes.py", "tests/test_block_formulas.py")
T_BOUNDS = ("tests/test_bounds.py",)
T_KINK = ("tests/test_kinks.py", "tests/test_relu_exact.py")
T_CE = ("tests/test_crossentropy.py", "tests/test_crossentropy_claim.py")
T_SEQ = ("tests/test_sequential.py", "tests/test_pooling_table.py")
T_SEQB = ("tests/test_sequential_bounds.py",)
THM56 = "Theorems 5/6 are being rewritten in symhess/theory/bounds.py: the snippet may need updating"

CATALOGUE: tuple[Mutation, ...] = (
    # ------------------------------------------------------------------ rank certificate
    Mutation("rank-skip-kernel", "symhess/linalg/rank.py", "            ok, info = _kernel_certificate_np(work, rows, cols), {}",
             "            ok, info = True, {}",
             "skip the upper-bound half of the certificate (an unlucky prime would give a too-low rank)", T_RANK),
    Mutation("rank-kernel-always-true", "symhess/linalg/rank.py",
             "        if not residual.is_zero():\n            return False", "        if False:\n            return False",
             "kernel verification never rejects", T_RANK),
    Mutation("rank-limbs-always-zero", "symhess/linalg/rank.py",
             "        if (t & mask).any():\n            return False", "        if False:\n            return False",
             "limb residual never rejects (the float64 BLAS kernel verification)", T_RANK + ("tests/test_rank_scale.py",)),
    Mutation("rank-blas-reduce-floor", "symhess/linalg/modular.py", "    np.subtract(x, q, out=x, where=x >= q)\n", "",
             "modular reduction misses the off-by-one correction", T_RANK + ("tests/test_rank_scale.py",)),
    Mutation("dixon-stop-unverified", "symhess/linalg/dixon.py",
             "            if i + 1 >= len(delta) and not S.any():", "            if i + 1 >= len(delta):",
             "Dixon lifting stops after the denominator's digits without the exact check S = 0 (truncated numerators)",
             T_RANK + T_DIXON),
    Mutation("dixon-lift-inexact-division", "symhess/linalg/dixon.py",
             "        if not exact:\n            return\n", "        if False:\n            return\n",
             "Dixon lifting accepts a division by q that is not exact (a wrong inverse mod q goes unnoticed)",
             T_RANK + T_DIXON),
    Mutation("dixon-residual-skipped", "symhess/linalg/rank.py",
             "        return qadic_residual_is_zero(a[np.ix_(other, P)], a[np.ix_(other, free)], *solved, symmetric=sym)",
             "        return True",
             "Dixon path of the kernel certificate: the other rows are never checked", T_RANK + T_DIXON),
    Mutation("dixon-residual-carry-unchecked", "symhess/linalg/dixon.py",
             "            if not exact:\n                return False", "            if False:\n                return False",
             "digit-by-digit residual ignores a carry not divisible by q (only the last carry is checked: an error "
             "below one digit passes)", T_RANK + T_DIXON),
    Mutation("rank-assume-symmetric", "symhess/linalg/rank.py",
             "sym = symmetric if symmetric is not None else (shape[0] == shape[1] and bool(np.array_equal(arr, arr.T)))",
             "sym = True", "take pivot columns as pivot rows for every matrix", T_RANK),
    Mutation("rank-no-transpose", "symhess/linalg/rank.py", "    work = arr.T if shape[0] < shape[1] else arr",
             "    work = arr", "wide matrices certified directly (slower, same rank)", T_RANK,
             equivalent="same rank and a valid certificate either way; only speed and the 'transposed' label change "
                        "(pytest still catches the label)"),
    Mutation("mc-check-never-refutes", "symhess/linalg/monte_carlo.py",
             "        for i in np.flatnonzero(nonzero):\n            status[i] = False",
             "        for i in np.flatnonzero(nonzero):\n            pass",
             "Schur checks of the large-matrix Monte Carlo rank never see a non-zero complement",
             T_RANK + ("tests/test_monte_carlo.py",)),
    Mutation("mc-limb-weight", "symhess/linalg/modular.py",
             "            out = _reduce(out + part * weights[j], qs)",
             "            out = _reduce(out + part, qs)",
             "limb products combined without their weights 2^(20 j) mod q", T_RANK + ("tests/test_monte_carlo.py",)),
    Mutation("mod-leaf-pivot-column", "symhess/linalg/modular.py",
             "        M[:, j:] -= c[:, None] * row[j:]", "        M[:, j + 1:] -= c[:, None] * row[j + 1:]",
             "the lazy leaf Gauss-Jordan leaves the pivot column uncleared", T_RANK + ("tests/test_monte_carlo.py",)),
    Mutation("rank-factor-unchecked", "symhess/linalg/rank.py",
             "        if not np.array_equal(a[lo + start:lo + stop, lo:hi], np.broadcast_to(expected, (stop - start, width))):",
             "        if False:",
             "a claimed factor of a diagonal block is used without the exact check",
             T_RANK + ("tests/test_row_reduced_blocks.py",)),
    Mutation("rank-mc-min", "symhess/linalg/rank.py", "    r = max(ranks)",
             "    r = min(ranks)",
             "Monte Carlo rank takes the minimum over primes", T_RANK),
    # ------------------------------------------------------------------ bounds: FCN, Theorems 7-10, dispatcher
    Mutation("bound-thm7", "symhess/theory/bounds.py", "(\"q(Kd_1+k-q)\", q * (K * d1 + k - q))",
             "(\"q(Kd_1+k-q)\", q * (K * d1 + k - q) + 1)", "Theorem 7 formula off by one", T_BOUNDS),
    Mutation("bound-thm8", "symhess/theory/bounds.py", "(\"2mk\", 2 * m * k), (\"2m s d_1\"",
             "(\"2mk\", 2 * m * (k + 1)), (\"2m s d_1\"", "Theorem 8: k + 1 inside the minimum", T_BOUNDS),
    Mutation("bound-thm9", "symhess/theory/bounds.py", "    return min(K * r, t * q * (k + K - q)), 2 * t * m * min(k, s)",
             "    return min(K * r, t * q * (k + K - q)), 2 * t * m * min(k, s) - 1",
             "Theorem 9 functional rank off by one", T_BOUNDS),
    Mutation("bound-thm10-q", "symhess/theory/bounds.py", "    q = min(k, m, t * K)", "    q = min(k, m, K)",
             "Theorem 10: forget the factor t in the bottleneck", T_BOUNDS),
    Mutation("bound-fcn-q", "symhess/theory/bounds.py", "    return min([r, outputs, *widths])", "    return min([r, outputs])",
             "FCN: forget the width bottleneck", T_BOUNDS),
    Mutation("bound-fcn-ends", "symhess/theory/bounds.py", "    ends = [s, *widths, s]", "    ends = [r, *widths, s]",
             "FCN functional blocks: r instead of s at the input end", T_BOUNDS),
    Mutation("bound-ce-classes", "symhess/theory/bounds.py", "    return outputs - 1 if loss == \"ce\" else outputs",
             "    return outputs", "cross-entropy: K instead of K - 1", T_BOUNDS + T_CE),
    Mutation("bound-loss-sum", "symhess/theory/bounds.py", "    total = outer + functional\n",
             "    total = outer + functional - 1\n", "loss bound one below the sum", T_BOUNDS),
    Mutation("bound-dispatch-thm78", "symhess/theory/bounds.py", "    if arch.depth == 2 and layers[0].shared:",
             "    if False and arch.depth == 2 and layers[0].shared:",
             "dispatcher never picks Theorems 7/8 (falls back to 5/6)", T_BOUNDS),
    Mutation("bound-thm5-value", "symhess/theory/bounds.py", "    return theorem5_outer_terms(arch, r).value",
             "    return theorem5_outer_terms(arch, r).value - 1", "Theorem 5 bound one too low", T_BOUNDS,
             flag=THM56),
    Mutation("bound-thm5-orbit", "symhess/theory/bounds.py",
             "    return BoundTerms(((\"p - orbit\", arch.num_params - orbit_dimension(arch)),",
             "    return BoundTerms(((\"p - orbit\", arch.num_params - 2 * orbit_dimension(arch)),",
             "Theorem 5: the symmetry orbits counted twice (a bound too low)", T_BOUNDS, flag=THM56),
    Mutation("bound-thm6-gamma", "symhess/theory/bounds.py",
             "    gamma = 1 if 1 < l < arch.depth and alpha.value >= 1 and beta.value >= 1 and s >= 1 else 0",
             "    gamma = 0", "Theorem 6: the overlap of the two parts forgotten (a looser bound)", T_BOUNDS,
             flag=THM56),
    Mutation("bound-thm6-block", "symhess/theory/bounds.py",
             "        return max(0, min(self.params, self.alpha.value + self.beta.value - self.gamma))",
             "        return max(0, min(self.params, self.alpha.value + self.beta.value - self.gamma - 1))",
             "Theorem 6 column block one too low", T_BOUNDS, flag=THM56),
    Mutation("bound-thm6-toeplitz", "symhess/theory/bounds.py",
             "(\"toeplitz\", _width(arch, l - 1) * min([s, arch.outputs, *(_width(arch, j) for j in range(l, L))]))]",
             "(\"toeplitz\", _width(arch, l - 1) * min([s, arch.outputs]))]",
             "Theorem 6 alpha: the Toeplitz term ignores the widths above (bottleneck lost)", T_BOUNDS, flag=THM56),
    # ------------------------------------------------------------------ 2D / bias / pooling bounds (theory.md §9)
    Mutation("seqb-thm7-conv2d", "symhess/theory/sequential_bounds.py",
             "(\"q(Kd_1+k-q)+K_b\", q * (K * d1 + h.k - q) + (K if any_bias else 0))",
             "(\"q(Kd_1+k-q)+K_b\", q * (K * d1 + h.k - q + 1) + (K if any_bias else 0))",
             "Theorem 7 for Conv2d one too high (no longer attained)", T_SEQB),
    Mutation("seqb-thm8-bias", "symhess/theory/sequential_bounds.py",
             "    s = ranks.s1 if h.hidden_bias else ranks.s\n    k = h.k + h.hidden_bias",
             "    s = ranks.s1 if h.hidden_bias else ranks.s\n    k = h.k",
             "Theorem 8 with a conv bias forgets the bias tap (k instead of k + 1: a bound too low)", T_SEQB),
    Mutation("seqb-mixing-relu", "symhess/theory/sequential_bounds.py",
             "    return all(isinstance(p.layer, (AvgPool, Flatten)) for p in between(arch, l))",
             "    return all(isinstance(p.layer, (AvgPool, Flatten, ReLU, MaxPool)) for p in between(arch, l))",
             "channel mixing counted as a symmetry across ReLU/MaxPool (sigma too large, p - sigma too low)", T_SEQB),
    Mutation("der-lemma1-2d-permutation", "symhess/nets/derivatives.py", "        Pi[dst, src] = 1",
             "        Pi[src, dst] = 1", "Lemma 1 in 2D: the vec_r-of-Kronecker permutation inverted", T_SEQB),
    # ------------------------------------------------------------------ production Hessians
    Mutation("hess-outer-scale", "symhess/hessian/hessians.py", "    return (J.transpose() * J) * flint.fmpq(1, data.n)",
             "    return (J.transpose() * J) * flint.fmpq(2, data.n)", "H_O scaled by 2/n (same rank)", T_HESS),
    Mutation("hess-functional-sign", "symhess/hessian/hessians.py", "                term = V_l * M * U_k",
             "                term = -(V_l * M * U_k)", "H_F off-diagonal blocks negated (same rank)", T_HESS),
    Mutation("hess-functional-nomask", "symhess/hessian/hessians.py", "            M = _diag(masks[k])  # M_{k+1,k} = Λ^k",
             "            M = _diag([1] * len(masks[k]))", "H_F ignores the ReLU mask of layer k", T_HESS),
    Mutation("hess-backward-nomask", "symhess/hessian/hessians.py",
             "                backward[l - 1] = backward[l] * _masked(mats[l - 1], fwd.masks[l - 1])",
             "                backward[l - 1] = backward[l] * _masked(mats[l - 1], None)",
             "backward pass ignores the ReLU masks", T_HESS),
    Mutation("hess-residual-sign", "symhess/hessian/hessians.py", "        yield SampleTerms(fwd, backward, fwd.output - y)",
             "        yield SampleTerms(fwd, backward, y - fwd.output)", "residual y - F (H_F negated)", T_HESS),
    Mutation("hess-linear-cache", "symhess/hessian/hessians.py",
             "            if net.arch.activation == \"linear\":\n                linear_cache = backward",
             "            if True:\n                linear_cache = backward",
             "backward pass cached across samples also for ReLU (masks differ per sample)", T_HESS),
    # ------------------------------------------------------------------ fast integer assembly
    Mutation("asm-functional-sign", "symhess/hessian/assembly.py",
             "exact_mul(found[(l, k)], fp.scales[l - 1] * fp.scales[k - 1])",
             "exact_mul(found[(l, k)], -fp.scales[l - 1] * fp.scales[k - 1])",
             "fast H_F blocks negated (same rank)", T_ASM),
    Mutation("asm-residual", "symhess/hessian/assembly.py",
             "            residual = exact_add(exact_mul(z, s_y), exact_mul(Y, -S))",
             "            residual = exact_add(exact_mul(z, s_y), exact_mul(Y, S))", "fast residual F + y", T_ASM),
    Mutation("asm-mask-ge", "symhess/hessian/assembly.py", "            mask = (z > 0).astype(np.int64)",
             "            mask = (z >= 0).astype(np.int64)", "structurally dead units counted as active", T_ASM,
             equivalent="z = 0 passes kink detection only at a structurally dead unit, whose pre-activation is "
                        "identically zero nearby: every derivative through it vanishes whatever its mask"),
    Mutation("asm-float-limit", "symhess/linalg/integer.py", "FLOAT_EXACT_LIMIT = 2 ** 52", "FLOAT_EXACT_LIMIT = 2 ** 70",
             "float64 BLAS beyond its exact range (rounding on large entries)", T_ASM),
    Mutation("asm-no-kinks", "symhess/hessian/assembly.py", "    return sorted(set(np.nonzero(zero & (live > 0))[1].tolist()))",
             "    return []", "fast assembly detects no ReLU kink", T_ASM),
    Mutation("asm-jacobian-scale", "symhess/hessian/assembly.py",
             "        blocks[k - 1] = exact_mul(apply_input_jacobian(A, patches[k - 1], shapes[k - 1]), fp.scales[k - 1])",
             "        blocks[k - 1] = apply_input_jacobian(A, patches[k - 1], shapes[k - 1])",
             "Jacobian block k not multiplied by the layer's denominator s_k (wrong for rational weights)", T_ASM),
    Mutation("asm-via-jacobian", "symhess/hessian/assembly.py", "    via_jacobian = data.n * arch.outputs < p",
             "    via_jacobian = True", "rank H_O always from J", T_ASM,
             equivalent="rank J = rank JᵀJ over ℚ: the same certified rank by either matrix"),
    # ------------------------------------------------------------------ Lemma 1 / Toeplitz / forward pass
    Mutation("der-index-padding", "symhess/nets/derivatives.py", "                    c = shape.stride * t + j - shape.padding",
             "                    c = shape.stride * t + j + shape.padding", "index map: padding with the wrong sign",
             ("tests/test_lemma1.py", "tests/test_toeplitz.py")),
    Mutation("der-output-overwrite", "symhess/nets/derivatives.py",
             "        out[idx[r, c], c] = out[idx[r, c], c] + g[r]", "        out[idx[r, c], c] = g[r]",
             "V_l(g) overwrites instead of summing over t", ("tests/test_lemma1.py",) + T_HESS,
             equivalent="for a parameter (o,i,j) and an input position c, t = (c - j + p)/s is unique: "
                        "the sum has one term, so overwriting is the same"),
    Mutation("der-rotation", "symhess/nets/derivatives.py", "        P[(j + power) % n, j] = 1",
             "        P[(j - power) % n, j] = 1", "Lemma 1: rotation in the wrong direction", ("tests/test_lemma1.py",)),
    Mutation("toe-kink-dead", "symhess/nets/toeplitz.py",
             "    return [int(u) for u in zero if any(h[c] != 0 for c in np.nonzero(window[u])[0])]",
             "    return [int(u) for u in zero]", "structurally dead units reported as kinks", T_KINK),
    Mutation("toe-no-kink", "symhess/nets/toeplitz.py", "            if kinks:\n", "            if False:\n",
             "forward pass never refuses a kink", T_KINK),
    Mutation("toe-no-relu", "symhess/nets/toeplitz.py", "            mask = np.array([1 if v > 0 else 0 for v in z], dtype=object)",
             "            mask = np.array([1 for v in z], dtype=object)", "Toeplitz forward pass ignores ReLU", T_HESS),
    Mutation("sym-conv-padding", "symhess/hessian/symbolic.py", "                    c = stride * t + j - padding",
             "                    c = stride * t + j + padding", "sympy route: padding with the wrong sign", T_HESS),
    # ------------------------------------------------------------------ ReLU redraws
    Mutation("relu-no-kink-check", "symhess/nets/relu.py",
             "        why = kink_free(net, data) if arch.activation == \"relu\" else None", "        why = None",
             "redraw_until_smooth accepts kinked draws", T_KINK),
    Mutation("relu-same-seed", "symhess/nets/relu.py", "    return seed + attempt * REDRAW_STRIDE", "    return seed",
             "redraws repeat the same weights", T_KINK),
    # ------------------------------------------------------------------ cross-entropy
    Mutation("ce-softmax", "symhess/hessian/crossentropy.py", "        return [v / s for v in e]",
             "        return [v / (s + 1) for v in e]", "softmax not normalised", T_CE),
    Mutation("ce-sum-zero-basis", "symhess/hessian/crossentropy.py",
             "[(1 if r == c else 0) - (1 if r == K - 1 else 0)", "[(1 if r == c else 0) - (0 if r == K - 1 else 0)",
             "basis of 1⊥ replaced by the first K - 1 unit vectors", T_CE),
    Mutation("ce-output-hessian", "symhess/hessian/crossentropy.py", "A[a, b] = (p[a] if a == b else 0) - p[a] * p[b]",
             "A[a, b] = (p[a] if a == b else 0)", "softmax Hessian without the - p pᵀ term", T_CE),
    # ------------------------------------------------------------------ inertia
    Mutation("inertia-sign", "symhess/linalg/inertia.py", "            return (1, 0) if d > 0 else (0, 1)",
             "            return (1, 0)", "every 1x1 pivot counted positive", ("tests/test_inertia.py",)),
    # ------------------------------------------------------------------ verdict logic
    Mutation("fw-exact-le", "proofs_checks/framework.py",
             "HOLDS if observed == expected else VIOLATED", "HOLDS if observed <= expected else VIOLATED",
             "identity loosened from == to <=", T_FW),
    Mutation("fw-bound-never-violated", "proofs_checks/framework.py",
             "    verdict = TIGHT if observed == bound else HOLDS if observed < bound else VIOLATED",
             "    verdict = TIGHT if observed == bound else HOLDS", "a bound can never be violated", T_FW),
    Mutation("fw-finalise-off", "proofs_checks/framework.py", "        if res.verdict == HOLDS and res.relation == BOUND:",
             "        if False:", "exact claims accept a generic rank below the formula", T_FW),
    Mutation("fw-not-checked-off", "proofs_checks/framework.py",
             "    if _all_degenerate(results):\n        results.append(", "    if False:\n        results.append(",
             "an instance with no generic draw passes", T_FW),
    Mutation("fw-ok-violated-only", "proofs_checks/framework.py", "        return self.verdict not in FAILING",
             "        return self.verdict != VIOLATED", "errors and unchecked claims count as passes", T_FW),
    # inst-exact-off (dropped): proofs_checks.instances.exact_claim_verdicts duplicated framework.finalise and
    # was removed; run_rank_claim relies on finalise (fw-finalise-off), cross-entropy on framework.exact_verdicts.
    Mutation("inst-data-degenerate", "proofs_checks/instances.py", "    if r < min(data.n, arch.input_dim):",
             "    if r < 0:", "rank-deficient data no longer flagged degenerate", T_FW),
    # ------------------------------------------------------------------ any layer stack (issue 9)
    Mutation("seq-conv-flipped", "symhess/nets/layers/conv.py",
             "                idx[o * P + t, i * D + u] = (o * C + i) * k + j",
             "                idx[o * P + t, i * D + u] = (o * C + i) * k + (k - 1 - j)",
             "convolution instead of cross-correlation in the index map (Lemma 1 in 1D/2D)", T_SEQ),
    Mutation("seq-bias-scale", "symhess/hessian/sequential_assembly.py",
             "placed.layer.bias_map(placed.in_shape)] = S_prev", "placed.layer.bias_map(placed.in_shape)] = 2 * S_prev",
             "the bias columns of the integer Jacobian lose their scale S_{l-1}", T_SEQ),
    Mutation("seq-avgpool-denominator", "symhess/nets/layers/pooling.py",
             "        return LocalMap(M, units.shape[1], (), out)", "        return LocalMap(M, 1, (), out)",
             "average pooling becomes sum pooling (the 1/k is lost)", T_SEQ),
    Mutation("seq-maxpool-tie-ignored", "symhess/nets/layers/pooling.py",
             "            if any(signatures[u] != signatures[winners[0]] for u in winners):",
             "            if False:", "a max-pool tie between different functions is not reported as a kink", T_SEQ),
)


def export(rev: str, dest: Path) -> None:
    """The committed tree at ``rev`` into ``dest`` (never the working tree others are editing)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def apply(m: Mutation, tree: Path) -> str | None:
    """Apply ``m`` in ``tree``; ``None`` on success, else why it is stale."""
    path = tree / m.file
    if not path.exists():
        return f"{m.file} missing"
    text = path.read_text()
    count = text.count(m.original)
    if count != 1:
        return f"snippet occurs {count} times in {m.file}"
    path.write_text(text.replace(m.original, m.replacement))
    return None


def _run(cmd: list[str], cwd: Path, timeout: int) -> tuple[int, float, str]:
    env = dict(os.environ, PYTHONPATH=str(cwd), SYMHESS_MUTANT="1", PYTHONDONTWRITEBYTECODE="1")
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        tail = proc.stdout.strip().splitlines()[-1:] or proc.stderr.strip().splitlines()[-1:] or [""]
        return proc.returncode, time.perf_counter() - start, tail[0][:200]
    except subprocess.TimeoutExpired:
        return -1, time.perf_counter() - start, "timeout"


def run_one(m: Mutation, base: Path, jobs: int, always_pytest: bool, timeout: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"symhess-mut-{m.id}-") as tmp:
        tree = Path(tmp) / "repo"
        shutil.copytree(base, tree)
        stale = apply(m, tree)
        out = {"id": m.id, "file": m.file, "reason": m.reason, "equivalent": m.equivalent, "flag": m.flag}
        if stale:
            return dict(out, status="stale", why=stale)
        rc, secs, tail = _run([sys.executable, "-m", "symhess", "check", "--jobs", str(jobs)], tree, timeout)
        out.update(check_rc=rc, check_seconds=round(secs, 1), check_killed=rc != 0, check_tail=tail)
        if always_pytest or rc == 0:
            rc_t, secs_t, tail_t = _run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                         "-m", "not heavy", *m.tests], tree, timeout)
            out.update(pytest_rc=rc_t, pytest_seconds=round(secs_t, 1), pytest_killed=rc_t != 0, pytest_tail=tail_t)
        out["killed"] = out["check_killed"] or out.get("pytest_killed", False)
        out["status"] = "killed" if out["killed"] else ("equivalent" if m.equivalent else "SURVIVED")
        return out


def rates(results: list[dict]) -> dict:
    counted = [r for r in results if r["status"] != "stale" and not r["equivalent"]]
    n = len(counted)
    by_check = sum(r["check_killed"] for r in counted)
    total = sum(r["killed"] for r in counted)
    return {"mutations": len(results), "counted": n, "stale": sum(r["status"] == "stale" for r in results),
            "equivalent": sum(bool(r["equivalent"]) for r in results if r["status"] != "stale"),
            "killed_by_check": by_check, "killed_total": total,
            "check_rate": round(by_check / n, 3) if n else None, "total_rate": round(total / n, 3) if n else None,
            "survivors": [r["id"] for r in counted if not r["killed"]]}


def line(r: dict) -> str:
    if r["status"] == "stale":
        return f"{r['id']:28s} STALE     {r['why']}"
    check = "killed" if r["check_killed"] else "survived"
    py = "" if "pytest_rc" not in r else (" pytest killed" if r["pytest_killed"] else " pytest survived")
    return f"{r['id']:28s} {r['status']:9s} check {check} ({r['check_seconds']}s){py}  [{r['check_tail']}]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rev", default="HEAD", help="commit to mutate (exported with git archive; default HEAD)")
    ap.add_argument("--only", nargs="*", default=None, help="mutation ids to run (default: all)")
    ap.add_argument("--list", action="store_true", help="print the catalogue and exit")
    ap.add_argument("--validate", action="store_true", help="check every snippet occurs exactly once, run nothing")
    ap.add_argument("--jobs", type=int, default=2, help="--jobs of each symhess check (default 2)")
    ap.add_argument("--workers", type=int, default=1, help="mutations run side by side (default 1)")
    ap.add_argument("--always-pytest", action="store_true", help="run the pytest selection even when check kills")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per command (a timeout counts as killed)")
    ap.add_argument("--log", help="append one line per mutation to this file")
    ap.add_argument("--json", help="write every result and the kill rates to this file")
    args = ap.parse_args(argv)
    chosen = [m for m in CATALOGUE if args.only is None or m.id in args.only]
    if args.list:
        for m in chosen:
            extra = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            extra += f"  [{m.flag}]" if m.flag else ""
            print(f"{m.id:28s} {m.file:30s} {m.reason}{extra}")
        return 0
    with tempfile.TemporaryDirectory(prefix="symhess-mut-base-") as tmp:
        base = Path(tmp) / "repo"
        export(args.rev, base)
        if args.validate:
            bad = 0
            for m in chosen:
                probe = Path(tmp) / "probe"
                if probe.exists():
                    shutil.rmtree(probe)
                shutil.copytree(base, probe, ignore=shutil.ignore_patterns("tests", "docs", "benchmarks"))
                why = apply(m, probe)
                if why:
                    bad += 1
                    print(f"STALE {m.id}: {why}")
            print(f"{len(chosen) - bad}/{len(chosen)} snippets apply at {args.rev}")
            return 1 if bad else 0
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.rev], capture_output=True,
                             text=True).stdout.strip()
        header = f"# symhess mutation run {time.strftime('%Y-%m-%d %H:%M')} at {rev}, {len(chosen)} mutations"
        log = open(args.log, "a") if args.log else None
        print(header, flush=True)
        if log:
            print(header, file=log, flush=True)
        results: list[dict] = []

        def job(m: Mutation) -> dict:
            r = run_one(m, base, args.jobs, args.always_pytest, args.timeout)
            print(line(r), flush=True)
            if log:
                print(line(r), file=log, flush=True)
            return r

        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            results = list(pool.map(job, chosen))
        summary = rates(results)
        text = (f"check alone: {summary['killed_by_check']}/{summary['counted']} = {summary['check_rate']}; "
                f"check + pytest: {summary['killed_total']}/{summary['counted']} = {summary['total_rate']}; "
                f"equivalent {summary['equivalent']}, stale {summary['stale']}; survivors: {summary['survivors']}")
        print(text, flush=True)
        if log:
            print(text, file=log, flush=True)
            log.close()
        if args.json:
            Path(args.json).write_text(json.dumps({"rev": rev, "date": time.strftime("%Y-%m-%d"),
                                                   "summary": summary, "results": results}, indent=2))
        return 0 if not summary["survivors"] else 1


if __name__ == "__main__":
    sys.exit(main())
