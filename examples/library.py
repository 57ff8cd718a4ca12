"""The README's library example: exact Hessians and certified ranks of a small CNN."""

from symhess.hessian.hessians import mse_hessians
from symhess.linalg.rank import exact_rank
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.nets.data import random_dataset
from symhess.theory.bounds import data_ranks, network_bounds

arch = Architecture(12, (ConvLayer(3, 3), ConvLayer(3, 3)), outputs=2)
net, data = random_network(arch, seed=0), random_dataset(arch, n=20, seed=0)
H = mse_hessians(net, data)                  # exact flint.fmpq_mat: H.outer, H.functional, H.loss
result = exact_rank(H.loss)
print(f"rank H_L = {result.rank}, certified: {result.certified}")
print(network_bounds(arch, *data_ranks(net, data)))
