#!/usr/bin/env bash
# SIGKILL soak: scripts/soak.sh [RUNS] (default 50). Runs a short study (the quick-start on 2,000
# training and 1,000 test images, one thread) once uninterrupted, then RUNS times: starts it,
# SIGKILLs it 1 to 3 times (each resume may be killed again) at a random moment or just as a
# checkpoint's temporary file appears (a kill during the write), and resumes with --resume until
# it completes. Each run must end with metrics.json (without what a clock measures) and the
# weights and figures byte-identical to the uninterrupted run's; every resume must succeed (a
# torn checkpoint would be refused by its checksum), and every checkpoint left by a kill must be
# whole. Exits 1 on any difference or failure.
#   NNLAB: the binary (default build/nnlab); NNLAB_DATA or DATA_DIR: where MNIST is;
#   SOAK_SEED: the kills' random seed (default 1); SOAK_DIR: the work folder (default a new one
#   under $TMPDIR, removed when every run matched).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-50}
[[ $runs =~ ^[0-9]+$ ]] || { echo "usage: scripts/soak.sh [RUNS]" >&2; exit 2; }
bin=${NNLAB:-$root/build/nnlab}
[[ -x $bin ]] || { echo "soak: $bin is not built (set NNLAB)" >&2; exit 2; }
RANDOM=${SOAK_SEED:-1}
work=${SOAK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/nnlab-soak.XXXXXX")}
mkdir -p "$work"
args=(run "$root/experiments/quickstart.toml" --set data.train_limit=2000
  --set data.test_limit=1000 --set train.epochs=3 --threads 1 --no-progress)
[[ -n ${DATA_DIR:-} ]] && args+=(--data-dir "$DATA_DIR")
run_dir=runs/quickstart/r0

# What a clock or the command line gives: left out of the comparison.
timeless() {
  python3 - "$1" <<'EOF'
import json, sys
def strip(j):
    if isinstance(j, dict):
        return {k: strip(v) for k, v in j.items()
                if "seconds" not in k and k not in ("environment", "samples_per_second")}
    if isinstance(j, list):
        return [strip(v) for v in j]
    return j
print(json.dumps(strip(json.load(open(sys.argv[1]))), sort_keys=True))
EOF
}

# Whether a safetensors file is whole: its header parses and its tensors end where the file does.
whole_safetensors() {
  python3 - "$1" <<'EOF'
import json, os, struct, sys
path = sys.argv[1]
data = open(path, "rb").read()
try:
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    sys.exit(0 if 8 + n + end == len(data) else 1)
except Exception:
    sys.exit(1)
EOF
}

# The temporary files of interrupted writes under $1 (write_file_atomic: NAME.tmp.XXXXXX).
temporaries() { [[ ! -d $1 ]] || find "$1" -name '*.tmp.*' | sort; }
# How many are in the folder and in the run's folder.
writes_now() {
  shopt -s nullglob
  local files=("$1"/*.tmp.* "$1/$run_dir"/*.tmp.*)
  shopt -u nullglob
  echo ${#files[@]}
}
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

start=$(now)
ref=$work/reference
rm -rf "$ref"
"$bin" "${args[@]}" --out "$ref" >"$ref.log" 2>&1 || { cat "$ref.log"; exit 1; }
ref_seconds=$(seconds_since "$start")
ref_metrics=$(timeless "$ref/metrics.json")
echo "soak: the uninterrupted run took ${ref_seconds}s; $runs runs to kill"

kills=0 in_checkpoint=0 in_other=0 finished_first=0 identical=0 failures=0 resumes=0
fail() {
  echo "soak: run $1: $2" >&2
  failures=$((failures + 1))
}
for ((i = 1; i <= runs; i++)); do
  out=$work/run$i
  rm -rf "$out" "$out".log.*
  want=$((1 + RANDOM % 3))  # kills in this run
  killed=0 attempt=0 ok=1
  while :; do
    attempt=$((attempt + 1))
    resume=()
    if ((attempt > 1)); then
      resume=(--resume)
      resumes=$((resumes + 1))
    fi
    before=$(temporaries "$out")
    "$bin" "${args[@]}" --out "$out" "${resume[@]}" >"$out.log.$attempt" 2>&1 &
    pid=$!
    if ((killed < want)); then
      # Half the kills at a random moment of the run, half as the first file written after a
      # random moment (a checkpoint while it trains) is being written.
      sleep "$(awk -v t="$ref_seconds" -v r=$((RANDOM % 1000)) 'BEGIN { print t * r / 1000 }')"
      if ((RANDOM % 2)); then
        n=$(writes_now "$out")
        shopt -s nullglob  # no command substitution in the loop: a fork would miss short writes
        while kill -0 "$pid" 2>/dev/null; do
          files=("$out"/*.tmp.* "$out/$run_dir"/*.tmp.*)
          ((${#files[@]} > n)) && break
        done
        shopt -u nullglob
      fi
      if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        killed=$((killed + 1)) kills=$((kills + 1))
        new=$(comm -13 <(printf '%s\n' "$before") <(temporaries "$out"))
        if grep -q 'checkpoint\.safetensors\.tmp' <<<"$new"; then
          in_checkpoint=$((in_checkpoint + 1))
        elif [[ -n $new ]]; then
          in_other=$((in_other + 1))
        fi
        for c in "$out/$run_dir/checkpoint.safetensors" "$out/$run_dir/refit_checkpoint.safetensors"; do
          if [[ -f $c ]] && ! whole_safetensors "$c"; then
            fail "$i" "a torn checkpoint: $c"
            ok=0
          fi
        done
        continue
      fi
      finished_first=$((finished_first + 1))  # it ended before the kill
    fi
    if ! wait "$pid"; then
      fail "$i" "attempt $attempt failed: $(tail -3 "$out.log.$attempt")"
      ok=0
    fi
    break
  done
  ((ok)) || continue
  if [[ $(timeless "$out/metrics.json") != "$ref_metrics" ]]; then
    fail "$i" "metrics.json differs (diff <(python3 -m json.tool $ref/metrics.json) ...)"
  elif ! cmp -s "$out/$run_dir/weights.safetensors" "$ref/$run_dir/weights.safetensors"; then
    fail "$i" "weights.safetensors differs"
  elif ! cmp -s "$out/$run_dir/figures.safetensors" "$ref/$run_dir/figures.safetensors"; then
    fail "$i" "figures.safetensors differs"
  elif grep -l checksum "$out".log.* >/dev/null 2>&1; then
    fail "$i" "a checkpoint was refused by its checksum"
  else
    identical=$((identical + 1))
    rm -rf "$out" "$out".log.*
  fi
done
wall=$(seconds_since "$start")
echo "soak: $runs runs, $kills kills ($in_checkpoint during a checkpoint write, $in_other during" \
  "another file's write), $resumes resumes, $finished_first ended before their kill;" \
  "$identical identical, $failures failed; ${wall}s"
if ((failures > 0)); then
  echo "soak: the failed runs are in $work" >&2
  exit 1
fi
[[ -n ${SOAK_DIR:-} ]] || rm -rf "$work"
