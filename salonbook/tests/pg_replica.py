"""A real PostgreSQL streaming replica for the tests: ``pg_basebackup`` of the
test server (``DATABASE_URL``, after the test database exists) into a temp
dir, started as a hot standby on 127.0.0.1 on a port the OS picks, stopped
and removed after the session.

The primary must accept replication connections from 127.0.0.1 (a
``host replication all 127.0.0.1/32 ...`` line in its pg_hba.conf, which
``.ci/run`` adds on a fresh machine) and run with ``wal_level=replica``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connections
from django.db.utils import load_backend

from conftest import _missing, free_port


def _bin(name: str) -> str:
    """A PostgreSQL server program of the primary's major version."""
    found = shutil.which(name)
    if found is None:
        pg_config = shutil.which("pg_config")
        if pg_config:
            candidate = Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip()) / name
            found = str(candidate) if candidate.exists() else None
    if found is None:
        _missing(f"PostgreSQL's {name} (to start a streaming replica)")
    assert found is not None
    return found


class LocalReplica:
    def __init__(self, primary: dict) -> None:
        self.primary = primary
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="pg-replica-"))
        self.data = self.directory / "data"
        self.process: subprocess.Popen | None = None
        # The server refuses to run as root: then it runs as the postgres user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> None:
        host, port, user = self.primary["HOST"] or "127.0.0.1", str(self.primary["PORT"] or 5432), self.primary["USER"]
        backup = subprocess.run(
            [_bin("pg_basebackup"), "-h", host, "-p", port, "-U", user, "-D", str(self.data),
             "--wal-method=stream", "--write-recovery-conf", "--checkpoint=fast", "--no-sync"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if backup.returncode != 0:
            pytest.fail(f"pg_basebackup from {host}:{port} failed: {backup.stderr.strip()}")
        # A Debian server keeps its configuration outside the data directory.
        # A hot standby needs at least the primary's values of these.
        (self.data / "postgresql.conf").write_text(
            "hot_standby = on\n" + "".join(f"{name} = {value}\n" for name, value in self._primary_limits())
        )
        (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        for stale in ("postmaster.pid", "postmaster.opts"):
            (self.data / stale).unlink(missing_ok=True)
        if self.run_as:
            shutil.chown(self.directory, "postgres")
            subprocess.run(["chown", "-R", "postgres:", str(self.data)], check=True)
        self.data.chmod(0o700)
        self.process = subprocess.Popen(
            [*self.run_as, _bin("postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.directory}",
             "-c", "fsync=off", "-c", "shared_buffers=16MB"],
            stdout=subprocess.DEVNULL, stderr=(self.directory / "server.log").open("w"),
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with self.connect() as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,):
                        return
            except psycopg.Error:
                pass
            time.sleep(0.1)
        log = (self.directory / "server.log").read_text()[-2000:]
        self.stop()
        pytest.fail(f"the streaming replica did not come up:\n{log}")

    def _primary_limits(self) -> list[tuple[str, str]]:
        names = ["max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
                 "max_locks_per_transaction"]  # fmt: skip
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [names])
            return list(cursor.fetchall())

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.primary["USER"],
            dbname=dbname,
            autocommit=True,
            connect_timeout=2,
        )

    def settings_for(self, name: str) -> dict:
        return {**self.primary, "PORT": self.port, "HOST": "127.0.0.1", "NAME": name, "CONN_MAX_AGE": 0}

    def pause(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def catch_up(self) -> None:
        """Wait until the replica has replayed everything the primary wrote."""
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (target,) = cursor.fetchone()
        with self.connect() as conn:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone() == (True,):
                    return
                time.sleep(0.02)
        pytest.fail("the replica did not catch up within 10 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_replica_server(django_db_setup, django_db_blocker) -> Iterator[LocalReplica]:
    with django_db_blocker.unblock():
        primary = connections["default"]
        if primary.vendor != "postgresql":
            _missing("PostgreSQL (DATABASE_URL=postgres://...) to replicate")
        replica = LocalReplica(primary.settings_dict)
        replica.start()
    yield replica
    replica.stop()


@pytest.fixture
def pg_replica(settings, pg_replica_server, postgres_only) -> Iterator[LocalReplica]:
    """The ``replica`` database alias on the streaming replica of the test
    database, as ``DATABASE_REPLICA_URL`` configures it, for this test.

    The alias's connection is made by hand, as a connection the test creates
    for itself (Django's test case allows those), not as a database the test
    run set up: there is nothing to create or flush on a standby."""
    name = connections["default"].settings_dict["NAME"]
    config = pg_replica_server.settings_for(name)  # the primary's settings, every default filled in
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding setting DATABASES": only the new alias is read
        settings.DATABASES = {**settings.DATABASES, "replica": config}
    handler: Any = connections  # its per-thread store of connections is not in the stubs
    handler._connections.replica = load_backend(config["ENGINE"]).DatabaseWrapper(config, "replica")
    pg_replica_server.resume()
    yield pg_replica_server
    pg_replica_server.resume()
    connections["replica"].close()
    del handler._connections.replica
