"""Concurrent audit appends, shared by the concurrency tests: run in the test process (PostgreSQL)
or as a child process against a SQLite file (`python -m dgov.core.tests.audit_workload`). Models
are imported inside the functions: the child process sets Django up first."""

import json
import sys
import threading

from django.db import connection, transaction


def append_from_threads(threads: int, per_thread: int, nested: bool) -> list[str]:
    """Start `threads` threads at once, each appending `per_thread` times (two entries inside one
    transaction when `nested`, as services do). Returns the failures, as text."""
    from dgov.core import audit

    barrier = threading.Barrier(threads)
    failures = []

    def work(n, i):
        if not nested:
            audit.record(f"test.thread.{n}", audit.Target("test", str(i)))
            return
        with transaction.atomic():
            audit.record(f"test.tx.{n}", audit.Target("test", str(i)))
            audit.record(f"test.tx.{n}.second", audit.Target("test", str(i)))

    def run(n):
        try:
            barrier.wait(timeout=60)
            for i in range(per_thread):
                work(n, i)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller, which fails the test)
            failures.append(repr(exc))
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=300)
    return failures + [f"{t.name} did not finish" for t in workers if t.is_alive()]


def chain_after(before: int) -> list[list]:
    from dgov.core.models import AuditEntry

    return [list(r) for r in AuditEntry.objects.filter(seq__gt=before).order_by("seq")
            .values_list("seq", "prev_hash", "hash")]


def last_seq() -> int:
    from dgov.core.models import AuditEntry

    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def main(argv: list[str]) -> None:
    from dgov.core import audit

    threads, per_thread, nested = int(argv[0]), int(argv[1]), argv[2] == "1"
    before = last_seq()
    connection.close()
    failures = append_from_threads(threads, per_thread, nested)
    result = audit.verify()
    sys.stdout.write(json.dumps({"before": before, "rows": chain_after(before), "failures": failures,
                                 "ok": result.ok, "reason": result.reason}))


if __name__ == "__main__":
    import django

    django.setup()
    main(sys.argv[1:])
