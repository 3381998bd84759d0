"""A throw-away PostgreSQL cluster for the integration tests.

``initdb`` and ``pg_ctl`` refuse to run as root; when the tests run as root
(as in CI) they run as the ``postgres`` user, in a directory that user owns.
The cluster listens on 127.0.0.1 only, on a free port, trusts connections
from there and nowhere else, and trades durability for speed (no fsync):
it lives for one test session.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["DatabasePool", "PostgresCluster", "PostgresUnavailable", "find_bindir"]

SUPERUSER = "postgres"


class PostgresUnavailable(Exception):
    """The cluster cannot be started here; the message says why."""


def find_bindir() -> Path:
    """Return the directory of ``initdb`` and ``pg_ctl``.

    Looks on PATH first, then in ``/usr/lib/postgresql/*/bin`` (newest
    version first).

    Raises:
        PostgresUnavailable: neither place has both programs.
    """
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: (
            int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0
        ),
        reverse=True,
    )
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (
            Path(candidate) / "pg_ctl"
        ).exists():
            return Path(candidate)
    msg = "initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin"
    raise PostgresUnavailable(msg)


def _runuser() -> str | None:
    # Root's PATH usually has sbin; a test runner's may not.
    return shutil.which("runuser") or next(
        (
            path
            for path in ("/usr/sbin/runuser", "/sbin/runuser")
            if Path(path).exists()
        ),
        None,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """A PostgreSQL cluster in a temporary directory, on 127.0.0.1.

    Build one with :meth:`create`; :meth:`destroy` stops it and deletes
    its files. :meth:`restart`, :meth:`stop` and :meth:`start` (or the
    :meth:`stopped` context) are there for tests of a database that goes
    away under a running program: the port and the data stay the same.
    """

    def __init__(self, bindir: Path, base: Path, port: int) -> None:
        self.bindir = bindir
        self.base = base
        self.data = base / "data"
        self.log = base / "server.log"
        self.port = port
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = [_runuser() or "runuser", "-u", SUPERUSER, "--"]

    @classmethod
    def create(cls) -> PostgresCluster:
        """Initialise and start a new cluster.

        Raises:
            PostgresUnavailable: the programs, the ``postgres`` user (when
                running as root) or ``runuser`` are missing, or the server
                would not start; the message says which.
        """
        bindir = find_bindir()
        owner = None
        if os.geteuid() == 0:
            if _runuser() is None:
                msg = "running as root, and runuser is missing to drop to 'postgres'"
                raise PostgresUnavailable(msg)
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                msg = "running as root, and there is no 'postgres' user to run initdb"
                raise PostgresUnavailable(msg) from None
        # Not under pytest's tmp_path: its parents are private to root.
        base = Path(tempfile.mkdtemp(prefix="oncall-pg-"))
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        cluster = cls(bindir, base, _free_port())
        try:
            cluster._initdb()
            cluster._start_on_a_free_port()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of *database* in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (*mode*: ``smart``, ``fast`` or ``immediate``)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop the server and start it again: every connection is cut."""
        self.stop()
        self.start()

    @contextlib.contextmanager
    def stopped(self, mode: str = "fast") -> Iterator[None]:
        """Keep the server down inside the block, and start it again after."""
        self.stop(mode)
        try:
            yield
        finally:
            self.start()

    def running(self) -> bool:
        """Tell whether the server is up."""
        status = subprocess.run(
            [
                *self._as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "status",
            ],
            capture_output=True,
            check=False,
        )
        return status.returncode == 0

    def execute(self, statement: str | sql.Composable) -> None:
        """Run *statement* as the superuser, outside a transaction."""
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(statement)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create the database *name* (a copy of *template*); return its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # Copying files costs a checkpoint; the default (WAL_LOG) costs
            # writing every page of the template to the WAL, more still.
            statement = sql.SQL("{} TEMPLATE {} STRATEGY FILE_COPY").format(
                statement, sql.Identifier(template)
            )
        self.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop the database *name*, cutting whoever is still connected."""
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )

    def destroy(self) -> None:
        """Stop the server (at once) and delete every file of the cluster."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def _initdb(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        # Trust 127.0.0.1 and nothing else: no socket, no other address.
        (self.data / "pg_hba.conf").write_text(
            "host all all 127.0.0.1/32 trust\n", encoding="utf-8"
        )

    def _configure(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base}'",
            "max_connections": "200",
            # A test cluster: losing it in a power cut costs nothing.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        (self.data / "postgresql.auto.conf").write_text(
            "".join(f"{key} = {value}\n" for key, value in settings.items()),
            encoding="utf-8",
        )

    def _start_on_a_free_port(self) -> None:
        # Another process may take the port between the probe and the start.
        for attempt in range(3):
            self._configure()
            try:
                self.start()
            except PostgresUnavailable:
                if attempt == 2:
                    raise
                self.port = _free_port()
            else:
                return

    def _run(self, program: str, *arguments: str) -> None:
        command = [*self._as_user, str(self.bindir / program), *arguments]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            log = (
                self.log.read_text(errors="replace")[-2000:]
                if self.log.exists()
                else ""
            )
            msg = (
                f"{' '.join(command)} exited with {result.returncode}:\n"
                f"{result.stdout}{result.stderr}{log}"
            )
            raise PostgresUnavailable(msg)


class DatabasePool:
    """Databases copied from a template once, emptied for reuse between tests.

    Creating a database costs a checkpoint (half a second once the cluster
    has work behind it); deleting the rows of a few small tables costs
    milliseconds. A database comes back emptied of every row of *tables*
    (children first) after whoever still holds a connection to it has been
    cut off; if that fails, it is dropped and a new copy will replace it.
    Autoincrement counters are not reset, and a test must not change the
    schema of a database it took from here.
    """

    def __init__(
        self, cluster: PostgresCluster, template: str, tables: Sequence[str]
    ) -> None:
        self.cluster = cluster
        self.template = template
        self.tables = tuple(tables)
        self._free: list[str] = []
        self._names = (f"oncall_test_{n}" for n in itertools.count())

    def take(self) -> str:
        """Return the name of an empty database, migrated like the template."""
        if self._free:
            return self._free.pop()
        name = next(self._names)
        self.cluster.create_database(name, template=self.template)
        return name

    def give_back(self, name: str) -> None:
        """Empty the database *name* and keep it for the next test."""
        try:
            self._empty(name)
        except psycopg.Error:
            self.cluster.drop_database(name)
        else:
            self._free.append(name)

    def _empty(self, name: str) -> None:
        with psycopg.connect(
            host="127.0.0.1",
            port=self.cluster.port,
            user=SUPERUSER,
            dbname=name,
            autocommit=True,
        ) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            with connection.transaction():
                for table in self.tables:
                    connection.execute(
                        sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
                    )
