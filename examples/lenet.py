"""Write a LeNet-style PyTorch model (the shipped examples/lenet.pt): python3 examples/lenet.py OUT.pt

Conv2d(1, 2, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(2, 4, 3, padding=1) - AvgPool2d(2) - Flatten -
Linear(16, 10), every conv and linear layer with a bias, torch's default float32 initialisation from
torch.manual_seed(0). Saved with torch.save(model); symhess reads it with torch.load(weights_only=True).
"""

import sys

import torch
from torch import nn


def lenet() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(2, 4, 3, padding=1), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 10))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "lenet.pt"
    torch.save(lenet(), out)
    print(f"wrote {out}")
