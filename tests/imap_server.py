"""A throwaway Dovecot IMAP server on 127.0.0.1, started from Debian's binaries with a config of its own.

Implicit TLS (imaps) with a certificate from a throwaway CA, one user in a passwd file, and a Maildir
that tests fill by writing files into it directly (Dovecot picks them up on the next SELECT).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from .conftest import free_port

USER = "reader"
PASSWORD = "s3cret-imap"


@dataclass
class ImapServer:
    root: Path
    port: int
    starttls_port: int
    ca_file: Path
    maildir: Path
    uid: int
    gid: int

    def deliver(self, name: str, raw: bytes, *, folder: str = "") -> Path:
        """Put one message into the Maildir (``folder`` as a Maildir++ subfolder), unseen."""
        box = self.maildir / f".{folder}" if folder else self.maildir
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        path = box / "new" / f"{int(time.time())}.{name}.digest-test"
        path.write_bytes(raw)
        for node in (box, box / "cur", box / "new", box / "tmp", path):
            os.chown(node, self.uid, self.gid)
        return path

    def seen_flags(self) -> list[str]:
        """The Maildir flag suffixes (``:2,S`` for seen) of every message file, as Dovecot left them."""
        return sorted(p.name.partition(":2,")[2] for p in self.maildir.rglob("*.digest-test*"))


def _account() -> tuple[int, int, str, str]:
    """uid, gid of the mail user, and the internal and login users Dovecot runs its parts as."""
    if os.geteuid() == 0:
        try:
            nobody, internal, login = (pwd.getpwnam(n) for n in ("nobody", "dovecot", "dovenull"))
        except KeyError:
            pytest.skip("running as root without the nobody, dovecot and dovenull users Dovecot runs as")
        return nobody.pw_uid, nobody.pw_gid, internal.pw_name, login.pw_name
    me = pwd.getpwuid(os.geteuid())
    return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name


def _config(root: Path, port: int, starttls: int, uid: int, gid: int, internal: str, login: str) -> str:
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {starttls}
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"dovecot exited at start: {detail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("dovecot did not listen within 20 s")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """A Dovecot server with implicit TLS on a free loopback port, or a skip saying why there is none."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip("Dovecot is not installed (Debian package dovecot-imapd)")
    uid, gid, internal, login = _account()
    # Short: Dovecot's sockets live under base_dir, and a socket path is limited to 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="dv-"))
    os.chmod(root, 0o755)
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    maildir = root / "home" / USER / "Maildir"
    maildir.mkdir(parents=True)
    for node in (root / "home", root / "home" / USER, maildir):
        os.chown(node, uid, gid)
    port, starttls = free_port(), free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, starttls, uid, gid, internal, login))
    with open(root / "dovecot.log", "ab") as log:
        process = subprocess.Popen([binary, "-F", "-c", str(conf)], stderr=log, stdout=subprocess.DEVNULL)
    try:
        _wait(port, process, root / "dovecot.log")
        yield ImapServer(root, port, starttls, root / "ca.pem", maildir, uid, gid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
