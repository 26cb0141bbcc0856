#!/usr/bin/env python3
"""bench.py - postino's benchmarks (make bench).

Starts Postfix's smtp-sink on loopback and the real postino daemon, and
reports, in one run:
  (a) shared fan-out: one 4 KB post to 10,000 / 100,000 / 1,000,000
      members, relay_batch 100, relay_connections 1 and 4, recipients/s
      from the LMTP acknowledgement to the last recipient accepted by the
      sink (the job's completion), next to the channel's limit measured
      against the same sink: pipe_source (bench/pipe_source.c, a client
      that pipelines all RFC 2920 allows) with the same sessions,
      recipients per transaction and message; smtp-source, which waits
      for every reply, is shown too;
  (b) VERP fan-out (verp = yes, the default, and personalize = yes: one
      transaction per recipient, each with its member's own envelope
      sender and footer links, pipelined): messages/s, next to
      pipe_source with one recipient per transaction, and next to the
      shared rate of (a) (verp = no);
  (c) durable LMTP ingest: 8 and 32 concurrent smtp-source -L sessions
      posting 4 KB messages, posts/s and posts per commit (from the
      daemon's stop log), next to one fsync per post on the same disk;
  (e) the same store work on PostgreSQL (a private cluster of this run,
      unix socket, fsync on) next to the SQLite figures of (a), (b) and
      (c): shared fan-out at 1 and 4 connections, VERP fan-out, durable
      ingest with 8 and 32 sessions;
  (d) digest fan-out: a digest of 20 such posts to 10,000 / 100,000
      digest members (MIME format, VERP: a copy per member): the time
      `postino digest send` takes to cut, render and queue it, then
      copies/s from there to the last one, next to pipe_source sending
      messages of the digest's size, one recipient per transaction, with
      the same sessions;
  peak RSS of postino serve in each case, and its CPU time (user + sys,
  from /proc) per stored post and per delivered recipient: these hold on
  any machine, unlike rates.  A summary table ends the run.
Set BENCH_QUICK=1 for a short run (fewer members).
"""
import contextlib
import os
import platform
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" /
                       "integration"))
import harness  # noqa: E402
from harness import Postino, SmtpSink, lmtp_send, message  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
ONLY = os.environ.get("BENCH_ONLY", "abcde")    # which parts to run
LIST = "bench@example.org"
BODY = ("x" * 70 + "\r\n") * 56          # about 4 KB


RSS_PARTS = {}     # pid -> what the resident memory is made of, in MB


def peak_rss_kb(pid):
    """Peak RSS in KB; remembers the split of the current RSS into
    anonymous (heap, stacks), file (binary, libraries) and shared memory
    (SQLite's WAL index) for rss_parts()."""
    kb = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "RssAnon", "RssFile", "RssShmem"):
                kb[key] = int(rest.split()[0])
    RSS_PARTS[pid] = "anon %.1f, file %.1f, shm %.1f MB" % (
        kb.get("RssAnon", 0) / 1024, kb.get("RssFile", 0) / 1024,
        kb.get("RssShmem", 0) / 1024)
    return kb.get("VmHWM", 0)


def rss_parts():
    """The split remembered by the last peak_rss_kb()."""
    return list(RSS_PARTS.values())[-1] if RSS_PARTS else "?"


def cpu_s(pid):
    """User + system CPU seconds of a process so far: the sum over its
    threads of /proc's schedstat (nanoseconds; the daemon's threads live
    as long as it does), else /proc/PID/stat (clock ticks)."""
    total, tasks = 0, "/proc/%d/task" % pid
    try:
        for tid in os.listdir(tasks):
            with open("%s/%s/schedstat" % (tasks, tid)) as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready(p):
    """Wait for the daemon's LMTP banner.  The port accepts connections as
    soon as it is bound, but the banner comes only once the start-up work
    is over (the database's quick_check reads every page: about a second
    with a million members), which no case should count."""
    with socket.create_connection(("127.0.0.1", p.lmtp_port), 120) as c:
        c.settimeout(120)
        banner = c.recv(512)
        assert banner.startswith(b"220"), banner
        c.sendall(b"QUIT\r\n")
        c.recv(512)


