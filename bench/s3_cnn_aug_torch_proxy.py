# A PyTorch stand-in for nnlab's s3 cnn-aug recipe (same net, init, RMSprop, cosine decay, batch
# 128 and augmentation as src/data/augment.cpp draws it), fast on a GPU, to screen changes to the
# recipe over several seeds on the validation split (train = first 50k, validation = last 10k)
# before nnlab spends 70 minutes per run on one. Not a part of nnlab, which never needs a GPU.
# Usage: python3 bench/s3_cnn_aug_torch_proxy.py VARIANT SEED  (reads the MNIST .gz files from
# the folder named by MNIST_DIR, default ../shared/data/mnist; prints one JSON line of
# validation errors: raw weights, EMA and SWA averages, and each epoch's).
import gzip, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

D = os.environ.get("MNIST_DIR", "../shared/data/mnist")


def idx(name):
    with gzip.open(os.path.join(D, name)) as f:
        b = f.read()
    if b[3] == 3:
        return np.frombuffer(b, np.uint8, offset=16).reshape(-1, 1, 28, 28)
    return np.frombuffer(b, np.uint8, offset=8)


def gauss(sigma):
    r = int(3 * sigma + 0.5)
    k = np.exp(-0.5 * np.arange(-r, r + 1) ** 2 / sigma**2)
    return torch.tensor(k / k.sum(), dtype=torch.float32)


def augment(x, c, g, kern):
    B, H, W = x.shape[0], 28, 28
    dev = x.device
    cen = 13.5
    U = lambda m: (torch.rand(B, 1, 1, device=dev, generator=g) * 2 - 1) * m
    dx, dy = U(c["shift"]), U(c["shift"])
    deg = U(c["rotation"])
    sc = 1 + U(c["scale"])
    rad = deg * math.pi / 180
    cs, sn = torch.cos(rad) / sc, torch.sin(rad) / sc
    ys, xs = torch.meshgrid(torch.arange(H, device=dev, dtype=torch.float32),
                            torch.arange(W, device=dev, dtype=torch.float32), indexing="ij")
    u = xs - cen - dx
    v = ys - cen - dy
    sx = cen + cs * u - sn * v
    sy = cen + sn * u + cs * v
    if c["alpha"] > 0:
        f = torch.rand(B * 2, 1, H, W, device=dev, generator=g) * 2 - 1
        r = kern.numel() // 2
        f = F.conv2d(f, kern.view(1, 1, -1, 1), padding=(r, 0))
        f = F.conv2d(f, kern.view(1, 1, 1, -1), padding=(0, r)) * c["alpha"]
        f = f.view(B, 2, H, W)
        sx = sx + f[:, 0]
        sy = sy + f[:, 1]
    grid = torch.stack([sx / (W - 1) * 2 - 1, sy / (H - 1) * 2 - 1], dim=-1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


class Net(nn.Module):
    def __init__(self, fc=64):
        super().__init__()
        self.c1 = nn.Conv2d(1, 128, 5, padding=2)
        self.c2 = nn.Conv2d(128, 128, 5, padding=2)
        self.f1 = nn.Linear(6272, fc)
        self.f2 = nn.Linear(fc, 10)
        for m in (self.c1, self.c2):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        for m in (self.f1, self.f2):
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


def lerp_(dst, src, w):
    if hasattr(torch, "_foreach_lerp_"):
        torch._foreach_lerp_(dst, src, w)
    else:
        for a, b in zip(dst, src):
            a.lerp_(b, w)


def errors(model, params, X, Y):
    saved = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p, q in zip(model.parameters(), params):
            p.copy_(q)
        wrong = 0
        for i in range(0, X.shape[0], 2000):
            wrong += (model(X[i:i + 2000]).argmax(1) != Y[i:i + 2000]).sum().item()
        for p, q in zip(model.parameters(), saved):
            p.copy_(q)
    return wrong


def run(name, seed, c):
    dev = os.environ.get("PROXY_DEV", "cuda")
    torch.manual_seed(seed)
    Xa = torch.tensor(idx("train-images-idx3-ubyte.gz"), device=dev).float() / 255
    Ya = torch.tensor(idx("train-labels-idx1-ubyte.gz").astype(np.int64), device=dev)
    Xtr, Ytr, Xva, Yva = Xa[:50000], Ya[:50000], Xa[50000:], Ya[50000:]
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    kern = gauss(c["sigma"]).to(dev)
    model = Net(c.get("fc", 64)).to(dev)
    opt = torch.optim.RMSprop(model.parameters(), lr=c["lr"], alpha=0.9, eps=1e-7)
    E = c["epochs"]
    ema = {d: [p.detach().clone() for p in model.parameters()] for d in c["ema"]}
    swa, swa_n = None, 0
    curve = []
    step = 0
    for e in range(E):
        lr = c["lr"] * 0.5 * (1 + math.cos(math.pi * e / (E - 1)))
        for pg in opt.param_groups:
            pg["lr"] = lr
        perm = torch.randperm(50000, device=dev, generator=g)
        clean = e >= E - c["clean_last"]
        model.train()
        for i in range(0, int(os.environ.get("PROXY_N", 50000)), 128):
            b = perm[i:i + 128]
            x = Xtr[b]
            if not clean:
                x = augment(x, c, g, kern)
            loss = F.cross_entropy(model(x), Ytr[b], label_smoothing=c["smooth"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            with torch.no_grad():
                for d, sh in ema.items():
                    k = min(d, (1 + step) / (10 + step))
                    lerp_(sh, list(model.parameters()), 1 - k)
        if e >= c["swa_start"]:
            cur = [p.detach().clone() for p in model.parameters()]
            if swa is None:
                swa = cur
            else:
                lerp_(swa, cur, 1.0 / (swa_n + 1))
            swa_n += 1
        curve.append(errors(model, list(model.parameters()), Xva, Yva))
    res = {"name": name, "seed": seed, "raw": curve[-1], "curve": curve}
    for d, sh in ema.items():
        res[f"ema{d}"] = errors(model, sh, Xva, Yva)
    if swa is not None:
        res["swa"] = errors(model, swa, Xva, Yva)
    # errors on the clean training images, as in docs/results.md
    res["train_err"] = errors(model, list(model.parameters()), Xtr, Ytr)
    return res


BASE = dict(shift=2, rotation=10, scale=0.1, alpha=8, sigma=3, lr=1e-3, epochs=32, clean_last=0,
            smooth=0.0, ema=[0.999, 0.9997], swa_start=24)
VARIANTS = {
    "base": {},
    "rot_elastic": dict(shift=0, scale=0),
    "clean3": dict(clean_last=3),
    "smooth": dict(smooth=0.1),
    "no_elastic": dict(alpha=0),
    "lr2e-3": dict(lr=2e-3),
}

if __name__ == "__main__":
    torch.backends.cudnn.benchmark = True
    name, seed = sys.argv[1], int(sys.argv[2])
    c = dict(BASE, **VARIANTS[name])
    t = time.time()
    r = run(name, seed, c)
    r["seconds"] = round(time.time() - t, 1)
    print(json.dumps(r), flush=True)
