"""The benchmark's data: `regions` (100 codes) and `people` (N rows) generated inside PostgreSQL with
generate_series, and the 16 rules, as engine checks and as the conditions the hand-written SQL uses.

Every defect is placed by the row number `i`, so the counts are deterministic for a given N:

  id_number    GB 11643 numbers with a correct check character; i % 100 = 5: wrong check character (1 %);
               i % 200 = 3: NULL; i % 1000 = 7: the previous row's number (a duplicate)
  name         two or three Chinese characters; i % 500 = 11: '' ; i % 500 = 12: '  ' ; i % 250 = 13: NULL;
               i % 1000 = 17: five characters (fails the length rule)
  birth_date,  from m (= i - 1 when i % 2000 = 19, else i): those rows repeat the previous row's
  region_code  (name, birth_date, region_code); region_code i % 2000 = 23: '999999' (orphan), i % 1000 = 29: NULL
  phone        11 digits starting 13–19; i % 200 = 31: 10 digits; i % 300 = 37: NULL
  sex_code     '1' / '2'; i % 500 = 41: '3' (not in GB/T 2261.1); i % 700 = 43: NULL
  email        u<i>@example.cn; i % 400 = 47: no top-level domain; i % 333 = 48: NULL
  amount       0.00–99 999.99; i % 1000 = 53: -1; i % 1500 = 59: 200 000
  created_at   up to 400 days before 2026-11-01 00:00 UTC; updated_at up to 30 days later;
  updated_at   i % 300 = 61: updated_at one hour before created_at; i % 900 = 67: updated_at NULL
  status       'active' / 'inactive'
"""

import datetime as dt

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # the data's "now": freshness is measured from here

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "华", "玉兰", "建华", "建国", "志强", "文", "斌", "辉", "鹏", "宇", "浩", "红",
         "婷", "欣怡", "子涵", "梓轩", "一诺", "雨桐", "浩然", "思远", "嘉怡", "俊杰", "晓明", "海燕", "春梅", "国强",
         "丹", "凯")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def table_name(rows: int) -> str:
    return "people" if rows == 10_000_000 else f"people_{rows}"


def _array(values) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def _check_sum(body: str) -> str:
    return " + ".join(f"(ascii(substr({body}, {j + 1}, 1)) - 48) * {w}" for j, w in enumerate(ID_WEIGHTS))


