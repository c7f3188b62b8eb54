"""Continue training a novolstm character language model with PyTorch DistributedDataParallel.

Reads a model novolstm exported to safetensors (``novolstm export --format safetensors``, or
``encodeSafetensors``), trains it on a text corpus with one process per CPU or GPU on any number of
machines, and writes it back to safetensors in novolstm's names, which ``nl.importModel`` /
``decodeSafetensors`` load again.

    # one machine, two processes on CPUs (Gloo)
    python3 -m torch.distributed.run --nproc_per_node=2 python/train_ddp.py \
        --model lm.safetensors --corpus corpus.txt --steps 1000 --out trained.safetensors
    # two machines with 8 GPUs each (NCCL), run on both with --node_rank 0 and 1
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 --master_addr=HOST0 --master_port=29500 \
        python/train_ddp.py --model lm.safetensors --corpus corpus.txt --steps 1000 --out trained.safetensors

The backend is Gloo on CPUs and NCCL on GPUs (``--backend`` overrides). Run without torchrun it trains in
one process.

Data: the corpus becomes G = batch_size × world_size contiguous streams of text (as novolstm's own `train`
does with one process); every step takes the next window of ``--seq-len`` characters of each stream, and
rank r trains rows [r·batch_size, (r+1)·batch_size). The model's stateful layers carry their state from one
window to the next (truncated backpropagation through time) and start again at the corpus' end. DDP averages
the gradients of the ranks, so one step here is one step on the global batch. Deterministic for a given
``--seed`` and world size: every rank holds bitwise the same weights after every step (the report says so).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from novolstm import files  # noqa: E402
from novolstm.torch import Dense, Embedding, Sequential  # noqa: E402

LM_FORMAT = "novolstm-char-lm"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="the novolstm model (safetensors) to continue training")
    p.add_argument("--corpus", required=True, help="a UTF-8 text file; every character must be in the model's vocabulary")
    p.add_argument("--out", required=True, help="where rank 0 writes the trained model (safetensors)")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=32, help="rows per process; the global batch is this × world size")
    p.add_argument("--seq-len", type=int, default=64, help="characters per window")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--clip-norm", type=float, default=5.0, help="global gradient-norm clip (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=["auto", "gloo", "nccl"], default="auto")
    p.add_argument("--report", help="a directory where every rank writes rank-<r>.json (losses, weights' SHA-256)")
    args = p.parse_args(argv)
    for name in ("steps", "batch_size", "seq_len"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be ≥ 1, got {getattr(args, name)}")
    return args


def vocabulary_of(description: dict, path: str) -> list:
    meta = description.get("metadata", {})
    if meta.get("format") != LM_FORMAT or not isinstance(meta.get("lm", {}).get("vocabulary"), list):
        raise SystemExit(
            f"{path}: train_ddp.py trains novolstm character language models (metadata.format '{LM_FORMAT}' with "
            f"metadata.lm.vocabulary); this model's metadata.format is {meta.get('format')!r}"
        )
    return meta["lm"]["vocabulary"]


def encode(text: str, vocabulary: list, path: str) -> np.ndarray:
    ids = {c: i for i, c in enumerate(vocabulary)}
    unknown = sorted(set(text) - set(ids))
    if unknown:
        raise SystemExit(f"{path}: characters the model's vocabulary does not have: {' '.join(map(repr, unknown[:20]))}")
    return np.array([ids[c] for c in text], dtype=np.int64)


def check_language_model(model: Sequential) -> None:
    if not isinstance(model.layers[0], Embedding) or not isinstance(model.layers[-1], Dense):
        raise SystemExit("train_ddp.py needs Embedding → recurrent layers → Dense(softmax)")
    if model.layers[-1].activation != "softmax":
        raise SystemExit(f"the last Dense layer must be softmax, got {model.layers[-1].activation!r}")


def weights_sha256(model: Sequential, description: dict) -> str:
    """SHA-256 of every weight as float32 little-endian, in the description's order — the bytes novolstm's
    decodeSafetensors concatenates, so a test can compare it with the imported model's values."""
    weights = model.get_weights()
    h = hashlib.sha256()
    for entry in description["weights"]["entries"]:
        h.update(np.ascontiguousarray(weights[entry["name"]], dtype="<f4").tobytes())
    return h.hexdigest()


