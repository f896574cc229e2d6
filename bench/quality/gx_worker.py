"""Great Expectations (GX Core 1.x) running the benchmark's 16 rules against the PostgreSQL table.

Run by bench.py in .venv-gx: `gx_worker.py URL TABLE` prints one JSON object: setup seconds (imports, context,
suite), the timed validation's seconds, and per rule the counts GX reports. Each rule maps to GX's nearest
built-in expectation; `UnexpectedRowsExpectation` (GX's custom-SQL facility) where there is none.
"""

import json
import sys
import time

t0 = time.perf_counter()
import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from data import CUSTOM, EMAIL_RE, FRESH_SINCE, PHONE_RE, SEX_CODES  # noqa: E402

ID_SUM = " + ".join(f"(ascii(substr(id_number, {j + 1}, 1)) - 48) * {w}"
                    for j, w in enumerate((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
# GX formats the query (braces) and psycopg2 takes % as a parameter marker: no {17}, mod() for %
ID_BAD = (f"id_number IS NOT NULL AND NOT (char_length(id_number) = 18 AND id_number ~ '^[0-9]+[0-9X]$' "
          f"AND substr(id_number, 11, 2) BETWEEN '01' AND '12' AND substr(id_number, 13, 2) BETWEEN '01' AND '31' "
          f"AND substr(id_number, 18, 1) = substr('10X98765432', mod({ID_SUM}, 11) + 1, 1))")


def expectations():
    """(rule key, how it is expressed, expectation)."""
    return [
        ("complete_id_number", "built-in", gxe.ExpectColumnValuesToNotBeNull(column="id_number")),
        ("complete_name", "custom SQL (no built-in counts blank strings as missing)",
         gxe.UnexpectedRowsExpectation(unexpected_rows_query="SELECT id FROM {batch} WHERE name IS NULL OR "
                                       "trim(name) = ''")),
        ("complete_phone", "built-in", gxe.ExpectColumnValuesToNotBeNull(column="phone")),
        ("unique_id_number", "built-in", gxe.ExpectColumnValuesToBeUnique(column="id_number")),
        ("unique_person", "built-in", gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["name", "birth_date", "region_code"], ignore_row_if="any_value_is_missing")),
        ("regex_phone", "built-in", gxe.ExpectColumnValuesToMatchRegex(column="phone", regex=PHONE_RE)),
        ("regex_email", "built-in", gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_RE)),
        ("id_number_check", "custom SQL (no check-digit expectation)",
         gxe.UnexpectedRowsExpectation(unexpected_rows_query=f"SELECT id FROM {{batch}} WHERE {ID_BAD}")),
        ("range_amount", "built-in", gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0,
                                                                        max_value=100000)),
        ("range_birth_date", "built-in", gxe.ExpectColumnValuesToBeBetween(
            column="birth_date", min_value="1920-01-01", max_value="2026-11-01")),
        ("length_name", "built-in", gxe.ExpectColumnValueLengthsToBeBetween(column="name", min_value=2,
                                                                             max_value=4)),
        ("code_sex", "built-in", gxe.ExpectColumnValuesToBeInSet(column="sex_code", value_set=SEX_CODES)),
        ("ref_region", "custom SQL (no referential-integrity expectation)",
         gxe.UnexpectedRowsExpectation(unexpected_rows_query="SELECT id FROM {batch} WHERE region_code IS NOT "
                                       "NULL AND NOT EXISTS (SELECT 1 FROM regions WHERE regions.code = "
                                       "region_code)")),
        ("consistent_times", "built-in", gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="updated_at", column_B="created_at", or_equal=True, ignore_row_if="either_value_is_missing")),
        ("fresh_updated", "built-in (row-level: values at or after now - max age)",
         gxe.ExpectColumnValuesToBeBetween(column="updated_at", min_value=FRESH_SINCE.isoformat())),
        ("custom_inactive_amount", "custom SQL",
         gxe.UnexpectedRowsExpectation(unexpected_rows_query=f"SELECT id FROM {{batch}} WHERE {CUSTOM}")),
    ]


def main():
    url, table = sys.argv[1], sys.argv[2]
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_postgres(name="pg", connection_string=url)
    asset = source.add_table_asset(name=table, table_name=table)
    batch = asset.add_batch_definition_whole_table("whole")
    suite = context.suites.add(gx.ExpectationSuite(name="bench"))
    mapping = expectations()
    ids = {}
    for key, _, exp in mapping:
        ids[str(suite.add_expectation(exp).id)] = key
    validation = context.validation_definitions.add(gx.ValidationDefinition(name="bench", data=batch, suite=suite))
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = validation.run(result_format="BASIC")
    seconds = time.perf_counter() - t1
    rules = {}
    how_of = {key: how for key, how, _ in mapping}
    for res in result.results:
        key = ids[str(res.expectation_config.id)]
        how = how_of[key]
        r = res.result or {}
        failed = r.get("unexpected_count", r.get("observed_value"))
        error = str(res.exception_info)[:300] if not res.success and res.result in (None, {}) else None
        rules[key] = {"how": how, "success": res.success, "failed": failed, "checked": r.get("element_count"),
                      "missing": r.get("missing_count"), "raw": {k: v for k, v in r.items() if "list" not in k},
                      "exception": error}
    print(json.dumps({"setup_s": setup, "seconds": seconds, "version": gx.__version__, "rules": rules},
                     default=str))


if __name__ == "__main__":
    main()
