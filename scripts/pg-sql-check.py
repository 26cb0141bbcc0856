#!/usr/bin/env python3
"""pg-sql-check.py - prepare every SQL statement of the store on PostgreSQL.

    python3 scripts/pg-sql-check.py [BIN]      (BIN: bin/postino)

Each src/store*.c is run through the preprocessor (so that column-list
macros are expanded); the string literals given to db_query, db_run and
db_prepare, and the static SQL arrays, are the statements.  A private
cluster (tests/integration/pg_instance.py) gets a database that BIN
migrates, and each statement, with ?N as $N and the markers expanded, is
PREPAREd there: syntax, names, types and GROUP BY rules are checked
without running anything.  Prints each failure and "pg-sql-check: N of M
statements fail"; exits 1 when some do.  A quick check for converting
the store to the db API; the integration suite on PostgreSQL
(make integration-pg) is the real one.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from pg_instance import PgCluster  # noqa: E402

LIT = r'(?:"(?:[^"\\]|\\.)*"\s*)+'
CALL = re.compile(r'\bdb_(?:query|run|prepare)\s*\(\s*[^,()]+(?:\([^()]*\))?'
                  r'\s*,\s*(' + LIT + ')')
ARRAY = re.compile(r'static const char \w+\[\]\s*=\s*(' + LIT + ');')
SQL = re.compile(r'\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b', re.I)


def literal(text):
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    return "".join(parts).encode().decode("unicode_escape")


def statements():
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "store*.c"))):
        pre = subprocess.run(["cc", "-E", "-P", "-std=c11", "-D_GNU_SOURCE",
                              "-DHAVE_PGSQL", "-Iinclude", "-Isrc",
                              "-I/usr/include/postgresql", path],
                             capture_output=True, text=True, cwd=ROOT,
                             check=True).stdout
        name = os.path.relpath(path, ROOT)
        for m in CALL.finditer(pre):
            yield name, literal(m.group(1))
        for m in ARRAY.finditer(pre):
            sql = literal(m.group(1))
            if SQL.match(sql):
                yield name, sql


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "bin", "postino")
    stmts = list(statements())
    bad = 0
    with PgCluster() as pg, tempfile.TemporaryDirectory() as tmp:
        uri = pg.create_db("check")
        # Any command opens (and so migrates) the store.
        subprocess.run([binary, "-o", "database=" + uri, "-o",
                        "secret_file=" + os.path.join(tmp, "key"),
                        "list", "ls"], capture_output=True)
        for i, (name, sql) in enumerate(stmts):
            text = sql.replace("{FOR_UPDATE_SKIP_LOCKED}",
                               "FOR UPDATE SKIP LOCKED")
            text = re.sub(r"\?(\d+)", r"$\1", text)
            try:
                pg.psql("PREPARE s%d AS %s" % (i, text), db="check")
            except RuntimeError as e:
                bad += 1
                why = [l for l in str(e).splitlines()
                       if "ERROR" in l or "HINT" in l]
                print("%s: %s\n    %s" % (name, sql, " ".join(why)))
    print("pg-sql-check: %d of %d statements fail" % (bad, len(stmts)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
