"""Rate limits: per client, exact under concurrency, 429 in the envelope, and
an explicit, counted choice when the counter store is down."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from salonbook import ratelimit
from salonbook.events import rate_limit_failed_open, rate_limited
from salonbook.settings import redis_caches
from salonbook.tests.helpers import client_for, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    """The rate-limit events sent during the test, as (signal name, scope)."""
    seen: list[tuple[str, str]] = []

    def on_limited(sender, *, scope, **kwargs):
        seen.append(("rate_limited", scope))

    def on_failed_open(sender, *, scope, **kwargs):
        seen.append(("rate_limit_failed_open", scope))

    rate_limited.connect(on_limited, weak=False)
    rate_limit_failed_open.connect(on_failed_open, weak=False)
    yield seen
    rate_limited.disconnect(on_limited)
    rate_limit_failed_open.disconnect(on_failed_open)


@pytest.fixture
def fresh_outage_log(monkeypatch):
    monkeypatch.setattr(ratelimit, "_outage_log", ratelimit._Throttled())


@pytest.fixture
def redis_counters(settings, redis_url):
    """The rate-limit alias on the test Redis (the content cache as configured)."""
    settings.CACHES = {**settings.CACHES, "ratelimit": redis_caches(redis_url)["ratelimit"]}
    return redis_url


def test_as_shipped_a_client_has_100_requests_a_minute_of_which_10_bookings(db, monkeypatch):
    # One second into a minute, so the whole burst falls in one window.
    next_minute = (int(time.time()) // 60 + 1) * 60
    monkeypatch.setattr(ratelimit.time, "time", lambda: next_minute + 1.0)
    client = Client(REMOTE_ADDR="10.77.0.1")
    bookings = [client.post("/api/bookings/", {}, content_type="application/json").status_code for _ in range(11)]
    assert bookings == [400] * 10 + [429]
    reads = [client.get("/api/salons/").status_code for _ in range(89)]  # the 11 above count too
    assert reads == [200] * 89
    error_of(client.get("/api/salons/"), 429, "rate_limited")


def test_over_the_api_limit_answers_429_in_the_envelope_with_retry_after(settings, salon, events):
    settings.RATE_LIMIT_API = "3/m"
    client = APIClient()
    assert [client.get("/api/salons/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(f"/api/salons/{salon.slug}/")
    error = error_of(response, 429, "rate_limited")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert error["details"] == {"retry_after": retry_after, "scope": "api"}
    assert events == [("rate_limited", "api")]


def test_booking_creation_has_its_own_lower_limit(settings, salon, events):
    settings.RATE_LIMIT_BOOKINGS = "2/m"
    client = APIClient()
    assert [client.post("/api/bookings/", {}, format="json").status_code for _ in range(2)] == [400, 400]
    error = error_of(client.post("/api/bookings/", {}, format="json"), 429, "rate_limited")
    assert error["details"]["scope"] == "bookings"
    assert client.get("/api/salons/").status_code == 200  # reads are not booking attempts
    assert events == [("rate_limited", "bookings")]


def test_clients_are_counted_apart_by_address(settings, db):
    settings.RATE_LIMIT_API = "2/m"
    one, two = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [one.get("/api/salons/").status_code for _ in range(3)] == [200, 200, 429]
    assert two.get("/api/salons/").status_code == 200


def test_a_token_user_is_counted_as_the_user_not_the_address(settings, staff_of_salon):
    settings.RATE_LIMIT_API = "2/m"
    first = client_for(staff_of_salon, token=True)
    assert first.get("/api/salons/", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert first.get("/api/salons/", REMOTE_ADDR="10.0.0.2").status_code == 200
    # Same user from a third address: over; an anonymous client there is not.
    assert first.get("/api/salons/", REMOTE_ADDR="10.0.0.3").status_code == 429
    assert APIClient().get("/api/salons/", REMOTE_ADDR="10.0.0.3").status_code == 200


def test_the_forwarded_header_is_ignored_unless_the_proxy_is_trusted(settings, db):
    settings.RATE_LIMIT_API = "2/m"
    settings.TRUSTED_PROXY = False
    spoofing = Client(REMOTE_ADDR="10.0.0.9")
    statuses = [spoofing.get("/api/salons/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_a_trusted_proxy_the_last_forwarded_hop_is_the_client(settings, db):
    settings.RATE_LIMIT_API = "2/m"
    settings.TRUSTED_PROXY = True
    proxy = Client(REMOTE_ADDR="10.0.0.254")
    # A client forging earlier hops is still one client: the proxy appends the real address.
    forged = [proxy.get("/api/salons/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.5").status_code for n in range(3)]
    assert forged == [200, 200, 429]
    assert proxy.get("/api/salons/", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


def test_health_checks_are_never_limited(settings, db):
    settings.RATE_LIMIT_API = "1/m"
    client = APIClient()
    client.get("/api/salons/")
    assert client.get("/api/salons/").status_code == 429
    for _ in range(5):
        assert client.get("/api/health/live").status_code == 200
        assert client.get("/api/health").status_code != 429


# --- Real Redis ---------------------------------------------------------------------------


def _wait_for_a_window_with(seconds: int, period: int = 60) -> None:
    """Return once the current window has ``seconds`` or more left, so a burst
    is not split across two windows."""
    left = period - time.time() % period
    if left < seconds:
        time.sleep(left + 0.05)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_150_concurrent_requests_from_one_client_give_exactly_100_successes(settings, redis_url, events):
    # 150 threads in one process need 150 connections at once (redis-py pools
    # default to 100; a pool that runs out raises, which fails open, counted
    # below) and share one interpreter lock, so a reply can wait longer than
    # the production quarter second. Production workers run far fewer threads.
    # (django-redis keeps one pool per URL for the process: a URL of its own
    # gets a pool of its own.)
    counters = redis_caches(f"{redis_url}?max_connections=200")["ratelimit"]
    counters["OPTIONS"].update(SOCKET_TIMEOUT=5, SOCKET_CONNECT_TIMEOUT=5)
    settings.CACHES = {**settings.CACHES, "ratelimit": counters}
    settings.RATE_LIMIT_API = "100/m"
    address = "10.77.0.1"
    _wait_for_a_window_with(30)
    barrier = threading.Barrier(150)

    def one_request(_):
        try:
            barrier.wait(timeout=30)
            return Client(REMOTE_ADDR=address).get("/api/salons/").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=150) as pool:
        statuses = list(pool.map(one_request, range(150)))
    assert events.count(("rate_limit_failed_open", "api")) == 0
    assert statuses.count(200) == 100, statuses
    assert statuses.count(429) == 50
    assert events.count(("rate_limited", "api")) == 50


@pytest.mark.redis
def test_limits_hold_when_the_content_cache_is_down(settings, redis_url, db, dead_redis_url):
    """Swallowing the content cache's errors must not switch limiting off."""
    settings.CACHES = {
        "default": redis_caches(dead_redis_url)["default"],
        "ratelimit": redis_caches(redis_url)["ratelimit"],
    }
    settings.RATE_LIMIT_API = "2/m"
    client = APIClient()
    assert [client.get("/api/salons/").status_code for _ in range(3)] == [200, 200, 429]


