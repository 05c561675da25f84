"""Shared fixtures: real loopback servers (HTTP for feeds, SMTP for email) and configs that use them."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from digest.config import Config, parse_config
from digest.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"
EXAMPLE_NOW = "2026-11-23T09:00:00Z"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# How often a serving thread looks for a shutdown request: shutdown() waits up to this long, once per
# server a test starts (the standard library's 0.5 s, at some hundred servers, was a third of the fast loop).
POLL_INTERVAL = 0.01


@contextmanager
def serving(httpd: HTTPServer) -> Iterator[HTTPServer]:
    """Serve ``httpd`` on a daemon thread for the ``with`` block, then shut it down and close its socket."""
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@dataclass
class FeedServer:
    root: Path
    port: int
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"


class _QuietHandler(SimpleHTTPRequestHandler):
    server_state: FeedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server_state.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 serving a copy of ``examples/`` (tests may add files)."""
    root = tmp_path / "served"
    shutil.copytree(EXAMPLES, root)
    state = FeedServer(root=root, port=0)
    handler = type("Handler", (_QuietHandler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    state.port = httpd.server_address[1]
    with serving(httpd):
        yield state


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse_all = False
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_all:
            return "554 transaction failed: mailbox unavailable"
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    recorder: _Recorder


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives."""
    recorder = _Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(port, recorder)
    controller.stop()


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout (the seed and bench data live there)")
    return SHARED


def write_config(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


# What every loopback config starts from: state and output beside the config file, fetches allowed to
# loopback only, mail to one reader through the outbox folder (``smtp=`` sends it to a server instead).
LOOPBACK_BASE: dict[str, Any] = {
    "digest": {"title": "Loopback Weekly", "state": "state.db", "output": "out"},
    "fetch": {"allow_networks": ["127.0.0.1/32"]},
    "email": {"sender": "Loopback Weekly <weekly@example.org>", "to": ["ann@example.org"]},
}


@dataclass(frozen=True)
class LoopbackConfig:
    """Builds the configs of runs against the loopback servers, relative to ``base_dir``.

    Keyword arguments are TOML tables laid over :data:`LOOPBACK_BASE`: a table merges key by key
    (``email={"to": [...]}`` keeps the sender), any other value replaces, and ``None`` removes the key.
    ``smtp=`` points ``[email.smtp]`` at a loopback SMTP server with no TLS.
    """

    base_dir: Path

    def __call__(self, *, smtp: SmtpServer | None = None, **tables: Any) -> Config:
        """The config, built by :func:`parse_config` as the loader builds it, so every table checks itself."""
        return parse_config(self.data(smtp=smtp, **tables), base_dir=self.base_dir, path=str(self.path))

    @property
    def path(self) -> Path:
        return self.base_dir / "digest.toml"

    def data(self, *, smtp: SmtpServer | None = None, **tables: Any) -> dict[str, Any]:
        """The config as parsed TOML."""
        if smtp is not None:
            mail = {"smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"}}
            tables["email"] = _merge(mail, tables.get("email") or {})
        return _plain(_merge(LOOPBACK_BASE, tables))

    def write(self, *, smtp: SmtpServer | None = None, **tables: Any) -> Path:
        """The same config as a TOML file at :attr:`path`, for the command line; returns the path."""
        data = self.data(smtp=smtp, **tables)
        text = to_toml(data)
        assert tomllib.loads(text) == data, text
        self.base_dir.mkdir(parents=True, exist_ok=True)
        return write_config(self.path, text)

    def at(self, base_dir: Path) -> LoopbackConfig:
        """The same builder for a config in another folder (a second digest, say)."""
        return LoopbackConfig(base_dir)


@pytest.fixture
def loopback_config(tmp_path: Path) -> LoopbackConfig:
    """``loopback_config(**tables)``: a checked :class:`Config` in ``tmp_path``; ``.write(**tables)`` the file."""
    return LoopbackConfig(tmp_path)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _plain(value: Any) -> Any:
    """Parsed TOML's own types: tables as dicts, arrays as lists, paths as strings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """``data`` (strings, numbers, booleans, arrays, tables, arrays of tables) written as TOML."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        if isinstance(value, Mapping):
            tables.append(f"\n[{name}]\n{to_toml(value, name)}")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            tables.extend(f"\n[[{name}]]\n{to_toml(item, name)}" for item in value)
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}\n")
    return "".join(lines) + "".join(tables)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _postgres_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return candidates[-1].parent if candidates else None


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL server on 127.0.0.1, trust auth, superuser ``digest``."""

    port: int
    databases: int = 0

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://digest@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        self.databases += 1
        name = f"digest_test_{self.databases}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server started from the installed binaries (initdb, pg_ctl), or a skip."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no pg_ctl; Debian package postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="digest-pg-"))
    if os.geteuid() == 0:
        # The server refuses to run as root: run it as the postgres system user.
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        os.chown(root, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c fsync=off"
    commands = (
        [str(bindir / "initdb"), "-D", str(data), "-U", "digest", "--auth=trust", "-E", "UTF8", "--no-sync"],
        [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o", options, "start"],
    )
    try:
        for command in commands:
            subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)
        yield PostgresServer(port)
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


# PostgreSQL starts a server (initdb, pg_ctl): slow, so -m "not slow" keeps the SQLite half.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[pytest.mark.slow, pytest.mark.postgres])])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh, empty state store lives: a SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    """A fresh, empty state store on each backend, not scoped to a digest (``store.scoped(name)`` is)."""
    with open_store(store_location) as opened:
        yield opened
