#!/usr/bin/python3
"""Accuracy against training time of every model nnlab tried for its best models (issue 19).

Reads a search's trials.csv (validation accuracy of each trial, its seconds) and the metrics.json
of final runs (test accuracy of each repeat, its training seconds, the ensemble of the repeats),
and writes an SVG chart with the published results drawn beside as horizontal lines (their
training times are on other hardware, so only their accuracy is comparable). Standard library
only: the chart is a few dozen SVG elements, and the script has to run on a bare Debian.

  /usr/bin/python3 scripts/plot_best_models.py --dataset mnist \
      --search out/best-mnist-search --final "best-mnist=out/best-mnist" \
      --budget 30 --out docs/best-mnist.svg
"""

import argparse
import csv
import json
import math
import os
import sys
from xml.sax.saxutils import escape

# Published results (accuracy, label), drawn as lines. Sources in docs/best-models.md.
ANCHORS = {
    "mnist": [
        (0.9960, "Simard et al. 2003, CNN + elastic distortion"),
        (0.9973, "Ciresan et al. 2011, committee of 7 CNNs"),
        (0.9978, "a CPU-only laptop, 2020"),
        (0.9980, "An et al. 2020, single CNN (150 epochs)"),
        (0.9991, "An et al. 2020, ensemble"),
    ],
    "fashion": [
        (0.9160, "benchmark's 2-conv nets (low end)"),
        (0.9250, "benchmark's 2-conv nets (high end)"),
        (0.9490, "ResNet-18"),
        (0.9630, "Zhong et al. 2017, WRN + random erasing"),
    ],
}

WIDTH, HEIGHT = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 70, 300, 40, 60


def depth_of(layers_json):
    """A trial's net as 'N conv' (the searched layer list is a JSON string in trials.csv)."""
    try:
        layers = json.loads(layers_json)
    except (TypeError, ValueError):
        return "?"
    return f"{sum(1 for l in layers if l.get('type') == 'conv2d')} conv"


def read_trials(search_dir):
    """Every scored trial of every search table under search_dir: (minutes, accuracy, label)."""
    points = []
    for root, _, files in os.walk(os.path.join(search_dir, "search")):
        if "trials.csv" not in files:
            continue
        with open(os.path.join(root, "trials.csv"), newline="") as f:
            for row in csv.DictReader(f):
                if row.get("error") or not row.get("mean_score"):
                    continue
                label = f"{depth_of(row.get('param_model.layers'))}, {row['epochs']} ep"
                points.append((float(row["seconds"]) / 60, float(row["mean_score"]), label))
    if not points:
        sys.exit(f"plot_best_models: no scored trial under {search_dir}/search")
    return points


