#!/usr/bin/python3
"""S3 regression's stage-1 grid with 10-fold cross-validation, side by side: nnlab's search, a
plain PyTorch loop, scikit-learn's GridSearchCV with MLPRegressor, and Optuna with its
successive-halving pruner over the same space.

    bench/compare_search.py                     # everything, 2 threads
    bench/compare_search.py --only nnlab torch  # some sides
    bench/compare_search.py --configs 6         # the first 6 configurations (a quick look)

The workload (bench/s3-regression-stage1.toml): 2 or 3 hidden layers x 16/32/64 units x
sigmoid/ELU/GELU x Adam lr 1e-2/1e-3, MSE, batch 18, 500 epochs, 10 folds: 360 fits of 90
points. Each side runs in its own process with OMP/OpenBLAS threads set to --threads and
OPENBLAS_CORETYPE unset. The script prints the CPU, its vector ISA and the machine's limit on the
workload's shapes (sgemm of an 18 x 64 by 64 x 64 product through NumPy's BLAS: what one hidden
layer costs per batch at the most), then seconds, fits per second and each side's best CV MSE.
scikit-learn's MLPRegressor has no ELU or GELU: its grid covers the sigmoid ("logistic") third
of the space, and its time is scaled to 360 fits.

Run with /usr/bin/python3 (Debian's python3-torch, python3-sklearn, python3-optuna).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "bench" / "s3-regression-stage1.toml"
DATA = ROOT / "experiments" / "data"
UNITS, ACTS, RATES, DEPTHS = [16, 32, 64], ["sigmoid", "elu", "gelu"], [1e-2, 1e-3], [2, 3]


def configs() -> list[dict]:
    # nnlab's grid order: units, act, lr, layers (the last varying fastest).
    return [{"units": u, "act": a, "lr": lr, "depth": d}
            for u in UNITS for a in ACTS for lr in RATES for d in DEPTHS]


def load(name: str):
    import numpy as np
    d = np.loadtxt(DATA / name, delimiter=",", skiprows=1, dtype=np.float32)
    return d[:, :1], d[:, 1:]


def folds(n: int, k: int, seed: int = 0):
    import numpy as np
    order = np.random.default_rng(seed).permutation(n)
    parts = [order[i::k] for i in range(k)]
    return [(np.concatenate([p for j, p in enumerate(parts) if j != i]), parts[i]) for i in range(k)]


def cpu_info() -> dict:
    model, flags = platform.processor(), set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    isa = ("AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags
           else "AVX" if "avx" in flags else "SSE")
    return {"cpu": model, "isa": isa}


def sgemm_limit(threads: int) -> dict:
    """GFLOP/s of NumPy's sgemm on one hidden layer's product per batch (18 x 64 @ 64 x 64)."""
    import numpy as np
    a = np.random.rand(18, 64).astype(np.float32)
    b = np.random.rand(64, 64).astype(np.float32)
    for _ in range(1000):
        a @ b
    reps, times = 20000, []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        times.append((time.perf_counter() - t0) / reps)
    t = sorted(times)[2]
    return {"shape": "18x64 @ 64x64", "us_per_call": t * 1e6, "gflops": 2 * 18 * 64 * 64 / t / 1e9}


# ----------------------------------------------------------------------------- the sides

def side_nnlab(args) -> dict:
    out = Path(tempfile.mkdtemp(prefix="nnlab-search-"))
    workers = args.threads
    cmd = [args.nnlab, "search", str(STUDY), "--out", str(out / "o"), "--threads",
           str(args.threads), "--workers", str(workers), "--no-progress"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    m = json.loads((out / "o" / "metrics.json").read_text())["search"]["stage1"]
    best = min(t["mean_score"] for t in m["trials"] if t["mean_score"] is not None)
    return {"seconds": seconds, "fits": 360, "best_cv_mse": best,
            "note": f"{workers} workers x {m['threads_per_worker']} thread"}


def torch_fit(cfg, x, y, tr, va, epochs, seed=0):
    import torch
    torch.manual_seed(seed)
    act = {"sigmoid": torch.nn.Sigmoid, "elu": torch.nn.ELU, "gelu": torch.nn.GELU}[cfg["act"]]
    layers, width = [], 1
    for _ in range(cfg["depth"]):
        layers += [torch.nn.Linear(width, cfg["units"]), act()]
        width = cfg["units"]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    loss_fn = torch.nn.MSELoss()
    xt, yt = torch.from_numpy(x[tr]), torch.from_numpy(y[tr])
    for _ in range(epochs):
        perm = torch.randperm(len(tr))
        for i in range(0, len(tr), 18):
            idx = perm[i:i + 18]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    with torch.no_grad():
        return float(loss_fn(model(torch.from_numpy(x[va])), torch.from_numpy(y[va])))


def side_torch(args) -> dict:
    import torch
    torch.set_num_threads(args.threads)
    x, y = load("s3-curve-train.csv")
    splits = folds(len(x), 10)
    cs = configs()[: args.configs]
    t0 = time.perf_counter()
    scores = [sum(torch_fit(c, x, y, tr, va, args.epochs) for tr, va in splits) / 10 for c in cs]
    seconds = time.perf_counter() - t0
    return {"seconds": seconds * 36 / len(cs), "fits": 360, "best_cv_mse": min(scores),
            "note": f"{len(cs)} of 36 configurations timed, scaled to 36"
            if len(cs) < 36 else f"torch {torch.__version__}, {args.threads} threads"}


def side_sklearn(args) -> dict:
    import numpy as np
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.neural_network import MLPRegressor
    x, y = load("s3-curve-train.csv")
    grid = {"hidden_layer_sizes": [(u,) * d for u in UNITS for d in DEPTHS],
            "learning_rate_init": RATES}
    base = MLPRegressor(activation="logistic", solver="adam", batch_size=18, max_iter=args.epochs,
                        tol=0.0, n_iter_no_change=args.epochs + 1, random_state=0)
    search = GridSearchCV(base, grid, cv=KFold(10, shuffle=True, random_state=0),
                          scoring="neg_mean_squared_error", n_jobs=args.threads)
    t0 = time.perf_counter()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(x, y.ravel())
    seconds = time.perf_counter() - t0
    return {"seconds": seconds * 3, "fits": 360, "best_cv_mse": float(-search.best_score_),
            "note": "sigmoid only (no ELU/GELU): 120 fits timed, scaled to 360; "
                    f"n_jobs={args.threads}"}


def side_optuna(args) -> dict:
    import optuna
    import torch
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    x, y = load("s3-curve-train.csv")
    splits = folds(len(x), 10)
    epochs_total = [0]

    def objective(trial):
        c = {"units": trial.suggest_categorical("units", UNITS),
             "act": trial.suggest_categorical("act", ACTS),
             "lr": trial.suggest_categorical("lr", RATES),
             "depth": trial.suggest_categorical("depth", DEPTHS)}
        total = 0.0
        for i, (tr, va) in enumerate(splits):  # report the running mean after each fold
            total += torch_fit(c, x, y, tr, va, args.epochs)
            epochs_total[0] += args.epochs
            trial.report(total / (i + 1), i)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return total / len(splits)

    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.GridSampler(
                                    {"units": UNITS, "act": ACTS, "lr": RATES, "depth": DEPTHS}),
                                pruner=optuna.pruners.SuccessiveHalvingPruner())
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=args.configs)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "fits": epochs_total[0] // args.epochs,
            "best_cv_mse": study.best_value,
            "note": f"optuna {optuna.__version__}, grid sampler, successive-halving pruner over "
                    f"folds; {args.configs} trials"}


SIDES = {"nnlab": side_nnlab, "torch": side_torch, "sklearn": side_sklearn, "optuna": side_optuna}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--configs", type=int, default=36, help="configurations the peers time")
    ap.add_argument("--only", nargs="*", choices=list(SIDES), default=list(SIDES))
    ap.add_argument("--nnlab", default=str(ROOT / "build" / "nnlab"))
    ap.add_argument("--side", choices=list(SIDES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:  # a child: one side, its result as JSON
        print(json.dumps(SIDES[args.side](args)))
        return
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    info = cpu_info()
    print(f"# cpu: {info['cpu']} ({info['isa']}); threads {args.threads}; "
          f"load average {os.getloadavg()[0]:.2f}")
    limit = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; sys.path.insert(0, %r); import compare_search as c;"
         " print(json.dumps(c.sgemm_limit(%d)))" % (str(ROOT / "bench"), args.threads)],
        env=env, check=True, capture_output=True, text=True).stdout)
    print(f"# machine limit (NumPy sgemm {limit['shape']}): {limit['us_per_call']:.2f} us per "
          f"call, {limit['gflops']:.1f} GFLOP/s")
    rows = {}
    for side in args.only:
        cmd = [sys.executable, __file__, "--side", side, "--threads", str(args.threads),
               "--epochs", str(args.epochs), "--configs", str(args.configs), "--nnlab", args.nnlab]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{side}: failed\n{r.stderr[-2000:]}", file=sys.stderr)
            continue
        rows[side] = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"{'side':8} {'seconds (360 fits)':>19} {'fits/s':>8} {'vs nnlab':>9} {'best CV MSE':>12}  note")
    base = rows.get("nnlab", {}).get("seconds")
    for side, r in rows.items():
        ratio = f"{r['seconds'] / base:.1f}x" if base else "-"
        print(f"{side:8} {r['seconds']:19.1f} {r['fits'] / r['seconds']:8.1f} {ratio:>9} "
              f"{r['best_cv_mse']:12.4f}  {r['note']}")


if __name__ == "__main__":
    main()
