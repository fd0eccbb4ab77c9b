#!/usr/bin/python3
"""Does `nnlab predict` read digits as people draw them as well as MNIST's own?

Takes the first COUNT MNIST test digits, enlarges each to 200x200 (bilinear) and inverts it to
black on white, writes both that and the original 28x28 digit as PNG files, classifies both sets
with `nnlab predict` (the drawn ones with the model's own preprocessing, the originals with
--no-preprocess) and compares the accuracies. Exits 1 when the drawn digits score more than
TOLERANCE points below the originals, 77 when NumPy or SciPy is missing.

  build/nnlab run experiments/quickstart.toml --out /tmp/q
  /usr/bin/python3 scripts/check_drawn_digits.py --model /tmp/q/runs/quickstart/r0/weights.safetensors
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

try:
    import numpy as np
    from scipy import ndimage
except ImportError:
    sys.exit(77)


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_png(path, image):
    """An 8-bit grey PNG (no filter), enough for this check without Pillow."""
    h, w = image.shape
    raw = b"".join(b"\0" + image[r].tobytes() for r in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def accuracy(nnlab, model, files, labels, extra):
    out = subprocess.run([nnlab, "predict", model, "--json", "--top", "1", *extra, *files],
                         check=True, capture_output=True, text=True).stdout
    predicted = [int(i["top"][0]["class"]) for i in json.loads(out)["images"]]
    return float(np.mean(np.array(predicted) == labels))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="weights.safetensors of an MNIST run")
    p.add_argument("--nnlab", default=os.path.join(here, "..", "build", "nnlab"))
    p.add_argument("--data-dir", default=os.path.join(here, "..", "..", "shared", "data"))
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--tolerance", type=float, default=0.05)
    args = p.parse_args()

    mnist = os.path.join(args.data_dir, "mnist")
    images = read_idx(os.path.join(mnist, "t10k-images-idx3-ubyte.gz"))[:args.count]
    labels = read_idx(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz"))[:args.count]
    with tempfile.TemporaryDirectory() as work:
        originals, drawn = [], []
        for i, image in enumerate(images):
            big = ndimage.zoom(image.astype(np.float64), args.size / 28, order=1)
            big = 255 - np.clip(np.rint(big), 0, 255).astype(np.uint8)
            originals.append(os.path.join(work, f"{i}-original.png"))
            drawn.append(os.path.join(work, f"{i}-drawn.png"))
            write_png(originals[-1], image)
            write_png(drawn[-1], big)
        original = accuracy(args.nnlab, args.model, originals, labels, ["--no-preprocess"])
        as_drawn = accuracy(args.nnlab, args.model, drawn, labels, [])
    print(f"{args.count} MNIST test digits: original 28x28 {original:.3f}, "
          f"drawn black on white at {args.size}x{args.size} {as_drawn:.3f}")
    return 0 if as_drawn >= original - args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
