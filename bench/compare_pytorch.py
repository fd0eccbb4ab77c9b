#!/usr/bin/python3
"""nnlab vs PyTorch (CPU): training throughput and peak memory on the same model, side by side,
each as a share of the machine's limit measured in the same run.

For each (study, run) pair the script builds the run's model twice -- once by `nnlab bench`,
once in PyTorch from the same study file, written the way a PyTorch user writes it (nn.Linear /
nn.Conv2d / nn.ConvTranspose2d + activation modules, nn.Dropout, L1/L2 as loss penalties,
max-norm as a renorm after the step, torch.optim with the study's hyper-parameters, the IDX
files read with gzip+numpy into a TensorDataset + DataLoader(shuffle=True), the plain forward /
loss / zero_grad / backward / step loop) -- and trains it for --epochs full epochs after a short
warm-up, each side in its own subprocess, alternating the two sides --rounds times. It prints
the medians as a table (plain text, --markdown for docs/results.md, or --json).

    bench/compare_pytorch.py                       # the SPEC's two models, 2 threads, 3 rounds
    bench/compare_pytorch.py --torch-only          # only the PyTorch side
    bench/compare_pytorch.py experiments/s2-dense-regularization.toml:regularized:3 --threads 1 2
    bench/compare_pytorch.py experiments/s5-multimnist.toml:autoencoder:3 \
        experiments/s5-multimnist.toml:unregularized:2 experiments/s4-autoencoder.toml:ed32:1.5 \
        --threads 2 --markdown             # S5's autoencoder and FFNN, S4's conv autoencoder
    bench/compare_pytorch.py bench/s3-regression-tiny.toml:tiny:1 --epochs 2000
                                           # S3 regression's 1-16-16-1 MLP, batch 18: µs/step
    bench/compare_pytorch.py --max-isa avx2 --nnlab build-avx2/nnlab
                                           # as an AVX2 CPU would (bench/README.md)

A pair is STUDY.toml:RUN[:GOAL], GOAL being the throughput ratio the SPEC asks for (default 3
for batch >= 256, else 2). The run's `task` says what a batch's target is: the class label
(`classify`), a CSV dataset's target columns (`regress`) or the input itself (`reconstruct`, an
autoencoder). Datasets: MNIST (found where nnlab finds it), Multi-MNIST, which the PyTorch side
reads from the IDX files `nnlab data generate multi-mnist` writes (--multi-mnist-dir, else
generated into a temporary folder with the study's [data.generate] settings: the bytes `nnlab
bench` trains on), and CSV tables (data.csv.train's inputs and targets columns, relative to the
study file: S3's 1-D curve is the same 100 points on both sides, no stand-in). Peak RSS is the
child's ru_maxrss as the parent sees it through wait4() (the same measure for both sides); the
ratio is nnlab / PyTorch (goal: <= 0.5).

The limit (bench/README.md, "The machine's limit"): the useful FLOPs of a training step (the
dense and convolution products; a first layer's input gradient, which nothing needs, excluded),
counted by both sides (the script stops when the counts differ), and the time those products
take alone on the step's shapes: oneDNN's, measured by `nnlab bench` in each of its rounds, and
OpenBLAS's sgemm on the dense shapes, timed with NumPy's matmul in the PyTorch child after
checking NumPy runs on OpenBLAS (dense nets only). Each row shows nnlab's useful GFLOP/s, both
limits, nnlab's and PyTorch's share of the oneDNN limit and both sides' microseconds per
training step; the header line gives the CPU model and its vector ISA (AVX2, AVX-512, VNNI,
BF16, AMX) and the ISA oneDNN runs.

Run with /usr/bin/python3 (Debian's python3-torch lives there, not in pyenv's python).
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAIRS = [
    "experiments/s2-dense-regularization.toml:regularized:3",
    "experiments/s1-activations.toml:sigmoid:2",
]
# The datasets the PyTorch side reads, by the label value of their first class (Multi-MNIST's
# classes are the numbers 1..50).
FIRST_LABEL = {"mnist": 0, "multi-mnist": 1}
WEIGHTED = ("dense", "conv2d", "conv_transpose2d")
# A run's quoted layer keys: "model.layers[I].PARAM" (layer I) or "model.layers.PARAM" (every
# layer that has PARAM).
LAYER_KEY = re.compile(r"model\.layers(?:\[(\d+)\])?\.(\w+)")


# ----------------------------------------------------------------------------- study files

def deep_merge(base: dict, over: dict) -> dict:
    """Tables merge key by key; everything else (arrays included) replaces whole."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_run(study_path: str, run_name: str) -> dict:
    """The run's settings as nnlab reads them: its tables deep-merged over the common ones, then
    its quoted layer keys applied to the layers it ends up with (every-layer keys first)."""
    import tomllib
    with open(study_path, "rb") as f:
        doc = tomllib.load(f)
    common = {k: v for k, v in doc.items() if k != "runs"}
    runs = doc.get("runs", [])
    for r in runs:
        if r.get("name") == run_name:
            edits = {k: v for k, v in r.items() if LAYER_KEY.fullmatch(k)}
            over = {k: v for k, v in r.items() if k != "name" and k not in edits}
            merged = deep_merge(common, over)
            layers = merged.get("model", {}).get("layers", [])
            for key in sorted(edits, key=lambda k: "[" in k):  # an indexed key wins
                index, param = LAYER_KEY.fullmatch(key).groups()
                if index is None:
                    for layer in layers:
                        if param in layer:
                            layer[param] = edits[key]
                elif int(index) < len(layers):
                    layers[int(index)][param] = edits[key]
                else:
                    sys.exit(f"{study_path}: run '{run_name}': {key}: the run has {len(layers)} "
                             "layers")
            merged["run"] = run_name
            return merged
    names = ", ".join(str(r.get("name")) for r in runs) or "(none)"
    sys.exit(f"{study_path}: no run named '{run_name}' (runs: {names})")


