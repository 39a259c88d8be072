#!/usr/bin/env python3
"""Times ByzFL's aggregators (github.com/LPD-EPFL/byzfl, a checkout given by path: nothing of it is copied here) on
the input `akkabyz bench aggregators` uses, and prints one line per rule: wall ms and CPU ms per call (medians).

Input: m float32 vectors of dimension d as one torch tensor (m x d), the same distribution as the .NET benchmark's
(`AggregationBenchmark.Inputs`): per coordinate a shared offset U(0, 1) plus U(-1, 1) noise, the first f vectors
shifted by +10 (a crude attack). Each call gets a fresh copy of the input (ByzFL's Clipping and ARC modify it in
place); the copy is not timed. Stateful CenteredClipping keeps its state from call to call, as ours does.

ByzFL's package __init__ imports its training framework (torchvision etc.); only byzfl.aggregators and byzfl.utils
are loaded here, from the checkout's files, under a bare `byzfl` package.

SMEA enumerates all C(m, m - f) subsets (24,310 at m = 17, f = 8): it is timed over the first --smea-subsets of them
and the time is scaled to all of them (marked "extrapolated").

  /usr/bin/python3 bench/peer/byzfl_aggregators.py --checkout BYZFL [--m 17 --f 8 --d 1000000 --repeat 3 --threads 2]

--compare DIR (a directory written by `akkabyz bench aggregators --save-outputs DIR` with the same --m, --f and
--d): the input is DIR/input.f32, the very bytes AkkaByz aggregated, and after timing each rule its output of one
call is compared with AkkaByz's (DIR/SPEC.f32): the largest absolute difference (also in float32 ulps of the largest
|value| of AkkaByz's output) and the number of coordinates that differ at all are printed, and both outputs'
largest distance (in the same ulps) to ByzFL's rule run in float64 (on a float64 numpy copy of the same input). Stateful rules (cc, cc3) and SMEA (timed on a subset) are not compared.
"""
import argparse, itertools, math, os, sys, time, types


