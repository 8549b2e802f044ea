"""Merge and print the per-worker profiles that ``SOGLASIE_PROFILE_DIR`` makes gunicorn write (gunicorn.conf.py).

    SOGLASIE_PROFILE_DIR=/tmp/prof python -m benchmarks.load_pg    # the workers write /tmp/prof/worker-*.pstats
    python -m benchmarks.profile_stats /tmp/prof [--requests N] [--sort tottime] [--limit 40]

The times are CPU seconds of the serving threads; with ``--requests`` (the load's request count) the total is
also given per request.
"""

import argparse
import pstats
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--requests", type=int, default=0)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args(argv)
    files = sorted(str(p) for p in Path(args.directory).glob("worker-*.pstats"))
    if not files:
        print(f"no worker-*.pstats in {args.directory}", file=sys.stderr)
        return 1
    stats = pstats.Stats(*files)
    total = stats.total_tt  # type: ignore[attr-defined]  # set by pstats, not in its stubs
    per = f", {total / args.requests * 1000:.2f} ms per request" if args.requests else ""
    print(f"{len(files)} workers, {total:.2f} s CPU in requests{per}")
    stats.sort_stats(args.sort).print_stats(args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
