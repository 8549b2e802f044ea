"""gunicorn settings for the production profile (see README, Operations)."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", max(2, multiprocessing.cpu_count() * 2)))
# One thread per worker: gunicorn then runs its sync worker, made for a buffering proxy in front (the documented
# nginx). The app is CPU-bound, so a second thread mostly waits for the GIL: on 2 cores, 4 workers x 1 thread
# served 406 req/s with p95 191 ms where 4 x 2 served 345 req/s with p95 368 ms, 0.6 ms more app CPU per request
# (`make load`, docs/benchmarks.md). WEB_THREADS > 1 (gthread) when clients reach gunicorn without a proxy.
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = 60
graceful_timeout = 30
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # the app writes structured access logs itself (LOG_JSON)
errorlog = "-"
preload_app = False  # each worker opens its own database pool

# SOGLASIE_PROFILE_DIR=<dir>: every worker profiles the requests it serves (cProfile per serving thread, CPU
# time of that thread) and writes <dir>/worker-<pid>.pstats when it exits; `benchmarks.profile_stats <dir>`
# merges and prints them. For finding what a request costs under `make load`; off by default.
PROFILE_DIR = os.environ.get("SOGLASIE_PROFILE_DIR")

if PROFILE_DIR:
    import cProfile
    import threading
    import time

    _profiles: list = []
    _local = threading.local()

    def post_worker_init(worker):
        app = worker.wsgi

        def profiled(environ, start_response):
            profile = getattr(_local, "profile", None)
            if profile is None:
                profile = _local.profile = cProfile.Profile(time.thread_time)
                _profiles.append(profile)
            profile.enable()
            try:
                return list(app(environ, start_response))  # the body is rendered inside the profile too
            finally:
                profile.disable()

        worker.wsgi = profiled

    def worker_exit(_server, _worker):
        import pstats

        if _profiles:
            stats = pstats.Stats(_profiles[0])
            for profile in _profiles[1:]:
                stats.add(profile)
            stats.dump_stats(os.path.join(PROFILE_DIR, f"worker-{os.getpid()}.pstats"))
