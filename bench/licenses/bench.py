"""Licence benchmark: issuing and verifying sealed licence files per second, against the raw SM2 sign and
verify rates of `dgov.crypto.primitives` in the same run (see bench/README.md, "Licences"). Run it through
`bench/licenses/run`.

One run, for each database (SQLite in a temporary data directory; PostgreSQL in its own database, by
default `dgov_bench_licenses`, dropped and re-created, never `dgov` or `test_dgov`):

1. `dgov init --no-static` (migrations, reference data, the master key) in a fresh data directory.
2. A worker process (this script with `--worker`) prepares, untimed:
   - the library side: a seal maker and a signer key (raw SM2 keys, no key service), the maker's CA
     certificate, the signer certificate and the SES_Seal with a 480-pixel seal picture, and the face of
     a 居住证 with seven fields;
   - the service side: credit codes for 鹰潭市公安局 (defines the type) and 余江区行政审批局 (issues it), a
     licence type, an e-seal made by `services.seal_create` (its SM2 key in the key service, its
     certificate issued by the platform's seal maker) and an official allowed to issue;
   and checks, before any timing, that a library-sealed file passes every `filecheck.check_file` check and
   that a service-issued licence passes `verification.verify_file`.
3. Measures, in `--rounds` interleaved rounds of `--seconds` per measurement (the order reversed every
   other round, so machine noise hits every side):

   sm2_sign        SM2PrivateKey.sign(20-byte message): the crypto library's raw rate
   sm2_verify      SM2PublicKey.verify(20-byte message, signature)
   render          render.render(face): the face as PDF (reportlab, CJK font subset, QR code, seal picture)
   seal            pdfseal.seal_pdf(face PDF, ses.build_signature(...)): SM3 of the byte range, TBS_Sign,
                   one SM2 signature, the incremental update
   issue_library   render + seal: a licence file from its face, no database
   check_file      filecheck.check_file(sealed file, maker_certs): parse, SM3, three SM2 verifications
                   (signature, seal, signer certificate), embedded metadata
   issue_service   services.issue(...): checks, counters, render, seal with the key service's key, the
                   licence row, audit; one transaction per licence
   verify_service  verification.verify_file(sealed file): check_file, the licence's status and its seal's,
                   and the Verification row

4. Reports medians over the rounds, with each figure's ratio to the raw SM2 rate (an issue needs one SM2
   signature; a file check three SM2 verifications, so `check_file ÷ (sm2_verify ÷ 3)` is the share of
   the ideal), as a Markdown table on stdout and as JSON and Markdown in bench/licenses/results/.

No target: the issue asks for the figures. Wall-clock rates (time.perf_counter); the CPU share of each
measurement (process CPU ÷ wall) tells whether another process took the CPU. Exit status: 0 when the run
completed and every correctness check passed, 2 when the run itself failed.
"""

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py
from common import (  # noqa: E402
    BenchError,
    cpu_model,
    cpus_usable,
    django_setup,
    figure,
    loadavg,
    logger,
    measure,
    median,
    memory_gb,
    num,
    pg_database,
    pg_recreate,
    run_cmd,
    run_worker,
    worker_env,
    write_results,
)

HERE = Path(__file__).resolve().parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dgov_bench_licenses"
MESSAGE = b"dgov bench message.."  # 20 bytes, as bench/crypto and `openssl speed sm2`
DEFINING, ISSUER = "360600006", "360603907"  # 鹰潭市公安局, 余江区行政审批局
FIELDS = [
    {"key": "address", "label": "居住地址", "kind": "text", "required": True},
    {"key": "since", "label": "居住起始日期", "kind": "date", "required": False},
    {"key": "category", "label": "类别", "kind": "choice", "required": True, "choices": ["务工", "就学", "其他"]},
    {"key": "employer", "label": "工作单位", "kind": "text", "required": False},
]
VALUES = {"address": "余江区锦江镇中山路1号", "since": "2024-03-01", "category": "务工",
          "employer": "鹰潭市示例制造有限公司"}