def layer_plan(cfg: dict) -> list[dict]:
    """The run's layers with the model-level defaults filled in as nnlab's study reader does:
    `model.activation` (default relu) reaches every dense layer but the last; `model.init`, `l1`,
    `l2` and `max_norm` every dense and convolution layer; a layer's own value wins, and the
    activation of a layer without one is linear."""
    model = cfg.get("model", {})
    layers = [dict(l) for l in model.get("layers", [])]
    last_dense = max((i for i, l in enumerate(layers) if l["type"] == "dense"), default=-1)
    for i, l in enumerate(layers):
        if l["type"] not in WEIGHTED:
            continue
        if l["type"] == "dense" and i != last_dense:
            l.setdefault("activation", model.get("activation", "relu"))
        l.setdefault("activation", "linear")
        for key, default in (("init", "glorot_uniform"), ("l1", 0.0), ("l2", 0.0), ("max_norm", 0.0)):
            l.setdefault(key, model.get(key, default))
    return layers


def sample_shape(cfg: dict) -> list[int]:
    """One training sample's [C, H, W]: MNIST's 28 x 28, Multi-MNIST's 28 x data.generate.width;
    a CSV dataset's [inputs]."""
    data = cfg.get("data", {})
    if data.get("dataset", "mnist") == "csv":
        return [len(data["csv"]["inputs"])]
    if data.get("dataset", "mnist") == "multi-mnist":
        return [1, 28, int(data.get("generate", {}).get("width", 39))]
    return [1, 28, 28]


def describe(cfg: dict) -> str:
    parts = [str(math.prod(sample_shape(cfg)))]
    for l in layer_plan(cfg):
        t = l["type"]
        act = l.get("activation", "linear")
        act = "" if act in ("softmax", "linear") else " " + act
        if t == "dense":
            parts.append(f"{l['units']}{act}")
        elif t in ("conv2d", "conv_transpose2d"):
            name = "conv" if t == "conv2d" else "convT"
            parts.append(f"{name}{l['filters']}@{l['kernel']}x{l['kernel']}{act}")
        elif t in ("max_pool", "avg_pool"):
            parts.append(f"{t.split('_')[0]}pool{l['size']}")
        elif t == "batch_norm":
            parts.append("bn")
        elif t in ("flatten", "reshape", "code"):
            continue
        elif t == "dropout":
            parts.append(f"drop{l.get('rate', 0.5)}")
        elif t == "gaussian_noise":
            parts.append(f"noise{l.get('sigma')}")
        else:
            parts.append(t)
    return "-".join(parts)


# ----------------------------------------------------------------------------- data

def mnist_dir(cfg: dict, data_dir: str | None) -> Path:
    """The MNIST folder nnlab reads (src/data/catalog.cpp's search path, from the repository
    root where `nnlab bench` runs): DIR/mnist for DIR = data.dir, else --data-dir; then
    $NNLAB_DATA/mnist, ./data/mnist, ../shared/data/mnist, ./mnist."""
    first = cfg.get("data", {}).get("dir") or data_dir
    looked = [Path(d) / "mnist" for d in (first, os.environ.get("NNLAB_DATA")) if d]
    looked += [Path("data/mnist"), Path("../shared/data/mnist"), Path("mnist")]
    files = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    for d in looked:
        d = ROOT / d  # an absolute d stays itself
        if all(idx_file(d, f).exists() for f in files):
            return d.resolve()
    sys.exit("MNIST not found in " + ", ".join(map(str, looked)) + ": pass --data-dir DIR "
             "(the folder holding mnist/) or set NNLAB_DATA")


def idx_file(d: Path, name: str) -> Path:
    """d/name, or d/name.gz (nnlab reads either)."""
    return d / name if (d / name).exists() else d / (name + ".gz")


def read_idx(path: Path):
    """An unsigned-byte IDX array, gzipped or not, shaped by its header."""
    import numpy as np
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        b = f.read()
    if b[:3] != b"\0\0\x08":
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    ndim = b[3]
    dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_training_set(d: Path, limit: int):
    """What a PyTorch user writes: the first `limit` (0: all) training images and labels of the
    IDX files in d, gzip + numpy, pixels scaled to [0, 1], images [N, 1, H, W]."""
    import numpy as np
    x = read_idx(idx_file(d, "train-images-idx3-ubyte"))
    y = read_idx(idx_file(d, "train-labels-idx1-ubyte"))
    if limit:
        x, y = x[:limit], y[:limit]
    x = x[:, None].astype(np.float32)
    x /= 255.0
    return x, y.astype(np.int64)


def load_csv_training_set(study_path: str, cfg: dict, limit: int):
    """A CSV dataset's training rows (data.csv.train, relative to the study file): the
    data.csv.inputs columns as x [N, inputs], the data.csv.targets columns as y [N, targets],
    float32, as nnlab reads them (S3's 1-D curve: the same 100 points on both sides)."""
    import csv
    import numpy as np
    spec = cfg["data"]["csv"]
    path = Path(study_path).parent / spec["train"]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if limit:
        rows = rows[:limit]
    x = np.array([[float(r[c]) for c in spec["inputs"]] for r in rows], np.float32)
    y = np.array([[float(r[c]) for c in spec["targets"]] for r in rows], np.float32)
    return x, y


