"""Offline verification of an exported exchange log: standard library only, so that anyone holding
the file can check it without dgov (copy this file, or run `python3 -m dgov.exchange.offline FILE`).

The export is JSON Lines. The first line is the header:
    {"format": "dgov-exchange-log", "version": 1, "first_seq", "last_seq", "start_hash", "end_hash", …}
and every further line one sealed entry with the fields in `FIELDS` plus `prev_hash` and `hash`, where

    hash = SM3(prev_hash + "|" + canonical JSON of FIELDS).hex()

and the canonical JSON has sorted keys, no spaces and UTF-8 text (not \\u escapes). The first
entry's `prev_hash` is `start_hash` (64 zeros when the export starts at entry 1); the last entry's
`hash` is `end_hash`, which the platform also records in its audit log at export time.

SM3 comes from Python's hashlib (OpenSSL 3 provides it); `openssl dgst -sm3` computes the same.
"""

import hashlib
import json
import sys

GENESIS = "0" * 64
FORMAT = "dgov-exchange-log"
FIELDS = ("seq", "occurred_at", "request_id", "app_code", "key_id", "service_code", "grant_id",
          "sharing_request_id", "purpose", "method", "path", "status", "error_code", "rows", "latency_ms",
          "body_sm3", "ip")


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def canonical(record: dict) -> bytes:
    return json.dumps({name: record[name] for name in FIELDS}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: str, record: dict) -> str:
    return sm3_hex(prev_hash.encode("ascii") + b"|" + canonical(record))


def verify_lines(lines) -> tuple[bool, int, str]:
    """(ok, entries checked, message) for the lines of an export."""
    lines = iter(lines)
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError):
        return False, 0, "the file has no header line"
    if header.get("format") != FORMAT or header.get("version") != 1:
        return False, 0, "not a dgov exchange log export (format/version)"
    prev, expected_seq, checked = header.get("start_hash"), header.get("first_seq"), 0
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            computed = entry_hash(prev, record)
        except (ValueError, KeyError, TypeError, AttributeError):
            return False, checked, f"line {number}: not a complete entry"
        if record.get("seq") != expected_seq:
            return False, checked, f"line {number}: expected entry #{expected_seq}, found #{record.get('seq')}"
        if record.get("prev_hash") != prev:
            return False, checked, f"entry #{expected_seq}: prev_hash does not match the previous entry"
        if record.get("hash") != computed:
            return False, checked, f"entry #{expected_seq}: content does not match its hash (entry edited)"
        prev, expected_seq, checked = computed, expected_seq + 1, checked + 1
    if header.get("last_seq") is not None and expected_seq - 1 != header["last_seq"]:
        return False, checked, f"the file ends at #{expected_seq - 1}, the header says #{header['last_seq']}"
    if prev != header.get("end_hash"):
        return False, checked, "the last hash differs from the header's end_hash (entries removed or replaced)"
    return True, checked, f"intact: {checked} entries, end hash {prev}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 offline.py EXPORT.jsonl", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        ok, _checked, message = verify_lines(fh)
    print(("OK " if ok else "BROKEN ") + message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
