"""The command line as the host of a group uses it, on the real binary, each test in a fresh
temporary folder (never the repository): refusals, help, failures, migrate --dry-run, an install
that serves its page from anywhere, a backup taken under writes, and a restore; on PostgreSQL
(ETRANGE_TEST_POSTGRES_URL), the pg_dump and pg_restore commands that backup and restore print.

Run by Tests/cli/run.sh, which installs the binary with scripts/install.sh into ETRANGE_CLI_PREFIX.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

PREFIX = Path(os.environ["ETRANGE_CLI_PREFIX"])
BINARY = PREFIX / "bin" / "etrange"
CRASH_TEXT = ("Fatal error", "Stack dump", "Illegal instruction", "Current stack trace", "Backtrace", "💣")
# The variables a host might have set, none of which a test may inherit.
HOST_VARIABLES = [name for name in os.environ if name.startswith("ETRANGE_") or name in ("DATABASE_URL", "LOG_LEVEL")]


def environment(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in HOST_VARIABLES}
    env.update({"ETRANGE_BCRYPT_COST": "4", "ETRANGE_RATE_LIMITS": "off"})
    env.update(extra)
    return env


def etrange(folder: Path, *arguments: str, binary: Path = BINARY, timeout: float = 120, **variables: str):
    return subprocess.run([str(binary), *arguments], cwd=folder, env=environment(**variables),
                          capture_output=True, text=True, timeout=timeout)


def assert_no_crash(out) -> None:
    for text in CRASH_TEXT:
        assert text not in out.stdout + out.stderr, f"crash text {text!r}:\n{out.stdout}\n{out.stderr}"


def one_line_failure(out, *expected: str) -> str:
    """A failure as the issue asks: status 1, one French line on stderr naming the cause."""
    assert_no_crash(out)
    assert out.returncode == 1, f"status {out.returncode}:\n{out.stdout}\n{out.stderr}"
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"not one line on stderr:\n{out.stderr}"
    assert lines[0].startswith("etrange : "), lines[0]
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def everything_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


class Server:
    """`etrange serve` started in `folder` on a free port, stopped with SIGTERM."""

    def __init__(self, folder: Path, **variables: str):
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(folder / f"serve-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=folder, env=environment(**variables), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise AssertionError("the server did not start:\n" + (folder / f"serve-{self.port}.log").read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.log.close()

    def call(self, method: str, path: str, token: str | None = None, body=None, http=None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = (http or requests).request(method, self.base + path, json=body, headers=headers, timeout=30)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}


# ---------------------------------------------------------------------------------------------
# The command line itself


@pytest.mark.parametrize("arguments", [
    ["foo"],
    ["servee", "--port", "8080"],
    ["serve", "--nope"],
    ["--port", "8080"],
    ["serve", "--port"],
    ["serve", "--port", "99999"],
    ["serve", "--bind", "nowhere"],
    ["migrate", "--dry-run=oui"],
    ["migrate", "now"],
    ["backup"],
    ["restore", "a.sqlite", "b.sqlite"],
    ["--log", "bavard"],
])
def test_a_typo_prints_the_usage_exits_2_and_touches_nothing(tmp_path: Path, arguments: list[str]):
    # Even with a database configured in this folder and an unreachable PostgreSQL elsewhere: the
    # line is refused before either is looked at.
    for database in (f"sqlite://{tmp_path}/data/etrange.sqlite", "postgres://etrange@127.0.0.1:9/nulle"):
        started = time.monotonic()
        out = etrange(tmp_path, *arguments, DATABASE_URL=database)
        assert out.returncode == 2, f"{arguments}: status {out.returncode}\n{out.stdout}\n{out.stderr}"
        assert out.stderr.startswith("etrange : "), out.stderr
        assert "Usage : etrange" in out.stderr
        assert_no_crash(out)
        assert everything_in(tmp_path) == [], f"{arguments} created {everything_in(tmp_path)}"
        assert time.monotonic() - started < 10


def test_help_and_version_need_no_database(tmp_path: Path):
    # Unusable variables and an unreachable database change nothing to the help.
    broken = {"DATABASE_URL": "postgres://etrange@127.0.0.1:9/nulle", "ETRANGE_BCRYPT_COST": "99"}
    out = etrange(tmp_path, "--version", **broken)
    assert (out.returncode, out.stdout.startswith("etrange ")) == (0, True), out
    general = etrange(tmp_path, "--help", **broken)
    assert general.returncode == 0 and "Usage : etrange" in general.stdout, general
    commands = [line.split()[0] for line in general.stdout.split("Commandes :")[1].split("\n\n")[0].splitlines()
                if line.strip()]
    assert {"serve", "migrate", "seed-demo", "backup", "restore"} <= set(commands), commands
    for command in commands:
        for flag in ("--help", "-h"):
            out = etrange(tmp_path, command, flag, **broken)
            assert out.returncode == 0, out
            assert f"Usage : etrange {command}" in out.stdout, out.stdout
    assert "--dry-run" in etrange(tmp_path, "migrate", "--help").stdout
    assert "--port" in etrange(tmp_path, "serve", "--help").stdout
    assert everything_in(tmp_path) == []


def test_each_failure_is_one_french_line(tmp_path: Path):
    sqlite_url = f"sqlite://{tmp_path}/data/etrange.sqlite"
    # A bad variable, named.
    one_line_failure(etrange(tmp_path, "migrate", ETRANGE_BCRYPT_COST="99"), "ETRANGE_BCRYPT_COST")
    one_line_failure(etrange(tmp_path, "migrate", DATABASE_URL="mysql://x"), "DATABASE_URL")
    # The database: missing, unreachable (its password never printed).
    for command in (["seed-demo"], ["migrate", "--dry-run"], ["backup", "copie.sqlite"], ["routes"]):
        one_line_failure(etrange(tmp_path, *command, DATABASE_URL=sqlite_url), "n'existe pas")
    closed = free_port()
    line = one_line_failure(
        etrange(tmp_path, "migrate", DATABASE_URL=f"postgres://etrange:s3cret@127.0.0.1:{closed}/nulle"),
        "PostgreSQL injoignable")
    assert "s3cret" not in line
    assert everything_in(tmp_path) == []

    assert etrange(tmp_path, "migrate", DATABASE_URL=sqlite_url).returncode == 0
    # Out of date: seed-demo does not migrate, it says so.
    with sqlite3.connect(tmp_path / "data/etrange.sqlite") as db:
        db.execute("DELETE FROM _fluent_migrations WHERE rowid = (SELECT max(rowid) FROM _fluent_migrations)")
    one_line_failure(etrange(tmp_path, "seed-demo", DATABASE_URL=sqlite_url), "etrange migrate")

    # The web files: none beside a lone binary nor here, or a variable naming an empty folder.
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "etrange").write_bytes(BINARY.read_bytes())
    (lone / "etrange").chmod(0o755)
    one_line_failure(etrange(tmp_path, "serve", binary=lone / "etrange", DATABASE_URL=sqlite_url),
                     "fichiers web introuvables", "ETRANGE_PUBLIC_DIR")
    one_line_failure(etrange(tmp_path, "serve", DATABASE_URL=sqlite_url, ETRANGE_PUBLIC_DIR=str(lone)),
                     "ETRANGE_PUBLIC_DIR", "index.html")

    # A port in use.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        database = f"sqlite://{tmp_path}/other.sqlite"
        one_line_failure(etrange(tmp_path, "serve", "--hostname", "127.0.0.1", "--port", port, DATABASE_URL=database),
                         "déjà prise", port)

    # Backups: never over a file, never from or to something that is not a database of this server.
    (tmp_path / "exists.sqlite").write_text("")
    one_line_failure(etrange(tmp_path, "backup", "exists.sqlite", DATABASE_URL=database), "existe déjà")
    one_line_failure(etrange(tmp_path, "backup", "nowhere/copy.sqlite", DATABASE_URL=database), "n'existe pas")
    (tmp_path / "text.sqlite").write_text("pas une base " * 100)
    one_line_failure(etrange(tmp_path, "restore", "text.sqlite", DATABASE_URL=database), "text.sqlite")
    with sqlite3.connect(tmp_path / "foreign.sqlite") as db:
        db.execute("CREATE TABLE notes (x)")
    one_line_failure(etrange(tmp_path, "restore", "foreign.sqlite", DATABASE_URL=database),
                     "pas une base d'etrange")
    one_line_failure(etrange(tmp_path, "restore", "absent.sqlite", DATABASE_URL=database), "n'existe pas")
    # PostgreSQL: the tools' commands, without the password.
    url = "postgres://etrange:s3cret@db.example:5433/jeu?sslmode=require"
    line = one_line_failure(etrange(tmp_path, "backup", "jeu.dump", DATABASE_URL=url), "pg_dump", "jeu.dump",
                            "postgres://etrange@db.example:5433/jeu")
    assert "s3cret" not in line
    line = one_line_failure(etrange(tmp_path, "restore", "jeu.dump", DATABASE_URL=url), "pg_restore")
    assert "s3cret" not in line


def test_migrate_dry_run_lists_and_applies_nothing(tmp_path: Path):
    url = f"sqlite://{tmp_path}/etrange.sqlite"
    assert etrange(tmp_path, "migrate", DATABASE_URL=url).returncode == 0
    out = etrange(tmp_path, "migrate", "--dry-run", DATABASE_URL=url)
    assert out.returncode == 0 and "Aucune migration en attente" in out.stdout, out
    with sqlite3.connect(tmp_path / "etrange.sqlite") as db:
        last = db.execute("SELECT name FROM _fluent_migrations ORDER BY rowid DESC LIMIT 1").fetchone()[0]
        db.execute("DELETE FROM _fluent_migrations WHERE name = ?", (last,))
        before = db.execute("SELECT count(*) FROM _fluent_migrations").fetchone()[0]
    out = etrange(tmp_path, "migrate", "--dry-run", DATABASE_URL=url)
    assert out.returncode == 0, out
    assert "1 migration(s) en attente" in out.stdout and last in out.stdout, out.stdout
    with sqlite3.connect(tmp_path / "etrange.sqlite") as db:
        assert db.execute("SELECT count(*) FROM _fluent_migrations").fetchone()[0] == before

    # A migration that fails is named: the first one, forgotten by the table, meets its own table.
    with sqlite3.connect(tmp_path / "etrange.sqlite") as db:
        first = db.execute("SELECT name FROM _fluent_migrations ORDER BY rowid LIMIT 1").fetchone()[0]
        db.execute("DELETE FROM _fluent_migrations WHERE name = ?", (first,))
    one_line_failure(etrange(tmp_path, "migrate", DATABASE_URL=url), f"la migration {first} a échoué")


# ---------------------------------------------------------------------------------------------
# Installed, serving from anywhere


def test_the_installed_server_serves_its_page_from_another_folder(tmp_path: Path):
    assert (PREFIX / "share/etrange/Public/index.html").is_file()
    assert list((PREFIX / "bin").glob("*.resources/openapi.json")), "the resource bundle is not installed"
    assert not (tmp_path / "Public").exists()
    server = Server(tmp_path, DATABASE_URL=f"sqlite://{tmp_path}/etrange.sqlite")
    try:
        page = requests.get(server.base + "/", timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower(), page.status_code
        assert requests.get(server.base + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")
        index = (PREFIX / "share/etrange/Public/index.html").read_text()
        assert page.text == index
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# Backup under writes, restore


class Writers:
    """Chat lines, draws and newcomers joining the partie, each kind in its own thread, until
    stopped; every acknowledged write is kept with the instant its answer arrived."""

    def __init__(self, server: Server, mj: dict, partie: dict, session_id: int):
        self.server, self.mj, self.partie, self.sid = server, mj, partie, session_id
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: list[tuple[str, str, float]] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self.guard(w), daemon=True) for w in (self.chat, self.draw, self.join)]

    def guard(self, writer):
        def run():
            http = requests.Session()
            n = 0
            try:
                while not self.stop.is_set():
                    n += 1
                    key = writer(http, n)
                    with self.lock:
                        self.acked.append((writer.__name__, key, time.monotonic()))
            except Exception as error:
                with self.lock:
                    self.failures.append(f"{writer.__name__}: {error!r}")
        return run

    def chat(self, http, n: int) -> str:
        body = f"ligne {n} pendant la sauvegarde"
        self.server.call("POST", f"/api/sessions/{self.sid}/messages", self.mj["token"], {"body": body}, http)
        return body

    def draw(self, http, n: int) -> str:
        reason = f"tirage {n}"
        self.server.call("POST", f"/api/sessions/{self.sid}/draws", self.mj["token"],
                         {"visibility": "public", "mode": "classic", "reason": reason}, http)
        return reason

    def join(self, http, n: int) -> str:
        user = self.server.call("POST", "/api/auth/register", body={"username": f"venu{n}", "password": "motdepasse"},
                                http=http)
        self.server.call("POST", "/api/parties/join", user["token"], {"invite_code": self.partie["invite_code"]}, http)
        return str(user["user"]["id"])

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def rows(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {
            "chat": {r[0] for r in db.execute("SELECT body FROM session_messages")},
            "draw": {r[0] for r in db.execute("SELECT reason FROM session_draws WHERE reason IS NOT NULL")},
            "join": {str(r[0]) for r in db.execute("SELECT user_id FROM partie_members")},
        }


def test_backup_under_writes_then_restore(tmp_path: Path):
    url = f"sqlite://{tmp_path}/data/etrange.sqlite"
    server = Server(tmp_path, DATABASE_URL=url)
    try:
        mj = server.call("POST", "/api/auth/register", body={"username": "marianne", "password": "motdepasse"})
        partie = server.call("POST", "/api/parties", mj["token"], {"name": "La Sauvegarde"})
        session = server.call("POST", "/api/sessions", mj["token"], {"partie_id": partie["id"], "name": "Soirée"})
        server.call("POST", f"/api/sessions/{session['id']}/start", mj["token"])
        with Writers(server, mj, partie, session["id"]) as writers:
            while writers.count() < 60 and not writers.failures:
                time.sleep(0.05)
            began = time.monotonic()
            backup = etrange(tmp_path, "backup", "sauvegarde.sqlite", DATABASE_URL=url)
            ended = time.monotonic()
            during = writers.count()
            while_running = [at for _, _, at in writers.acked if began < at < ended]
            time.sleep(0.5)
        assert not writers.failures, writers.failures
        assert backup.returncode == 0, backup
        assert_no_crash(backup)
        # The server served on: writes went on being acknowledged after the backup.
        assert len(writers.acked) > during, "no write acknowledged after the backup"
        assert while_running, "no write acknowledged while the backup ran"

        copy = tmp_path / "sauvegarde.sqlite"
        with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        saved = rows(copy)
        before = [(kind, key) for kind, key, at in writers.acked if at < began]
        missing = [(kind, key) for kind, key in before if key not in saved[kind]]
        assert not missing, f"{len(missing)} of {len(before)} writes acknowledged before the backup are missing"
        kinds = {kind for kind, _ in before}
        assert kinds == {"chat", "draw", "join"}, kinds
        after = [(kind, key) for kind, key, at in writers.acked if at > ended and key not in saved[kind]]
        assert after, "every write made after the backup is in it: the test proves nothing"
        print(f"\nbackup: {ended - began:.2f} s, {len(before)} writes before it, all in the copy; "
              f"{len(while_running)} acknowledged while it ran; {len(after)} after it, not in it")

        # Refused while the server runs, and the database left as it was.
        refused = etrange(tmp_path, "restore", "sauvegarde.sqlite", DATABASE_URL=url)
        one_line_failure(refused, "arrêtez le serveur")
        live = rows(tmp_path / "data/etrange.sqlite")
        assert all(key in live[kind] for kind, key in after)
        assert requests.get(server.base + "/health", timeout=5).status_code == 200
    finally:
        server.stop()

    restored = etrange(tmp_path, "restore", "sauvegarde.sqlite", DATABASE_URL=url)
    assert restored.returncode == 0, restored
    # The replaced database is kept, with its write-ahead log when the server left one.
    kept = [p for p in (tmp_path / "data").glob("etrange.sqlite.avant-restauration-*")
            if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1, everything_in(tmp_path)
    assert not list((tmp_path / "data").glob("etrange.sqlite-*")), "the old log is left beside the restored file"
    assert all(key in rows(kept[0])[kind] for kind, key in after), "the replaced database lost writes"

    server = Server(tmp_path, DATABASE_URL=url)
    try:
        login = server.call("POST", "/api/auth/login", body={"username": "marianne", "password": "motdepasse"})
        messages = requests.get(f"{server.base}/api/sessions/{session['id']}/messages?limit=100",
                                headers={"Authorization": f"Bearer {login['token']}"}, timeout=10)
        assert messages.status_code == 200, messages.text
        now = rows(tmp_path / "data/etrange.sqlite")
        assert now == saved, "the restored database is not the backup"
        server.call("POST", f"/api/sessions/{session['id']}/messages", login["token"], {"body": "après restauration"})
    finally:
        server.stop()


def tiny_png() -> bytes:
    """A 2×2 red PNG, written by hand: the stage needs no image library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_backup_and_restore_carry_the_handouts(tmp_path: Path):
    url = f"sqlite://{tmp_path}/data/etrange.sqlite"
    server = Server(tmp_path, DATABASE_URL=url)
    try:
        mj = server.call("POST", "/api/auth/register", body={"username": "marianne", "password": "motdepasse"})
        partie = server.call("POST", "/api/parties", mj["token"], {"name": "Les Documents"})
        headers = {"Authorization": f"Bearer {mj['token']}"}
        uploaded = requests.post(f"{server.base}/api/parties/{partie['id']}/handouts", headers=headers,
                                 data={"title": "Plan du métro"}, files={"file": ("plan.png", tiny_png(), "image/png")},
                                 timeout=30)
        assert uploaded.status_code == 201, uploaded.text
        handout = uploaded.json()["id"]
        served = requests.get(f"{server.base}/api/handouts/{handout}/file", headers=headers, timeout=10).content
        backup = etrange(tmp_path, "backup", "sauvegarde.sqlite", DATABASE_URL=url)
        assert backup.returncode == 0, backup
        assert "1 fichiers" in backup.stdout, backup.stdout
        assert everything_in(tmp_path / "sauvegarde-handouts") == [handout.upper()]
        # A second backup under the same name is refused, the first left whole.
        one_line_failure(etrange(tmp_path, "backup", "sauvegarde.sqlite", DATABASE_URL=url), "existe déjà")
    finally:
        server.stop()

    # The data folder's documents are lost (a bad disk, a wrong rm): the restore brings them back.
    for file in (tmp_path / "data/etrange-handouts").iterdir():
        file.write_bytes(b"abime")
    restored = etrange(tmp_path, "restore", "sauvegarde.sqlite", DATABASE_URL=url)
    assert restored.returncode == 0, restored
    assert "Documents remis : 1 fichiers" in restored.stdout, restored.stdout
    kept = list((tmp_path / "data").glob("etrange-handouts.avant-restauration-*"))
    assert len(kept) == 1, everything_in(tmp_path / "data")
    server = Server(tmp_path, DATABASE_URL=url)
    try:
        login = server.call("POST", "/api/auth/login", body={"username": "marianne", "password": "motdepasse"})
        again = requests.get(f"{server.base}/api/handouts/{handout}/file",
                             headers={"Authorization": f"Bearer {login['token']}"}, timeout=10)
        assert again.status_code == 200 and again.content == served
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the commands printed are the ones to run


