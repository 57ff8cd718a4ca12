"""Networks and their structure: architectures and exact weights, data, Toeplitz matrices and the
forward pass, Lemma 1's derivative, kink-free ReLU draws (and the layer stacks of :mod:`.layers`)."""
