"""`make bench`: run every benchmark module's main() in turn and print its numbers."""

import importlib
import sys
import time

MODULES = ["bench_engine", "bench_pg", "steps_pg", "bench_inbox", "bench_timers", "bench_audit", "bench_monitoring"]


def main(names=None):
    for name in names or MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"-- {name}: not available ({exc})")
            continue
        started = time.perf_counter()
        module.main()
        print(f"-- {name} took {time.perf_counter() - started:.1f} s\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