POSTGRES_URL = os.environ.get("ETRANGE_TEST_POSTGRES_URL", "")


def psql(query: str) -> str:
    return subprocess.run(["psql", POSTGRES_URL, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", query],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.skipif(not POSTGRES_URL, reason="ETRANGE_TEST_POSTGRES_URL is not set")
def test_postgres_backup_and_restore_commands_work(tmp_path: Path):
    schema = f"cli_{os.getpid()}_{int(time.time())}"
    database = {"DATABASE_URL": POSTGRES_URL, "ETRANGE_DB_SCHEMA": schema}
    try:
        out = etrange(tmp_path, "migrate", "--dry-run", **database)
        assert out.returncode == 0 and "en attente" in out.stdout, out
        assert etrange(tmp_path, "migrate", **database).returncode == 0
        assert etrange(tmp_path, "seed-demo", **database).returncode == 0
        line = one_line_failure(etrange(tmp_path, "backup", "jeu.dump", **database), "pg_dump")
        subprocess.run(line.split("lancez : ", 1)[1], shell=True, cwd=tmp_path, check=True)
        assert (tmp_path / "jeu.dump").stat().st_size > 0

        # Lost, then put back with the command restore prints.
        psql(f"DROP SCHEMA {schema} CASCADE; CREATE SCHEMA {schema}")
        line = one_line_failure(etrange(tmp_path, "restore", "jeu.dump", **database), "pg_restore")
        subprocess.run(line.split("lancez : ", 1)[1], shell=True, cwd=tmp_path, check=True)
        assert psql(f"SELECT count(*) FROM {schema}.users WHERE username = 'mj-demo'") == "1"
        out = etrange(tmp_path, "migrate", "--dry-run", **database)
        assert "Aucune migration en attente" in out.stdout, out
    finally:
        psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# ---------------------------------------------------------------------------------------------
# Importing the mobile app's data

APP_EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "app-export"


def test_import_app_loads_the_fixtures_once_and_refuses_a_broken_dump(tmp_path: Path):
    import json
    import shutil

    url = f"sqlite://{tmp_path}/data/etrange.sqlite"
    database = tmp_path / "data/etrange.sqlite"
    out = etrange(tmp_path, "--help")
    assert "import-app" in out.stdout, out.stdout
    out = etrange(tmp_path, "import-app", DATABASE_URL=url)
    assert out.returncode == 2 and "Usage : etrange import-app" in out.stderr, out
    assert etrange(tmp_path, "migrate", DATABASE_URL=url).returncode == 0

    def counts() -> dict:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in ("users", "parties", "partie_members", "characters", "sessions", "session_participants")}

    # A broken dump first: a participation of an account the dump lacks. Every faulty row is one
    # line naming its table and id, then the refusal; nothing written.
    broken = tmp_path / "cassé"
    shutil.copytree(APP_EXPORT, broken)
    listing = json.loads((broken / "participants.json").read_text())
    listing["records"][1]["user_id"] = 99
    (broken / "participants.json").write_text(json.dumps(listing))
    empty = counts()
    out = etrange(tmp_path, "import-app", str(broken), DATABASE_URL=url)
    assert_no_crash(out)
    assert out.returncode == 1, out
    lines = out.stderr.splitlines()
    assert lines[0].startswith("participants 12 : user_id 99"), out.stderr
    assert lines[-1].startswith("etrange : import refusé, rien n'a été écrit"), out.stderr
    assert counts() == empty

    out = etrange(tmp_path, "import-app", str(APP_EXPORT), DATABASE_URL=url)
    assert out.returncode == 0, out
    assert "users : 3 ajouté(s), 0 déjà là" in out.stdout, out.stdout
    loaded = counts()
    assert loaded["users"] == 3 and loaded["parties"] == 2 and loaded["characters"] == 2, loaded
    out = etrange(tmp_path, "import-app", str(APP_EXPORT), DATABASE_URL=url)
    assert out.returncode == 0 and "users : 0 ajouté(s), 3 déjà là" in out.stdout, out
    assert counts() == loaded

    # The served app: an imported account signs in with its app password, the app's QR code joins.
    server = Server(tmp_path, DATABASE_URL=url)
    try:
        johan = server.call("POST", "/api/auth/login", body={"username": "johan", "password": "motdepasse-johan"})
        assert johan["user"]["id"] == 1
        newcomer = server.call("POST", "/api/auth/register", body={"username": "nouvelle", "password": "motdepasse"})
        partie = server.call("POST", "/api/parties/join", newcomer["token"],
                             {"invite_code": "3f2b8c1e-9d4a-4e7b-a6c5-1b2c3d4e5f60"})
        assert partie["id"] == 7 and partie["name"] == "Le Minitel hanté", partie
    finally:
        server.stop()
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        assert db.execute("SELECT legacy_sha256 FROM users WHERE id = 1").fetchone()[0] == 0
        assert db.execute("SELECT legacy_sha256 FROM users WHERE id = 2").fetchone()[0] == 1
