"""Ingestion benchmark: HTTP ingestion through the real server, bulk import, and their floors.

    .venv/bin/python bench/ingest.py [--seconds 60] [--clients 16] [--rate EVENTS_PER_S]
        [--import-events 10000000] [--skip-http] [--skip-import] [--skip-floors] [--json]

Everything runs on this machine, load generator and server together:

1. **HTTP ingestion**: ``tobloop serve --workers 2`` on a fresh data directory; client
   processes send batches of 100 Segment ``track`` events (unique messageIds) over keep-alive
   connections for ``--seconds`` (each as soon as the previous one is answered, or paced so
   that together they offer ``--rate`` events/s), with the durability contract on (200 only
   after fdatasync) and the loader draining into the event store meanwhile. Reported:
   acknowledged events/s, p50/p99 acknowledgement latency, how long a probe event sent every
   two seconds took to become queryable, and how long the loader needed after the last
   acknowledgement.
2. **Floors on the same batches**: the HTTP ceiling (a granian WSGI app, two workers, that
   reads the body and answers 200 without parsing) with the same clients, and one process
   parsing the batches with orjson, checking them as the handler does and loading them into
   the event store directly, without HTTP or spool.
3. **Bulk import**: ``tobloop import events`` of an NDJSON file of ``--import-events`` Segment
   messages (generated with DuckDB), in a process of its own: events/s and peak memory
   (``/usr/bin/time``), beside the floor of DuckDB's own ``read_ndjson`` counting the file's
   rows and the issue's reference, DuckDB's ``read_json`` reading it into a table of a
   database file (every field, no checks).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PYTHON = sys.executable
BATCH = 100
EVENT = (
    '{"type":"track","event":"Report Exported","userId":"u%d","anonymousId":null,'
    '"properties":{"format":"csv","rows":%d,"plan":"pro"},'
    '"context":{"groupId":"acct_%d","library":{"name":"analytics-python","version":"2.4.0"}},'
    '"timestamp":"2026-11-20T12:%02d:%02d.%03d+00:00","messageId":"%s-%d","integrations":{}}'
)
SETUP = """
import json
from tobloop.cli.runtime import setup_django
setup_django()
from tobloop.platform import facade
ws = facade.create_workspace(name="Bench", slug="bench")
key = facade.create_api_key(workspace_id=ws.id, write_key=True).key
print(json.dumps({"workspace_id": ws.id, "write_key": key}))
"""
CEILING_APP = """
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b'{"success":true}'
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    return env


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def session_cpu_s(session: int) -> float:
    """CPU seconds (user + system) of the living processes of a session (the server's)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# EVENT with its messageId number left as ``%d`` (filled per batch, see templated_body).
EVENT_TEMPLATE = EVENT.replace('"%s-%d"', '"%s-%%d"')


def batch_template(prefix: str, seq: int) -> str:
    """Batch ``seq`` with a ``%d`` for each messageId number (``message_numbers(seq)``)."""
    events = ",".join(
        EVENT_TEMPLATE % (i % 5000, i % 500, i % 700, (i // 60) % 60, i % 60, i % 1000, prefix)
        for i in range(seq * BATCH, seq * BATCH + BATCH)
    )
    return '{"batch":[' + events + '],"sentAt":"2026-11-20T12:00:00.000+00:00"}'


def message_numbers(seq: int) -> tuple[int, ...]:
    return tuple(range(2 * seq * BATCH, 2 * seq * BATCH + BATCH))


def batch_body(prefix: str, seq: int) -> bytes:
    return (batch_template(prefix, seq) % message_numbers(seq)).encode()


# The load generator cycles through this many batch templates (users repeat every 50 batches,
# accounts every 7: the same users and accounts as batch_body; the times repeat sooner) and
# formats only the messageIds per batch. Its CPU comes from the same two cores as the
# server's: 0.25 instead of 1.2 µs per event.
TEMPLATES = 350


def templated_body(templates: list[str], seq: int) -> bytes:
    return (templates[seq % TEMPLATES] % message_numbers(seq)).encode()


# -- load generator -------------------------------------------------------------------------


def _client(
    port: int, auth: str, prefix: str, deadline: float, out: list[Any], interval: float = 0.0
) -> None:
    """Send batches until ``deadline``; with ``interval`` one batch per interval (open loop:
    a late batch goes at once, and its latency counts from when it was due)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = (
        "POST /v1/batch HTTP/1.1\r\nHost: bench\r\nAuthorization: Basic {auth}\r\n"
        "Content-Type: application/json\r\nContent-Length: {n}\r\n\r\n"
    )
    templates = [batch_template(prefix, k) for k in range(TEMPLATES)]
    seq, acked, latencies, failed = 0, 0, [], 0
    late: list[float] = []  # paced: how long after it was due each batch was sent
    buf = b""
    due = time.perf_counter()
    while time.monotonic() < deadline:
        body = templated_body(templates, seq)
        seq += 1
        if interval:
            due += interval
            time.sleep(max(0.0, due - time.perf_counter()))
        started = time.perf_counter()
        if interval:
            late.append(max(0.0, started - due))
        sock.sendall(head.format(auth=auth, n=len(body)).encode() + body)
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(65536)
        header, _, buf = buf.partition(b"\r\n\r\n")
        length = int(header.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(buf) < length:
            buf += sock.recv(65536)
        buf = buf[length:]
        latencies.append(time.perf_counter() - started)
        if interval:
            late[-1] += latencies[-1]  # from when it was due to its answer
        if header.startswith(b"HTTP/1.1 200"):
            acked += BATCH
        else:
            failed += 1
    sock.close()
    out.append((acked, latencies, failed, late))


def _process(
    port: int, auth: str, name: str, threads: int, deadline: float, q: Any, interval: float
) -> None:
    results: list[Any] = []
    workers = [
        threading.Thread(
            target=_client, args=(port, auth, f"{name}t{t}", deadline, results, interval)
        )
        for t in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    q.put(results)


def load(
    port: int, key: str, seconds: float, clients: int, tag: str, rate: float = 0.0
) -> dict[str, Any]:
    """Run the clients (two processes) for ``seconds``; acked events/s and latencies.

    With ``rate`` the clients together offer that many events/s, evenly paced; else each
    sends its next batch as soon as the previous one is answered."""
    auth = base64.b64encode(f"{key}:".encode()).decode()
    deadline = time.monotonic() + seconds
    interval = BATCH * (clients // 2 * 2) / rate if rate else 0.0
    q: Any = mp.get_context("fork").Queue()
    procs = [
        mp.get_context("fork").Process(
            target=_process,
            args=(port, auth, f"{tag}p{n}", clients // 2, deadline, q, interval),
        )
        for n in range(2)
    ]
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for p in procs:
        p.start()
    results = [r for _ in procs for r in q.get()]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    latencies = sorted(x for _, lat, _, _ in results for x in lat)
    from_due = sorted(x for *_, late in results for x in late)
    acked = sum(r[0] for r in results)
    figures = {
        "seconds": round(elapsed, 1),
        "acked_events": acked,
        "events_per_s": round(acked / elapsed),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
    }
    if from_due:  # open loop: a batch sent late waited on the client side first
        figures["p99_from_due_ms"] = round(from_due[int(len(from_due) * 0.99)] * 1000, 1)
    return {
        **figures,
        "refused_calls": sum(r[2] for r in results),
        "client_cpu_us_per_event": round(client_cpu / max(acked, 1) * 1e6, 2),
    }


# -- 1. HTTP ingestion through the real server ---------------------------------------------


def _probe(port: int, key: str, store: Any, workspace_id: int, stop_at: float) -> list[float]:
    """Every 2 s one marked event; seconds until the store answers it."""
    import http.client

    from tobloop.analytics.store.base import EventFilter

    delays: list[float] = []
    ack_delays: list[float] = []
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        user = f"probe-{n}"
        body = json.dumps({"userId": user, "event": "Probe", "messageId": user}).encode()
        asked = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/v1/track", body, {"Authorization": auth})
            conn.getresponse().read()
            conn.close()
        except OSError:
            delays.append(float("inf"))  # no answer within 30 s
            continue
        sent = time.monotonic()
        ack_delays.append(sent - asked)
        while store.count(EventFilter(workspace_id, user_id=user)).count == 0:
            if time.monotonic() - sent > 120:
                raise RuntimeError("a probe event was not queryable within 120 s")
            time.sleep(0.1)
        delays.append(time.monotonic() - sent)
        time.sleep(max(0.0, 2.0 - (time.monotonic() - sent)))
    return [max(delays, default=0.0), max(ack_delays, default=0.0), *delays]


def http_ingestion(
    seconds: float, clients: int, work: Path, rate: float = 0.0, server_log: Path | None = None
) -> dict[str, Any]:
    from tobloop.analytics.store.base import EventFilter
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    data = work / "server"
    data.mkdir()
    env = env_for(data)
    doc = json.loads(
        subprocess.run(
            [PYTHON, "-c", SETUP], env=env, capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
    )
    port = free_port()
    log = server_log.open("wb") if server_log else subprocess.DEVNULL
    if server_log:
        env["TOBLOOP_LOG_LEVEL"] = "INFO"
    server = subprocess.Popen(
        [PYTHON, "-m", "tobloop.cli.app", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_listening(port, server)
        store = DuckDBStore(data / "events.duckdb")
        delays: list[float] = []
        prober = threading.Thread(
            target=lambda: delays.extend(
                _probe(
                    port,
                    doc["write_key"],
                    store,
                    doc["workspace_id"],
                    time.monotonic() + seconds - 2,
                )
            )
        )
        cpu_before = session_cpu_s(server.pid)
        prober.start()
        result = load(port, doc["write_key"], seconds, clients, "h", rate)
        if rate:
            result["offered_events_per_s"] = rate
        done = time.monotonic()
        prober.join()
        expected = result["acked_events"] + sum(d != float("inf") for d in delays[2:])
        give_up = time.monotonic() + 300
        while store.count(EventFilter(doc["workspace_id"])).count < expected:
            if time.monotonic() > give_up:
                raise RuntimeError("acknowledged events were not all stored within 300 s")
            time.sleep(0.1)
        result["drained_after_s"] = round(time.monotonic() - done, 1)
        # The server's CPU time (workers, handler threads and loader) per acknowledged event,
        # up to the end of the loading: less sensitive to other work on the machine than the
        # events/s (the clients' CPU time is reported beside it).
        result["server_cpu_us_per_event"] = round(
            (session_cpu_s(server.pid) - cpu_before) / max(expected, 1) * 1e6, 2
        )
        probe_ack_max = delays.pop(1) if delays else None
        delays = delays[1:]
        result["probes"] = len(delays)
        result["probe_ack_max_s"] = round(probe_ack_max, 2) if probe_ack_max else None
        result["visible_max_s"] = round(max(delays), 2) if delays else None
        result["visible_median_s"] = round(sorted(delays)[len(delays) // 2], 2) if delays else None
        result["stored_events"] = store.count(EventFilter(doc["workspace_id"])).count
        return result
    finally:
        stop(server)
        if not isinstance(log, int):
            log.close()


# -- 2. floors ------------------------------------------------------------------------------


def http_ceiling(seconds: float, clients: int, work: Path) -> dict[str, Any]:
    app_dir = work / "ceiling"
    app_dir.mkdir()
    (app_dir / "ceiling_app.py").write_text(CEILING_APP)
    port = free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "ceiling_app:app",
        ],
        cwd=app_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_listening(port, server)
        return load(port, "unused", seconds, clients, "c")
    finally:
        stop(server)


def parse_and_store(batches: int, work: Path) -> dict[str, Any]:
    """One process: orjson parse, the handler's checks, load into the store (no HTTP/spool)."""
    import orjson

    from tobloop.analytics.ingest import segment
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    store = DuckDBStore(work / "floor" / "events.duckdb")
    bodies = [batch_body("f", s) for s in range(batches)]
    started = time.monotonic()
    records = work / "floor" / "records.ndjson"
    chunk = 500
    for first in range(0, batches, chunk):
        lines: list[bytes] = []
        for body in bodies[first : first + chunk]:
            doc = orjson.loads(body)
            received = time.time_ns() // 1_000_000
            lines.extend(
                segment.normalize(m, workspace_id=1, received_ms=received) for m in doc["batch"]
            )
        records.write_bytes(b"".join(lines))
        store.load([records])
    elapsed = time.monotonic() - started
    return {"events": batches * BATCH, "events_per_s": round(batches * BATCH / elapsed)}


# -- 3. bulk import -------------------------------------------------------------------------


def generate_history(path: Path, n: int) -> None:
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    con.execute(
        f"""
        COPY (
            SELECT 'track' AS type,
                   ['Signed Up', 'Report Exported', 'Dashboard Viewed', 'Invite Sent',
                    'Feature Used'][1 + (i % 5)::INTEGER] AS event,
                   'u' || (i % 200000) AS userId,
                   {{'plan': ['free', 'pro', 'ent'][1 + (i % 3)::INTEGER], 'n': i % 100}}
                       AS properties,
                   {{'groupId': 'acct_' || (i % 5000),
                     'library': {{'name': 'analytics-python', 'version': '2.4.0'}}}}
                       AS context,
                   strftime(TIMESTAMP '2025-01-01' + to_milliseconds(i * 3),
                            '%Y-%m-%dT%H:%M:%S.%gZ')
                       AS timestamp,
                   'imp-' || i AS messageId
            FROM range({int(n)}) AS t(i)
        ) TO '{path}' (FORMAT JSON)
        """
    )
    con.close()
    # On disk before anything is timed: otherwise the kernel writes the 2.5 GB back while
    # the import runs, and the import's time includes the generator's writes.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def bulk_import(n: int, work: Path) -> dict[str, Any]:
    import duckdb

    data = work / "import"
    data.mkdir()
    env = env_for(data)
    source = work / "history.ndjson"
    t = time.monotonic()
    generate_history(source, n)
    generated = time.monotonic() - t
    subprocess.run(
        [PYTHON, "-m", "tobloop.cli.app", "workspace", "create", "Bench", "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    started = time.monotonic()
    run = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            PYTHON,
            "-m",
            "tobloop.cli.app",
            "import",
            "events",
            str(source),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-3000:])
    report = json.loads(run.stdout)
    peak_kb = int(next(x for x in run.stderr.splitlines() if "Maximum resident" in x).split()[-1])
    times = {
        x.strip().split(" (")[0]: float(x.split()[-1])
        for x in run.stderr.splitlines()
        if x.strip().startswith(("User time", "System time"))
    }
    cpu_s = times["User time"] + times["System time"]
    con = duckdb.connect(config={"threads": 2})
    t = time.monotonic()
    con.execute(
        "SELECT count(*), count(messageId), count(properties) FROM read_ndjson(?, columns="
        "{'type': 'VARCHAR', 'event': 'VARCHAR', 'userId': 'VARCHAR', 'messageId': 'VARCHAR',"
        " 'timestamp': 'VARCHAR', 'properties': 'JSON', 'context': 'JSON'})",
        [str(source)],
    ).fetchall()
    floor = time.monotonic() - t
    con.close()
    reference = read_json_into_table(source, work)
    return {
        "events": n,
        "file_mb": round(source.stat().st_size / 1e6),
        "generated_s": round(generated, 1),
        "created": report["created"],
        "seconds": round(elapsed, 1),
        "events_per_s": round(n / elapsed),
        "peak_rss_mib": round(peak_kb / 1024),
        # CPU time of the import process (all its threads): less sensitive than the elapsed
        # time to other work on the machine.
        "cpu_s_per_million": round(cpu_s / (n / 1e6), 2),
        "of_which_kernel_s_per_million": round(times["System time"] / (n / 1e6), 2),
        "floor_read_ndjson_events_per_s": round(n / floor),
        "reference_read_json_into_table_events_per_s": round(n / reference),
    }


def read_json_into_table(source: Path, work: Path) -> float:
    """Seconds DuckDB's own ``read_json`` takes to read the file into a table of a database
    file (every field, types detected, no checks): the reference the issue names for the
    import's target ("about 1.2 million events/s")."""
    import duckdb

    path = work / "reference.duckdb"
    con = duckdb.connect(str(path), config={"threads": 2})
    try:
        t = time.monotonic()
        con.execute("CREATE TABLE events AS SELECT * FROM read_json(?)", [str(source)])
        con.execute("CHECKPOINT")
        return time.monotonic() - t
    finally:
        con.close()
        path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ceiling-seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="HTTP: offer this many events/s in total, paced (default: as fast as answered)",
    )
    parser.add_argument("--floor-batches", type=int, default=5000)
    parser.add_argument("--import-events", type=int, default=10_000_000)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument(
        "--skip-floors", action="store_true", help="HTTP ingestion without its floors"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--server-log",
        type=Path,
        help="HTTP: write the server's log here, at INFO (the loader logs every load)",
    )
    args = parser.parse_args()
    out: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="tobloop-bench-") as tmp:
        work = Path(tmp)
        (work / "floor").mkdir()
        if not args.skip_http:
            out["http"] = http_ingestion(
                args.seconds, args.clients, work, args.rate, args.server_log
            )
            _show("HTTP ingestion (real server, durable, loader draining)", out["http"])
        if not args.skip_http and not args.skip_floors:
            out["http_ceiling"] = http_ceiling(args.ceiling_seconds, args.clients, work)
            _show("Floor: HTTP ceiling (answers 200 without parsing)", out["http_ceiling"])
            out["parse_and_store"] = parse_and_store(args.floor_batches, work)
            _show("Floor: orjson parse + checks + store, one process", out["parse_and_store"])
            http_rate = out["http"]["events_per_s"]
            out["ratios"] = {
                "http_vs_ceiling": round(http_rate / out["http_ceiling"]["events_per_s"], 2),
                "http_vs_parse_and_store": round(
                    http_rate / out["parse_and_store"]["events_per_s"], 2
                ),
            }
        if not args.skip_import:
            out["import"] = bulk_import(args.import_events, work)
            _show("Bulk import (tobloop import events)", out["import"])
            imported = out["import"]
            out.setdefault("ratios", {})["import_vs_read_ndjson"] = round(
                imported["events_per_s"] / imported["floor_read_ndjson_events_per_s"], 2
            )
            out["ratios"]["import_vs_read_json_into_table"] = round(
                imported["events_per_s"] / imported["reference_read_json_into_table_events_per_s"],
                2,
            )
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        _show("Ratios", out.get("ratios", {}))


def _show(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}", file=sys.stderr if "--json" in sys.argv else sys.stdout)
    for k, v in figures.items():
        print(f"  {k:34} {v}", file=sys.stderr if "--json" in sys.argv else sys.stdout)


if __name__ == "__main__":
    main()