# name, label, what its ratio is taken against ("sign", "verify" or None)
MEASUREMENTS = [
    ("sm2_sign", "SM2 sign, 20-byte message (crypto library, raw)", None),
    ("sm2_verify", "SM2 verify, 20-byte message (crypto library, raw)", None),
    ("render", "render the face (PDF with the seal picture, not yet signed)", "sign"),
    ("seal", "seal a rendered face (SES_Signature + incremental update)", "sign"),
    ("issue_library", "issue, library: render + seal", "sign"),
    ("check_file", "verify, library: filecheck.check_file", "verify"),
    ("issue_service", "issue, full service: services.issue (database, key service, audit)", "sign"),
    ("verify_service", "verify, full service: verification.verify_file (database)", "verify"),
]
VERIFIES_PER_CHECK = 3
MEASURED = ("ops", "wall_s", "cpu_share", "rate")  # what a result records of common.measure's figures


log = logger("bench/licenses")


# --- worker ---------------------------------------------------------------------------------------
class Library:
    """Everything without the database: raw keys, certificates, the seal, a face."""

    def __init__(self):
        from dgov.crypto.primitives import SM2PrivateKey
        from dgov.licenses import identifier, render, sealimage, ses, x509

        self.render, self.ses = render, ses
        now = datetime.now(UTC).replace(microsecond=0)
        self.maker_key, self.signer_key = SM2PrivateKey.generate(), SM2PrivateKey.generate()
        maker_name = {"C": "CN", "O": "鹰潭市大数据发展管理局", "CN": "鹰潭市电子印章制章者"}
        self.maker_cert = x509.make_certificate(
            subject=maker_name, public_key=self.maker_key.public_key(), issuer=maker_name, sign=self.maker_key.sign,
            serial=1, not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=3650), ca=True)
        self.signer_cert = x509.make_certificate(
            subject={"C": "CN", "O": "余江区行政审批局", "CN": "余江区行政审批局电子证照专用章"},
            public_key=self.signer_key.public_key(), issuer=maker_name, sign=self.maker_key.sign, serial=2,
            not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=365), ca=False,
            issuer_public_key=self.maker_key.public_key())
        picture = sealimage.seal_png("余江区行政审批局", bottom="电子证照专用章")
        info = ses.SealInfo(es_id="36060320260000001", vid="DGOV", seal_type=ses.SEAL_TYPE_ORGANISATION,
                            name="余江区行政审批局电子证照专用章", cert_list=[self.signer_cert], created=now,
                            valid_start=now - dt.timedelta(days=1), valid_end=now + dt.timedelta(days=365),
                            picture_type="PNG", picture=picture, width_mm=40, height_mm=40)
        self.seal = ses.build_seal(info, self.maker_cert, self.maker_key.sign)
        code = "11360603MB0000007"
        from dgov.core.validators import credit_code_check_char

        code += credit_code_check_char(code)
        self.identifier = identifier.build(code + "001", code, 1, 1)
        self.face = render.Face(
            title="居住证", subtitle="鹰潭市", holder_label="持证人", holder_name="李娜",
            fields=[("公民身份号码", "360602199001011234"), ("居住地址", VALUES["address"]),
                    ("居住起始日期", "2024年3月1日"), ("类别", "务工"), ("工作单位", VALUES["employer"])],
            issuer_name="余江区行政审批局", issued_on=now.date(), valid_text="2026年11月27日至2027年11月26日",
            identifier=self.identifier, verify_url=f"https://zw.example.gov.cn/licenses/verify/?id={self.identifier}",
            seal_png=picture, seal_mm=40, metadata={"holder": "李娜", "fields": VALUES}, demo=False)
        self.pdf = render.render(self.face)
        self.sealed = self.seal_face(self.pdf)

    def seal_face(self, pdf: bytes) -> bytes:
        from dgov.licenses import pdfseal

        def make_signature(digest: bytes) -> bytes:
            return self.ses.build_signature(seal_der=self.seal, signed_at=datetime.now(UTC), data_hash=digest,
                                            property_info=self.identifier, signer_cert=self.signer_cert,
                                            sign=self.signer_key.sign)

        return pdfseal.seal_pdf(pdf, make_signature)

    def check(self):
        from dgov.licenses import filecheck

        return filecheck.check_file(self.sealed, maker_certs=[self.maker_cert])


