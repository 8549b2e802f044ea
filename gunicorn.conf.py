"""gunicorn settings for the production profile (see README, Operations)."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", max(2, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("WEB_THREADS", "2"))
timeout = 60
graceful_timeout = 30
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # the app writes structured access logs itself (LOG_JSON)
errorlog = "-"
preload_app = False  # each worker opens its own database pool