def generate_multi_mnist(nnlab: str, mnist: Path, settings: dict, out: Path) -> Path:
    """`nnlab data generate multi-mnist` into out, from the MNIST in `mnist`, with a study's
    [data.generate] settings (each key is the command's option of the same name)."""
    cmd = [nnlab, "data", "generate", "multi-mnist", "--out", str(out),
           "--data-dir", str(mnist.parent)]
    for key, value in sorted(settings.items()):
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return out


# ----------------------------------------------------------------------------- PyTorch side

def torch_child(args) -> dict:
    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg = load_run(args.study, args.run)
    data, train = cfg.get("data", {}), cfg.get("train", {})
    task = cfg.get("task", "classify")
    loss_name = train.get("loss", "cross_entropy")
    batch = int(train.get("batch", 64))

    # --- data: the training pool `nnlab bench` trains on (no validation split), plus S1's noisy
    # copies
    limit = args.train_limit or int(data.get("train_limit", 0))
    if data.get("dataset", "mnist") == "csv":
        x, y = load_csv_training_set(args.study, cfg, limit)
    else:
        x, y = load_training_set(Path(args.idx_dir), limit)
    if list(x.shape[1:]) != sample_shape(cfg):
        sys.exit(f"{args.idx_dir}: the images are {list(x.shape[1:])}, the study's "
                 f"{sample_shape(cfg)}")
    copies = int(data.get("noisy_copies", 0))
    if copies:
        sigma = float(data.get("noisy_sigma", 0.01))
        rng = np.random.default_rng(1)
        x = np.concatenate([x] + [x + rng.normal(0, sigma, x.shape).astype(np.float32)
                                  for _ in range(copies)])
        y = np.concatenate([y] * (copies + 1))
    X = torch.from_numpy(x)  # [N, C, H, W]: the model flattens where it needs to
    n_train = len(X)

    # --- model
    class GaussianNoise(nn.Module):
        def __init__(self, sigma):
            super().__init__()
            self.sigma = sigma

        def forward(self, t):
            return t + self.sigma * torch.randn_like(t) if self.training else t

    acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "elu": nn.ELU,
            "selu": nn.SELU, "softplus": nn.Softplus, "leaky_relu": nn.LeakyReLU,
            "gelu": nn.GELU, "softmax": lambda: nn.Softmax(dim=1)}
    # The output activation the loss takes in (nnlab's cross-entropies take logits).
    fused = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss_name)

    def activation(name: str, spec: dict, last: bool) -> list:
        if name == "linear" or (last and name == fused):
            return []
        if name not in acts:
            sys.exit(f"activation '{name}' has no PyTorch mapping here")
        if name in ("leaky_relu", "elu") and "alpha" in spec:
            return [acts[name](float(spec["alpha"]))]
        return [acts[name]()]

    def init_weight(w, init: str):
        if init in ("glorot", "glorot_uniform", "xavier", "xavier_uniform"):
            nn.init.xavier_uniform_(w)
        elif init in ("glorot_normal", "xavier_normal"):
            nn.init.xavier_normal_(w)
        elif init in ("he", "he_normal", "kaiming", "kaiming_normal"):
            nn.init.kaiming_normal_(w, nonlinearity="relu")
        elif init in ("he_uniform", "kaiming_uniform"):
            nn.init.kaiming_uniform_(w, nonlinearity="relu")
        # else: PyTorch's default init

    plan = layer_plan(cfg)
    mods, regs, norms = [], [], []
    # The useful products per sample, counted as nnlab counts them (src/perf/step_flops.hpp):
    # 2 |W| P per product, P the kernel's positions; the input gradient only after a layer with
    # parameters. The dense ones also give the shapes of the OpenBLAS ceiling.
    products, params_before = [], False
    shape = list(X.shape[1:])  # per sample
    for i, l in enumerate(plan):
        t, last = l["type"], i == len(plan) - 1
        if t in WEIGHTED:
            in_shape = shape
            if t == "dense":
                if len(shape) > 1:
                    mods.append(nn.Flatten())
                    shape = [math.prod(shape)]
                layer = nn.Linear(shape[0], int(l["units"]))
                products.append({"kind": t, "in": shape[0], "units": int(l["units"]),
                                 "product": 2 * shape[0] * int(l["units"]), "dx": params_before})
                shape = [int(l["units"])]
            else:
                k, st, pad = int(l["kernel"]), int(l.get("stride", 1)), int(l.get("padding", 0))
                if t == "conv2d":
                    layer = nn.Conv2d(shape[0], int(l["filters"]), k, stride=st, padding=pad)
                    size = [(d + 2 * pad - k) // st + 1 for d in shape[1:]]
                else:
                    out_pad = int(l.get("output_padding", 0))
                    layer = nn.ConvTranspose2d(shape[0], int(l["filters"]), k, stride=st,
                                               padding=pad, output_padding=out_pad)
                    size = [(d - 1) * st - 2 * pad + k + out_pad for d in shape[1:]]
                shape = [int(l["filters"])] + size
                positions = math.prod(size if t == "conv2d" else in_shape[1:])
                products.append({"kind": t, "product": 2 * layer.weight.numel() * positions,
                                 "dx": params_before})
            params_before = True
            init_weight(layer.weight, l["init"])
            nn.init.zeros_(layer.bias)
            mods.append(layer)
            if l["l1"] or l["l2"]:
                regs.append((layer.weight, float(l["l1"]), float(l["l2"])))
            if l["max_norm"]:
                norms.append((layer.weight, float(l["max_norm"])))
            mods += activation(l["activation"], l, last)
        elif t in ("max_pool", "avg_pool"):
            size = int(l["size"])
            st, pad = int(l.get("stride", size)), int(l.get("padding", 0))
            cls = nn.MaxPool2d if t == "max_pool" else nn.AvgPool2d
            mods.append(cls(size, stride=st, padding=pad))
            shape = [shape[0]] + [(d + 2 * pad - size) // st + 1 for d in shape[1:]]
        elif t == "batch_norm":
            params_before = True  # its scale and shift train: the layer after it needs dx
            cls = nn.BatchNorm1d if len(shape) == 1 else nn.BatchNorm2d
            mods.append(cls(shape[0], eps=float(l.get("eps", 1e-5)),
                            momentum=float(l.get("momentum", 0.1))))
        elif t == "flatten":
            mods.append(nn.Flatten())
            shape = [math.prod(shape)]
        elif t == "reshape":
            target = [int(v) for v in l["shape"]]
            if -1 in target:
                known = math.prod(v for v in target if v != -1)
                target[target.index(-1)] = math.prod(shape) // known
            mods.append(nn.Unflatten(1, target) if len(shape) == 1 else
                        nn.Sequential(nn.Flatten(), nn.Unflatten(1, target)))
            shape = target
        elif t == "code":
            continue  # the end of the encoder: a marker, no computation
        elif t == "dropout":
            mods.append(nn.Dropout(float(l.get("rate", 0.5))))
        elif t == "gaussian_noise":
            mods.append(GaussianNoise(float(l["sigma"])))
        elif t in acts:
            mods += activation(t, l, last)
        else:
            sys.exit(f"layer type '{t}' has no PyTorch mapping here")
    model = nn.Sequential(*mods)
    criterion = {"cross_entropy": nn.CrossEntropyLoss(), "mse": nn.MSELoss(),
                 "binary_cross_entropy": nn.BCEWithLogitsLoss()}[loss_name]

    # --- targets: the class index (one-hot for losses other than cross-entropy) or the input
    if task == "classify":
        Y = torch.from_numpy(y - FIRST_LABEL[data.get("dataset", "mnist")])
        if loss_name != "cross_entropy":
            Y = nn.functional.one_hot(Y, math.prod(shape)).float()
        tensors = (X, Y)
    elif task == "reconstruct":
        tensors = (X,)
    elif task == "regress":
        tensors = (X, torch.from_numpy(y))
    else:
        sys.exit(f"task '{task}' has no PyTorch mapping here")
    if args.torch_loader == "dataloader":
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*tensors),
                                             batch_size=batch, shuffle=True)
    else:  # "tensor": whole-batch slicing of a shuffled index, no per-sample collate
        def loader_iter():
            perm = torch.randperm(n_train)
            for i in range(0, n_train, batch):
                idx = perm[i:i + batch]
                yield [t[idx] for t in tensors]

        class _L:
            def __iter__(self):
                return loader_iter()

            def __len__(self):
                return math.ceil(n_train / batch)
        loader = _L()

    # --- optimizer (nnlab's defaults: Keras' eps 1e-7, rmsprop rho 0.9); weight decay on the
    # weights only, coupled (an L2 term in the gradient: Adam(weight_decay)) or decoupled (AdamW)
    o = train.get("optimizer", {})
    if isinstance(o, str):
        o = {"type": o}
    kind = o.get("type", "sgd")
    lr = float(o.get("lr", 0.01))
    wd = float(o.get("weight_decay", 0.0))
    decoupled = o.get("decay", "decoupled" if kind == "adamw" else "coupled") == "decoupled"
    eps = float(o.get("eps", 1e-7))
    weights = [m.weight for m in model.modules()
               if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    others = [p for p in model.parameters() if all(p is not w for w in weights)]
    groups = [{"params": weights, "weight_decay": wd}, {"params": others, "weight_decay": 0.0}]
    if decoupled and wd and kind not in ("adam", "adamw"):
        sys.exit(f"decoupled weight decay with '{kind}' has no torch.optim mapping")
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=lr, momentum=float(o.get("momentum", 0.0)),
                              nesterov=bool(o.get("nesterov", False)))
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop(groups, lr=lr, alpha=float(o.get("rho", 0.9)), eps=eps,
                                  momentum=float(o.get("momentum", 0.0)))
    elif kind in ("adam", "adamw"):
        cls = torch.optim.AdamW if decoupled else torch.optim.Adam
        opt = cls(groups, lr=lr, betas=(float(o.get("beta1", 0.9)), float(o.get("beta2", 0.999))),
                  eps=eps)
    else:
        sys.exit(f"optimizer '{kind}' has no PyTorch mapping here")

    def train_batch(b):
        xb = b[0]
        out = model(xb)
        loss = criterion(out, xb.reshape_as(out) if task == "reconstruct" else b[1])
        for w, l1, l2 in regs:
            if l1:
                loss = loss + l1 * w.abs().sum()
            if l2:
                loss = loss + l2 * w.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if norms:
            with torch.no_grad():
                for w, c in norms:  # Keras' MaxNorm: each unit's (filter's) incoming weights
                    w.copy_(torch.renorm(w, 2, 0, c))
        return loss

    model.train()
    done = 0
    while done < args.warmup_batches:  # warm-up (a tiny dataset's epochs are a few batches)
        for b in loader:
            train_batch(b)
            done += 1
            if done >= args.warmup_batches:
                break
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.epochs):
        for b in loader:
            loss = train_batch(b)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0  # all threads: > seconds when T > 1 ran busy
    steps = args.epochs * math.ceil(n_train / batch)  # DataLoader keeps the last partial batch
    out = {"samples_per_second": args.epochs * n_train / seconds, "seconds": seconds,
           "cpu_seconds": cpu_seconds, "samples": args.epochs * n_train, "batch": batch,
           "steps": steps, "us_per_step": seconds / steps * 1e6, "final_loss": float(loss),
           "parameters": sum(p.numel() for p in model.parameters()),
           "useful_flops_per_sample": sum(p["product"] * (3 if p["dx"] else 2) for p in products),
           "peak_rss_kb": peak_self_kb(), "loader": args.torch_loader,
           "threads": torch.get_num_threads(),
           "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
           "cpu_capability": cpu_capability(torch.__config__.show())}
    out.update(openblas_limit(products, min(batch, n_train)))
    return out


