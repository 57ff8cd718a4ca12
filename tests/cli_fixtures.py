"""A small model and data file shared by the CLI tests (exact values: integers and "p/q" strings)."""

MODEL = {
    "input_dim": 5, "activation": "linear",
    "layers": [
        {"type": "conv1d", "weight": [[[1, -2, 1]], [[2, 1, "1/2"]]], "stride": 1, "padding": 0},
        {"type": "linear", "weight": [[1, 0, 2, -1, 1, 3], [0, 1, -1, 2, 2, 1]]},
    ],
}
DATA = {"inputs": [[1, 0, 2, -1, 3], [0, 1, 1, 2, -2], [2, -1, 0, 1, 1]],
        "targets": [[1, 0], [0, 1], ["1/3", 2]]}
