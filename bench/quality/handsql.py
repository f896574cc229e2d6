"""The hand-written SQL computing the same counts as the engine for the 16 rules, for PostgreSQL (the practical
limit on that database) and DuckDB (the columnar limit). Each function returns [(label, sql)]; `collect` turns
the rows into {rule: {"checked", "failed", ...}} in the engine's terms.

Shapes (variants, the bench keeps the fastest on PostgreSQL):
  v4  one aggregate pass (count(col) for `checked`, count(*) FILTER for `failed`), one GROUP BY per uniqueness
      rule, one NOT EXISTS anti-join for the reference: 4 statements, the engine's shape
  v3  the reference folded into the aggregate pass as a LEFT JOIN to the (small, keyed) regions table: 3
  v2  v3, and both uniqueness rules in one GROUPING SETS statement (one scan, two hash tables): 2
"""

from data import CUSTOM, EMAIL_RE, FRESH_SINCE, PHONE_RE, SEX_CODES

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PERSON = ("name", "birth_date", "region_code")


def _id_bad(dialect: str, col: str = "id_number") -> str:
    total = " + ".join(f"(ascii(substr({col}, {j + 1}, 1)) - 48) * {w}" for j, w in enumerate(ID_WEIGHTS))
    match = f"{col} ~ '^[0-9]{{17}}[0-9X]$'" if dialect == "pg" else f"regexp_matches({col}, '^[0-9]{{17}}[0-9X]$')"
    return (f"NOT ({match} AND substr({col}, 11, 2) BETWEEN '01' AND '12' "
            f"AND substr({col}, 13, 2) BETWEEN '01' AND '31' "
            f"AND substr({col}, 18, 1) = substr('10X98765432', ({total}) % 11 + 1, 1))")


def _not_re(dialect: str, col: str, pattern: str) -> str:
    return f"{col} !~ '{pattern}'" if dialect == "pg" else f"NOT regexp_matches({col}, '{pattern}')"


def main_pass(table: str, dialect: str, *, regions: str = "regions", with_reference: bool = False) -> str:
    since = FRESH_SINCE.strftime("%Y-%m-%d %H:%M:%S+00")
    length = "char_length" if dialect == "pg" else "length"
    codes = ", ".join(f"'{v}'" for v in SEX_CODES)
    t = "t."
    cols = [
        "count(*) AS rows",
        f"count({t}id_number) AS id_number_nn",
        f"count(*) FILTER (WHERE trim({t}id_number) = '') AS id_number_empty",
        f"count({t}name) AS name_nn",
        f"count(*) FILTER (WHERE trim({t}name) = '') AS name_empty",
        f"count({t}phone) AS phone_nn",
        f"count(*) FILTER (WHERE trim({t}phone) = '') AS phone_empty",
        f"count({t}email) AS email_nn",
        f"count(*) FILTER (WHERE {_not_re(dialect, t + 'phone', PHONE_RE)}) AS regex_phone",
        f"count(*) FILTER (WHERE {_not_re(dialect, t + 'email', EMAIL_RE)}) AS regex_email",
        f"count(*) FILTER (WHERE {_id_bad(dialect, t + 'id_number')}) AS id_number_check",
        f"count({t}amount) AS amount_nn",
        f"count(*) FILTER (WHERE {t}amount < 0 OR {t}amount > 100000) AS range_amount",
        f"count({t}birth_date) AS birth_date_nn",
        f"count(*) FILTER (WHERE {t}birth_date < DATE '1920-01-01' OR {t}birth_date > DATE '2026-11-01') "
        "AS range_birth_date",
        f"count(*) FILTER (WHERE {length}({t}name) < 2 OR {length}({t}name) > 4) AS length_name",
        f"count({t}sex_code) AS sex_code_nn",
        f"count(*) FILTER (WHERE {t}sex_code NOT IN ({codes})) AS code_sex",
        f"count(*) FILTER (WHERE {t}created_at IS NOT NULL AND {t}updated_at IS NOT NULL) AS times_nn",
        f"count(*) FILTER (WHERE {t}created_at > {t}updated_at) AS consistent_times",
        f"count({t}updated_at) AS updated_at_nn",
        f"count(*) FILTER (WHERE {t}updated_at < TIMESTAMPTZ '{since}') AS fresh_updated",
        f"max({t}updated_at) AS latest",
        f"count(*) FILTER (WHERE {CUSTOM.replace('status', t + 'status').replace('amount', t + 'amount')}) "
        "AS custom_inactive_amount",
        f"count(*) FILTER (WHERE {t}name IS NOT NULL AND {t}birth_date IS NOT NULL AND {t}region_code IS NOT NULL) "
        "AS person_nn",
        f"count({t}region_code) AS region_code_nn",
    ]
    source = f"{table} t"
    if with_reference:
        cols.append("count(*) FILTER (WHERE t.region_code IS NOT NULL AND r.code IS NULL) AS ref_region")
        source += f" LEFT JOIN {regions} r ON r.code = t.region_code"
    return "SELECT " + ",\n  ".join(cols) + f"\nFROM {source}"


