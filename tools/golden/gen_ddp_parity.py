#!/usr/bin/env python3
"""Golden fixture for kiln-distribute's peer parity with PyTorch DDP (issue 25).

Writes tools/golden/fixtures/ddp_parity.json. Run from the repository root:
    python tools/golden/gen_ddp_parity.py

Two processes on loopback (torch.distributed, gloo backend) train
`DistributedDataParallel(Linear(8, 16) -> ReLU -> Linear(16, 3))` with
CrossEntropyLoss (mean over the batch), SGD(lr=0.1, momentum=0.9), batch 8 per
process, data from `DistributedSampler(shuffle=False)`, 20 steps (320 samples, one
epoch). The fixture holds the initial weights, the data and the final weights (rank 0's,
which DDP keeps equal to rank 1's), with the kernels transposed to Keras's
(in, out) layout, and each rank's per-step losses.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

OUT = os.path.join("tools", "golden", "fixtures", "ddp_parity.json")
WORLD, B, STEPS, LR, MOMENTUM = 2, 8, 20, 0.1, 0.9


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def keras_layout(m):
    """[kernel (in, out), bias] per Linear, as lists."""
    out = []
    for layer in (m[0], m[2]):
        out.append(layer.weight.detach().numpy().T.astype(np.float32).tolist())
        out.append(layer.bias.detach().numpy().astype(np.float32).tolist())
    return out


def data():
    rng = np.random.default_rng(25)
    x = rng.normal(size=(WORLD * B * STEPS, 8)).astype(np.float32)
    y = rng.integers(0, 3, size=(WORLD * B * STEPS,)).astype(np.int64)
    return x, y


def worker(rank, queue):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29525"
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    m = model()
    initial = keras_layout(m)
    ddp = DDP(m)
    opt = torch.optim.SGD(ddp.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = data()
    ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(ds, num_replicas=WORLD, rank=rank, shuffle=False)
    sampler.set_epoch(0)
    losses = []
    for xb, yb in DataLoader(ds, batch_size=B, sampler=sampler):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(ddp(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert len(losses) == STEPS
    queue.put((rank, initial, keras_layout(m), losses))
    dist.destroy_process_group()


def main():
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, q)) for r in range(WORLD)]
    for p in procs:
        p.start()
    results = sorted(q.get() for _ in procs)
    for p in procs:
        p.join()
        if p.exitcode != 0:
            sys.exit(f"worker exited with {p.exitcode}")
    (_, init0, final0, loss0), (_, init1, final1, loss1) = results
    assert init0 == init1
    assert np.allclose(np.concatenate([np.ravel(a) for a in final0]),
                       np.concatenate([np.ravel(a) for a in final1]), atol=0)
    x, y = data()
    fixture = {
        "torch": torch.__version__,
        "world_size": WORLD,
        "batch_per_rank": B,
        "steps": STEPS,
        "lr": LR,
        "momentum": MOMENTUM,
        "x": x.tolist(),
        "y": y.tolist(),
        "initial": init0,
        "final": final0,
        "losses": [loss0, loss1],
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
