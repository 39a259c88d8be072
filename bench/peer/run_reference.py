#!/usr/bin/env python3
"""Runs the authors' synchronous training loop (github.com/dahan198/synchronous-fault-tolerant-ml, a checkout given by
path: nothing of it is copied here) on Fashion-MNIST read from IDX files, in its best configuration by default
(float32, 2 torch threads), and prints rounds/s and test accuracy as one line of key=value pairs.

Their own SyncTrainer does the rounds (make_optimization_step: every worker's gradient, the attack, the
aggregation, the optimizer step); this driver only replaces what needs a network or a GPU account: the data set
(torchvision download -> local IDX files, standardised with the training set's mean/std as `akkabyz train` does),
Weights & Biases, torchmetrics, tqdm and prettytable (stubbed: not on the timed path), and the final evaluation
(their evaluate() casts the inputs to float64; here in the model's dtype, BatchNorm in eval mode as theirs)."""
import argparse, gzip, os, struct, sys, time, types


def stub_modules():
    class Accuracy:
        def __init__(self, *a, **k): pass
        def to(self, *a, **k): return self
        def reset(self): pass
        def update(self, *a, **k): pass
        def compute(self): return 0.0
    for name, attrs in {"wandb": {}, "torchmetrics": {"Accuracy": Accuracy}, "tqdm": {"tqdm": lambda x, *a, **k: x},
                        "prettytable": {"PrettyTable": object}}.items():
        if name in sys.modules:
            continue
        try:
            if name in ("tqdm", "prettytable"):
                __import__(name)
                continue
        except ImportError:
            pass
        m = types.ModuleType(name)
        for k, v in attrs.items():
            setattr(m, k, v)
        sys.modules[name] = m


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    import numpy as np
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkout", required=True, help="path to a checkout of dahan198/synchronous-fault-tolerant-ml")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--rounds", type=int, default=234)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=17)
    p.add_argument("--byzantine", type=int, default=8)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    stub_modules()
    sys.path.insert(0, os.path.abspath(a.checkout))
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    torch.set_num_threads(a.threads)
    from mlopt.utils import set_seed
    from mlopt.model.simple_conv_mnist import SimpleConvMNIST
    from mlopt.aggregators import get_aggregator
    from mlopt.attacks import get_attack
    from mlopt.optimizer import OPTIMIZER_REGISTRY
    from mlopt.worker import WorkerSTORM
    from mlopt.trainer.sync_trainer import SyncTrainer

    dtype = torch.float32 if a.dtype == "float32" else torch.float64
    set_seed(a.seed)
    xs = torch.tensor(read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")), dtype=torch.float32) / 255
    ys = torch.tensor(read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")), dtype=torch.long)
    xt = torch.tensor(read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")), dtype=torch.float32) / 255
    yt = torch.tensor(read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")), dtype=torch.long)
    mean, std = xs.mean(), xs.std()
    xs = ((xs - mean) / std).unsqueeze(1).to(dtype)
    xt = ((xt - mean) / std).unsqueeze(1).to(dtype)
    per_round = a.batch * a.workers
    train = DataLoader(TensorDataset(xs, ys), batch_size=per_round, shuffle=True, drop_last=True)
    test = DataLoader(TensorDataset(xt, yt), batch_size=per_round, shuffle=False)

    # main.py's defaults for µ²-SGD (anytime_sgd, WorkerSTORM with beta_t), ALIE ('little'), ctma over cwtm, clip 2.0.
    args = argparse.Namespace(use_wandb=False, optimizer="mu2sgd", dataset="fashion-mnist", model="simple_mnist",
                              attack="little", agg="cwtm", boost_agg="ctma", learning_rate=0.1, seed=a.seed,
                              batch_size=a.batch, workers_num=a.workers, byzantine_num=a.byzantine)
    model = SimpleConvMNIST().to(dtype)
    attack = get_attack("little", device=torch.device("cpu"), epsilon=0.5, workers_num=a.workers, byzantine_num=a.byzantine)
    aggregator = get_aggregator("ctma", a.workers, a.byzantine, agg2boost=get_aggregator("cwtm", a.workers, a.byzantine))
    workers = [WorkerSTORM(beta=0.9, use_beta_t=True) for _ in range(a.workers)]
    optimizer = OPTIMIZER_REGISTRY["anytime_sgd"](model.parameters(), lr=0.1, gamma=0.1, use_alpha_t=True, weight_decay=0.0)
    trainer = SyncTrainer(model, optimizer, train, test, args, aggregator, workers, a.byzantine, attack, 2.0, None)
    model.train()

    batches = iter(train)
    x0, y0 = next(batches)
    trainer.make_optimization_step(x0, y0, first_step=True)
    start = time.perf_counter()
    done = 0
    while done < a.rounds:
        for x, y in batches:
            trainer.make_optimization_step(x, y, False)
            done += 1
            if done == a.rounds:
                break
        batches = iter(train)
    seconds = time.perf_counter() - start

    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test:
            correct += (model(x).argmax(1) == y).sum().item()
    print(f"reference rounds={a.rounds} seconds={seconds:.2f} rounds_per_second={a.rounds / seconds:.2f} "
          f"test_accuracy={correct / len(yt):.4f} dtype={a.dtype} torch_threads={a.threads} torch={torch.__version__}")


if __name__ == "__main__":
    main()
