"""`make bench`: every benchmark in one run, or the one named.

python -m bench.run                      # runtime micro-benchmark, model-server and gateway benchmarks
python -m bench.run runtime              # ONNX Runtime batch 1 vs 64 per registered champion
python -m bench.run serving [--help]     # floor vs `fortress serve` vs MLServer (docs/BENCHMARKS.md)
python -m bench.run gateway [--help]     # twelve-model investigation: floor vs local vs HTTP fan-out
python -m bench.run features [--help]    # online feature retrieval (SQLite, Redis) for one investigation
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import features, runtime_micro
from bench.gateway import main as gateway
from bench.serving import main as serving

BENCHMARKS: dict[str, Callable[[list[str]], int]] = {
    "runtime": lambda argv: runtime_micro.main(),
    "serving": serving.main,
    "gateway": gateway.main,
    "features": features.main,
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in BENCHMARKS:
        return BENCHMARKS[argv[0]](argv[1:])
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print("== runtime: ONNX Runtime batch 1 vs 64 ==", flush=True)
    if runtime_micro.main() != 0:
        print("runtime micro-benchmark skipped (no registered models here)", flush=True)
    print("\n== serving: floor vs fortress serve vs MLServer ==", flush=True)
    served = serving.main([])
    print("\n== gateway: twelve-model investigation, local vs HTTP fan-out ==", flush=True)
    fanned = gateway.main([])
    print("\n== features: online retrieval for one investigation ==", flush=True)
    return max(served, fanned, features.main([]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
