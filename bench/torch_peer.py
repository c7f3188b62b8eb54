"""PyTorch as a peer of `npm run bench` (bench/torchPeer.ts starts it and talks to it).

The seed model of bench/config.ts in PyTorch: Embedding(V, E) -> LSTM(H) or GRU(H) -> Linear(V), softmax
cross-entropy on the last step's output, Adam (lr 1e-3), full backpropagation through time; batch-first
token ids [B, T] and targets [B] drawn once per measurement. NovoLSTM has no PyTorch module, so it has no
row here.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
  {"kind": "lstm" | "gru", "B", "T", "E", "H", "V", "threads", "warmup", "runs"}
  -> {"forwardMs": [...], "trainMs": [...], "forwardCpuMs": [...], "trainCpuMs": [...], "firstLoss", "lastLoss"}
CPU ms are this process's, all its threads' (time.process_time), as bench/measure.ts counts ours.
The first line written is {"torch": version, "python": version, "threads": default thread count}.
Timings are taken here, around the step alone, so the pipe to Node costs nothing in them.
"""
import ctypes
import json
import os
import sys
import time

import torch


class SeedModel(torch.nn.Module):
    def __init__(self, kind, E, H, V):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        recurrent = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        self.recurrent = recurrent(E, H, batch_first=True)
        self.dense = torch.nn.Linear(H, V)

    def forward(self, ids):
        out, _ = self.recurrent(self.embedding(ids))
        return self.dense(out[:, -1, :])  # logits of the last step


def openblas_threads_setter():
    """OpenBLAS's own thread count, which torch.set_num_threads does not reach: OpenBLAS (pthread build)
    starts one thread per core for every matrix product, so a "1 thread" torch ran its products on all
    cores (CPU time twice the wall time on 2 cores), and a 2-thread torch ran 2 OpenMP threads beside 2
    OpenBLAS threads. None where the BLAS is not OpenBLAS."""
    for path in loaded_blas_paths():
        if "openblas" in path:
            try:
                return ctypes.CDLL(path).openblas_set_num_threads
            except (OSError, AttributeError):
                continue
    return None


def set_threads(threads):
    """The fastest way for this torch to use `threads` cores. With OpenBLAS, its own threads run the matrix
    products and torch's intra-op pool stays at 1: at B=128, T=100 on 2 cores (Xeon, AVX-512, torch 1.13 +
    OpenBLAS 0.3.21), a training step took 107 ms at H=128 and 731 ms at H=512 that way, against 119 and
    892 ms with 2 torch threads and 1 OpenBLAS thread, and 215 and 1,394 ms with 2 of each (both pools
    then compete for the cores)."""
    if SET_OPENBLAS_THREADS is not None:
        torch.set_num_threads(1)
        SET_OPENBLAS_THREADS(threads)
    else:
        torch.set_num_threads(threads)


def measure(request):
    set_threads(request["threads"])
    torch.manual_seed(1)
    B, T, E, H, V = (request[k] for k in ("B", "T", "E", "H", "V"))
    model = SeedModel(request["kind"], E, H, V)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ids = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B,))
    loss_of = torch.nn.CrossEntropyLoss()

    def train_step():
        optimizer.zero_grad()
        loss = loss_of(model(ids), targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    def forward():
        with torch.no_grad():
            return loss_of(model(ids), targets).item()

    def timed(run, runs):
        ms, cpu = [], []
        for _ in range(runs):
            cpu_start = time.process_time()
            start = time.perf_counter()
            run()
            ms.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.process_time() - cpu_start) * 1e3)
        return ms, cpu

    for _ in range(request["warmup"]):
        train_step()
        forward()
    forward_ms, forward_cpu = timed(forward, request["runs"])
    losses = []
    train_ms, train_cpu = timed(lambda: losses.append(train_step()), request["runs"])
    return {
        "forwardMs": forward_ms,
        "trainMs": train_ms,
        "forwardCpuMs": forward_cpu,
        "trainCpuMs": train_cpu,
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
    }


def loaded_blas_paths():
    """The BLAS libraries this process has loaded, resolved through symlinks (Debian's alternatives):
    torch's speed depends on them, and Debian's python3-torch takes whichever libblas.so.3 the system
    points at — the slow reference BLAS unless OpenBLAS (libopenblas0-pthread) is installed."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return sorted({os.path.realpath(p) for p in paths})


SET_OPENBLAS_THREADS = openblas_threads_setter()


def main():
    hello = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "blas": ", ".join(loaded_blas_paths()) or "built in",
        "blasThreadsSet": SET_OPENBLAS_THREADS is not None,
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = measure(json.loads(line))
        except Exception as e:  # reported to Node, which prints it as the row's reason
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
