"""One module per layer type; each owns its geometry and its exact forward / Jacobian pieces.

* :mod:`.conv` — ``Conv`` (1D/2D convolution, optional bias): index map (Lemma 1), windows.
* :mod:`.dense` — ``Dense`` (``Linear``, optional bias).
* :mod:`.pooling` — ``AvgPool`` (linear), ``MaxPool`` (piecewise linear, ties are kinks).
* :mod:`.activation` — ``ReLU``.
* :mod:`.flatten` — ``Flatten``.
* :mod:`.free` — ``FreeAffine``, the Toeplitzed layer of Prop. 4 (every matrix entry free).
* :mod:`.base` — shapes, window tables, :class:`~.base.LocalMap`, unit signatures (which ties and zeros are kinks).

A new layer type is one new module here implementing either the weight-layer interface
(``out_shape``, ``weight_shape``, ``bias_shape``, ``index_map``, ``bias_map``, ``forward``) or the
parameter-free one (``out_shape``, ``local_map``, ``pattern``, ``forward``); every Hessian route
(:mod:`symhess.hessian.sequential`) works through these methods only.
"""

from .activation import ReLU
from .base import LocalMap, Shape
from .conv import Conv, conv1d, conv2d
from .dense import Dense
from .flatten import Flatten
from .free import FreeAffine
from .pooling import AvgPool, MaxPool

WEIGHT_LAYERS = (Conv, Dense, FreeAffine)
PARAMETER_FREE = (AvgPool, MaxPool, ReLU, Flatten)
Layer = Conv | Dense | FreeAffine | AvgPool | MaxPool | ReLU | Flatten

__all__ = ["AvgPool", "Conv", "Dense", "Flatten", "FreeAffine", "Layer", "LocalMap", "MaxPool", "PARAMETER_FREE", "ReLU",
           "Shape", "WEIGHT_LAYERS", "conv1d", "conv2d"]
