"""The theory's rank bounds (Theorems 5–10, FCN, ReLU), the channel-mixing symmetry, and the
systematic search for bound violations."""
