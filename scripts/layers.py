#!/usr/bin/env python3
"""layers.py - fail on an include that goes up a layer or closes a cycle.

    python3 scripts/layers.py [ROOT]

Every file of src/ and include/ belongs to a family (its name up to the
first '_' or '.', with the exceptions of FAMILY below), every family to a
layer of LAYERS, lowest first.  A file may include the headers of its own
family and of the families of its layer or of lower layers; the families
of one layer must not include each other in a cycle.  Prints each
violation as FILE: includes HEADER (family -> family) and exits 1; prints
the layer map and exits 0 when there is none.
"""
import re
import sys
from pathlib import Path

# Lowest first.  ARCHITECTURE.md explains each layer.
LAYERS = [
    # Pure helpers: no store, no mail, no sockets of their own.
    ("base", "postino buf log fsutil utf8 tz addr priv token checkpoint"
             " template"
             " config admit relay_target digest_schedule outcome"),
    # One SQL API over two engines: the only includer of sqlite3.h and
    # libpq-fe.h (db_int.h, the drivers db_sqlite.c and db_pgsql*.c).
    ("db", "db"),
    # The rows: every SQL statement, and the fault classes.
    ("store", "store fault"),
    # Bytes on the wire: the message parser (libetpan), the relay client,
    # the LMTP/SMTP/socketmap server.  They know no list.
    ("wire", "msg relay server dmarc"),
    # What lists do with mail, lowest first within the layer is not
    # checked; a cycle between two of them is.
    ("domain", "listconf rules ban modlog router cmdaddr request listctx"
               " personal notice release subscription moderation digest"
               " http"
               " archive process queue scheduler ingest bounce"),
    # The command line: one file per family of subcommands.
    ("face", "cmd main"),
]

# Engine headers and the one file of src/ and include/ that may include
# each: the store reaches its engine through db.h only.
ENGINE_HEADERS = {
    "sqlite3.h": "db_sqlite.c",
    # The PostgreSQL driver is two files (db_pgsql.c, db_pgsql_stmt.c)
    # that share their libpq types through this private header.
    "libpq-fe.h": "db_pgsql_int.h",
}

# Files whose family is not the first word of their name: the server's
# protocol files, the CLI's JSON writer, the outcome map shared by the
# wire and the domain, and the pure parsers the configuration uses.
FAMILY = {
    "proto": "server",
    "session": "server",
    "socketmap": "server",
    "json": "cmd",
    "ingest_status": "outcome",
    "relay_target": "relay_target",
    "digest_schedule": "digest_schedule",
    "sub_moderation": "subscription",
    "sub_member": "subscription",
    "sub_bounce": "subscription",
    "modlog_report": "modlog",
}


def family(path):
    stem = Path(path).stem
    if stem in FAMILY:
        return FAMILY[stem]
    return re.split(r"[_.]", stem)[0]


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    layer_of = {}
    for i, (_, fams) in enumerate(LAYERS):
        for f in fams.split():
            layer_of[f] = i
    files = sorted(list(root.glob("src/*.[ch]")) +
                   list(root.glob("include/*.h")))
    bad = []
    edges = {}
    for path in files:
        me = family(path)
        if me not in layer_of:
            bad.append("%s: family '%s' is in no layer of scripts/"
                       "layers.py" % (path, me))
            continue
        for m in re.finditer(r'^#include <([^>]+)>', path.read_text(),
                             re.M):
            owner = ENGINE_HEADERS.get(m.group(1))
            if owner is not None and path.name != owner:
                bad.append("%s: includes <%s>, which only %s may"
                           % (path, m.group(1), owner))
        for m in re.finditer(r'^#include "([^"]+)"', path.read_text(),
                             re.M):
            them = family(m.group(1))
            if them == me or them not in layer_of:
                continue
            if layer_of[them] > layer_of[me]:
                bad.append("%s: includes %s (%s -> %s: up from %s to %s)"
                           % (path, m.group(1), me, them,
                              LAYERS[layer_of[me]][0],
                              LAYERS[layer_of[them]][0]))
            edges.setdefault(me, {}).setdefault(them, str(path))
    # Cycles between families (Tarjan's strongly connected components).
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    for comp in sccs:
        ties = ["%s -> %s (%s)" % (a, b, edges[a][b]) for a in comp
                for b in comp if b in edges.get(a, {})]
        bad.append("include cycle between families %s: %s"
                   % (", ".join(comp), "; ".join(ties)))
    for b in bad:
        print("layers: " + b)
    if bad:
        return 1
    for name, fams in LAYERS:
        print("layers: %-7s %s" % (name, fams))
    print("layers: %d files, no upward include, no cycle" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