def uniqueness(table: str, cols: tuple[str, ...], label: str) -> str:
    keys = ", ".join(cols)
    nn = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    return (f"SELECT count(*) AS {label}_groups, coalesce(sum(n), 0) AS {label} FROM "
            f"(SELECT count(*) AS n FROM {table} WHERE {nn} GROUP BY {keys} HAVING count(*) > 1) d")


def uniqueness_sets(table: str) -> str:
    """Both uniqueness rules in one scan: GROUPING SETS, NULL keys left out afterwards."""
    person_nn = " AND ".join(f"{c} IS NOT NULL" for c in PERSON)
    return f"""SELECT count(*) FILTER (WHERE g = 7) AS unique_id_number_groups,
  coalesce(sum(n) FILTER (WHERE g = 7), 0) AS unique_id_number,
  count(*) FILTER (WHERE g = 8) AS unique_person_groups,
  coalesce(sum(n) FILTER (WHERE g = 8), 0) AS unique_person
FROM (SELECT GROUPING(id_number, name, birth_date, region_code) AS g, count(*) AS n,
             id_number, name, birth_date, region_code
      FROM {table} GROUP BY GROUPING SETS ((id_number), (name, birth_date, region_code))
      HAVING count(*) > 1) d
WHERE (g = 7 AND id_number IS NOT NULL) OR (g = 8 AND {person_nn})"""


def reference(table: str, regions: str = "regions") -> str:
    return (f"SELECT count(*) AS ref_region FROM {table} t WHERE t.region_code IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {regions} r WHERE r.code = t.region_code)")


def variants(table: str, dialect: str = "pg", regions: str = "regions") -> dict[str, list[str]]:
    u = [uniqueness(table, ("id_number",), "unique_id_number"), uniqueness(table, PERSON, "unique_person")]
    out = {
        "v4": [main_pass(table, dialect, regions=regions), *u, reference(table, regions)],
        "v3": [main_pass(table, dialect, regions=regions, with_reference=True), *u],
    }
    if dialect == "pg":
        out["v2"] = [main_pass(table, dialect, regions=regions, with_reference=True), uniqueness_sets(table)]
    return out


def collect(row: dict) -> dict:
    """The merged result row(s) of a variant → {rule: counts} in the engine's terms."""
    n = row["rows"]

    def complete(col, empty_missing=True):
        nulls, empty = n - row[f"{col}_nn"], row[f"{col}_empty"]
        return {"checked": n, "failed": nulls + (empty if empty_missing else 0), "nulls": nulls, "empty": empty}

    return {
        "rows": n,
        "complete_id_number": complete("id_number"),
        "complete_name": complete("name"),
        "complete_phone": complete("phone", empty_missing=False),
        "unique_id_number": {"checked": row["id_number_nn"], "failed": row["unique_id_number"],
                             "groups": row["unique_id_number_groups"]},
        "unique_person": {"checked": row["person_nn"], "failed": row["unique_person"],
                          "groups": row["unique_person_groups"]},
        "regex_phone": {"checked": row["phone_nn"], "failed": row["regex_phone"]},
        "regex_email": {"checked": row["email_nn"], "failed": row["regex_email"]},
        "id_number_check": {"checked": row["id_number_nn"], "failed": row["id_number_check"]},
        "range_amount": {"checked": row["amount_nn"], "failed": row["range_amount"]},
        "range_birth_date": {"checked": row["birth_date_nn"], "failed": row["range_birth_date"]},
        "length_name": {"checked": row["name_nn"], "failed": row["length_name"]},
        "code_sex": {"checked": row["sex_code_nn"], "failed": row["code_sex"]},
        "ref_region": {"checked": row["region_code_nn"], "failed": row["ref_region"]},
        "consistent_times": {"checked": row["times_nn"], "failed": row["consistent_times"]},
        "fresh_updated": {"checked": row["updated_at_nn"], "failed": row["fresh_updated"]},
        "custom_inactive_amount": {"checked": n, "failed": row["custom_inactive_amount"]},
    }
