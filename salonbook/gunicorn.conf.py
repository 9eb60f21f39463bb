"""gunicorn settings for production; every value can be overridden from the environment."""

import gc
import multiprocessing
import os

from monitoring.access_log import ACCESS_LOG_FORMAT

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: 2 x cores + 1 keeps both cores busy while some wait on I/O.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Load the app once in the master and fork workers from it: a worker that is
# recycled (below) starts in milliseconds instead of importing everything
# again, and the workers share the loaded code's memory. Nothing opens a
# connection at import time; database and Redis connections are made in
# each worker on first use. A code change needs a restart, not a HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# Paths with their secrets masked and no query strings (monitoring/access_log.py).
logger_class = "monitoring.access_log.MaskedAccessLogger"
access_log_format = ACCESS_LOG_FORMAT
errorlog = "-"
# Only the load balancer in front of us may say the client used HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    # What the master loaded is never garbage: frozen, the workers' collector
    # skips it (full collections pause for milliseconds, not tens of them)
    # and never writes to it, so its pages stay shared between workers.
    gc.freeze()