def read_final(spec):
    """label=DIR: each repeat's (minutes, test accuracy) and its runs' ensembles' accuracies."""
    label, _, path = spec.partition("=")
    with open(os.path.join(path, "metrics.json")) as f:
        m = json.load(f)
    singles = [(r["train_seconds"] / 60, r["test"]["accuracy"], f"{label} seed {r['seed']}")
               for r in m["runs"]]
    ensembles = []
    for e in m.get("ensembles", []):
        if "test_accuracy" in e:
            members = {f"{r['name']} r{r['repeat']}": r["train_seconds"] for r in m["runs"]}
            minutes = sum(members.get(n, 0.0) for n in e["members"]) / 60
            ensembles.append((minutes, e["test_accuracy"],
                              f"{label} ensemble of {len(e['members'])}"))
    return singles, ensembles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=sorted(ANCHORS), required=True)
    ap.add_argument("--search", action="append", default=[], help="a search's output directory")
    ap.add_argument("--final", action="append", default=[], help="LABEL=DIR of a run's output")
    ap.add_argument("--budget", type=float, help="the time budget in minutes, drawn as a line")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    trials = [p for d in a.search for p in read_trials(d)]
    singles, ensembles = [], []
    for spec in a.final:
        s, e = read_final(spec)
        singles += s
        ensembles += e
    anchors = ANCHORS[a.dataset]

    xs = [p[0] for p in trials + singles + ensembles] + ([a.budget] if a.budget else [])
    # Ticks every 5, 10 or 20 minutes (at most about 12 labels), and room after the last point so
    # that no marker sits on the frame.
    x_step = next(t for t in (5, 10, 20, 30, 60) if max(xs) * 1.03 / t <= 12)
    x_max = max(float(x_step), math.ceil(max(xs) * 1.03 / x_step) * x_step)
    ys = [p[1] for p in trials + singles + ensembles] + [v for v, _ in anchors]
    y_lo = math.floor(min(ys) * 500) / 500
    y_hi = min(1.0, math.ceil(max(ys) * 500) / 500 + 0.0005)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + pw * x / x_max

    def py(y):
        return TOP + ph * (y_hi - y) / (y_hi - y_lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="15">{escape(a.dataset.upper() if a.dataset == "mnist" else "Fashion-MNIST")}'
           f': accuracy against training time, 2 threads</text>']
    step = next(t for t in (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
                if (y_hi - y_lo) / t <= 12)
    tick = math.ceil(y_lo / step - 1e-9) * step
    while tick <= y_hi + 1e-9:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(tick) + 4:.1f}" text-anchor="end">{tick:.3f}</text>')
        tick += step
    for m in range(0, int(x_max) + 1, x_step):
        out.append(f'<text x="{px(m):.1f}" y="{TOP + ph + 18}" text-anchor="middle">{m}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 20}" text-anchor="middle">'
               'training time (minutes)</text>')
    out.append(f'<text transform="translate(18,{TOP + ph / 2}) rotate(-90)" text-anchor="middle">'
               'accuracy (trials: validation; final models: test)</text>')
    if a.budget:
        out.append(f'<line x1="{px(a.budget):.1f}" x2="{px(a.budget):.1f}" y1="{TOP}" '
                   f'y2="{TOP + ph}" stroke="#c00" stroke-dasharray="6,3"/>')
        out.append(f'<text x="{px(a.budget) - 4:.1f}" y="{TOP + 14}" text-anchor="end" '
                   f'fill="#c00">{a.budget:g}-minute budget</text>')
    label_y = TOP - 20.0  # labels of close lines are pushed apart, top to bottom
    label_ys = []
    for value, label in sorted(anchors, reverse=True):
        y = py(value)
        label_y = max(y + 4, label_y + 14)
        label_ys.append(label_y)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#999" '
                   'stroke-dasharray="2,3"/>')
        out.append(f'<text x="{LEFT + pw + 6}" y="{label_y:.1f}" fill="#555">'
                   f'{value:.4f} {escape(label)}</text>')
    for x, y, label in trials:
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="#9ecae1" '
                   f'stroke="#3182bd"><title>{escape(label)}: {y:.4f}</title></circle>')
    for x, y, label in singles:
        out.append(f'<rect x="{px(x) - 5:.1f}" y="{py(y) - 5:.1f}" width="10" height="10" '
                   f'fill="#fd8d3c" stroke="#a63603"><title>{escape(label)}: {y:.4f}</title></rect>')
    for x, y, label in ensembles:
        out.append(f'<path d="M{px(x):.1f},{py(y) - 7:.1f} l6,12 h-12 z" fill="#31a354" '
                   f'stroke="#006d2c"><title>{escape(label)}: {y:.4f}</title></path>')
    legend = [("circle", "#9ecae1", "search trials (validation accuracy)"),
              ("rect", "#fd8d3c", "final models (test accuracy)"),
              ("tri", "#31a354", "ensembles (test accuracy; summed time)"),
              ("line", "#999", "published results (accuracy only)")]
    # The legend goes in the right margin where it is farthest from the anchors' labels.
    def clearance(top):
        return min((abs(top + i * 16 - ly) for i in range(len(legend)) for ly in label_ys),
                   default=math.inf)
    legend_top = max(range(int(TOP) + 8, int(TOP + ph) - len(legend) * 16 + 9, 2), key=clearance)
    for i, (kind, colour, text) in enumerate(legend):
        y = legend_top + i * 16
        x = LEFT + pw + 10
        if kind == "circle":
            out.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}" stroke="#3182bd"/>')
        elif kind == "rect":
            out.append(f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" fill="{colour}"/>')
        elif kind == "tri":
            out.append(f'<path d="M{x},{y - 6} l6,11 h-12 z" fill="{colour}"/>')
        else:
            out.append(f'<line x1="{x - 6}" x2="{x + 6}" y1="{y}" y2="{y}" stroke="{colour}" '
                       'stroke-dasharray="2,3"/>')
        out.append(f'<text x="{x + 12}" y="{y + 4}">{escape(text)}</text>')
    out.append("</svg>")
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, a.out)
    print(f"{a.out}: {len(trials)} trials, {len(singles)} final models, {len(ensembles)} ensembles")


if __name__ == "__main__":
    main()
