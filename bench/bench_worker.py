"""Escalation throughput of the worker: incidents per second through the first step.

N incidents are triggered at once under a 3-step policy (one person per
step, by email); then workers run until every first-step notification is
recorded as sent, through a sender that succeeds at once. The time from
starting the workers to that moment gives incidents per second: claiming,
advancing through the core, recording state, notifications and events,
claiming the notifications, sending and recording the outcome.

Side by side, in one run: SQLite with one worker, PostgreSQL with one worker
and with four worker processes. PostgreSQL is a throw-away cluster on
127.0.0.1 (the tests' own, run without fsync, like a test cluster; a real
deployment pays for durable commits).

Run: ``.venv/bin/python bench/bench_worker.py`` (``--quick``: fewer incidents).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.postgres import PostgresCluster
from tests.integration.worker_support import T0, policy_for, worker_main

from oncall_adapters.sql.engine import create_engine
from oncall_adapters.sql.migrate import upgrade
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_core import Incident

WARM_UP = 6.0  # seconds for worker processes to start before the first step
FIRST_STEP_SENT = text(
    "SELECT count(*) FROM notifications WHERE step = 0 AND status = 'sent'"
)


def trigger(url: str, count: int) -> None:
    engine = create_engine(url)
    store = SqlEscalationStore(engine)
    for number in range(count):
        store.trigger(Incident(f"B-{number:05d}", "Bench", T0), policy_for(number))
    engine.dispose()


def run(url: str, count: int, workers: int, log: Path) -> float:
    """Start *workers* processes; return seconds until every first step is sent.

    The workers' clock reaches the incidents' trigger time a few seconds
    after they start, so that starting Python and importing libraries is
    not timed; the clock starts when the first step falls due.
    """
    context = multiprocessing.get_context("spawn")
    due = time.time() + WARM_UP
    processes = [
        context.Process(target=worker_main, args=(url, due, 1.0, str(log), 600))
        for _ in range(workers)
    ]
    engine = create_engine(url)
    for process in processes:
        process.start()
    try:
        time.sleep(max(0.0, due - time.time()))
        began = time.perf_counter()
        while True:
            with engine.connect() as connection:
                sent = connection.execute(FIRST_STEP_SENT).scalar_one()
            if sent >= count:
                return time.perf_counter() - began
            time.sleep(0.02)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(30)
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 incidents")
    args = parser.parse_args(argv)
    count = 300 if args.quick else 2_000
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sqlite_url = f"sqlite:///{folder / 'bench.db'}"
        upgrade(sqlite_url)
        trigger(sqlite_url, count)
        rows.append(("SQLite", 1, run(sqlite_url, count, 1, folder / "s.log")))

        cluster = PostgresCluster.create()
        try:
            for workers in (1, 4):
                database = f"bench{workers}"
                with create_engine(cluster.url()).connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT")
                    connection.execute(text(f"CREATE DATABASE {database}"))
                url = cluster.url(database)
                upgrade(url)
                trigger(url, count)
                seconds = run(url, count, workers, folder / f"p{workers}.log")
                rows.append(("PostgreSQL", workers, seconds))
        finally:
            cluster.destroy()

    print(
        f"{count:,} incidents, 3-step policy; time until every first-step "
        "notification is recorded as sent"
    )
    print(f"{'database':<12}{'workers':>8}{'seconds':>10}{'incidents/s':>14}")
    for database, workers, seconds in rows:
        print(f"{database:<12}{workers:>8}{seconds:>10.2f}{count / seconds:>14,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