def load_byzfl(checkout):
    root = os.path.join(checkout, "byzfl")
    if not os.path.isfile(os.path.join(root, "aggregators", "aggregators.py")):
        sys.exit(f"byzfl_aggregators.py: {checkout} is not a checkout of LPD-EPFL/byzfl (no byzfl/aggregators/aggregators.py)")
    package = types.ModuleType("byzfl")
    package.__path__ = [root]
    sys.modules["byzfl"] = package
    import byzfl.aggregators.aggregators as agg
    import byzfl.aggregators.preaggregators as pre
    return agg, pre


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkout", required=True)
    p.add_argument("--m", type=int, default=17)
    p.add_argument("--f", type=int, default=8)
    p.add_argument("--d", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--smea-subsets", type=int, default=100)
    p.add_argument("--rules", default="meamed,mda,monna,caf,smea,cc,cc3,clip,arc,nnm,trmean")
    p.add_argument("--compare", default=None, help="directory of `akkabyz bench aggregators --save-outputs`")
    a = p.parse_args()

    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    agg, pre = load_byzfl(a.checkout)

    rng = np.random.default_rng(a.seed)
    offset = rng.random(a.d, dtype=np.float32)
    x = (offset[None, :] + rng.random((a.m, a.d), dtype=np.float32) * 2 - 1).astype(np.float32)
    x[: a.f] += 10
    if a.compare:
        x = np.fromfile(os.path.join(a.compare, "input.f32"), dtype="<f4")
        if x.size != a.m * a.d:
            sys.exit(f"byzfl_aggregators.py: {a.compare}/input.f32 holds {x.size} floats, not m*d = {a.m * a.d}")
        x = x.reshape(a.m, a.d)
    base = torch.from_numpy(x)

    m, f = a.m, a.f
    total_subsets = math.comb(m, m - f)
    smea_scale = 1.0

    def smea():
        nonlocal smea_scale
        rule = agg.SMEA(f=f)
        real = agg.itertools.combinations
        n = min(a.smea_subsets, total_subsets)
        smea_scale = total_subsets / n

        def limited(*args):
            return itertools.islice(real(*args), n)

        def call(v):
            agg.itertools.combinations = limited
            try:
                return rule(v)
            finally:
                agg.itertools.combinations = real
        return call

    def then_average(first):
        average = agg.Average()
        return lambda v: average(first(v))

    rules = {
        "meamed": lambda: agg.Meamed(f=f),
        "mda": lambda: agg.MDA(f=f),
        "monna": lambda: agg.MoNNA(f=f, idx=0),
        "caf": lambda: agg.CAF(f=f),
        "smea": smea,
        "cc": lambda: agg.CenteredClipping(L=1, tau=10.0),
        "cc3": lambda: agg.CenteredClipping(L=3, tau=10.0),
        "clip": lambda: then_average(pre.Clipping(c=2.0)),
        "arc": lambda: then_average(pre.ARC(f=f)),
        "arctm": lambda: (lambda tm, arc: (lambda v: tm(arc(v))))(agg.TrMean(f=f), pre.ARC(f=f)),
        "nnm": lambda: (lambda tm, n: (lambda v: tm(n(v))))(agg.TrMean(f=f), pre.NNM(f=f)),
        "trmean": lambda: agg.TrMean(f=f),
    }
    names = {"cc": "cc(tau=10)", "cc3": "cc(iters=3,tau=10)", "clip": "clip(c=2,mean)", "arc": "arc(mean)", "arctm": "arc(cwtm)",
             "nnm": "nnm(cwtm)", "trmean": "cwtm", "monna": "monna(pivot=0)"}
    print(f"byzfl: m={m} f={f} d={a.d} float32, torch {torch.__version__} {torch.get_num_threads()} threads, "
          f"median of {a.repeat} calls after {a.warmup} warm-up")
    for key in a.rules.split(","):
        if key not in rules:
            sys.exit(f"byzfl_aggregators.py: unknown rule '{key}' (one of {', '.join(rules)})")
        call = rules[key]()
        walls, cpus = [], []
        for i in range(a.warmup + a.repeat):
            v = base.clone()
            w0, c0 = time.perf_counter(), time.process_time()
            out = call(v)
            w1, c1 = time.perf_counter(), time.process_time()
            assert out.shape[-1] == a.d
            if i >= a.warmup:
                walls.append((w1 - w0) * 1e3)
                cpus.append((c1 - c0) * 1e3)
        walls.sort(); cpus.sort()
        scale = smea_scale if key == "smea" else 1.0
        note = f" (extrapolated from {min(a.smea_subsets, total_subsets)} of {total_subsets} subsets)" if key == "smea" else ""
        if a.compare and key not in ("cc", "cc3", "smea"):
            ours_path = os.path.join(a.compare, names.get(key, key) + ".f32")
            if os.path.isfile(ours_path):
                ours = np.fromfile(ours_path, dtype="<f4").astype(np.float64)
                theirs = call(base.clone()).detach().cpu().numpy().astype(np.float64).reshape(-1)
                diff = np.abs(ours - theirs)
                top = np.abs(ours).max()
                ulp = float(np.spacing(np.float32(top)))
                note += (f"; vs AkkaByz: max |diff| {diff.max():.3g} = {diff.max() / ulp:.1f} float32 ulps of the largest"
                         f" |value| {top:.3g}; {np.count_nonzero(diff)} of {diff.size} coordinates differ")
                # The same ByzFL rule in float64 on the same input (ByzFL casts torch tensors to float32 but keeps a
                # float64 numpy array in float64): how far each float32 result is from it.
                exact = np.asarray(call(base.double().numpy().copy()), dtype=np.float64).reshape(-1)
                note += (f"; vs ByzFL in float64: AkkaByz {np.abs(ours - exact).max() / ulp:.1f} ulps,"
                         f" ByzFL float32 {np.abs(theirs - exact).max() / ulp:.1f} ulps")
            else:
                note += f"; no {ours_path} to compare"
        print(f"  {names.get(key, key):<22} wall {walls[len(walls) // 2] * scale:12.1f} ms  CPU {cpus[len(cpus) // 2] * scale:12.1f} ms/call{note}",
              flush=True)


if __name__ == "__main__":
    main()