def test_redis_down_fails_open_logged_and_counted(settings, db, events, caplog, fresh_outage_log, dead_redis_url):
    settings.CACHES = {**settings.CACHES, "ratelimit": redis_caches(dead_redis_url)["ratelimit"]}
    settings.RATE_LIMIT_API = "1/m"
    settings.RATE_LIMIT_FAIL_OPEN = True
    client = APIClient()
    with caplog.at_level(logging.WARNING, logger="salonbook.ratelimit"):
        statuses = [client.get("/api/salons/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert events == [("rate_limit_failed_open", "api")] * 3
    outage_logs = [r for r in caplog.records if r.name == "salonbook.ratelimit"]
    assert len(outage_logs) == 1  # one line per outage, not one per request
    assert "unavailable" in outage_logs[0].getMessage()


def test_redis_down_with_fail_closed_chosen_answers_503(settings, db, events, dead_redis_url):
    settings.CACHES = {**settings.CACHES, "ratelimit": redis_caches(dead_redis_url)["ratelimit"]}
    settings.RATE_LIMIT_FAIL_OPEN = False
    error_of(APIClient().get("/api/salons/"), 503, "rate_limit_unavailable")
    assert events == []


def test_a_store_that_swallows_errors_does_not_block_everyone(settings, db, events, dead_redis_url):
    """A counter store whose alias swallows errors (IGNORE_EXCEPTIONS) still
    reports them to the limiter: it fails open, counted, not closed."""
    dead = redis_caches(dead_redis_url)["default"]  # the alias that swallows errors
    settings.CACHES = {**settings.CACHES, "ratelimit": dead}
    assert APIClient().get("/api/salons/").status_code == 200
    assert events == [("rate_limit_failed_open", "api")]


@pytest.mark.redis
@pytest.mark.slow
def test_limiting_survives_redis_stopping_and_resumes_when_it_is_back(settings, db, events, spare_redis):
    settings.CACHES = {**settings.CACHES, "ratelimit": redis_caches(spare_redis.url)["ratelimit"]}
    settings.RATE_LIMIT_API = "2/m"
    client = APIClient()
    assert [client.get("/api/salons/").status_code for _ in range(3)] == [200, 200, 429]

    spare_redis.stop()
    assert [client.get("/api/salons/").status_code for _ in range(3)] == [200, 200, 200]
    assert events.count(("rate_limit_failed_open", "api")) == 3

    spare_redis.start()  # empty, and without the counting script: a new window of counting
    assert [client.get("/api/salons/").status_code for _ in range(3)] == [200, 200, 429]


# --- One round trip on Redis -----------------------------------------------------------


def _anonymous_request(address: str):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/api/bookings/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


@pytest.mark.redis
def test_on_redis_both_scopes_are_counted_in_one_round_trip(settings, redis_counters, sent_packets, events):
    settings.RATE_LIMIT_API = "100/m"
    settings.RATE_LIMIT_BOOKINGS = "2/m"
    _wait_for_a_window_with(5)
    ratelimit.count(_anonymous_request("10.1.0.1"), ("api", "bookings"))  # connects
    sent_packets.clear()

    ratelimit.count(_anonymous_request("10.1.0.1"), ("api", "bookings"))
    assert len(sent_packets) == 1

    with pytest.raises(ratelimit.RateLimitExceeded) as over:
        ratelimit.count(_anonymous_request("10.1.0.1"), ("api", "bookings"))
    assert over.value.scope == "bookings"
    assert 1 <= over.value.retry_after <= 60
    assert events == [("rate_limited", "bookings")]
    assert ratelimit.usage(_anonymous_request("10.1.0.1"), "api") == 3


@pytest.fixture(params=["local memory", "redis"])
def counter_store(request, settings):
    """The counters on local memory (no REDIS_URL) and on a real Redis."""
    if request.param == "redis":
        settings.CACHES = {**settings.CACHES, "ratelimit": redis_caches(request.getfixturevalue("redis_url"))["ratelimit"]}
    else:
        settings.CACHES = {
            **settings.CACHES,
            "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl-test"},
        }
        from django.core.cache import caches

        caches["ratelimit"].clear()
    return request.param


def test_over_the_first_scope_the_next_is_not_counted(settings, counter_store):
    settings.RATE_LIMIT_API = "1/m"
    settings.RATE_LIMIT_BOOKINGS = "5/m"
    _wait_for_a_window_with(5)
    ratelimit.count(_anonymous_request("10.1.0.3"), ("api", "bookings"))
    with pytest.raises(ratelimit.RateLimitExceeded) as over:
        ratelimit.count(_anonymous_request("10.1.0.3"), ("api", "bookings"))
    assert over.value.scope == "api"

    assert ratelimit.usage(_anonymous_request("10.1.0.3"), "bookings") == 1


def test_counts_are_per_window_and_retry_after_is_the_time_left_in_it(settings, counter_store, monkeypatch):
    settings.RATE_LIMIT_API = "2/m"
    clock = [1_700_000_040.0]  # a window starts at every multiple of 60
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    request = _anonymous_request("10.1.0.5")
    ratelimit.count(request, ("api",))
    clock[0] += 20
    ratelimit.count(request, ("api",))
    clock[0] += 15
    with pytest.raises(ratelimit.RateLimitExceeded) as over:
        ratelimit.count(request, ("api",))
    assert over.value.retry_after == 25  # the window ends at +60

    clock[0] += 25  # the next window
    ratelimit.count(request, ("api",))
    assert ratelimit.usage(request, "api") == 1


@pytest.mark.redis
def test_redis_counters_expire_after_their_window(settings, redis_counters):
    settings.RATE_LIMIT_API = "100/m"
    _wait_for_a_window_with(5)
    for _ in range(3):
        ratelimit.count(_anonymous_request("10.1.0.4"), ("api",))

    assert ratelimit.usage(_anonymous_request("10.1.0.4"), "api") == 3
    import redis as redis_py

    client = redis_py.Redis.from_url(redis_counters)
    keys = client.keys("sb-rl:*")
    assert keys and all(0 < client.ttl(k) <= 60 + ratelimit.EXPIRY_MARGIN for k in keys)


@pytest.mark.parametrize(("rate", "parsed"), [("100/m", (100, 60)), ("10/5m", (10, 300)), ("3/s", (3, 1)), ("7/d", (7, 86400))])
def test_rates_read_as_a_limit_per_period(rate, parsed):
    assert ratelimit.parse_rate(rate) == parsed


@pytest.mark.parametrize("path", ["", "services/", "staff/", "availability/?date=2030-01-01&service=1"])
def test_every_cached_read_is_counted(settings, salon, path):
    settings.RATE_LIMIT_API = "2/m"
    _wait_for_a_window_with(5)
    client = APIClient()
    statuses = [client.get(f"/api/salons/{salon.slug}/{path}").status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]


def test_a_failed_authentication_on_a_cached_read_is_counted(settings, salon):
    settings.RATE_LIMIT_API = "2/m"
    _wait_for_a_window_with(5)
    url = f"/api/salons/{salon.slug}/"
    forged = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert [forged.get(url).status_code for _ in range(2)] == [401, 401]
    assert APIClient().get(url).status_code == 429
    assert APIClient().post(url, {}, format="json").status_code == 429  # another method: counted too


@pytest.mark.parametrize(("fail_open", "status"), [(True, 200), (False, 503)])
def test_a_cached_read_with_redis_down_follows_the_fail_open_setting(
    settings, salon, events, dead_redis_url, fail_open, status
):
    settings.CACHES = redis_caches(dead_redis_url)  # the cache and the counters, in one pipeline
    settings.RATE_LIMIT_FAIL_OPEN = fail_open
    response = APIClient().get(f"/api/salons/{salon.slug}/")
    assert response.status_code == status
    assert events == ([("rate_limit_failed_open", "api")] if fail_open else [])
