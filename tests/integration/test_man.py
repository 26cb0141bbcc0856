"""test_man.py - the man pages describe what the binary has.

Every setting `postino config` prints has an entry in postino.conf(5)'s
SETTINGS, every list setting `postino list show --json` prints one in its
LIST SETTINGS (and no entry names a setting that does not exist), and
every command and subcommand the binary's usage lines name is in
postino(8).  A setting or command added to the code without its page
fails here.
"""
import json
import re
import subprocess
import tempfile

from harness import POSTINO, REPO

MAN = REPO / "man"


def run(*args, cwd):
    """postino ARGS in cwd (no postino.conf there: embedded defaults)."""
    return subprocess.run([POSTINO] + list(args), capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def sections(page):
    """{".Sh" title: [its lines]} of an mdoc source."""
    out, cur = {}, None
    for line in (MAN / page).read_text().splitlines():
        if line.startswith(".Sh "):
            cur = line[4:].strip().strip('"')
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def entries(lines):
    """The names of the ".It Ic NAME" entries."""
    return {m.group(1) for m in (re.match(r"\.It Ic (\S+)", ln)
                                 for ln in lines) if m}


def compare(what, code, page):
    missing, stale = sorted(code - page), sorted(page - code)
    assert not missing and not stale, (
        "%s: missing from the man page: %s; documented but unknown: %s"
        % (what, missing, stale))


def test_conf_page_has_every_setting():
    with tempfile.TemporaryDirectory() as d:
        r = run("config", cwd=d)
        assert r.returncode == 0, r.stderr
        code = {ln.split("=")[0].strip() for ln in r.stdout.splitlines()
                if "=" in ln and not ln.startswith("#")}
        assert "database" in code and len(code) > 10
        compare("postino.conf(5) SETTINGS", code,
                entries(sections("postino.conf.5")["SETTINGS"]))

        conf = d + "/postino.conf"
        with open(conf, "w") as f:
            f.write("database = %s/p.db\nsecret_file = %s/k\n" % (d, d))
        assert run("-c", conf, "list", "create", "t@example.org",
                   cwd=d).returncode == 0
        r = run("-c", conf, "--json", "list", "show", "t@example.org", cwd=d)
        assert r.returncode == 0, r.stderr
        code = set(json.loads(r.stdout)["settings"])
        assert "subject_prefix" in code
        compare("postino.conf(5) LIST SETTINGS", code,
                entries(sections("postino.conf.5")["LIST SETTINGS"]))


def usage_commands(cwd):
    """(family, subcommand) pairs from the usage lines of the binary."""
    text = run("--help", cwd=cwd).stdout
    families = re.findall(r"(?m)^\s+postino (\w+)", text)
    pairs = set()
    for fam in families:
        if fam in ("serve", "deliver"):     # would run: usage is --help's
            lines = [ln for ln in text.splitlines() if "postino " + fam in ln]
        else:
            r = run(fam, "--no-such-subcommand", cwd=cwd)
            lines = (r.stdout + r.stderr).splitlines()
        for ln in lines:
            m = re.search(r"postino %s((?: [a-z][a-z-]*| [A-Z]+)*)" % fam, ln)
            words = [w for w in m.group(1).split() if w.islower()] if m \
                else []
            pairs.add((fam, words[0] if words else ""))
    return pairs


def test_postino_page_has_every_command():
    text = subprocess.run(["mandoc", "-T", "ascii", str(MAN / "postino.8")],
                          capture_output=True, text=True, check=True).stdout
    text = re.sub(r".\x08", "", text)
    with tempfile.TemporaryDirectory() as d:
        pairs = usage_commands(d)
    assert ("list", "create") in pairs and ("rules", "mv") in pairs, pairs
    missing = []
    for fam, sub in sorted(pairs):
        pat = r"(?m)^\s+%s(?: [a-z]+)?%s\b" % (fam, " " + sub if sub else "")
        if not re.search(pat, text):
            missing.append("%s %s" % (fam, sub))
    assert not missing, "postino(8) lacks: " + ", ".join(missing)
