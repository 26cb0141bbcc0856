"""test_install.py - `make install` and `make uninstall` with DESTDIR and
PREFIX: the binary, the man pages, the templates and the contrib files
land where the contrib files and a packaged postino.conf say, and the
installed binary runs on the installed templates.

The binary installed is the one under test (POSTINO), never rebuilt.
"""
import os
import shutil
import stat
import subprocess
import tempfile

from harness import POSTINO, REPO


def make(*args):
    r = subprocess.run(["make", "-C", str(REPO), "--no-print-directory",
                        "-o", POSTINO, "BIN=" + POSTINO] + list(args),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def test_install_tree_runs_and_uninstalls():
    dest = tempfile.mkdtemp(prefix="postino-install-")
    try:
        make("install", "DESTDIR=" + dest, "PREFIX=/usr")
        got = set(files(dest))
        for want in ("usr/sbin/postino",
                     "usr/share/man/man8/postino.8",
                     "usr/share/man/man5/postino.conf.5",
                     "usr/share/postino/templates/en/help.txt",
                     "usr/share/postino/templates/it/help.txt",
                     "usr/share/postino/templates/styles/announce.style",
                     "usr/share/doc/postino/contrib/postino.conf.example",
                     "usr/share/doc/postino/contrib/postfix/README",
                     "usr/share/doc/postino/contrib/exim/README",
                     "usr/share/doc/postino/contrib/systemd/postino.service"):
            assert want in got, "%s not installed: %s" % (want, sorted(got))
        for sub in ("templates", "contrib"):
            src = set(files(REPO / sub))
            base = ("usr/share/postino/templates" if sub == "templates"
                    else "usr/share/doc/postino/contrib")
            inst = {os.path.relpath(f, base) for f in got
                    if f.startswith(base + "/")}
            assert src == inst, "%s: %s" % (sub, src ^ inst)
        exe = os.path.join(dest, "usr/sbin/postino")
        assert os.stat(exe).st_mode & 0o777 == 0o755
        man = os.path.join(dest, "usr/share/man/man5/postino.conf.5")
        assert stat.S_IMODE(os.stat(man).st_mode) == 0o644
        script = os.path.join(dest, "usr/share/doc/postino/contrib/"
                              "opensmtpd/update-table.sh")
        assert stat.S_IMODE(os.stat(script).st_mode) == 0o755

        # The contrib files name what was installed: /usr/sbin/postino
        # and the templates a packaged postino.conf points at.
        contrib = os.path.join(dest, "usr/share/doc/postino/contrib")
        unit = open(contrib + "/systemd/postino.service").read()
        assert "ExecStart=/usr/sbin/postino " in unit
        assert "argv=/usr/sbin/postino " in open(
            contrib + "/postfix/master.cf.snippet").read()
        example = open(contrib + "/postino.conf.example").read()
        assert "templates = /usr/share/postino/templates" in example

        # The installed binary checks the installed templates, as a
        # packaged config names them (under DESTDIR here).
        work = os.path.join(dest, "work")
        os.mkdir(work)
        conf = os.path.join(work, "postino.conf")
        with open(conf, "w") as f:
            f.write("database = %s/p.db\nsecret_file = %s/k\n"
                    "templates = %s/usr/share/postino/templates\n"
                    % (work, work, dest))
        r = subprocess.run([exe, "-c", conf, "config", "check"],
                           capture_output=True, text=True, cwd=work)
        assert r.returncode == 0 and "ok" in r.stdout, r.stderr
        # ... and list create --style reads the installed styles.
        r = subprocess.run([exe, "-c", conf, "list", "create",
                            "t@example.org", "--style", "announce"],
                           capture_output=True, text=True, cwd=work)
        assert r.returncode == 0, r.stderr
        r = subprocess.run([exe, "--version"], capture_output=True,
                           text=True)
        assert r.returncode == 0 and r.stdout.startswith("postino ")
        shutil.rmtree(work)

        make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
        assert files(dest) == [], files(dest)

        # Another PREFIX: the contrib files follow it.
        make("install", "DESTDIR=" + dest, "PREFIX=/opt/postino")
        unit = open(os.path.join(dest, "opt/postino/share/doc/postino/"
                                 "contrib/systemd/postino.service")).read()
        assert "ExecStart=/opt/postino/sbin/postino " in unit
        make("uninstall", "DESTDIR=" + dest, "PREFIX=/opt/postino")
        assert files(dest) == [], files(dest)
    finally:
        shutil.rmtree(dest, ignore_errors=True)