def main(argv=None) -> int:
    args = parse_args(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    backend = args.backend
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if distributed:
        dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if backend == "nccl" else "cpu")
    torch.manual_seed(args.seed * 1000 + rank)  # dropout masks: each rank its own, every run the same
    torch.use_deterministic_algorithms(True)

    description, weights = files.read(args.model)
    vocabulary = vocabulary_of(description, args.model)
    with open(args.corpus, encoding="utf-8") as f:
        ids = encode(f.read(), vocabulary, args.corpus)
    model = Sequential(description)
    model.set_weights(weights)
    check_language_model(model)
    model.to(device)

    # G contiguous streams; window w of stream s is ids[s·L + w·T : s·L + (w+1)·T] (+1 for the targets).
    G, T = args.batch_size * world, args.seq_len
    L = (len(ids) - 1) // G
    windows = L // T
    if windows < 1:
        raise SystemExit(f"{args.corpus}: too short for {G} streams of one {T}-character window: {len(ids)} characters")
    streams = torch.from_numpy(ids[: G * L + 1])
    starts = torch.arange(G) * L

    def window(w: int, rows: slice):
        offsets = starts[rows].unsqueeze(1) + w * T + torch.arange(T)
        return streams[offsets].to(device), streams[offsets + 1].to(device)

    def loss_on_first_window() -> float:
        """The loss on window 0 of every stream, from fresh states, without dropout: the same on every rank."""
        model.eval()
        model.reset_states()
        x, y = window(0, slice(0, G))
        with torch.no_grad():
            loss = F.cross_entropy(model(x, logits=True).reshape(-1, len(vocabulary)), y.reshape(-1)).item()
        model.reset_states()
        model.train()
        return loss

    initial_loss = loss_on_first_window()
    ddp = DistributedDataParallel(model) if distributed else model
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    mine = slice(rank * args.batch_size, (rank + 1) * args.batch_size)
    losses = []
    model.train()
    started = time.perf_counter()
    for step in range(args.steps):
        w = step % windows
        if w == 0:
            model.reset_states()
        x, y = window(w, mine)
        logits = ddp(x, logits=True)
        loss = F.cross_entropy(logits.reshape(-1, len(vocabulary)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()  # DDP all-reduces (averages) the gradients here
        if args.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
        optimizer.step()
        logged = loss.detach().clone()
        if distributed:
            dist.all_reduce(logged)
            logged /= world
        losses.append(logged.item())
        if rank == 0:
            print(f"step {step + 1}/{args.steps} loss {losses[-1]:.4f}", flush=True)
    step_seconds = (time.perf_counter() - started) / args.steps
    final_loss = loss_on_first_window()
    model.to("cpu")
    digest = weights_sha256(model, description)
    if rank == 0:
        files.write(args.out, description, model.get_weights())
        print(
            f"loss on the first window: {initial_loss:.4f} → {final_loss:.4f}; "
            f"{step_seconds * 1000:.0f} ms a step on {world} process(es); wrote {args.out}",
            flush=True,
        )
    if args.report:
        os.makedirs(args.report, exist_ok=True)
        report = {
            "rank": rank,
            "worldSize": world,
            "backend": backend if distributed else "none",
            "losses": losses,
            "initialLoss": initial_loss,
            "finalLoss": final_loss,
            "stepSeconds": step_seconds,
            "weightsSha256": digest,
        }
        with open(os.path.join(args.report, f"rank-{rank}.json"), "w") as f:
            json.dump(report, f)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
