"""DuckDB over a Parquet copy of the table: the columnar limit for the same 16 rules' counts.

Run by bench.py in .venv-duckdb:
  duck_worker.py export URL TABLE DIR   copy TABLE and regions out of PostgreSQL (COPY ... TO STDOUT as CSV,
                                        read by DuckDB with the PostgreSQL types) into DIR/TABLE.parquet and
                                        DIR/regions.parquet; prints {"seconds", "rows", "bytes"}
  duck_worker.py run DIR TABLE          the hand-written SQL (handsql.py, DuckDB dialect) over the Parquet files,
                                        timed; prints {"seconds", "setup_s", "counts", "variant", "version"}
"""

import json
import os
import sys
import time
from pathlib import Path

t0 = time.perf_counter()
import duckdb  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import handsql  # noqa: E402

TYPES = {"id": "BIGINT", "id_number": "VARCHAR", "name": "VARCHAR", "phone": "VARCHAR", "sex_code": "VARCHAR",
         "region_code": "VARCHAR", "birth_date": "DATE", "amount": "DECIMAL(12,2)", "email": "VARCHAR",
         "status": "VARCHAR", "created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"}


def export(url: str, table: str, directory: Path) -> dict:
    import psycopg

    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    csv = directory / f"{table}.csv"
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        for name, target in ((table, csv), ("regions", directory / "regions.csv")):
            with open(target, "wb") as out, cur.copy(f"COPY {name} TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    out.write(chunk)
    db = duckdb.connect()
    cols = ", ".join(f"'{k}': '{v}'" for k, v in TYPES.items())
    db.execute(f"COPY (SELECT * FROM read_csv('{csv}', header = false, allow_quoted_nulls = false, "
               f"columns = {{{cols}}})) "
               f"TO '{directory / (table + '.parquet')}' (FORMAT parquet)")
    db.execute(f"COPY (SELECT * FROM read_csv('{directory / 'regions.csv'}', header = false, "
               f"columns = {{'code': 'VARCHAR', 'name': 'VARCHAR'}})) TO '{directory / 'regions.parquet'}' "
               "(FORMAT parquet)")
    rows = db.execute(f"SELECT count(*) FROM '{directory / (table + '.parquet')}'").fetchone()[0]
    csv.unlink()
    (directory / "regions.csv").unlink()
    return {"seconds": time.perf_counter() - started, "rows": rows,
            "bytes": os.path.getsize(directory / f"{table}.parquet")}


def run(directory: Path, table: str, variant: str) -> dict:
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute(f"CREATE VIEW {table} AS SELECT * FROM '{directory / (table + '.parquet')}'")
    db.execute(f"CREATE VIEW regions AS SELECT * FROM '{directory / 'regions.parquet'}'")
    statements = handsql.variants(table, "duckdb")[variant]
    setup = time.perf_counter() - t0
    started = time.perf_counter()
    merged = {}
    for sql in statements:
        cur = db.execute(sql)
        names = [d[0] for d in cur.description]
        merged.update(zip(names, cur.fetchone(), strict=True))
    seconds = time.perf_counter() - started
    merged["latest"] = str(merged["latest"])
    counts = handsql.collect({k: (int(v) if k != "latest" and v is not None else v) for k, v in merged.items()})
    return {"seconds": seconds, "setup_s": setup, "counts": counts, "variant": variant,
            "version": duckdb.__version__, "threads": db.execute("SELECT current_setting('threads')").fetchone()[0]}


if __name__ == "__main__":
    if sys.argv[1] == "export":
        print(json.dumps(export(sys.argv[2], sys.argv[3], Path(sys.argv[4]))))
    else:
        print(json.dumps(run(Path(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "v3")))
