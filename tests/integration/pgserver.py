# SPDX-License-Identifier: MIT
"""A throw-away PostgreSQL server for the pg:// monitor tests: initdb and
pg_ctl from Debian's postgresql package, run as the `postgres` user, data
and unix socket in a scratch directory, no TCP (listen_addresses='').
Any cluster the Debian package created is neither used nor touched."""
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[4]))
    for d in reversed(dirs):
        if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK):
            return d
    return None


def unavailable():
    """Why the tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (initdb runs as the postgres user)"
    if not pg_bindir():
        return "Debian package postgresql missing (scripts/deps.sh installs it)"
    if not shutil.which("psql"):
        return "psql missing (postgresql-client)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user (created by the postgresql package)"
    return None


SCHEMA = """
CREATE TABLE vassals (
    node   text NOT NULL DEFAULT '',
    name   text NOT NULL,
    config text NOT NULL,
    ts     timestamptz NOT NULL DEFAULT now(),
    uid    integer,
    gid    integer,
    PRIMARY KEY (node, name)
);
CREATE FUNCTION stockade_vassals_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stockade_vassals', '');
    RETURN NULL;
END $$;
CREATE TRIGGER vassals_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vassals
    FOR EACH STATEMENT EXECUTE FUNCTION stockade_vassals_notify();
"""


class PgServer:
    def __init__(self):
        self.bindir = pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="stockade-pg-")
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "server.log")
        self.as_pg(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = ''\nunix_socket_directories = '{self.dir}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 50\n")
        self.start()

    def as_pg(self, argv, check=True):
        return subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bindir}/{argv[0]}", *argv[1:]],
                              capture_output=True, text=True, timeout=120, check=check, cwd=self.dir)

    def start(self):
        self.as_pg(["pg_ctl", "-D", self.data, "-l", self.logfile, "-w", "-t", "60", "start"])

    def stop(self):
        self.as_pg(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"], check=False)

    def conninfo(self, db="postgres"):
        return f"host={self.dir} dbname={db} user=postgres"

    def sql(self, text, db="postgres"):
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-U", "postgres",
                            "-d", db], input=text, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def new_db(self, name, schema=SCHEMA):
        """A fresh database (one per test) with the documented schema."""
        self.sql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};")
        if schema:
            self.sql(schema, db=name)
        return self.conninfo(name)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg():
    """One server for a test module (import it into the module with noqa: F401)."""
    server = PgServer()
    yield server
    server.destroy()


_dbs = itertools.count(1)


def fresh_db(server, prefix, **schema):
    """A database no other test uses: (conninfo, name)."""
    name = f"{prefix}{os.getpid()}_{next(_dbs)}"
    return server.new_db(name, **schema), name