def median_call_seconds(call) -> float:
    """As nnlab's limit times a product (src/perf/step_limit.hpp): 2 warm-up calls, then calls
    timed one by one, at least 5 and until 0.2 s have passed (at most 1000); their median."""
    for _ in range(2):
        call()
    times, start = [], time.perf_counter()
    while len(times) < 1000 and (len(times) < 5 or time.perf_counter() - start < 0.2):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def openblas_limit(products: list[dict], n: int) -> dict:
    """OpenBLAS's sgemm (NumPy's matmul) on the dense products' shapes at batch n, timed like
    nnlab's oneDNN ceiling: a second ceiling, for dense nets only (OpenBLAS has no convolution).
    Refuses to measure unless NumPy's matmul runs in OpenBLAS (the library mapped after one)."""
    import numpy as np
    probe = np.ones((64, 64), np.float32)
    np.matmul(probe, probe)
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.split()[-1].lower()})
    if not any("openblas" in lib for lib in libs):
        sys.exit(f"NumPy's matmul does not run in OpenBLAS (BLAS libraries mapped: {libs}); "
                 "apt-get install libopenblas0-pthread")
    if any(p["kind"] != "dense" for p in products):
        return {"openblas_limit_gflops": None, "openblas_library": libs}
    rng = np.random.default_rng(1)
    flops, seconds = 0.0, 0.0
    for p in products:
        f, u = p["in"], p["units"]
        x, w, dy = (rng.uniform(-1, 1, s).astype(np.float32) for s in ((n, f), (u, f), (n, u)))
        y, dw, dx = np.empty((n, u), np.float32), np.empty((u, f), np.float32), \
            np.empty((n, f), np.float32)
        calls = [lambda: np.matmul(x, w.T, out=y), lambda: np.matmul(dy.T, x, out=dw)]
        if p["dx"]:
            calls.append(lambda: np.matmul(dy, w, out=dx))
        for call in calls:
            seconds += median_call_seconds(call)
            flops += p["product"] * n
    return {"openblas_limit_gflops": flops / seconds * 1e-9 if seconds else None,
            "openblas_library": libs}


