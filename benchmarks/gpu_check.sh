#!/usr/bin/env bash
# The device check, for a machine with an NVIDIA GPU and CuPy (pip install "minigan[gpu]"):
#   1. the test suite on the GPU (MINIGAN_BACKEND=cupy, the real CuPy: no stand-in);
#   2. benchmarks/dcgan_step.py --device cuda at batch 64 and 256, and the 64×64×3 DCGAN (--image 64)
#      at batch 64 and 256, beside PyTorch on CUDA when it is installed.
# Everything goes into one summary file (default gpu_check_summary.txt; the full logs beside it, .log).
# Each part has its own time limit, so the whole check ends within 10 minutes.
#
#   bash benchmarks/gpu_check.sh [SUMMARY_FILE]
# MINIGAN_GPU_CHECK_TESTS narrows the tests (pytest arguments, e.g. tests/test_conv.py); default: all.
set -uo pipefail
cd "$(dirname "$0")/.."
summary=${1:-gpu_check_summary.txt}
log="$summary.log"
export MINIGAN_BACKEND=cupy MINIGAN_BENCH_LAYERS=0 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
unset MINIGAN_FAKE_CUPY
: > "$log"
started=$(date +%s)

{
    echo "minigan GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    if command -v nvidia-smi > /dev/null; then
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
    else
        echo "nvidia-smi: not found"
    fi
    python -c "import cupy; r = cupy.cuda.runtime; print('CuPy', cupy.__version__, '| CUDA runtime', \
r.runtimeGetVersion(), '| devices', r.getDeviceCount(), '|', r.getDeviceProperties(0)['name'].decode())" 2>&1 | tail -1
    python -c "import torch; print('PyTorch', torch.__version__, '| CUDA available:', torch.cuda.is_available())" \
        2>/dev/null || echo "PyTorch: not installed (minigan runs alone)"
} > "$summary"

part() {  # part TITLE SECONDS COMMAND...: run it under a time limit, log everything, summarise its end
    local title=$1 limit=$2 t0 rc
    shift 2
    t0=$(date +%s)
    echo "===== $title: $*" >> "$log"
    timeout "$limit" "$@" > "$summary.part" 2>&1
    rc=$?
    cat "$summary.part" >> "$log"
    {
        echo
        echo "== $title ($(( $(date +%s) - t0 )) s, exit $rc$([ $rc -eq 124 ] && echo ", stopped at the ${limit} s limit"))"
        if [ "$title" = "test suite" ]; then
            grep -E "^(FAILED|ERROR)" "$summary.part" | head -40
            tail -n 1 "$summary.part"
        else
            grep -vE "^\s*$" "$summary.part" | tail -n 12
        fi
    } >> "$summary"
    rm -f "$summary.part"
}

# shellcheck disable=SC2086  (the test selection is a list of pytest arguments)
part "test suite" 300 python -m pytest -q -p no:cacheprovider --maxfail=20 ${MINIGAN_GPU_CHECK_TESTS:-}
part "DCGAN 28x28, batch 64" 60 python benchmarks/dcgan_step.py --device cuda --batch 64 --no-memory
part "DCGAN 28x28, batch 256" 60 python benchmarks/dcgan_step.py --device cuda --batch 256 --no-memory
part "DCGAN 64x64x3, batch 64" 60 python benchmarks/dcgan_step.py --device cuda --image 64 --batch 64 --no-memory
part "DCGAN 64x64x3, batch 256" 90 python benchmarks/dcgan_step.py --device cuda --image 64 --batch 256 --rounds 5 \
    --no-memory
echo >> "$summary"
echo "total $(( $(date +%s) - started )) s; full output in $log" >> "$summary"
cat "$summary"
