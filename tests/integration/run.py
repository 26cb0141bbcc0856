#!/usr/bin/env python3
"""run.py - run the integration tests: every test_* function of every
tests/integration/test_*.py module, one after the other.

    python3 tests/integration/run.py [-k SUBSTRING] [MODULE ...]

Prints one line per test and ends with "integration: N passed, N failed"
(and ", N skipped" when a test raised harness.Skip: SQLite-only tests on
PostgreSQL).
With POSTINO_TEST_DB=pgsql every postino runs on a private PostgreSQL
cluster (harness.py), one for the run, stopped at the end.
"""
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402


def main():
    args = sys.argv[1:]
    pattern = None
    if len(args) >= 2 and args[0] == "-k":
        pattern, args = args[1], args[2:]
    files = [HERE / a for a in args] if args else sorted(HERE.glob("test_*.py"))
    passed = failed = skipped = 0
    failures = []
    for path in files:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = "%s.%s" % (path.stem, name)
            if pattern and pattern not in full:
                continue
            t0 = time.monotonic()
            try:
                getattr(mod, name)()
            except harness.Skip as e:
                skipped += 1
                print("skip %s: %s" % (full, e))
            except Exception:
                failed += 1
                failures.append(full)
                print("FAIL %s (%.1fs)" % (full, time.monotonic() - t0))
                traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                print("ok   %s (%.1fs)" % (full, time.monotonic() - t0))
            sys.stdout.flush()
    for f in failures:
        print("failed: " + f)
    engine = os.environ.get("POSTINO_TEST_DB", "sqlite")
    print("integration%s: %d passed, %d failed%s" % (
        "" if engine == "sqlite" else " (" + engine + ")", passed, failed,
        ", %d skipped" % skipped if skipped else ""))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    import signal
    # SIGTERM (timeout, make interrupted) stops the PostgreSQL cluster too.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        rc = main()
    finally:
        harness.pg_stop()
    sys.exit(rc)
