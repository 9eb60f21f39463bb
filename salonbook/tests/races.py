"""Real concurrency for the race tests: each call in a thread of its own, on a
database connection of its own, all released together by a barrier."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable

from django.db import connections
from django.test import Client


def race(calls: list[Callable[[], str]], *, refused: dict[type[BaseException], str] | None = None) -> Counter[str]:
    """Run every call at once; count what each one said.

    A call returns its outcome (e.g. ``"booked"``). An exception of a type
    in ``refused`` counts under that name (``{SlotUnavailable: "taken"}``);
    any other is counted as ``"error: ..."``, so an assertion on the counts
    shows the bug instead of a thread dying quietly.
    """
    refused = refused or {}
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], str]) -> None:
        try:
            barrier.wait(timeout=30)
            result = call()
        except tuple(refused) as error:
            result = next(name for kind, name in refused.items() if isinstance(error, kind))
        except Exception as error:  # anything else is a bug the test must show
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == len(calls), "a racing call did not finish in time"
    return Counter(outcomes)


def labelled(label: str, call: Callable[[], object]) -> Callable[[], str]:
    """``call`` that answers ``label`` when it returns."""

    def run() -> str:
        call()
        return label

    return run


def posts(user, url: str, data: dict, *, times: int) -> list[Callable[[], str]]:
    """``times`` browsers of ``user``, each posting ``data`` to ``url`` once
    (the same form sent again and again); each says its status and where it
    leads, e.g. ``"302 /staff/..."``. Logged in before the race, so the
    sessions are written before the barrier lifts."""
    clients = []
    for _ in range(times):
        client = Client()
        client.force_login(user)
        clients.append(client)

    def send(client: Client) -> Callable[[], str]:
        def post() -> str:
            response = client.post(url, data)
            return f"{response.status_code} {response.get('Location', '')}".strip()

        return post

    return [send(client) for client in clients]


def form_key_on(page: str) -> str:
    """The one-time form key a rendered page carries (the first, when it has several forms)."""
    found = re.search(r'name="form_key" value="([^"]+)"', page)
    assert found, "the page carries no form key"
    return found.group(1)