def cpu_capability(config: str) -> str | None:
    """The ISA ATen's own kernels dispatch to ("CPU capability usage: AVX2" in
    torch.__config__.show(); ATEN_CPU_CAPABILITY lowers it)."""
    m = re.search(r"CPU capability usage:\s*(\S+)", config)
    return m.group(1) if m else None


def peak_self_kb() -> int:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ----------------------------------------------------------------------------- parent

# The variables that lower a library's ISA: oneDNN's (in nnlab and in PyTorch, under both of
# its names), ATen's own loops' and OpenBLAS's sgemm's.
ISA_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY",
                 "OPENBLAS_CORETYPE")
# Their values for --max-isa: every library's kernels as on such a CPU (Haswell's are
# OpenBLAS's AVX2 kernels).
MAX_ISA_ENV = {"avx2": dict(zip(ISA_VARIABLES, ("AVX2", "AVX2", "avx2", "Haswell")))}


def child_env(threads: int, max_isa: str | None) -> dict:
    env = dict(os.environ)
    # The machine may set OPENBLAS_CORETYPE=Haswell (~40% slower on AVX-512), or a variable
    # that lowers a library's ISA: each side runs the CPU's full ISA unless --max-isa says so.
    for name in ISA_VARIABLES:
        env.pop(name, None)
    if max_isa:
        env.update(MAX_ISA_ENV[max_isa])
    env["OMP_NUM_THREADS"] = str(threads)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    return env


def run_child_rusage(cmd: list[str], env: dict) -> dict:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    # Read the pipes without reaping, then wait4 this pid for its own rusage.
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                 f"{err.decode(errors='replace')[-3000:]}")
    lines = [l for l in out.decode().splitlines() if l.strip().startswith("{")]
    if not lines:
        sys.exit(f"no JSON line from: {' '.join(cmd)}\n{out.decode()[-2000:]}"
                 f"\n{err.decode(errors='replace')[-2000:]}")
    res = json.loads(lines[-1])
    res["wait4_maxrss_kb"] = ru.ru_maxrss
    return res


def check_blas() -> str:
    try:
        q = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
                           capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        q = ""
    m = re.search(r"^Value:\s*(\S+)", q, re.M)
    value = m.group(1) if m else "(none)"
    if "openblas" not in value:
        sys.exit(f"libblas.so.3 points to {value}, not OpenBLAS: PyTorch (Debian's build links "
                 "libblas.so.3) would run on the reference BLAS. Run: apt-get install "
                 "libopenblas0-pthread")
    return value


def check_nnlab_isa(res: dict, max_isa: str | None, nnlab: str) -> None:
    """Under --max-isa, nnlab's oneDNN and its own loops both at most that ISA: a build for the
    CPU's own (-march=native on an AVX-512 CPU) would measure a machine that does not exist."""
    if not max_isa:
        return
    if res.get("onednn_isa") != max_isa:
        sys.exit(f"--max-isa {max_isa}: nnlab's oneDNN runs {res.get('onednn_isa')!r}")
    if res.get("compiled_isa") not in ("AVX2", "AVX", "SSE2"):
        sys.exit(f"--max-isa {max_isa}: {nnlab} was built for {res.get('compiled_isa')!r}; build one "
                 "for x86-64-v3: cmake -S . -B build-avx2 -DNNLAB_NATIVE=OFF -DNNLAB_TESTS=OFF "
                 "-DNNLAB_BENCH=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3 && cmake --build "
                 "build-avx2 --target nnlab, then pass --nnlab build-avx2/nnlab")


