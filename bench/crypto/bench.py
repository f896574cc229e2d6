"""Cryptography benchmark: dgov.crypto against `openssl speed`, in the same run (see bench/README.md).

Run it through `bench/crypto/run`. One run:

1. Loads the `native` and `python` backends (`dgov.crypto.backends.load`) and checks, before any
   timing, that the measured operations give the same answers as the system `openssl` (SM3 digest,
   SM4-CBC ciphertext, SM2 signatures verified both ways) and as each other.
2. Measures, in `--rounds` interleaved rounds (the system OpenSSL and the library alternately, the
   order swapped every round, so machine noise hits both):

   measurement   baseline (system OpenSSL)                         library, through the facade
   SM2 sign      openssl speed sm2  (EVP_DigestSignInit +          SM2PrivateKey.sign(20-byte msg):
                 EVP_DigestSign of 20 bytes per operation,         e = SM3(Z || M) each time, Z cached
                 so Z and e = SM3(Z || M) each time)               per key by the facade
   SM2 verify    openssl speed sm2  (EVP_DigestVerifyInit +        SM2PublicKey.verify(msg, sig)
                 EVP_DigestVerify, the same)
   SM3           openssl speed -evp sm3 -bytes 16384               sm3(16 KiB)
   SM4-CBC       openssl speed -evp sm4-cbc -bytes 16384           sm4_cbc_encrypt(key, 16 KiB, iv)
   SM4-GCM       openssl speed -evp sm4-gcm (if supported)         sm4_gcm_encrypt(key, 16 KiB)

   The library runs under the native backend for `--seconds` per measurement, and under the
   pure-Python backend for `--python-seconds` (no target for it).
3. Reports the medians over the rounds, native / OpenSSL, and PASS or FAIL against the target
   (native at least 50 % of OpenSSL's rate), as a Markdown table on stdout and as JSON and Markdown
   files in bench/crypto/results/.

Time: the primary figures are on the wall clock: `openssl speed` stops each measurement with a
wall-clock alarm after `--seconds`, so its rate is its operation count / `--seconds`; the library
loops on `time.perf_counter` for the same time. CPU time is recorded beside it (the user CPU time
`openssl speed` reports for each loop, and `time.process_time` in the library), because on a small
shared VM other processes take CPU from whichever side is running: the CPU-time ratio shows whether
a gap is the code or the machine. MB/s means 10^6 bytes per second, the unit of `openssl speed` ("1000s of bytes").

Exit status: 0 when every target is met, 1 when one is missed, 2 when the run itself failed (a
backend or openssl missing, a correctness check failed). Standard library plus dgov only.
"""

import argparse
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py
from common import (  # noqa: E402
    BenchError,
    busy_cpus,
    cpu_stat,
    cpus_usable,
    figure,
    loadavg,
    logger,
    measure,
    median,
    write_results,
)

TARGET = 0.50  # native backend / OpenSSL
BUFFER_BYTES = 16384  # openssl speed's largest default block size
MESSAGE = b"dgov bench message.."  # 20 bytes, the length `openssl speed sm2` signs
assert len(MESSAGE) == 20
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
SIGNER_ID = b"1234567812345678"  # the library's default (GB/T 32918); openssl pkeyutl needs it spelled out

# name, label, unit, openssl speed algorithm, bytes per operation (None: operations/s)
MEASUREMENTS = [
    ("sm2_sign", "SM2 sign (20-byte message, e included)", "ops/s", "sm2", None),
    ("sm2_verify", "SM2 verify (20-byte message, e included)", "ops/s", "sm2", None),
    ("sm3", "SM3, 16 KiB", "MB/s", "sm3", BUFFER_BYTES),
    ("sm4_cbc", "SM4-CBC encrypt, 16 KiB", "MB/s", "sm4-cbc", BUFFER_BYTES),
    ("sm4_gcm", "SM4-GCM encrypt, 16 KiB", "MB/s", "sm4-gcm", BUFFER_BYTES),
]
GROUPS = ["sm2", "sm3", "sm4-cbc", "sm4-gcm"]  # one `openssl speed` run each; sm2 gives two figures


log = logger("bench/crypto")


