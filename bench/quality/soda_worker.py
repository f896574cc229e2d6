"""Soda Core (soda-core-postgres 3.x, SodaCL) running the benchmark's 16 rules against the PostgreSQL table.

Run by bench.py in .venv-soda: `soda_worker.py DATABASE TABLE` prints one JSON object: setup seconds, the timed
scan's seconds, and per rule the value Soda reports. Each rule maps to SodaCL's nearest built-in check; a
user-defined metric (`<name> query:`, Soda's custom-SQL facility) where there is none. Failed-row samples are
turned off (`samples limit: 0`) so that Soda, like the engine at sample_size=0, only counts.
"""

import json
import sys
import time

t0 = time.perf_counter()
from importlib.metadata import version  # noqa: E402

from soda.scan import Scan  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from data import CUSTOM, EMAIL_RE, FRESH_SINCE, PHONE_RE, SEX_CODES  # noqa: E402

ID_SUM = " + ".join(f"(ascii(substr(id_number, {j + 1}, 1)) - 48) * {w}"
                    for j, w in enumerate((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
ID_BAD = (f"id_number IS NOT NULL AND NOT (id_number ~ '^[0-9]{{17}}[0-9X]$' "
          f"AND substr(id_number, 11, 2) BETWEEN '01' AND '12' AND substr(id_number, 13, 2) BETWEEN '01' AND '31' "
          f"AND substr(id_number, 18, 1) = substr('10X98765432', ({ID_SUM}) % 11 + 1, 1))")

# rule key → (how, the SodaCL check's name); the checks themselves below
HOW = {
    "complete_id_number": "built-in missing_count",
    "complete_name": "built-in missing_count with missing regex ^\\s*$ (blank = missing)",
    "complete_phone": "built-in missing_count",
    "unique_id_number": "built-in duplicate_count (reports duplicate groups, not rows)",
    "unique_person": "built-in duplicate_count on three columns (groups)",
    "regex_phone": "built-in invalid_count with valid regex",
    "regex_email": "built-in invalid_count with valid regex",
    "id_number_check": "user-defined metric (custom SQL: no check-digit validity)",
    "range_amount": "built-in invalid_count with valid min/max",
    "range_birth_date": "user-defined metric (custom SQL: valid min/max are numeric only)",
    "length_name": "built-in invalid_count with valid min/max length",
    "code_sex": "built-in invalid_count with valid values",
    "ref_region": "built-in reference check (values in … must exist in …)",
    "consistent_times": "user-defined metric (custom SQL: no column-comparison check)",
    "fresh_updated": "user-defined metric (custom SQL: the built-in freshness check tests only the latest value)",
    "custom_inactive_amount": "user-defined metric (custom SQL)",
}


def checks(table: str) -> str:
    codes = ", ".join(f"'{v}'" for v in SEX_CODES)
    since = FRESH_SINCE.isoformat()
    metric = {
        "id_number_check": ID_BAD,
        "range_birth_date": "birth_date < '1920-01-01' OR birth_date > '2026-11-01'",
        "consistent_times": "created_at > updated_at",
        "fresh_updated": f"updated_at < '{since}'",
        "custom_inactive_amount": CUSTOM,
    }
    metrics = "".join(f"""
  - {key} = 0:
      name: {key}
      {key} query: |
        SELECT count(*) FROM {table} WHERE {cond.replace("'", "''") if False else cond}
""" for key, cond in metric.items())
    return f"""
checks for {table}:
  - missing_count(id_number) = 0:
      name: complete_id_number
      samples limit: 0
  - missing_count(name) = 0:
      name: complete_name
      missing regex: ^\\s*$
      samples limit: 0
  - missing_count(phone) = 0:
      name: complete_phone
      samples limit: 0
  - duplicate_count(id_number) = 0:
      name: unique_id_number
      samples limit: 0
  - duplicate_count(name, birth_date, region_code) = 0:
      name: unique_person
      samples limit: 0
  - invalid_count(phone) = 0:
      name: regex_phone
      valid regex: {PHONE_RE}
      samples limit: 0
  - invalid_count(email) = 0:
      name: regex_email
      valid regex: {EMAIL_RE}
      samples limit: 0
  - invalid_count(amount) = 0:
      name: range_amount
      valid min: 0
      valid max: 100000
      samples limit: 0
  - invalid_count(name) = 0:
      name: length_name
      valid min length: 2
      valid max length: 4
      samples limit: 0
  - invalid_count(sex_code) = 0:
      name: code_sex
      valid values: [{codes}]
      samples limit: 0
  - values in (region_code) must exist in regions (code):
      name: ref_region
      samples limit: 0
{metrics}"""


def main():
    database, table = sys.argv[1], sys.argv[2]
    scan = Scan()
    scan.set_data_source_name("pg")
    scan.add_configuration_yaml_str(f"""
data_source pg:
  type: postgres
  host: 127.0.0.1
  port: "5432"
  username: postgres
  password: ""
  database: {database}
  schema: public
""")
    scan.add_sodacl_yaml_str(checks(table))
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    scan.execute()
    seconds = time.perf_counter() - t1
    results = scan.get_scan_results()
    rules = {}
    for check in results.get("checks", []):
        name = check.get("name")
        diag = check.get("diagnostics") or {}
        rules[name] = {"how": HOW.get(name, ""), "outcome": check.get("outcome"), "failed": diag.get("value")}
    queries = len(scan._data_source_manager.get_data_source("pg").data_source_scan.scan._queries) \
        if hasattr(scan, "_data_source_manager") else None
    print(json.dumps({"setup_s": setup, "seconds": seconds, "version": version("soda-core"), "rules": rules,
                      "errors": [str(e) for e in scan.get_error_logs()][:5], "queries": queries}, default=str))


if __name__ == "__main__":
    main()