class Service:
    """The same through the app's services, with the database and the key service."""

    def __init__(self):
        from django.utils import timezone

        from dgov.accounts.testing import make_user, valid_id_number
        from dgov.core.cache import REFERENCE
        from dgov.core.validators import credit_code_check_char
        from dgov.licenses import services, verification
        from dgov.licenses.models import LicenseType, Seal
        from dgov.orgs.models import Department

        self.services, self.verification, self.valid_id_number = services, verification, valid_id_number
        for code in (DEFINING, ISSUER):
            department = Department.objects.select_related("region").get(code=code)
            first17 = "11" + department.region.code[:6] + department.code
            Department.objects.filter(code=code).update(credit_code=first17 + credit_code_check_char(first17))
        REFERENCE.bump()
        self.actor = make_user("bench_licenses", department_code="360600036", roles=[("city_admin", "all", None)])
        self.issuer = Department.objects.get(code=ISSUER)
        license_type = LicenseType(name="居住证", defining_department=Department.objects.get(code=DEFINING),
                                   holder_kind="person", physical_licence="居住证（IC卡）", fields=FIELDS,
                                   validity_months=12, face={"title": "居住证", "subtitle": "鹰潭市"})
        self.license_type = services.type_save(actor=self.actor, license_type=license_type,
                                               issuing_departments=[self.issuer])
        now = timezone.now()
        services.seal_create(actor=self.actor, seal=Seal(
            name="余江区行政审批局电子证照专用章", department=self.issuer, valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=365)))
        self.count = 0
        self.last = self.issue()

    def issue(self):
        self.count += 1
        self.last = self.services.issue(
            actor=self.actor, license_type=self.license_type, issuer=self.issuer, holder_kind="person",
            holder_code=self.valid_id_number(seq=self.count), holder_name="李娜", fields=VALUES)
        return self.last

    def verify(self):
        return self.verification.verify_file(bytes(self.last.pdf))


def correctness(library: Library, service: Service | None) -> list[dict]:
    results = []
    report = library.check()
    results.append({"check": "a library-sealed file passes every filecheck check", "ok": report.ok,
                    "detail": "; ".join(f"{c.name}: {'ok' if c.ok else c.detail}" for c in report.checks)})
    if service is not None:
        result = service.verify()
        results.append({"check": "a service-issued licence passes verification.verify_file", "ok": bool(result.valid),
                        "detail": "; ".join(f"{c.name}: {'ok' if c.ok else c.detail}" for c in result.checks)})
        changed = bytearray(bytes(service.last.pdf))
        changed[len(changed) // 3] ^= 1
        refused = service.verification.verify_file(bytes(changed))
        results.append({"check": "one changed byte fails verification.verify_file", "ok": not refused.valid,
                        "detail": ", ".join(c.name for c in refused.checks if not c.ok)})
    return results


def worker(args) -> int:
    out: dict = django_setup(args.repo)
    import reportlab

    from dgov.crypto.primitives import SM2PrivateKey, backend_description

    out["crypto_backend"], out["reportlab"] = backend_description(), reportlab.Version
    log(f"{out['vendor']}: preparing keys, certificates, the seal and the face")
    library = Library()
    out["sizes"] = {"face_pdf": len(library.pdf), "sealed_pdf": len(library.sealed), "seal_der": len(library.seal)}
    try:
        service = Service()
    except Exception as exc:  # noqa: BLE001  (the library figures stand without the app; say why)
        log(f"the service side is not measured: {type(exc).__name__}: {exc}")
        out["service_error"] = f"{type(exc).__name__}: {exc}"
        service = None
    out["checks"] = correctness(library, service)
    if not all(c["ok"] for c in out["checks"]):
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1))
        log("a correctness check failed: " + "; ".join(c["detail"] for c in out["checks"] if not c["ok"]))
        return 2
    key = SM2PrivateKey.generate()
    signature = key.sign(MESSAGE)
    ops = {
        "sm2_sign": lambda: key.sign(MESSAGE),
        "sm2_verify": lambda: key.public_key().verify(MESSAGE, signature),
        "render": lambda: library.render.render(library.face),
        "seal": lambda: library.seal_face(library.pdf),
        "issue_library": lambda: library.seal_face(library.render.render(library.face)),
        "check_file": library.check,
    }
    if service is not None:
        ops |= {"issue_service": service.issue, "verify_service": service.verify}
    names = [m[0] for m in MEASUREMENTS if m[0] in ops]
    rounds = []
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        log(f"round {r + 1}/{args.rounds}: {', '.join(order)}")
        rounds.append({name: {k: v for k, v in measure(ops[name], args.seconds).items() if k in MEASURED}
                       for name in order})
    out["rounds"] = rounds
    if service is not None:
        out["licences_issued"] = service.count
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


