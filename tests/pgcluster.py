"""A throwaway PostgreSQL cluster for tests and benchmarks (initdb/pg_ctl as the ``postgres`` user)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_CANDIDATES = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]


def find_bin() -> str | None:
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    for candidate in PG_BIN_CANDIDATES:
        if Path(candidate, "initdb").exists():
            return candidate
    initdb = shutil.which("initdb")
    return str(Path(initdb).resolve().parent) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.bin = find_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.dir = Path(tempfile.mkdtemp(prefix="soglasie-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        self.durable_commits = self.fsync = False

    def _run(self, *args, check=True):
        cmd = [str(Path(self.bin, args[0])), *map(str, args[1:])]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def options(self) -> str:
        """Server options for a throwaway cluster: no fsync unless asked (the machine does not crash, only the
        server may).
        With ``durable_commits`` a commit is acknowledged only once its WAL is written, so a crash of the server
        process (``pg_ctl stop -m immediate``) loses nothing acknowledged — what the fault run checks."""
        return (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync={'on' if self.fsync else 'off'} "
            f"-c synchronous_commit={'on' if self.durable_commits else 'off'} "
            f"-c full_page_writes={'on' if self.fsync else 'off'} "
            f"-c max_connections=200"
        )

    def start(self, durable_commits: bool = False, fsync: bool = False):
        """``fsync=True`` with ``durable_commits=True``: production commit settings (benchmarks compare
        against the embedded database with them)."""
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.durable_commits = durable_commits
        self.fsync = fsync
        self._run("pg_ctl", "-D", self.data, "-o", self.options(), "-l", self.dir / "log", "-w", "start")
        for _ in range(50):
            if self._run("pg_isready", "-h", "127.0.0.1", "-p", self.port, check=False).returncode == 0:
                break
            time.sleep(0.1)
        return self

    def url(self, database="postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database="postgres"):
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname={database}", autocommit=True
        ) as conn:
            conn.execute(statement)

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "restart")