def check_torch_isa(res: dict, max_isa: str | None) -> None:
    """The PyTorch child ran with the ISA asked for: OpenBLAS's core type and ATen's kernels."""
    want = MAX_ISA_ENV[max_isa]["OPENBLAS_CORETYPE"] if max_isa else None
    if res.get("openblas_coretype") != want:
        sys.exit(f"the PyTorch child saw OPENBLAS_CORETYPE={res.get('openblas_coretype')!r}, "
                 f"not {want!r}")
    if max_isa and (res.get("cpu_capability") or "").lower() != max_isa:
        sys.exit(f"--max-isa {max_isa}: PyTorch's ATen kernels run "
                 f"{res.get('cpu_capability')!r}")


def cpu_model() -> str:
    """The CPU as nnlab bench describes it (src/tensor/cpu_info.cpp), less oneDNN's ISA, which
    nnlab's JSON line adds: "AMD EPYC (2 cpus; AVX2 AVX-512 VNNI BF16)"."""
    name, flags = "unknown", set()
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            if key.strip() == "model name" and name == "unknown":
                name = value.strip()
            if key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    isa = [label for label, present in (
        ("AVX2", "avx2" in flags), ("AVX-512", "avx512f" in flags),
        ("VNNI", bool({"avx512_vnni", "avx_vnni"} & flags)), ("BF16", "avx512_bf16" in flags),
        ("AMX", "amx_tile" in flags)) if present]
    return f"{name} ({os.cpu_count()} cpus; {' '.join(isa) or 'no AVX2'})"


def torch_info() -> dict:
    code = ("import torch,json;p=torch.__config__.parallel_info();"
            "print(json.dumps({'version':torch.__version__,'parallel':p}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{sys.executable} cannot import torch (use /usr/bin/python3):\n{r.stderr[-1500:]}")
    info = json.loads(r.stdout.strip().splitlines()[-1])
    keep = [l.strip() for l in info["parallel"].splitlines()
            if any(k in l for k in ("ATen parallel backend", "MKL", "MKL-DNN", "OpenMP 2"))]
    info["parallel_summary"] = "; ".join(keep)
    return info


def parse_pair(s: str, batch: int | None = None):
    parts = s.split(":")
    if len(parts) < 2:
        sys.exit(f"pair '{s}': expected STUDY.toml:RUN[:GOAL]")
    goal = float(parts[2]) if len(parts) > 2 else None
    return parts[0], parts[1], goal