# --- orchestrator ---------------------------------------------------------------------------------
def run_database(db: str, args) -> dict:
    repo = args.repo
    workdir = Path(tempfile.mkdtemp(prefix=f"dgov-bench-licenses-{db}-"))
    env = worker_env(workdir / "data", args.postgres_url if db == "postgresql" else None)
    started = datetime.now(UTC)
    try:
        if db == "postgresql":
            log(f"re-creating the PostgreSQL database {pg_database(args.postgres_url)}")
            pg_recreate(args.postgres_url, create=True)
        log(f"{db}: dgov init --no-static in {workdir / 'data'}")
        run_cmd([str(repo / ".venv" / "bin" / "dgov"), "init", "--no-static"], env, workdir / "setup.log",
                stdout_to_log=True)
        out_file = workdir / "worker.json"
        return run_worker([str(repo / ".venv" / "bin" / "python"), str(Path(__file__).resolve()), "--worker",
                           "--repo", str(repo), "--out", str(out_file), "--seconds", str(args.seconds),
                           "--rounds", str(args.rounds)], env, out_file, db=db, started=started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if db == "postgresql":
            try:
                pg_recreate(args.postgres_url, create=False)
            except BenchError as exc:
                log(f"could not drop {pg_database(args.postgres_url)}: {exc}")


def summarise(result: dict) -> list[dict]:
    rounds = result.get("rounds", [])

    def med(name, key="rate"):
        return median(r[name][key] for r in rounds if name in r)

    raw = {"sign": med("sm2_sign"), "verify": med("sm2_verify")}
    rows = []
    for name, label, against in MEASUREMENTS:
        rate = med(name)
        if rate is None:
            continue
        row = {"name": name, "label": label, "rate": rate, "per_op_ms": 1000 / rate,
               "cpu_share": med(name, "cpu_share"), "rounds": [round(r[name]["rate"], 2) for r in rounds if name in r]}
        if against == "sign" and raw["sign"]:
            row["of_raw"] = rate / raw["sign"]
            row["of_raw_text"] = "of SM2 sign"
        elif against == "verify" and raw["verify"]:
            row["of_raw"] = rate / (raw["verify"] / VERIFIES_PER_CHECK)
            row["of_raw_text"] = f"of SM2 verify ÷ {VERIFIES_PER_CHECK}"
        rows.append(row)
    return rows


def loadavg_text() -> str:
    return " ".join(f"{x:.2f}" for x in loadavg())


def machine_info() -> dict:
    openssl = shutil.which("openssl")
    version = subprocess.run([openssl, "version"], capture_output=True, text=True).stdout.strip() if openssl else "none"
    return {"cpu_model": cpu_model(), "nproc": os.cpu_count(), "cpus_usable": cpus_usable(),
            "memory_gb": memory_gb(), "kernel": platform.release(), "python": platform.python_version(),
            "openssl_system": version, "loadavg_before": loadavg_text()}


def markdown(report: dict) -> str:
    m = report["machine"]
    out = [f"# dgov licence benchmark, {report['started']}", "",
           f"{report['rounds']} interleaved rounds of {report['seconds']} s per measurement, medians; wall-clock "
           "rates in one process. An issue needs one SM2 signature, a file check three SM2 verifications (the "
           "signer's signature, the maker's over the seal, the maker's over the signer certificate): the last "
           "column compares each rate with that ideal.", ""]
    for db, result in report["databases"].items():
        if "error" in result:
            out += [f"## {db}", "", f"**Not measured:** {result['error']}", ""]
            continue
        sizes = {k: num(v) for k, v in result["sizes"].items()}
        out += [f"## {db} {result['version']}", "",
                f"Crypto backend: {result['crypto_backend']}; reportlab {result['reportlab']}. Face PDF "
                f"{sizes['face_pdf']} bytes, sealed {sizes['sealed_pdf']} bytes, SES_Seal {sizes['seal_der']} bytes "
                f"(with the seal picture). Licences issued by the service during the run: "
                f"{result.get('licences_issued', 0)}.", "",
                "| measurement | per second | ms each | per round | CPU share | ÷ raw SM2 |",
                "|---|---:|---:|---|---:|---:|"]
        for row in result["summary"]:
            share = row.get("of_raw")
            ratio = "–" if share is None else f"{share * 100:.{0 if share >= 0.1 else 1}f} % {row['of_raw_text']}"
            out.append(f"| {row['label']} | {figure(row['rate'])} | {row['per_op_ms']:.2f} | "
                       f"{', '.join(figure(v) for v in row['rounds'])} | {row['cpu_share']:.2f} | {ratio} |")
        if result.get("service_error"):
            out += ["", f"Service side not measured: {result['service_error']}"]
        out += ["", "Checks before timing: " + "; ".join(
            f"{c['check']}: {'ok' if c['ok'] else 'FAILED ' + c['detail']}" for c in result["checks"]) + ".", ""]
    out += ["## Machine", "",
            f"- {m['cpu_model']}, {m['nproc']} CPUs ({m['cpus_usable']} usable), {m['memory_gb']} GB; kernel "
            f"{m['kernel']}; Python {m['python']}; {m['openssl_system']}",
            f"- load average before {m['loadavg_before']}, after {m.get('loadavg_after')}", ""]
    return "\n".join(out) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/licenses/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2], help=argparse.SUPPRESS)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both", help="default both")
    p.add_argument("--postgres-url", default=os.environ.get("BENCH_LICENSES_POSTGRES_URL", DEFAULT_PG_URL),
                   help=f"the benchmark's own database, dropped and re-created (default {DEFAULT_PG_URL})")
    p.add_argument("--seconds", type=float, default=3.0, help="per measurement and round (default 3)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--results", type=Path, help="output directory (default bench/licenses/results)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        try:
            return worker(args)
        except BenchError as exc:
            log(str(exc))
            return 2
    started = datetime.now(UTC)
    report = {"started": started.strftime("%Y-%m-%d %H:%M:%S UTC"), "seconds": args.seconds, "rounds": args.rounds,
              "machine": machine_info(), "databases": {}}
    failed = False
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        try:
            result = run_database(db, args)
            result["summary"] = summarise(result)
            failed |= result["worker_exit"] != 0 or not all(c["ok"] for c in result.get("checks", []))
        except BenchError as exc:
            log(str(exc))
            result, failed = {"error": str(exc)}, True
        report["databases"][db] = result
    report["machine"]["loadavg_after"] = loadavg_text()
    results = args.results or HERE / "results"
    stem = started.strftime("%Y-%m-%dT%H%M%SZ")
    text = markdown(report)
    write_results(results, stem, report, text, indent=1)
    print(text)
    log(f"wrote {results / (stem + '.md')}")
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
