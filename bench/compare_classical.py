#!/usr/bin/python3
"""Classical learners side by side on MNIST (issue 16's speed acceptance), 2 threads each:

    bench/compare_classical.py                    # every workload
    bench/compare_classical.py --only hog knn     # some of them
    bench/compare_classical.py --markdown         # the table for docs/results.md

| workload | nnlab (`nnlab bench bench/classical.toml --run ...`) | peers |
| --- | --- | --- |
| hog   | HOG of all 70,000 images (the transform time of run hog-knn) | scikit-image's `hog` per image |
| knn   | 3-NN prediction of the 10,000 test images on raw pixels (run pixels-knn) | scikit-learn's `KNeighborsClassifier` (brute force, its best on 784 dims); FAISS `IndexFlatL2` search + the vote |
| linear | LinearSVC(C=1, squared hinge) on HOG features: fit, predict (run hog-linear-svm) | scikit-learn's `LinearSVC` |
| svm   | SVC(RBF, C=10, gamma="scale") on the first 10,000 training images: fit, predict 10,000 (run pixels-rbf-svm) | scikit-learn's `SVC` |

Each side runs in its own process with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS = --threads and
OPENBLAS_CORETYPE unset. The script prints the CPU, its vector ISA and the machine's limit on
the k-NN's shapes (NumPy's sgemm of 10,000 x 784 by 784 x 60,000: the distance products), each
side's seconds (median of --rounds), the ratio to nnlab and every side's test accuracy, which
must agree. Run with /usr/bin/python3 (python3-sklearn, python3-skimage, python3-faiss).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "bench" / "classical.toml"
RUNS = {"hog": "hog-knn", "knn": "pixels-knn", "linear": "hog-linear-svm", "svm": "pixels-rbf-svm"}
SVM_TRAIN = 10000


def cpu_info() -> dict:
    model, flags = "", set()
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    isa = ("AVX-512" + (" VNNI" if "avx512_vnni" in flags else "") if "avx512f" in flags
           else "AVX2" if "avx2" in flags else "AVX" if "avx" in flags else "SSE")
    return {"cpu": model, "isa": isa}


def mnist_dir() -> Path:
    for d in (ROOT / "data" / "mnist", ROOT.parent / "shared" / "data" / "mnist"):
        if (d / "train-images-idx3-ubyte.gz").exists():
            return d
    sys.exit("MNIST not found in ./data/mnist or ../shared/data/mnist")


def idx(name: str):
    import numpy as np
    raw = gzip.open(mnist_dir() / name).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist():
    return (idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz"),
            idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz"))


def sgemm_limit() -> dict:
    """GFLOP/s of NumPy's sgemm on the k-NN's distance products, in blocks of 1,000 queries."""
    import numpy as np
    a = np.random.rand(1000, 784).astype(np.float32)
    b = np.random.rand(784, 60000).astype(np.float32)
    a @ b
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    return {"shape": "1000x784 @ 784x60000", "seconds": t, "gflops": 2 * 1000 * 784 * 60000 / t / 1e9}


def timed(f):
    t0 = time.perf_counter()
    r = f()
    return r, time.perf_counter() - t0


def hog_features(images):
    import numpy as np
    from skimage.feature import hog
    return np.stack([hog(im / 255.0, orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2),
                         block_norm="L2-Hys") for im in images]).astype(np.float32)


# ------------------------------------------------------------------ each side: one JSON line

def side_nnlab(args, workload) -> dict:
    cmd = [args.nnlab, "bench", str(STUDY), "--run", RUNS[workload], "--threads",
           str(args.threads), "--json"]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True)
                   .stdout.strip().splitlines()[-1])
    if workload == "hog":
        return {"seconds": r["transform_seconds"], "accuracy": None}
    if workload == "knn":
        return {"seconds": r["predict_seconds"], "accuracy": r["test_accuracy"]}
    return {"fit": r["fit_seconds"], "predict": r["predict_seconds"], "accuracy": r["test_accuracy"]}


def side_skimage(args, workload) -> dict:
    import numpy as np
    xtr, _, xte, _ = mnist()
    _, s = timed(lambda: hog_features(np.concatenate([xtr, xte])))
    return {"seconds": s, "accuracy": None}


def side_sklearn(args, workload) -> dict:
    import numpy as np
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC, LinearSVC
    xtr, ytr, xte, yte = mnist()
    if workload == "knn":
        knn = KNeighborsClassifier(n_neighbors=3, algorithm="brute", n_jobs=args.threads)
        knn.fit(xtr.reshape(len(xtr), -1) / np.float32(255), ytr)
        pred, s = timed(lambda: knn.predict(xte.reshape(len(xte), -1) / np.float32(255)))
        return {"seconds": s, "accuracy": float((pred == yte).mean())}
    if workload == "linear":
        ftr, fte = hog_features(xtr), hog_features(xte)
        model = LinearSVC(C=1.0, loss="squared_hinge")
        _, fit = timed(lambda: model.fit(ftr, ytr))
        pred, predict = timed(lambda: model.predict(fte))
        return {"fit": fit, "predict": predict, "accuracy": float((pred == yte).mean())}
    xtr = xtr[:SVM_TRAIN].reshape(SVM_TRAIN, -1).astype(np.float32) / 255
    model = SVC(C=10, kernel="rbf", gamma="scale")
    _, fit = timed(lambda: model.fit(xtr, ytr[:SVM_TRAIN]))
    pred, predict = timed(lambda: model.predict(xte.reshape(len(xte), -1).astype(np.float32) / 255))
    return {"fit": fit, "predict": predict, "accuracy": float((pred == yte).mean())}


def side_faiss(args, workload) -> dict:
    import faiss
    import numpy as np
    faiss.omp_set_num_threads(args.threads)
    xtr, ytr, xte, yte = mnist()
    index = faiss.IndexFlatL2(784)
    index.add(np.ascontiguousarray(xtr.reshape(len(xtr), -1), dtype=np.float32) / 255)
    q = np.ascontiguousarray(xte.reshape(len(xte), -1), dtype=np.float32) / 255

    def predict():
        _, nn = index.search(q, 3)
        votes = ytr[nn]
        # The majority; a three-way tie goes to the smallest class, as scikit-learn and nnlab.
        return np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    pred, s = timed(predict)
    return {"seconds": s, "accuracy": float((pred == yte).mean())}


PEERS = {"hog": ["skimage"], "knn": ["sklearn", "faiss"], "linear": ["sklearn"], "svm": ["sklearn"]}
SIDES = {"nnlab": side_nnlab, "skimage": side_skimage, "sklearn": side_sklearn, "faiss": side_faiss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side (the median is shown)")
    ap.add_argument("--only", nargs="*", choices=list(RUNS), default=list(RUNS))
    ap.add_argument("--nnlab", default=str(ROOT / "build" / "nnlab"))
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--workload", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:  # a child: one side of one workload, its result as JSON
        print(json.dumps(SIDES[args.side](args, args.workload)))
        return
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    info = cpu_info()
    print(f"# cpu: {info['cpu']} ({info['isa']}); threads {args.threads}; "
          f"load average {os.getloadavg()[0]:.2f}")
    limit = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; sys.path.insert(0, %r); import compare_classical as c;"
         " print(json.dumps(c.sgemm_limit()))" % str(ROOT / "bench")],
        env=env, check=True, capture_output=True, text=True).stdout)
    print(f"# machine limit (NumPy sgemm {limit['shape']}): {limit['gflops']:.1f} GFLOP/s; the "
          f"10,000 x 60,000 distance products at that rate: {2 * 1e4 * 784 * 6e4 / limit['gflops'] / 1e9:.2f} s")
    rows = []
    for workload in args.only:
        results = {}
        for side in ["nnlab"] + PEERS[workload]:
            rounds = []
            for _ in range(args.rounds):
                cmd = [sys.executable, __file__, "--side", side, "--workload", workload,
                       "--threads", str(args.threads), "--nnlab", args.nnlab]
                r = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"{workload}/{side}: failed\n{r.stderr[-2000:]}", file=sys.stderr)
                    break
                rounds.append(json.loads(r.stdout.strip().splitlines()[-1]))
            if rounds:
                results[side] = {k: (statistics.median(x[k] for x in rounds)
                                     if rounds[0][k] is not None else None) for k in rounds[0]}
        for measure in (["seconds"] if workload in ("hog", "knn") else ["fit", "predict"]):
            base = results.get("nnlab", {}).get(measure)
            for side, r in results.items():
                ratio = f"{r[measure] / base:.1f}x" if base and side != "nnlab" else "-"
                acc = f"{r['accuracy']:.4f}" if r.get("accuracy") is not None else "-"
                rows.append((workload, measure, side, r[measure], ratio, acc))
    if args.markdown:
        print("| workload | measure | side | seconds (median) | nnlab is faster by | test accuracy |")
        print("| --- | --- | --- | --- | --- | --- |")
        for w, m, s, sec, ratio, acc in rows:
            print(f"| {w} | {m} | {s} | {sec:.3f} | {ratio} | {acc} |")
    else:
        print(f"{'workload':8} {'measure':8} {'side':8} {'seconds':>9} {'nnlab faster':>13} {'accuracy':>9}")
        for w, m, s, sec, ratio, acc in rows:
            print(f"{w:8} {m:8} {s:8} {sec:9.3f} {ratio:>13} {acc:>9}")
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
