"""The float64 PyTorch route for any sequential network: ``torch.func`` Hessians (the peers' way).

:func:`torch_forward` evaluates a :class:`~symhess.nets.sequential.SequentialArchitecture` with
``torch.nn.functional`` (``conv1d/conv2d``, ``relu``, ``avg_pool*``, ``max_pool*``, ``flatten``,
``linear``) on a flat ``θ`` in the suite's order (torch's ``parameters()`` order), and
:func:`torch_hessians` returns the float64 ``H_O = (1/n) Σ J_iᵀ J_i`` (``torch.func.jacrev``) and
``H_L`` (``torch.func.hessian``), with ``H_F = H_L − H_O``. Never used for an exact answer:
tests compare it with the exact routes on well-conditioned instances, and it shows what a
float64 user of the same model would get. Needs the ``torch`` extra.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..extras import MissingExtra
from ..nets.data import Dataset
from ..nets.layers import AvgPool, Conv, Dense, Flatten, FreeAffine, MaxPool, ReLU
from ..nets.sequential import SequentialArchitecture, SequentialNetwork


def require_torch() -> Any:
    """``torch``, or :class:`~symhess.extras.MissingExtra` (a claim then reports itself skipped)."""
    try:
        import torch  # optional extra, imported on use (keeps start-up fast)
    except ImportError as err:
        raise MissingExtra("torch", "torch", "torch") from err
    return torch


def torch_forward(arch: SequentialArchitecture) -> Callable[[Any, Any], Any]:
    """``(θ, X) ↦ F(X)`` in torch: ``X`` of shape ``(n, *input_shape)``, output ``(n, K)``."""
    torch = require_torch()
    F = torch.nn.functional

    def f(theta: Any, X: Any) -> Any:
        h = X
        for p in arch.placed:
            layer = p.layer
            if p.has_params:
                w = theta[p.offset:p.offset + p.num_weights].reshape(p.weight_shape)
                b = theta[p.offset + p.num_weights:p.offset + p.num_params] if p.bias_shape is not None else None
                if isinstance(layer, Conv):
                    conv = (F.conv1d, F.conv2d, F.conv3d)[layer.dims - 1]
                    h = conv(h, w, b, stride=layer.stride, padding=layer.padding)
                elif isinstance(layer, Dense):
                    h = F.linear(h, w, b)
                elif isinstance(layer, FreeAffine):
                    h = F.linear(h.reshape(h.shape[0], -1), w, b).reshape((h.shape[0],) + tuple(layer.out))
            elif isinstance(layer, ReLU):
                h = torch.relu(h)
            elif isinstance(layer, Flatten):
                h = h.reshape(h.shape[0], -1)
            elif isinstance(layer, AvgPool):
                h = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[layer.dims - 1](h, layer.kernel_size, layer.stride)
            elif isinstance(layer, MaxPool):
                h = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[layer.dims - 1](h, layer.kernel_size, layer.stride)
        return h

    return f


def _tensors(arch: SequentialArchitecture, data: Dataset) -> tuple[Any, Any]:
    torch = require_torch()
    X = torch.tensor([[float(v) for v in row] for row in data.inputs], dtype=torch.float64)
    Y = torch.tensor([[float(v) for v in row] for row in data.targets], dtype=torch.float64)
    return X.reshape((data.n,) + arch.input_shape), Y


def torch_theta(net: SequentialNetwork) -> Any:
    """``θ`` rounded to float64 (the only rounding on this route)."""
    torch = require_torch()
    return torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)


def torch_hessians(net: SequentialNetwork, data: Dataset) -> dict[str, np.ndarray]:
    """Float64 ``{"outer", "functional", "loss"}`` (``p × p`` numpy arrays) by ``torch.func``."""
    torch = require_torch()
    f = torch_forward(net.arch)
    X, Y = _tensors(net.arch, data)
    theta = torch_theta(net)
    J = torch.func.jacrev(lambda t: f(t, X))(theta).reshape(-1, theta.shape[0])
    outer = (J.T @ J / data.n).numpy()
    loss = torch.func.hessian(lambda t: 0.5 * ((f(t, X) - Y) ** 2).sum() / data.n)(theta).numpy()
    return {"outer": outer, "functional": loss - outer, "loss": loss}


def torch_module(net: SequentialNetwork) -> Any:
    """An ``nn.Sequential`` (float64) with the network's layers and parameters rounded to float64."""
    torch = require_torch()
    nn = torch.nn
    modules = []
    for p in net.arch.placed:
        layer = p.layer
        if isinstance(layer, Conv):
            cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[layer.dims - 1]
            modules.append(cls(p.in_shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                               bias=layer.bias, dtype=torch.float64))
        elif isinstance(layer, Dense):
            modules.append(nn.Linear(p.in_shape[0], layer.out_features, bias=layer.bias, dtype=torch.float64))
        elif isinstance(layer, ReLU):
            modules.append(nn.ReLU())
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten())
        elif isinstance(layer, AvgPool):
            modules.append((nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[layer.dims - 1](layer.kernel_size, layer.stride))
        elif isinstance(layer, MaxPool):
            modules.append((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[layer.dims - 1](layer.kernel_size, layer.stride))
        else:
            raise TypeError(f"no torch module for {layer!r}")
    model = nn.Sequential(*modules)
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(torch_theta(net), model.parameters())
    return model