def cpu_by_thread(pid):
    """CPU seconds of each kind of thread of a process, by the names the
    daemon gives them ("postino" is the main thread: the event loop;
    "commit", "process", "queue-N" summed as "queue")."""
    out = {}
    tasks = "/proc/%d/task" % pid
    for tid in os.listdir(tasks):
        try:
            with open("%s/%s/comm" % (tasks, tid)) as f:
                name = f.read().strip()
            with open("%s/%s/schedstat" % (tasks, tid)) as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        name = "queue" if name.startswith("queue-") else name
        name = "loop" if name == "postino" else name
        out[name] = out.get(name, 0) + ns / 1e9
    return out


def children_cpu():
    """User + system CPU seconds of the children waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def pipe_source(port, sessions, txns, rcpts, size=4096):
    """The channel's limit: recipients/s of a fully pipelining client."""
    out = subprocess.run([os.environ["PIPE_SOURCE"], "-s", str(sessions),
                          "-m", str(txns), "-r", str(rcpts), "-l",
                          str(size), "127.0.0.1:%d" % port], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[out.index("rcpt/s") + 1])


def sink():
    """smtp-sink without dumping, as fast as it goes."""
    return SmtpSink(extra_args=[], backlog=1000, dump=False)


def smtp_source(port, sessions, msgs, rcpts, lmtp=False, size=4096,
                to="rcpt@example.org"):
    """smtp-source keeping its connections (-d), as postino does."""
    args = ["smtp-source", "-d", "-s", str(sessions), "-m", str(msgs),
            "-r", str(rcpts), "-l", str(size), "-f", "bench@example.org",
            "-t", to]
    if lmtp:
        args.insert(1, "-L")
    t0 = time.monotonic()
    subprocess.run(args + ["127.0.0.1:%d" % port], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def wait_done(p, timeout=600):
    """When every job of p's store is done (polled: every 5 ms on SQLite,
    through psql on PostgreSQL, which costs about 10 ms a look)."""
    deadline = time.monotonic() + timeout
    if p.pg_db is not None:
        while time.monotonic() < deadline:
            rows = p.sql("SELECT state FROM jobs")
            if rows and all(r[0] == "done" for r in rows):
                return time.monotonic()
            time.sleep(0.005)
        raise RuntimeError("fan-out did not finish")
    con = sqlite3.connect("file:%s?mode=ro" % p.settings["database"],
                          uri=True, timeout=30)
    try:
        while time.monotonic() < deadline:
            try:
                rows = con.execute("SELECT state FROM jobs").fetchall()
            except sqlite3.OperationalError:
                rows = []
            if rows and all(r[0] == "done" for r in rows):
                return time.monotonic()
            time.sleep(0.005)
    finally:
        con.close()
    raise RuntimeError("fan-out did not finish")


def fanout(members, conns, per_rcpt, port):
    settings = {"relay_batch": "100",
                "relay_connections": str(conns), "log_level": "warning"}
    with Postino(relay="smtp://127.0.0.1:%d" % port, settings=settings) as p:
        p.cli("list", "create", LIST)
        if per_rcpt:
            # VERP and a footer with each member's own links.
            p.cli("list", "set", LIST, "personalize", "yes")
        else:
            # Shared transactions: no VERP (ORCPT instead), no footer.
            p.cli("list", "set", LIST, "footer", "no")
            p.cli("list", "set", LIST, "verp", "no")
        data = "".join("m%07d@example.org\n" % i for i in range(members))
        p.cli("member", "import", LIST, "-", input=data.encode(),
              timeout=600)
        p.start()
        ready(p)
        c0 = cpu_s(p.proc.pid)
        t0 = time.monotonic()
        codes = lmtp_send(p.lmtp_port, "m0000000@example.org", [LIST],
                          message(sender="m0000000@example.org",
                                  to=LIST, body=BODY))
        assert codes == [250], codes
        t1 = wait_done(p)
        cpu = cpu_s(p.proc.pid) - c0
        rss = peak_rss_kb(p.proc.pid)
        sent = int(p.sql("SELECT sum(sent) FROM jobs")[0][0])
        p.stop()
    assert sent == members, (sent, members)
    return members / (t1 - t0), rss, cpu * 1e6 / members


def digest_fanout(members, conns, port, posts=20):
    """Seconds from `digest send` to the job's end, digest size, RSS."""
    settings = {"relay_batch": "100",
                "relay_connections": str(conns), "log_level": "warning"}
    with Postino(relay="smtp://127.0.0.1:%d" % port, settings=settings) as p:
        p.cli("list", "create", LIST)
        p.cli("list", "set", LIST, "digest_size", "0")
        data = "".join("m%07d@example.org\n" % i for i in range(members))
        p.cli("member", "import", LIST, "-", "--mode", "digest",
              input=data.encode(), timeout=600)
        p.start()
        ready(p)
        for i in range(posts):
            codes = lmtp_send(p.lmtp_port, "m0000000@example.org", [LIST],
                              message(sender="m0000000@example.org",
                                      to=LIST, subject="post %d" % i,
                                      body=BODY))
            assert codes == [250], codes
        deadline = time.monotonic() + 60
        while int(p.sql("SELECT count(*) FROM posts WHERE state ="
                        " 'accepted'")[0][0]) < posts:
            assert time.monotonic() < deadline, "posts not accepted"
            time.sleep(0.01)
        wait_done(p)
        t0 = time.monotonic()
        p.cli("digest", "send", LIST)
        t1 = time.monotonic()       # cut, rendered and queued
        t2 = wait_done(p)
        rss = peak_rss_kb(p.proc.pid)
        size = int(p.sql("SELECT length(body) FROM jobs WHERE"
                         " audience = 'mime'")[0][0])
        sent = int(p.sql("SELECT sum(sent) FROM jobs WHERE"
                         " digest_id > 0")[0][0])
        p.stop()
    assert sent == members, (sent, members)
    return members / (t2 - t1), t1 - t0, size, rss


def fsync_rate(directory, n=2000):
    path = os.path.join(directory, "fsync.bench")
    block = b"x" * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    t0 = time.monotonic()
    for _ in range(n):
        os.write(fd, block)
        os.fsync(fd)
    dt = time.monotonic() - t0
    os.close(fd)
    os.unlink(path)
    return n / dt


def ingest(posts=20000, sessions=8):
    """Posts/s, fsync/s, peak RSS, posts stored, posts per commit and CPU
    microseconds per post, at the default log level."""
    with Postino() as p:
        p.cli("list", "create", LIST)
        p.start()
        ready(p)
        c0, t0, s0 = cpu_s(p.proc.pid), cpu_by_thread(p.proc.pid), \
            children_cpu()
        dt = smtp_source(p.lmtp_port, sessions, posts, 1, lmtp=True, to=LIST)
        # All threads while the posts came in: the acknowledgements, and
        # whatever the processor did with the posts meanwhile.
        cpu = cpu_s(p.proc.pid) - c0
        t1, client = cpu_by_thread(p.proc.pid), children_cpu() - s0
        split = ", ".join("%s %.0f" % (k, (t1[k] - t0.get(k, 0)) * 1e6 /
                                        posts)
                          for k in sorted(t1) if t1[k] - t0.get(k, 0) > 0)
        split += "; smtp-source %.0f" % (client * 1e6 / posts)
        # Every acknowledged post is in the database.
        stored = int(p.sql("SELECT count(*) FROM messages")[0][0])
        rss = peak_rss_kb(p.proc.pid)
        fs = fsync_rate(p.dir)
        p.stop()
        per = 0.0
        for line in p.read_log().splitlines():
            if "per commit" in line:
                per = float(line.split(", ")[-1].split()[0])
    return posts / dt, fs, rss, stored, per, cpu * 1e6 / posts, split


def measured(sink_pid, fn, *args):
    """fn(*args), and the CPU microseconds it and smtp-sink used (the
    children waited for by fn, and the sink process) as a pair."""
    c0, s0 = children_cpu(), cpu_s(sink_pid)
    out = fn(*args)
    return out, ((children_cpu() - c0) * 1e6, (cpu_s(sink_pid) - s0) * 1e6)


def cpu_line(n, mine, ref):
    """Who burnt the machine's CPU per recipient: on 2 cores, the client
    and smtp-sink share them, so a client that costs more per recipient
    than pipe_source cannot match its rate once the cores are full."""
    return ("CPU per rcpt: postino %.2f + smtp-sink %.2f us; pipe_source"
            " %.2f + smtp-sink %.2f us" % (mine[0] / n, mine[1] / n,
                                          ref[0] / n, ref[1] / n))


def fanout_cases(s, sizes, rows):
    """(a) shared and (b) VERP fan-out, each next to pipe_source."""
    if "a" in ONLY:
        print("(a) shared fan-out, relay_batch 100")
    for conns in (1, 4) if "a" in ONLY else ():
        for n in sizes:
            (rate, rss, us), sk = measured(s.proc.pid, fanout, n, conns,
                                           False, s.port)
            msgs = max(1, n // 100)
            ref, rk = measured(s.proc.pid, pipe_source, s.port, conns,
                               msgs, 100)
            old = (msgs * 100) / smtp_source(s.port, conns, msgs, 100)
            print("    %7d members, %d conn: postino %9.0f rcpt/s,"
                  " pipe_source %9.0f rcpt/s, ratio %.2f (smtp-source"
                  " %.0f); %s; peak RSS %.1f MB (at the end: %s)" % (
                      n, conns, rate, ref, rate / ref, old,
                      cpu_line(n, (us * n, sk[1]), rk),
                      rss / 1024, rss_parts()))
            rows.append(("shared fan-out, %d conn, %s members" % (
                conns, "{:,}".format(n)), "%.0f rcpt/s" % ref,
                "%.0f rcpt/s" % rate, "%.0f%%" % (100 * rate / ref),
                "%.2f us/rcpt" % us, rss))
    if "b" in ONLY:
        print("(b) VERP fan-out (personalized), one transaction per"
              " recipient")
    for conns in (1, 4) if "b" in ONLY else ():
        n = 10000 if QUICK else 100000
        (rate, rss, us), sk = measured(s.proc.pid, fanout, n, conns, True,
                                       s.port)
        ref, rk = measured(s.proc.pid, pipe_source, s.port, conns, n, 1)
        print("    %7d members, %d conn: postino VERP %9.0f msg/s,"
              " pipe_source 1 rcpt/txn %9.0f msg/s, ratio %.2f; %s;"
              " peak RSS %.1f MB" % (
                  n, conns, rate, ref, rate / ref,
                  cpu_line(n, (us * n, sk[1]), rk), rss / 1024))
        rows.append(("VERP fan-out, %d conn, %s members" % (
            conns, "{:,}".format(n)), "%.0f msg/s" % ref,
            "%.0f msg/s" % rate, "%.2fx" % (rate / ref),
            "%.2f us/rcpt" % us, rss))


def digest_cases(s, sizes):
    """(d): digests go out one copy per member (verp = yes, the default),
    so the reference is pipe_source with one recipient per transaction
    and the digest's size (20,000 transactions at most)."""
    if "d" in ONLY:
        print("(d) digest fan-out, 20 posts of 4 KB, MIME, VERP (one copy"
              " per member)")
    for conns in (1, 4) if "d" in ONLY else ():
        for n in sizes[:2]:
            rate, cut, size, rss = digest_fanout(n, conns, s.port)
            ref = pipe_source(s.port, conns, min(n, 20000), 1, size=size)
            print("    %7d members, %d conn: `digest send` %.2f s, then"
                  " postino %6.0f msg/s, pipe_source 1 rcpt/txn %6.0f"
                  " msg/s (%d KB), ratio %.2f, peak RSS %.1f MB" % (
                      n, conns, cut, rate, ref, size // 1024,
                      rate / ref, rss / 1024))


def ingest_cases(rows):
    if "c" not in ONLY:
        return
    print("(c) durable LMTP ingest, smtp-source -L sessions, 4 KB posts")
    for sessions in (8, 32):
        rate, fs, rss, stored, per, us, split = ingest(
            5000 if QUICK else 20000, sessions)
        print("    %2d sessions: postino %.0f posts/s acknowledged durably"
              " (%d stored), %.1f posts per commit; one fsync per post:"
              " %.0f/s on the same disk; ratio %.2f; %.0f us CPU/post"
              " (by thread: %s), peak RSS %.1f MB (at the end: %s)" % (
                  sessions, rate, stored, per, fs, rate / fs, us, split,
                  rss / 1024, rss_parts()))
        rows.append(("durable ingest, %d sessions" % sessions,
                     "%.0f fsync/s" % fs, "%.0f posts/s" % rate,
                     "%.2fx" % (rate / fs), "%.0f us/post" % us, rss))


@contextlib.contextmanager
def postgresql():
    """Postino instances made inside use a database of a private cluster
    started for them with fsync on; stopped by PID at the end."""
    from pg_instance import PgCluster
    saved = harness.ENGINE
    harness._pg = PgCluster(durable=True).start()
    harness.ENGINE = "pgsql"
    try:
        yield
    finally:
        harness.ENGINE = saved
        harness.pg_stop()


def find(rows, what):
    """The postino figure of an earlier row, as a number, or None."""
    for r in rows:
        if r[0] == what:
            return float(r[2].split()[0])
    return None


def pg_row(rows, what, got, unit, us, rss):
    base = find(rows, what)
    print("    %s: PostgreSQL %.0f %s, SQLite %s, ratio %s; %s CPU, peak RSS"
          " %.1f MB" % (what, got, unit, "%.0f" % base if base else "-",
                        "%.2f" % (got / base) if base else "-", us,
                        rss / 1024))
    rows.append((what + ", PostgreSQL", "SQLite %s %s" % (
        "%.0f" % base if base else "-", unit), "%.0f %s" % (got, unit),
        "%.2fx" % (got / base) if base else "-", us, rss))


def pg_cases(s, rows):
    """(e): the store work of (a), (b) and (c) on PostgreSQL."""
    if "e" not in ONLY:
        return
    n = 10000 if QUICK else 100000
    print("(e) PostgreSQL (private cluster, unix socket, fsync on) next to"
          " SQLite")
    with postgresql():
        for conns in (1, 4):
            rate, rss, us = fanout(n, conns, False, s.port)
            pg_row(rows, "shared fan-out, %d conn, %s members" % (
                conns, "{:,}".format(n)), rate, "rcpt/s",
                "%.2f us/rcpt" % us, rss)
        rate, rss, us = fanout(n, 1, True, s.port)
        pg_row(rows, "VERP fan-out, 1 conn, %s members" % "{:,}".format(n),
               rate, "msg/s", "%.2f us/rcpt" % us, rss)
        for sessions in (8, 32):
            rate, fs, rss, stored, per, us, _ = ingest(
                5000 if QUICK else 20000, sessions)
            pg_row(rows, "durable ingest, %d sessions" % sessions, rate,
                   "posts/s", "%.0f us/post, %.1f posts/commit" % (us, per),
                   rss)


def main():
    sizes = [10000, 100000] if QUICK else [10000, 100000, 1000000]
    print("postino benchmark  %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
    print("machine: %s, %d cores, %s; python %s" % (
        platform.machine(), os.cpu_count(), platform.platform(),
        platform.python_version()))
    print("loadavg at start: %s" % open("/proc/loadavg").read().strip())
    print("peer: smtp-sink (Postfix) on 127.0.0.1, 4 KB message\n")
    rows = []
    with sink() as s:
        fanout_cases(s, sizes, rows)
        digest_cases(s, sizes)
    ingest_cases(rows)
    with sink() as s:
        pg_cases(s, rows)
    print("loadavg at end: %s" % open("/proc/loadavg").read().strip())
    if not rows:
        return
    print("\n| work | limit in the same run | postino | ratio | CPU |"
          " peak RSS |")
    print("|---|---|---|---|---|---|")
    for what, ref, got, ratio, cpu, rss in rows:
        print("| %s | %s | %s | %s | %s | %.1f MB |" % (
            what, ref, got, ratio, cpu, rss / 1024))


if __name__ == "__main__":
    main()