def generate_sql(table: str) -> tuple[list[str], str, list[str]]:
    """(setup, insert, finish): the statements that (re)create `regions` and `table`; the INSERT of the rows
    {first}..{last} (run in parallel chunks); VACUUM and ANALYZE."""
    h = "abs(hashint8extended(i, {}))"
    body = "s.body"
    setup = [
        "CREATE TABLE IF NOT EXISTS regions (code text PRIMARY KEY, name text NOT NULL)",
        "INSERT INTO regions SELECT (360600 + g)::text, '鹰潭市区县' || g FROM generate_series(0, 99) g "
        "ON CONFLICT DO NOTHING",
        f"DROP TABLE IF EXISTS {table}",
        f"""CREATE TABLE {table} (
            id bigint PRIMARY KEY, id_number text, name text, phone text, sex_code text, region_code text,
            birth_date date, amount numeric(12, 2), email text, status text,
            created_at timestamptz, updated_at timestamptz)""",
    ]
    insert = f"""INSERT INTO {table}
        SELECT s.i,
          CASE WHEN s.i % 200 = 3 THEN NULL
               ELSE {body} || substr('10X98765432', (({_check_sum(body)}) % 11 + CASE WHEN s.i % 100 = 5 THEN 1 ELSE 0
                 END) % 11 + 1, 1) END,
          CASE WHEN s.i % 500 = 11 THEN '' WHEN s.i % 500 = 12 THEN '  ' WHEN s.i % 250 = 13 THEN NULL
               WHEN s.i % 1000 = 17 THEN '欧阳' || s.given || '明明'
               ELSE s.surname || s.given END,
          CASE WHEN s.i % 300 = 37 THEN NULL
               WHEN s.i % 200 = 31
                 THEN '1' || (3 + {h.format(3)} % 7) || lpad(({h.format(4)} % 100000000)::text, 8, '0')
               ELSE '1' || (3 + {h.format(3)} % 7) || lpad(({h.format(4)} % 1000000000)::text, 9, '0') END,
          CASE WHEN s.i % 500 = 41 THEN '3' WHEN s.i % 700 = 43 THEN NULL
               WHEN {h.format(5)} % 2 = 0 THEN '1' ELSE '2' END,
          CASE WHEN s.i % 2000 = 23 THEN '999999' WHEN s.i % 1000 = 29 THEN NULL ELSE s.region END,
          s.birth,
          CASE WHEN s.i % 1000 = 53 THEN -1 WHEN s.i % 1500 = 59 THEN 200000
               ELSE ({h.format(6)} % 10000000) / 100.0 END,
          CASE WHEN s.i % 333 = 48 THEN NULL WHEN s.i % 400 = 47 THEN 'u' || s.i || '@example'
               ELSE 'u' || s.i || '@example.cn' END,
          CASE WHEN {h.format(7)} % 4 = 0 THEN 'inactive' ELSE 'active' END,
          s.created,
          CASE WHEN s.i % 900 = 67 THEN NULL WHEN s.i % 300 = 61 THEN s.created - interval '1 hour'
               ELSE s.created + ({h.format(8)} % (30 * 86400)) * interval '1 second' END
        FROM (
          SELECT i,
            (360600 + (k / 21900) % 100)::text || to_char(date '1940-01-01' + (k % 21900)::int, 'YYYYMMDD')
              || lpad(((k / 2190000) % 1000)::text, 3, '0') AS body,
            (360600 + (m / 21900) % 100)::text AS region,
            date '1940-01-01' + (m % 21900)::int AS birth,
            ({_array(SURNAMES)})[1 + abs(hashint8extended(m, 1)) % {len(SURNAMES)}] AS surname,
            ({_array(GIVEN)})[1 + abs(hashint8extended(m, 2)) % {len(GIVEN)}] AS given,
            timestamptz '2026-11-01 00:00:00+00' - ({h.format(9)} % (400 * 86400)) * interval '1 second' AS created
          FROM (SELECT i, CASE WHEN i % 1000 = 7 THEN i - 1 ELSE i END AS k,
                          CASE WHEN i % 2000 = 19 THEN i - 1 ELSE i END AS m
                FROM generate_series({{first}}, {{last}}::bigint) i) g
          OFFSET 0
        ) s"""
    return setup, insert, [f"VACUUM (FREEZE, ANALYZE) {table}", "VACUUM (FREEZE, ANALYZE) regions"]


# --- the 16 rules --------------------------------------------------------------------------------------------
PHONE_RE = r"^1[3-9][0-9]{9}$"
EMAIL_RE = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
SEX_CODES = ["0", "1", "2", "9"]  # GB/T 2261.1-2003
MAX_AGE_HOURS = 24 * 365
FRESH_SINCE = NOW - dt.timedelta(hours=MAX_AGE_HOURS)
CUSTOM = "status = 'inactive' AND amount > 99000"

RULES = [  # key, kind, columns, params
    ("complete_id_number", "completeness", ("id_number",), {}),
    ("complete_name", "completeness", ("name",), {"empty_is_missing": True, "trim": True}),
    ("complete_phone", "completeness", ("phone",), {"empty_is_missing": False}),
    ("unique_id_number", "uniqueness", ("id_number",), {"nulls": "any"}),
    ("unique_person", "uniqueness", ("name", "birth_date", "region_code"), {"nulls": "any"}),
    ("regex_phone", "regex", ("phone",), {"pattern": PHONE_RE}),
    ("regex_email", "regex", ("email",), {"pattern": EMAIL_RE}),
    ("id_number_check", "id_number", ("id_number",), {}),
    ("range_amount", "range", ("amount",), {"min": 0, "max": 100000}),
    ("range_birth_date", "range", ("birth_date",), {"min": "1920-01-01", "max": "2026-11-01"}),
    ("length_name", "length", ("name",), {"min": 2, "max": 4}),
    ("code_sex", "code_set", ("sex_code",), {"values": SEX_CODES}),
    ("ref_region", "reference", ("region_code",), {"table": "regions", "columns": ["code"]}),
    ("consistent_times", "consistency", ("created_at", "updated_at"), {"op": "<="}),
    ("fresh_updated", "freshness", ("updated_at",), {"max_age_hours": MAX_AGE_HOURS, "timezone": "UTC"}),
    ("custom_inactive_amount", "custom_sql", (), {"condition": CUSTOM}),
]
PERSONAL = {"id_number": ("id_number",), "name": ("name",), "phone": ("phone",), "email": ("email",)}
