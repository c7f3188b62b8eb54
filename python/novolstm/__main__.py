"""``python -m novolstm predict --model M.safetensors --input x.json --output y.json``: the model's output
for the input batch, as novolstm's ``predict`` computes it. x.json holds ``{"x": [...]}`` (token ids for a
model starting with Embedding, floats otherwise); y.json gets ``{"y": [...]}``."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m novolstm")
    sub = parser.add_subparsers(dest="command", required=True)
    predict = sub.add_parser("predict", help="run a novolstm safetensors model in PyTorch")
    predict.add_argument("--model", required=True)
    predict.add_argument("--input", required=True)
    predict.add_argument("--output", required=True)
    args = parser.parse_args(argv)

    import torch

    from .torch import Embedding, load_model

    model = load_model(args.model)
    with open(args.input) as f:
        x = json.load(f)["x"]
    ids = isinstance(model.layers[0], Embedding)
    tensor = torch.tensor(x, dtype=torch.long if ids else torch.float32)
    with torch.no_grad():
        y = model(tensor)
    with open(args.output, "w") as f:
        json.dump({"y": y.tolist()}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
