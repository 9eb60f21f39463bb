"""One Redis or a Redis Cluster, from the same URL: how every part of the app
that talks to Redis (the caches, rate limits, metrics, the breaker) connects.

``REDIS_CLUSTER=true`` says the URL names one node of a cluster: the client
then learns the slot map from it and sends each command to the node that owns
its keys (redis-py's ``RedisCluster``). A cluster has only database 0.

Commands that touch several keys must keep them in one hash slot on a
cluster. The keys say so with a hash tag, the part between ``{`` and ``}``
that Redis hashes instead of the whole name:

- ``salon_tag(slug)``: every cache key of one salon, so a cached read of a
  salon is one ``MGET`` on one node;
- ``GLOBAL_TAG``: the few keys every read checks (the cache epoch, the
  business-info version);
- the rate-limit counters of one client share ``{c:<client>}``, so the one
  counting script may touch all of its scopes.

A pipeline over a cluster is written to every node it needs before any reply
is read, so a read that needs three nodes still waits for one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from django.conf import settings
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from django_redis.pool import ConnectionFactory
from redis.cluster import RedisCluster
from redis.crc import key_slot

GLOBAL_TAG = "{g}"


def salon_tag(slug: str) -> str:
    """The hash tag every cache key of the salon ``slug`` carries."""
    return f"{{s:{slug}}}"


def client_tag(client: str) -> str:
    """The hash tag of one client's rate-limit counters."""
    return f"{{c:{client}}}"


def clustered() -> bool:
    return bool(getattr(settings, "REDIS_CLUSTER", False))


def redis_client(url: str, **kwargs: Any) -> redis.Redis | RedisCluster:
    """A client for ``url``: one Redis, or the cluster it is a node of."""
    if clustered():
        return RedisCluster.from_url(url, **kwargs)
    return redis.Redis.from_url(url, **kwargs)


def by_slot(keys: Sequence[bytes | str]) -> list[list[int]]:
    """The positions of ``keys`` grouped by hash slot, in first-seen order:
    one ``MGET`` per group is valid on a cluster."""
    groups: dict[int, list[int]] = {}
    for position, key in enumerate(keys):
        groups.setdefault(key_slot(key.encode() if isinstance(key, str) else key), []).append(position)
    return list(groups.values())


class ClusterConnectionFactory(ConnectionFactory):
    """django-redis's connection factory for a cluster: one ``RedisCluster``
    per URL (it keeps a pool per node itself)."""

    _clusters: dict[str, RedisCluster] = {}

    def connect(self, url: str) -> Any:
        params = self.make_connection_params(url)
        params.pop("parser_class", None)
        if url not in self._clusters:
            self._clusters[url] = RedisCluster.from_url(**params)
        return self._clusters[url]

    def disconnect(self, connection: Any) -> None:
        connection.disconnect_connection_pools()


class ClusterClient(DefaultClient):
    """django-redis's client with the one multi-key read it does split by slot."""

    def get_many(self, keys: Any, version: int | None = None, client: Any = None) -> dict:
        if client is None:
            client = self.get_client(write=False)
        if not keys:
            return {}
        names = {self.make_key(key, version=version): key for key in keys}
        try:
            values = client.mget_nonatomic(list(names))
        except (redis.RedisError, OSError) as error:
            raise ConnectionInterrupted(connection=client) from error
        return {names[key]: self.decode(value) for key, value in zip(names, values) if value is not None}