def fmt_table(rows: list[dict], markdown: bool) -> str:
    head = ["model", "batch", "threads", "nnlab samples/s", "PyTorch samples/s", "ratio (goal)",
            "nnlab useful GFLOP/s", "limit GFLOP/s (oneDNN)", "OpenBLAS limit GFLOP/s",
            "nnlab % of limit", "PyTorch % of limit", "nnlab µs/step", "PyTorch µs/step",
            "nnlab peak RSS MB", "PyTorch peak RSS MB", "memory ratio (goal <= 0.5)"]

    def num(v, f):
        return "-" if v is None else format(v, f)

    body = []
    for r in rows:
        n, t = r.get("nnlab_sps"), r["torch_sps"]
        nm, tm = r.get("nnlab_rss_mb"), r["torch_rss_mb"]
        ratio = f"{n / t:.2f}x" if n else "-"
        mem = f"{nm / tm:.2f}" if nm else "-"
        body.append([f"{r['run']} ({r['desc']})", str(r["batch"]), str(r["threads"]),
                     num(n, ",.0f"), f"{t:,.0f}", f"{ratio} (>= {r['goal']:g}x)",
                     num(r.get("nnlab_gflops"), ",.1f"), num(r.get("limit_gflops"), ",.1f"),
                     num(r.get("openblas_limit_gflops"), ",.1f"),
                     num(r.get("nnlab_share") and 100 * r["nnlab_share"], ".1f"),
                     num(r.get("torch_share") and 100 * r["torch_share"], ".1f"),
                     num(r.get("nnlab_us_per_step"), ",.1f"), f"{r['torch_us_per_step']:,.1f}",
                     num(nm, ",.0f"), f"{tm:,.0f}", mem])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(lines)
    w = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head))]
    lines += ["  ".join(c.ljust(w[i]) for i, c in enumerate(b)) for b in body]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="*", default=DEFAULT_PAIRS, metavar="STUDY.toml:RUN[:GOAL]")
    ap.add_argument("--threads", type=int, nargs="+", default=[2])
    ap.add_argument("--epochs", type=int, default=1, help="timed full epochs per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="alternating nnlab/PyTorch rounds")
    ap.add_argument("--warmup-batches", type=int, default=50)
    ap.add_argument("--train-limit", type=int, default=0,
                    help="train on the first N images (both sides; for slow models)")
    ap.add_argument("--nnlab", default=str(ROOT / "build" / "nnlab"), help="the nnlab binary")
    ap.add_argument("--data-dir", default=None,
                    help="the folder holding mnist/, as nnlab's --data-dir (else $NNLAB_DATA, "
                         "./data, ../shared/data); given to both sides")
    ap.add_argument("--multi-mnist-dir", default=None,
                    help="Multi-MNIST's IDX files for the PyTorch side, as `nnlab data generate "
                         "multi-mnist --out DIR` writes them (else generated into a temporary "
                         "folder with the study's [data.generate] settings)")
    ap.add_argument("--torch-only", action="store_true", help="measure only the PyTorch side")
    ap.add_argument("--torch-loader", choices=["dataloader", "tensor"], default="dataloader",
                    help="dataloader: TensorDataset+DataLoader (idiomatic, the default); "
                         "tensor: index a shuffled tensor per batch (PyTorch's best case)")
    ap.add_argument("--max-isa", choices=sorted(MAX_ISA_ENV), default=None,
                    help="measure as a CPU with at most this ISA would: oneDNN (both sides), "
                         "ATen and OpenBLAS limited to it; --nnlab must be a build whose own "
                         "loops target it (-DNNLAB_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3)")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--child", choices=["torch"], help=argparse.SUPPRESS)
    ap.add_argument("--study", help=argparse.SUPPRESS)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--threads1", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--idx-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.data_dir:
        args.data_dir = os.path.abspath(args.data_dir)  # the children run in the repository root

    if args.child == "torch":
        args.threads = args.threads1
        print(json.dumps(torch_child(args)), flush=True)
        return

    log = sys.stderr
    blas = check_blas()
    info = torch_info()
    env_note = os.environ.get("OPENBLAS_CORETYPE")
    meta = {"cpu": cpu_model(), "torch": info["version"], "torch_parallel": info["parallel_summary"],
            "libblas.so.3": blas, "python": sys.executable,
            "OPENBLAS_CORETYPE": f"unset in the children (was {env_note!r} here)" if env_note
            else "unset", "max_isa": args.max_isa or "the CPU's", "epochs": args.epochs,
            "rounds": args.rounds, "warmup_batches": args.warmup_batches, "torch_loader": args.torch_loader}
    meta["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for k, v in meta.items():
        print(f"# {k}: {v}", file=log)
    if os.getloadavg()[0] > 1.0:
        print(f"# WARNING: load average {os.getloadavg()[0]:.2f}: other processes share the CPUs, "
              "timings are not trustworthy", file=log)
    if not args.torch_only and not os.access(args.nnlab, os.X_OK):
        sys.exit(f"{args.nnlab} not found: build nnlab first (cmake --build build) or use --torch-only")

    rows = []
    tmp = tempfile.TemporaryDirectory(prefix="compare_pytorch-")  # generated Multi-MNIST
    generated = {}
    for pair in args.pairs:
        study, run, goal = parse_pair(pair)
        study_path = str((ROOT / study) if not os.path.isabs(study) else Path(study))
        if not os.path.exists(study_path):
            sys.exit(f"{study_path}: no such study file")
        cfg = load_run(study_path, run)
        batch = int(cfg.get("train", {}).get("batch", 64))
        if goal is None:
            goal = 3.0 if batch >= 256 else 2.0
        # Both sides read the same MNIST; Multi-MNIST is the bytes nnlab generates from it.
        dataset = cfg.get("data", {}).get("dataset", "mnist")
        if dataset not in FIRST_LABEL and dataset != "csv":
            sys.exit(f"{study_path}: run '{run}': dataset '{dataset}' has no PyTorch side here "
                     f"(known: {', '.join(FIRST_LABEL)}, csv)")
        mnist = None if dataset == "csv" else mnist_dir(cfg, args.data_dir)
        if dataset == "csv":
            idx_dir = ""  # both sides read the study's CSV files
        elif dataset == "mnist":
            idx_dir = mnist
        elif args.multi_mnist_dir:
            idx_dir = Path(args.multi_mnist_dir).resolve()
        else:
            settings = cfg["data"].get("generate", {})
            key = json.dumps([str(mnist), settings], sort_keys=True)
            if key not in generated:
                if not os.access(args.nnlab, os.X_OK):
                    sys.exit(f"{args.nnlab} not found: it generates Multi-MNIST for the PyTorch "
                             "side; pass --multi-mnist-dir")
                t0 = time.perf_counter()
                generated[key] = generate_multi_mnist(args.nnlab, mnist, settings,
                                                      Path(tmp.name) / str(len(generated)))
                print(f"# multi-mnist ({settings or 'the defaults'}): generated into "
                      f"{generated[key]} in {time.perf_counter() - t0:.0f} s", file=log)
            idx_dir = generated[key]
        for threads in args.threads:
            env = child_env(threads, args.max_isa)
            torch_cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "torch",
                         "--study", study_path, "--run", run, "--threads1", str(threads),
                         "--epochs", str(args.epochs), "--warmup-batches", str(args.warmup_batches),
                         "--torch-loader", args.torch_loader, "--train-limit", str(args.train_limit),
                         "--idx-dir", str(idx_dir)]
            # PyTorch's side has no on-the-fly augmentation: nnlab trains without it too.
            nn_cmd = [args.nnlab, "bench", study_path, "--run", run, "--epochs", str(args.epochs),
                      "--threads", str(threads), "--json", "--no-augment"]
            if mnist:
                nn_cmd += ["--data-dir", str(mnist.parent)]
            if args.train_limit:
                # `nnlab bench` trains on all N (it drops the split); the split only keeps the
                # study valid for runs that early-stop on validation loss.
                nn_cmd += ["--set", f"runs.{run}.data.train_limit={args.train_limit}"]
                if mnist:
                    nn_cmd += ["--set", f"runs.{run}.data.validation=1000"]
            nn_res, t_res = [], []
            for r in range(args.rounds):
                if not args.torch_only:
                    res = run_child_rusage(nn_cmd, env)
                    check_nnlab_isa(res, args.max_isa, args.nnlab)
                    nn_res.append(res)
                    meta.setdefault("onednn_isa", res.get("onednn_isa"))
                    meta.setdefault("compiled_isa", res.get("compiled_isa"))
                    print(f"  {run} t={threads} round {r + 1}: nnlab {res['samples_per_second']:,.0f}"
                          f" samples/s, {res['us_per_step']:,.1f} µs/step, "
                          f"{res['limit_share'] * 100:.1f}% of a {res['limit_gflops']:,.1f} "
                          f"GFLOP/s limit, {res['wait4_maxrss_kb'] / 1024:,.0f} MB", file=log)
                res = run_child_rusage(torch_cmd, env)
                check_torch_isa(res, args.max_isa)
                meta.setdefault("torch_cpu_capability", res.get("cpu_capability"))
                t_res.append(res)
                ob = res["openblas_limit_gflops"]
                print(f"  {run} t={threads} round {r + 1}: PyTorch {res['samples_per_second']:,.0f}"
                      f" samples/s, {res['us_per_step']:,.1f} µs/step, OpenBLAS limit "
                      f"{'-' if ob is None else f'{ob:,.1f} GFLOP/s'}, "
                      f"{res['wait4_maxrss_kb'] / 1024:,.0f} MB, "
                      f"{res['parameters']:,} parameters", file=log)
            openblas = [x["openblas_limit_gflops"] for x in t_res
                        if x["openblas_limit_gflops"] is not None]
            row = {"study": study, "run": run, "desc": describe(cfg), "batch": batch,
                   "threads": threads, "goal": goal, "torch_parameters": t_res[0]["parameters"],
                   "torch_sps": statistics.median(x["samples_per_second"] for x in t_res),
                   "torch_rss_mb": statistics.median(x["wait4_maxrss_kb"] for x in t_res) / 1024,
                   "torch_us_per_step": statistics.median(x["us_per_step"] for x in t_res),
                   "useful_flops_per_sample": t_res[0]["useful_flops_per_sample"],
                   "openblas_limit_gflops": statistics.median(openblas) if openblas else None,
                   "torch_runs": t_res}
            if nn_res:
                row.update({
                    "nnlab_sps": statistics.median(x["samples_per_second"] for x in nn_res),
                    "nnlab_rss_mb": statistics.median(x["wait4_maxrss_kb"] for x in nn_res) / 1024,
                    "nnlab_us_per_step": statistics.median(x["us_per_step"] for x in nn_res),
                    "nnlab_gflops": statistics.median(x["useful_gflops"] for x in nn_res),
                    "limit_gflops": statistics.median(x["limit_gflops"] for x in nn_res),
                    "nnlab_runs": nn_res})
                # The same model on both sides, or the ratio compares two different nets.
                if nn_res[0]["parameters"] != row["torch_parameters"]:
                    sys.exit(f"{study}:{run}: nnlab trains {nn_res[0]['parameters']:,} parameters, "
                             f"PyTorch {row['torch_parameters']:,}")
                # Both sides count the same useful FLOPs, or the shares measure different work.
                if nn_res[0]["useful_flops_per_sample"] != row["useful_flops_per_sample"]:
                    sys.exit(f"{study}:{run}: nnlab counts {nn_res[0]['useful_flops_per_sample']:,}"
                             f" useful FLOPs per sample, this script "
                             f"{row['useful_flops_per_sample']:,}")
                # Both shares against nnlab's oneDNN ceiling, measured in nnlab's runs.
                if row["limit_gflops"] > 0:
                    gflop_per_sample = row["useful_flops_per_sample"] * 1e-9
                    row["nnlab_share"] = row["nnlab_gflops"] / row["limit_gflops"]
                    row["torch_share"] = row["torch_sps"] * gflop_per_sample / row["limit_gflops"]
                row["ratio"] = row["nnlab_sps"] / row["torch_sps"]
                row["memory_ratio"] = row["nnlab_rss_mb"] / row["torch_rss_mb"]
                row["pass"] = row["ratio"] >= goal and row["memory_ratio"] <= 0.5
            rows.append(row)

    tmp.cleanup()
    meta["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if meta.get("onednn_isa"):  # the CPU line as nnlab bench prints it
        meta["cpu"] = (meta["cpu"][:-1] + f"; oneDNN {meta['onednn_isa']}; "
                       f"nnlab {meta.get('compiled_isa')})")
    isa_note = (f"limited to {args.max_isa.upper()}: "
                + ", ".join(f"{k}={v}" for k, v in MAX_ISA_ENV[args.max_isa].items())
                + " in both children" if args.max_isa else "OPENBLAS_CORETYPE unset")
    isa_note += f"; PyTorch's ATen kernels {meta.get('torch_cpu_capability')}"
    limit_note = ("the limit: the step's useful products (the first layer's input gradient "
                  "excluded) alone on its shapes, oneDNN measured by nnlab bench, OpenBLAS's "
                  "sgemm by NumPy in the PyTorch child (dense nets only); both shares against "
                  "oneDNN's")
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
    elif not args.markdown:
        print(f"CPU: {meta['cpu']}; {limit_note}")
    else:
        print(f"CPU: {meta['cpu']}; {limit_note}; PyTorch {meta['torch']} ({meta['torch_parallel']}); "
              f"libblas.so.3 -> {blas}; {isa_note}; median of {args.rounds} rounds "
              f"of {args.epochs} epoch(s) after {args.warmup_batches} warm-up batches; PyTorch "
              f"loader: {args.torch_loader}; load average {meta['load_average']} at the start, "
              f"{meta['load_average_end']} at the end.\n")
    if not args.json:
        print(fmt_table(rows, args.markdown))
    if any("pass" in r and not r["pass"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
