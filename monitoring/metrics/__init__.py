"""Counters and latency histograms shared by every process through Redis.

- ``recording``: what the receivers and the middleware call to count a
  request, an event or the breaker's state; a request's counts are kept
  with it and handed over when it ends.
- ``store``: where the counts live (a Redis hash, this process's unwritten
  counts as the fallback) and the background thread that writes them.
- ``snapshot``: everything read back into the dict the metrics page,
  ``/api/metrics`` and the Prometheus text show.
- ``fields``: the names counts are kept under, written by one and read by the other.

A request costs no round trip to Redis for its metrics: the background
thread writes them within ``METRICS_FLUSH_SECONDS``.
"""