# --- machine ----------------------------------------------------------------------------------

def cpuinfo() -> dict:
    info = {"model": "unknown", "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and info["model"] == "unknown":
            info["model"] = value.strip()
        elif key == "flags" and not info["flags"]:
            flags = set(value.split())
            # what OpenSSL's code paths for these algorithms could use
            info["flags"] = [f for f in ("aes", "pclmulqdq", "avx", "avx2", "avx512f", "bmi2", "adx", "sha_ni",
                                         "gfni", "vaes", "vpclmulqdq") if f in flags]
    return info


def run_text(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    return (out.stdout or out.stderr).strip()


def machine_info(openssl: str, backends_info: dict) -> dict:
    import cryptography
    from cryptography.hazmat.backends.openssl import backend as crypto_openssl

    cpu = cpuinfo()
    return {
        "cpu_model": cpu["model"],
        "cpu_flags": cpu["flags"],
        "nproc": os.cpu_count(),
        "cpus_usable": cpus_usable(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "openssl_system": run_text([openssl, "version"]),
        "openssl_system_path": shutil.which(openssl),
        "openssl_in_cryptography": crypto_openssl.openssl_version_text(),
        "cryptography": cryptography.__version__,
        "backends": backends_info,
    }


# --- openssl speed ----------------------------------------------------------------------------

_FLOAT = r"(\d+(?:\.\d+)?)"


def parse_sm2(text: str) -> dict[str, tuple[int, float]]:
    """{"sign": (count, seconds), "verify": (count, seconds)} from `openssl speed sm2` output,
    machine-readable (-mr) or human."""
    found = {}
    # -mr: "+DTP:256:sign:CurveSM2:3" announces a phase, the next "+R<n>:count:256:CurveSM2:seconds"
    # is its result (the +R index differs between OpenSSL versions).
    phase = None
    for line in text.splitlines():
        m = re.match(r"^\+DTP:\d+:(sign|verify):\S*SM2\S*:", line)
        if m:
            phase = m.group(1)
            continue
        m = re.match(r"^\+R\d*:(\d+):\d+:\S*SM2\S*:" + _FLOAT + r"\s*$", line)
        if m and phase:
            found[phase] = (int(m.group(1)), float(m.group(2)))
            phase = None
    # human: "Doing 256 bits sign CurveSM2's for 3s: 8400 256 bits CurveSM2 signs in 2.99s"
    for phase, word in (("sign", r"signs?"), ("verify", r"verify")):
        m = re.search(r":\s*(\d+)\s+\d+\s+bits\s+\S*SM2\S*\s+" + word + r"\s+in\s+" + _FLOAT + "s", text)
        if m and phase not in found:
            found[phase] = (int(m.group(1)), float(m.group(2)))
    if set(found) != {"sign", "verify"}:
        raise BenchError("cannot find the SM2 sign and verify counts in openssl speed's output:\n" + text[-2000:])
    return found


def parse_cipher(text: str, size: int) -> tuple[int, float]:
    """(count, seconds) of the `size`-byte blocks from `openssl speed -evp ALG` output (-mr or human)."""
    # -mr: "+DT:SM4-CBC:3:16384" announces a block size, the next "+R:count:SM4-CBC:seconds" is its result
    current = None
    for line in text.splitlines():
        m = re.match(r"^\+DT:[^:]+:\d+:(\d+)\s*$", line)
        if m:
            current = int(m.group(1))
            continue
        m = re.match(r"^\+R:(\d+):[^:]+:" + _FLOAT + r"\s*$", line)
        if m and current == size:
            return int(m.group(1)), float(m.group(2))
    # human: "Doing SM4-CBC for 3s on 16384 size blocks: 21984 SM4-CBC's in 2.99s"
    m = re.search(r"on\s+" + str(size) + r"\s+size blocks:\s*(\d+)\s+\S+\s+in\s+" + _FLOAT + "s", text)
    if m:
        return int(m.group(1)), float(m.group(2))
    raise BenchError(f"cannot find the {size}-byte count in openssl speed's output:\n" + text[-2000:])


def openssl_lists(openssl: str) -> str:
    out = subprocess.run([openssl, "list", "-cipher-algorithms", "-digest-algorithms"], capture_output=True,
                         text=True, timeout=30)
    return out.stdout.upper()


def openssl_supports(openssl: str, algorithm: str, listing: str) -> tuple[bool, str]:
    if algorithm == "sm2":
        ok = "SM2" in run_text([openssl, "list", "-public-key-algorithms"]).upper()
    else:
        ok = re.search(r"(^|[\s,{])" + re.escape(algorithm.upper()) + r"($|[\s,}])", listing, re.M) is not None
    return ok, "" if ok else f"{run_text([openssl, 'version'])} has no {algorithm.upper()} (`openssl list`)"


def openssl_speed(openssl: str, algorithm: str, seconds: int) -> dict:
    """One `openssl speed` run, with both clocks.

    `openssl speed` stops each measurement with alarm(seconds), a wall-clock timer, and by default
    divides the operation count by the *user CPU time* the loop took (it prints that count and time
    in its +R lines). So one run gives both: the wall-clock rate is count / seconds, the CPU-time
    rate is count / CPU seconds (what `openssl speed` itself prints). `-elapsed` would only replace
    the second by the first."""
    if algorithm == "sm2":
        cmd = [openssl, "speed", "-mr", "-seconds", str(seconds), "sm2"]
    else:
        cmd = [openssl, "speed", "-mr", "-seconds", str(seconds), "-bytes", str(BUFFER_BYTES), "-evp", algorithm]
    t0 = time.perf_counter()
    # One stream: the +DTP/+DT announcements and the +R results must stay in order (both on stderr today).
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=seconds * 4 + 60)
    wall = time.perf_counter() - t0
    text = out.stdout
    if out.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed ({out.returncode}):\n{text[-2000:]}")
    if algorithm == "sm2":
        counts = {f"sm2_{phase}": v for phase, v in parse_sm2(text).items()}
        scale = 1.0
    else:
        counts = {algorithm.replace("-", "_"): parse_cipher(text, BUFFER_BYTES)}
        scale = BUFFER_BYTES / 1e6
    phases = len(counts)
    if wall < phases * seconds * 0.98:  # the alarm did not run for `seconds` per phase: the wall rate would be wrong
        raise BenchError(f"{' '.join(cmd)} took {wall:.2f} s, less than {phases} × {seconds} s")
    figures, figures_cpu, shares = {}, {}, {}
    for name, (count, cpu) in counts.items():
        figures[name] = count * scale / seconds
        figures_cpu[name] = count * scale / cpu if cpu > 0 else None
        shares[name] = round(min(cpu / seconds, 1.0), 3)
    return {"command": " ".join(cmd), "wall_s": round(wall, 3), "counts": counts, "cpu_share": shares,
            "figures": figures, "figures_cpu": figures_cpu}


# --- the library ------------------------------------------------------------------------------

class Library:
    """The facade's operations, bound to one backend (keys and inputs made under that backend)."""

    def __init__(self, backend):
        from dgov.crypto import backends, primitives

        self.backend = backend
        self.using = functools.partial(backends.using, backend)
        self.p = primitives
        with self.using():
            self.key = primitives.SM2PrivateKey.generate()
            self.public = self.key.public_key()
            self.signature = self.key.sign(MESSAGE)
        self.buffer = bytes(range(256)) * (BUFFER_BYTES // 256)
        p = primitives
        self.ops = {
            "sm2_sign": (functools.partial(self.key.sign, MESSAGE), None),
            "sm2_verify": (functools.partial(self.public.verify, MESSAGE, self.signature), None),
            "sm3": (functools.partial(p.sm3, self.buffer), BUFFER_BYTES),
            "sm4_cbc": (functools.partial(p.sm4_cbc_encrypt, SM4_KEY, self.buffer, SM4_IV), BUFFER_BYTES),
            "sm4_gcm": (functools.partial(p.sm4_gcm_encrypt, SM4_KEY, self.buffer), BUFFER_BYTES),
        }

    def run(self, name: str, seconds: float) -> dict:
        fn, nbytes = self.ops[name]
        with self.using():
            return measure(fn, seconds, nbytes)


# --- correctness checks (before timing) --------------------------------------------------------

def checks(openssl: str, native: "Library", python: "Library | None") -> list[dict]:
    """The measured operations must compute the right thing: compare with the system openssl and
    between the backends. Each check: {"check", "ok", "detail"}."""
    results = []

    def record(name, fn):
        try:
            ok, detail = fn()
        except Exception as exc:  # a check that cannot run is a failed check
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        results.append({"check": name, "ok": bool(ok), "detail": detail})

    p = native.p
    buf = native.buffer

    def sm3_vs_openssl():
        with native.using():
            mine = p.sm3(buf)
        out = subprocess.run([openssl, "dgst", "-sm3", "-binary"], input=buf, capture_output=True, timeout=30)
        return mine == out.stdout, f"library {mine.hex()[:16]}…, openssl {out.stdout.hex()[:16]}…"

    def cbc_vs_openssl():
        with native.using():
            mine = p.sm4_cbc_encrypt(SM4_KEY, buf, SM4_IV)
        out = subprocess.run([openssl, "enc", "-sm4-cbc", "-K", SM4_KEY.hex(), "-iv", SM4_IV.hex()], input=buf,
                             capture_output=True, timeout=30)
        return mine == SM4_IV + out.stdout, f"{len(mine) - 16} ciphertext bytes (PKCS #7 pads 16 KiB by one block)"

    def sm2_both_ways():
        with tempfile.TemporaryDirectory(prefix="dgov-bench-sm2-") as tmp:
            d = Path(tmp)
            (d / "pub.pem").write_text(native.public.to_pem())
            (d / "key.pem").write_text(native.key.to_pem())
            (d / "msg").write_bytes(MESSAGE)
            (d / "sig").write_bytes(native.signature)
            common = ["-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{SIGNER_ID.decode()}", "-in", str(d / "msg")]
            verify = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(d / "pub.pem"),
                                     "-sigfile", str(d / "sig"), *common], capture_output=True, text=True, timeout=30)
            sign = subprocess.run([openssl, "pkeyutl", "-sign", "-inkey", str(d / "key.pem"), "-out", str(d / "sig2"),
                                   *common], capture_output=True, text=True, timeout=30)
            theirs = (d / "sig2").read_bytes() if sign.returncode == 0 else b""
        with native.using():
            ok_theirs = bool(theirs) and native.public.verify(MESSAGE, theirs)
            rejects = not native.public.verify(MESSAGE + b"!", native.signature)
        ok_mine = verify.returncode == 0 and "Verified Successfully" in verify.stdout
        return ok_mine and ok_theirs and rejects, (
            f"openssl verifies the library's signature: {ok_mine}; the library verifies openssl's: {ok_theirs}; "
            f"the library rejects a changed message: {rejects}")

    record("SM3 of the 16 KiB buffer = `openssl dgst -sm3`", sm3_vs_openssl)
    record("SM4-CBC of the 16 KiB buffer = `openssl enc -sm4-cbc`", cbc_vs_openssl)
    record("SM2 signatures interoperate with `openssl pkeyutl` (ID 1234567812345678)", sm2_both_ways)

    if python is not None:
        def backends_agree():
            nb, pb = native.backend, python.backend
            nonce = bytes(12)
            same = {
                "sm3": nb.sm3(buf) == pb.sm3(buf),
                "sm4_cbc": nb.sm4_cbc_encrypt(SM4_KEY, SM4_IV, buf) == pb.sm4_cbc_encrypt(SM4_KEY, SM4_IV, buf),
                "sm4_gcm": nb.sm4_gcm_encrypt(SM4_KEY, nonce, buf, b"") == pb.sm4_gcm_encrypt(SM4_KEY, nonce, buf, b""),
            }
            with python.using():
                same["python verifies native's SM2"] = native.public.verify(MESSAGE, native.signature)
            with native.using():
                same["native verifies python's SM2"] = python.public.verify(MESSAGE, python.signature)
            return all(same.values()), ", ".join(f"{k}: {v}" for k, v in same.items())

        record("native and python backends agree", backends_agree)
    return results


# --- summary and output -------------------------------------------------------------------------

def _per_round(rounds: list[dict], side: str, name: str, key: str = "rate") -> list:
    return [r[side][name][key] for r in rounds if name in r.get(side, {})]


def summarise(rounds: list[dict], unsupported: dict) -> list[dict]:
    rows = []
    for name, label, unit, algorithm, _ in MEASUREMENTS:
        per = functools.partial(_per_round, rounds, name=name)
        base = [r["openssl"][name] for r in rounds if name in r.get("openssl", {})]
        base_cpu = [r["openssl_cpu"][name] for r in rounds if name in r.get("openssl_cpu", {})]
        row = {
            "name": name, "label": label, "unit": unit,
            "openssl": median(base), "openssl_rounds": base,
            "openssl_cpu": median(base_cpu),
            "native": median(per("native")), "native_rounds": per("native"),
            "native_cpu": median(per("native", key="rate_cpu")),
            "python": median(per("python")), "python_rounds": per("python"),
        }
        if row["openssl"] and row["native"] is not None:
            row["ratio"] = row["native"] / row["openssl"]
            row["ratio_rounds"] = [n / o for n, o in zip(row["native_rounds"], base, strict=False) if o]
            both = row["native_cpu"] and row["openssl_cpu"]
            row["ratio_cpu"] = row["native_cpu"] / row["openssl_cpu"] if both else None
            row["ratio_cpu_rounds"] = [
                n / o for n, o in zip(per("native", key="rate_cpu"), base_cpu, strict=False) if n and o
            ]
            row["verdict"] = "PASS" if row["ratio"] >= TARGET else "FAIL"
            if row["ratio_cpu"] is not None and (row["ratio_cpu"] >= TARGET) != (row["ratio"] >= TARGET):
                row["verdict"] += f" (CPU time: {'PASS' if row['ratio_cpu'] >= TARGET else 'FAIL'})"
        else:
            row["ratio"] = row["ratio_cpu"] = None
            row["verdict"] = "no baseline" if algorithm in unsupported else "not measured"
            row["note"] = unsupported.get(algorithm, "")
        if row["openssl"] and row["python"] is not None:
            row["python_ratio"] = row["python"] / row["openssl"]
        elif row["native"] and row["python"] is not None:
            row["python_ratio_native"] = row["python"] / row["native"]
        rows.append(row)
    return rows


def fmt(value, unit) -> str:
    if value is None or unit == "ops/s":
        return figure(value)
    return f"{value:.1f}" if value >= 1 else f"{value:.3f}"


def pct(value) -> str:
    return "–" if value is None else f"{value * 100:.0f} %" if value >= 0.01 else f"{value * 100:.2f} %"


def table(rows: list[dict]) -> str:
    lines = [
        "| measurement | unit | OpenSSL (`openssl speed`) | native | native ÷ OpenSSL | same, CPU time | "
        "target ≥ 50 % | pure Python | Python ÷ OpenSSL |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        python_ratio = pct(r.get("python_ratio")) if "python_ratio" in r else (
            f"{pct(r['python_ratio_native'])} of native" if "python_ratio_native" in r else "–")
        lines.append(
            f"| {r['label']} | {r['unit']} | {fmt(r['openssl'], r['unit']) if r['openssl'] else 'n/a'} | "
            f"{fmt(r['native'], r['unit'])} | {pct(r['ratio'])} | {pct(r['ratio_cpu'])} | {r['verdict']} | "
            f"{fmt(r['python'], r['unit'])} | {python_ratio} |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    m = result["machine"]
    out = [
        f"# dgov cryptography benchmark, {result['started']}",
        "",
        f"{result['rounds']} interleaved rounds (medians); {result['seconds']} s per OpenSSL and native measurement, "
        f"{result['python_seconds']} s per pure-Python measurement; wall clock; MB = 10^6 bytes. "
        "\"Same, CPU time\" is the ratio of the rates per CPU second (openssl speed's user time, the "
        "library's process time): it shows whether a gap is the code or other processes on the machine.",
        "",
        table(result["summary"]),
        "",
        f"**Verdict:** {result['verdict']}",
        "",
    ]
    notes = [f"- {r['label']}: {r['note']}" for r in result["summary"] if r.get("note")]
    if notes:
        out += ["Notes:", *notes, ""]
    out += ["Per round (wall clock; native ÷ OpenSSL on the wall clock, then on CPU time):", ""]
    for r in result["summary"]:
        if r.get("ratio_rounds"):
            out.append(f"- {r['label']}: OpenSSL {', '.join(fmt(v, r['unit']) for v in r['openssl_rounds'])}; "
                       f"native {', '.join(fmt(v, r['unit']) for v in r['native_rounds'])}; "
                       f"ratio {', '.join(pct(v) for v in r['ratio_rounds'])}; "
                       f"CPU-time ratio {', '.join(pct(v) for v in r.get('ratio_cpu_rounds', []))}")
    out += ["", "CPU share of each measurement (CPU time ÷ wall time; below ~0.95 means other processes took CPU):", ""]
    for i, rnd in enumerate(result["raw_rounds"], 1):
        shares = [f"openssl {k} {v}" for run in rnd["openssl_runs"].values() for k, v in run["cpu_share"].items()]
        shares += [f"native {k} {v['cpu_share']}" for k, v in rnd["native"].items()]
        out.append(f"- round {i} ({rnd['order']}): " + ", ".join(shares) +
                   f"; machine busy {rnd.get('machine_busy_cpus', '?')} of {m['nproc']} CPUs")
    out += ["", "Correctness checks (before timing):", ""]
    out += [f"- {'ok' if c['ok'] else 'FAILED'}: {c['check']} ({c['detail']})" for c in result["checks"]]
    out += [
        "", "Machine:", "",
        f"- CPU: {m['cpu_model']}, {m['nproc']} CPUs ({m['cpus_usable']} usable), flags: {' '.join(m['cpu_flags'])}",
        f"- kernel {m['kernel']}, Python {m['python']}, load average before {result['load_before']}, "
        f"after {result['load_after']}",
        f"- system OpenSSL (baseline): {m['openssl_system']} ({m['openssl_system_path']})",
        f"- OpenSSL inside cryptography {m['cryptography']}: {m['openssl_in_cryptography']}",
    ]
    out += [f"- backend {name}: {desc}" for name, desc in m["backends"].items()]
    return "\n".join(out) + "\n"


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/crypto/run", description="dgov.crypto against `openssl speed`, same run.")
    p.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2], help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=int, default=3, help="seconds per OpenSSL and native measurement (default 3)")
    p.add_argument("--python-seconds", type=float, default=1.0,
                   help="seconds per pure-Python measurement (default 1; at least one operation)")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds, medians reported (default 2)")
    p.add_argument("--results", type=Path, help="output directory (default bench/crypto/results)")
    p.add_argument("--openssl", default="openssl", help="the openssl command (default: openssl on PATH)")
    p.add_argument("--no-python", action="store_true", help="skip the pure-Python backend")
    args = p.parse_args(argv)
    if args.seconds < 1 or args.rounds < 1 or args.python_seconds <= 0:
        p.error("--seconds and --rounds must be at least 1, --python-seconds positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    results_dir = (args.results or repo / "bench" / "crypto" / "results").resolve()
    sys.path.insert(0, str(repo))
    if not shutil.which(args.openssl):
        log(f"{args.openssl} not found: install it with 'apt-get install openssl'")
        return 2

    from dgov.crypto import backends
    from dgov.crypto.errors import BackendUnavailable

    started = datetime.now(UTC)
    load_before = loadavg()
    backends_info = {}
    libs = {}
    for name in ("native", "python"):
        if name == "python" and args.no_python:
            backends_info[name] = "skipped (--no-python)"
            continue
        try:
            b = backends.load(name)
        except BackendUnavailable as exc:
            backends_info[name] = f"unavailable: {exc}"
            log(f"the {name} backend is unavailable: {exc}")
            continue
        backends_info[name] = b.description()
        libs[name] = Library(b)
    if "native" not in libs:
        log("the native backend is required")
        return 2

    listing = openssl_lists(args.openssl)
    unsupported = {}
    for algorithm in GROUPS:
        ok, why = openssl_supports(args.openssl, algorithm, listing)
        if not ok:
            unsupported[algorithm] = why + "; the library's figure is reported without a baseline"
            log(f"no baseline for {algorithm}: {why}")

    log("correctness checks")
    check_results = checks(args.openssl, libs["native"], libs.get("python"))
    for c in check_results:
        log(f"  {'ok' if c['ok'] else 'FAILED'}: {c['check']}: {c['detail']}")

    ops_of_group = {"sm2": ["sm2_sign", "sm2_verify"], "sm3": ["sm3"], "sm4-cbc": ["sm4_cbc"], "sm4-gcm": ["sm4_gcm"]}
    rounds = []
    try:
        for i in range(args.rounds):
            order = ["openssl", "native"] if i % 2 == 0 else ["native", "openssl"]
            rnd = {"order": " then ".join(order), "openssl": {}, "openssl_cpu": {}, "openssl_runs": {}, "native": {},
                   "python": {}, "load_before": loadavg()}
            stat0, t0 = cpu_stat(), time.perf_counter()
            for group in GROUPS:
                for side in order:
                    if side == "openssl":
                        if group in unsupported:
                            continue
                        log(f"round {i + 1}/{args.rounds}: openssl speed {group} ({args.seconds} s"
                            f"{' each for sign and verify' if group == 'sm2' else ''})")
                        run = openssl_speed(args.openssl, group, args.seconds)
                        rnd["openssl"].update(run["figures"])
                        rnd["openssl_cpu"].update(run["figures_cpu"])
                        rnd["openssl_runs"][group] = {k: run[k] for k in ("command", "wall_s", "counts", "cpu_share")}
                    else:
                        for op in ops_of_group[group]:
                            log(f"round {i + 1}/{args.rounds}: native {op} ({args.seconds} s)")
                            rnd["native"][op] = libs["native"].run(op, args.seconds)
            stat1, t1 = cpu_stat(), time.perf_counter()
            if stat0 and stat1:
                rnd["machine_busy_cpus"] = busy_cpus(stat0, stat1, t1 - t0)
                rnd["steal_s"] = round((stat1[2] - stat0[2]) / os.sysconf("SC_CLK_TCK"), 2)
            if "python" in libs:
                for op, *_ in MEASUREMENTS:
                    log(f"round {i + 1}/{args.rounds}: python {op} ({args.python_seconds} s)")
                    rnd["python"][op] = libs["python"].run(op, args.python_seconds)
            rnd["load_after"] = loadavg()
            rounds.append(rnd)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        log(f"failed: {exc}")
        return 2

    summary = summarise(rounds, unsupported)
    judged = [r for r in summary if r["ratio"] is not None]
    missed = [r["label"] for r in judged if r["ratio"] < TARGET]
    failed_checks = [c["check"] for c in check_results if not c["ok"]]
    if failed_checks:
        verdict = "RUN INVALID: correctness check failed: " + "; ".join(failed_checks)
    elif missed:
        verdict = f"target missed for {', '.join(missed)} (native below {TARGET:.0%} of OpenSSL)"
    else:
        verdict = (f"target met: the native backend reaches at least {TARGET:.0%} of OpenSSL's rate in all "
                   f"{len(judged)} measurements with a baseline")
    result = {
        "benchmark": "dgov.crypto vs openssl speed",
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "seconds": args.seconds, "python_seconds": args.python_seconds, "rounds": args.rounds,
        "target": TARGET, "mb": "10^6 bytes (openssl speed reports 1000s of bytes per second)",
        "timer": ("wall clock: openssl speed's count / --seconds (its alarm is wall-clock); time.perf_counter in "
                  "the library. CPU: openssl speed's own user CPU time per loop; time.process_time in the library"),
        "machine": machine_info(args.openssl, backends_info),
        "load_before": load_before, "load_after": loadavg(),
        "checks": check_results, "unsupported": unsupported,
        "summary": summary, "verdict": verdict, "raw_rounds": rounds,
    }
    md = markdown(result)
    print(md)
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    write_results(results_dir, stamp, result, md)
    log(f"results written to {results_dir}/{stamp}.{{json,md}} and latest.json")
    if failed_checks:
        return 2
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
