#!/usr/bin/python3
"""S5's two Multi-MNIST classifiers in PyTorch: the independent side of an accuracy comparison
with nnlab (SPEC S5: validation 0.915 / test 0.89 unregularized, 0.93 / 0.92 regularized).

    nnlab data generate multi-mnist --out /tmp/mm
    /usr/bin/python3 bench/s5_torch.py --data /tmp/mm --json /tmp/s5-torch.json
    /usr/bin/python3 bench/s5_torch.py --data /tmp/mm --runs regularized --min-delta 0.05

Data: the four gzipped IDX files of DIR, pixels / 255 flattened (28 x 39 = 1092), labels 1..50
mapped to classes 0..49; the LAST 20% of the training set is the validation set (Keras'
validation_split: not shuffled), the first 80% is trained on. Both runs: 1092-80-70-50 (96,660
parameters), He normal weights (kaiming_normal_, fan_in, not truncated) and zero biases, softmax
+ cross-entropy on logits, Adam lr 1e-3 eps 1e-7 (Keras'), batch 256 reshuffled each epoch.
  unregularized: sigmoid hidden units, 50 epochs, the final model is evaluated.
  regularized:   LeakyReLU(0.01), dropout 0.1 after each hidden layer, at most 50 epochs, early
                 stopping on val_loss (patience 10, --min-delta, improvement = loss < best -
                 min_delta), the best epoch's weights restored at the end (as nnlab does).
Run with /usr/bin/python3 (Debian's python3-torch); OPENBLAS_CORETYPE is unset and OpenMP /
OpenBLAS get --threads, as in bench/compare_pytorch.py, whose CPU and BLAS checks this reuses.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_pytorch import check_blas, cpu_model, read_idx  # noqa: E402  (stdlib-only at import)

SIZES, PARAMS = [1092, 80, 70, 50], 96_660


def load(d: Path, prefix: str):
    import numpy as np
    x = read_idx(d / f"{prefix}-images-idx3-ubyte.gz")
    y = read_idx(d / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    if x.shape[1:] != (28, 39) or len(x) != len(y) or y.min() < 1 or y.max() > 50:
        sys.exit(f"{d}/{prefix}: expected 28 x 39 images and labels 1..50, got {x.shape}, "
                 f"labels {y.min()}..{y.max()}")
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, y - 1


def build(run: str):
    from torch import nn
    mods = []
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        lin = nn.Linear(a, b)
        nn.init.kaiming_normal_(lin.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        mods.append(lin)
        if i < len(SIZES) - 2:  # hidden layer
            mods += ([nn.Sigmoid()] if run == "unregularized" else
                     [nn.LeakyReLU(0.01), nn.Dropout(0.1)])
    model = nn.Sequential(*mods)
    n = sum(p.numel() for p in model.parameters())
    assert n == PARAMS, f"{n} parameters, expected {PARAMS:,}"
    return model


def evaluate(model, x, y):
    import torch
    model.eval()
    loss = correct = 0.0
    with torch.no_grad():
        for i in range(0, len(x), 4096):
            out = model(x[i:i + 4096])
            loss += torch.nn.functional.cross_entropy(out, y[i:i + 4096], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + 4096]).sum().item()
    return loss / len(x), correct / len(x)


def fit(run, seed, data, args):
    import torch
    torch.manual_seed(seed)
    (xt, yt), (xv, yv), (xs, ys) = data
    model = build(run)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    gen = torch.Generator().manual_seed(seed)
    early = run == "regularized"
    best, best_epoch, best_state, wait, history = float("inf"), -1, None, 0, []
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(xt), generator=gen).split(256):
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        vl, va = evaluate(model, xv, yv)
        history.append({"epoch": epoch + 1, "loss": total / len(xt), "val_loss": vl, "val_accuracy": va})
        if early:
            if vl < best - args.min_delta:
                best, best_epoch, wait = vl, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                wait += 1
                if wait >= 10:
                    break
    if early and best_state is not None:
        model.load_state_dict(best_state)
    val_acc, test_acc = evaluate(model, xv, yv)[1], evaluate(model, xs, ys)[1]
    return {"run": run, "seed": seed, "val_accuracy": val_acc, "test_accuracy": test_acc,
            "epochs": len(history), "best_epoch": best_epoch + 1 if early else None,
            "seconds": time.perf_counter() - t0, "history": history}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder of the four gzipped IDX files")
    ap.add_argument("--runs", nargs="+", default=["unregularized", "regularized"],
                    choices=["unregularized", "regularized"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=50, help="(maximum) epochs; 50 in S5")
    ap.add_argument("--min-delta", type=float, default=0.0,
                    help="early stopping's min_delta on val_loss (the published value: 0.05)")
    ap.add_argument("--json", help="write every result and epoch history here")
    args = ap.parse_args()

    # Before NumPy / PyTorch load OpenBLAS and OpenMP: the machine's Haswell core type is ~40%
    # slower on AVX-512, and the thread counts are read once at load.
    was = os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    meta = {"cpu": cpu_model(), "torch": torch.__version__, "libblas.so.3": check_blas(),
            "threads": torch.get_num_threads(), "OPENBLAS_CORETYPE": f"unset (was {was!r})",
            "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    for k, v in meta.items():
        print(f"# {k}: {v}")

    d = Path(args.data)
    x, y = load(d, "train")
    n_val = int(len(x) * 0.2)  # Keras: split_at = int(n * (1 - 0.2)), the tail is validation
    split = len(x) - n_val
    parts = [(x[:split], y[:split]), (x[split:], y[split:]), load(d, "t10k")]
    data = [(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(b)) for a, b in parts]
    print(f"# data: {split} train, {n_val} validation, {len(parts[2][0])} test; "
          f"{len(np.unique(y))} classes in training")

    results = []
    for run in args.runs:
        for seed in args.seeds:
            r = fit(run, seed, data, args)
            results.append(r)
            stop = f" (best {r['best_epoch']})" if r["best_epoch"] else ""
            print(f"{run:13s} seed {seed}: val {r['val_accuracy']:.4f}  test {r['test_accuracy']:.4f}"
                  f"  epochs {r['epochs']}{stop}  {r['seconds']:.1f} s", flush=True)

    summary = {}
    print(f"\n{'run':13s}  seeds  test accuracy      validation accuracy")
    for run in args.runs:
        t = [r["test_accuracy"] for r in results if r["run"] == run]
        v = [r["val_accuracy"] for r in results if r["run"] == run]
        sd = lambda a: statistics.stdev(a) if len(a) > 1 else 0.0  # noqa: E731
        summary[run] = {"test_mean": statistics.mean(t), "test_std": sd(t),
                        "val_mean": statistics.mean(v), "val_std": sd(v), "seeds": len(t)}
        s = summary[run]
        print(f"{run:13s}  {len(t):5d}  {s['test_mean']:.4f} ± {s['test_std']:.4f}    "
              f"{s['val_mean']:.4f} ± {s['val_std']:.4f}")
    if args.json:
        args_d = {k: v for k, v in vars(args).items() if k != "json"}
        Path(args.json).write_text(json.dumps({"meta": meta, "args": args_d, "summary": summary,
                                               "results": results}, indent=1) + "\n")
        print(f"# wrote {args.json}")


if __name__ == "__main__":
    main()
