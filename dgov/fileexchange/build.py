"""Building a file package (docs/file-exchange.md): the grant's snapshot read from the data store in
pages within one read transaction, written as csv, xlsx or parquet, encrypted and sealed.

    data.<ext>.enc   SM4-CBC (PKCS#7) of the data file under a fresh random key and IV
    key.enc          SM2 encryption (DER, GB/T 32918.4) of the 64 ASCII hex digits key || IV, for the
                     recipient application's SM2 public key (its gateway credential)
    manifest.json    what the package holds: ids, columns with their items and masks, rows, SM3 of the
                     data file, of its ciphertext and of key.enc, encryption parameters
    manifest.sig     SM2 signature (DER, SM3, signer ID 1234567812345678) of manifest.json's bytes by
                     the platform key `dgov.fileexchange.signing`

SM4-CBC, not GCM: `openssl enc` (OpenSSL 3) decrypts SM4-CBC but no AEAD mode, and the recipient
must be able to open a package with OpenSSL alone. Integrity comes from the signed manifest, which
carries the SM3 of the ciphertext and of the plaintext.

Rows are masked as the gateway masks them (`dgov.exchange.masking`, `DatasetColumn.mask`, unless the
item is in the grant's unmasked items); text cells a spreadsheet would run as a formula are quoted as
in every dgov export (`dgov.core.importexport.safe_cell`).
"""

import csv
import importlib.util
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from dgov.core.errors import DgovError, ValidationError
from dgov.core.importexport import safe_cell
from dgov.crypto import primitives as lib

FORMAT_VERSION = "dgov-file-package/1"
PAGE_ROWS = 5000
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "startswith")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
#: columns whose text values could start like a formula: free text and masked values
QUOTED_TYPES = ("string",)


def max_rows() -> int:
    return int(getattr(settings, "DGOV_FILEEXCHANGE_MAX_ROWS", 1_000_000))


def max_bytes() -> int:
    return int(getattr(settings, "DGOV_FILEEXCHANGE_MAX_BYTES", 256 * 1024 * 1024))


def package_dir() -> Path:
    return Path(getattr(settings, "DGOV_FILEEXCHANGE_DIR", None) or settings.DATA_DIR / "packages")


def parquet_available() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


class TooLarge(DgovError):
    status = 422
    code = "too_large"


@dataclass
class Plan:
    """What the grant allows of the dataset: its columns (in order), their masks, the row filter."""

    dataset: object
    columns: list
    masked: dict[str, str]
    where: list = field(default_factory=list)


def plan(grant) -> Plan:
    """The snapshot `grant` allows; 422 when there is nothing to read or the grant cannot be applied
    (fail closed, as the gateway does: never more than the grant)."""
    from dgov.aggregation.models import Dataset
    from dgov.exchange.gateway import is_masked

    dataset = Dataset.objects.filter(entry_id=grant.entry_id).prefetch_related("columns").first()
    if dataset is None:
        raise ValidationError(_("The data service has no data loaded yet."), code="not_loaded")
    all_columns = sorted(dataset.columns.all(), key=lambda c: c.position)
    items = set(grant.items or [])
    columns = [c for c in all_columns if c.item_name in items]
    if not columns:
        raise ValidationError(_("None of the grant's data items is a column of this data service."),
                              code="grant_misconfigured")
    by_item = {c.item_name: c for c in all_columns}
    where = []
    for condition in grant.row_filter or []:
        column = by_item.get(condition.get("item"))
        if column is None or condition.get("op") not in OPS:
            raise ValidationError(_("The grant's row filter names an item this data service does not have."),
                                  code="grant_misconfigured")
        where.append((column.name, condition["op"], condition.get("value")))
    unmasked = set(grant.unmasked_items or [])
    masked = {c.name: c.mask for c in columns if is_masked(c, unmasked)}
    return Plan(dataset, columns, masked, where)


def _too_many(rows: int) -> TooLarge:
    return TooLarge(_("The snapshot has %(rows)d rows; a package holds at most %(max)d. Ask the provider for a "
                      "narrower row filter.") % {"rows": rows, "max": max_rows()})


def _too_big() -> TooLarge:
    return TooLarge(_("The data file would exceed %(mb)d MB, the largest package allowed.") % {
        "mb": max_bytes() // (1024 * 1024)})


class snapshot:  # noqa: N801 (a context manager used like a function)
    """`with snapshot(plan) as (total, rows):` — the row count, and the rows as lists in column order,
    masked, read in pages of PAGE_ROWS within one read transaction of the data store, so that the pages
    form one consistent snapshot. Consume `rows` inside the block. More than `max_rows()` → 422."""

    def __init__(self, p: Plan):
        self.plan = p
        self._conn = None
        self._tx = None

    def __enter__(self):
        from dgov.aggregation import datastore
        from dgov.exchange.masking import mask

        conn = datastore.engine().connect()
        if conn.dialect.name == "postgresql":
            # One snapshot for every page (SQLite's explicit BEGIN gives one already).
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self._conn, self._tx = conn, conn.begin()
        p = self.plan
        names = [c.name for c in p.columns]
        try:
            total = datastore.count(p.dataset, p.where, conn=conn)
        except ValueError as exc:  # a row filter value that does not fit its column
            raise ValidationError(details={"row_filter": [str(exc)]}) from None
        if total > max_rows():
            raise _too_many(total)
        masks = [(i, p.masked[name]) for i, name in enumerate(names) if name in p.masked]

        def rows():
            for record in datastore.stream(p.dataset, columns=names, where=p.where, batch=PAGE_ROWS, conn=conn):
                values = [record.get(name) for name in names]
                for i, kind in masks:
                    values[i] = mask(kind, values[i])
                yield values

        return total, rows()

    def __exit__(self, *exc):
        try:
            if self._tx is not None:
                self._tx.rollback()  # read only
        finally:
            if self._conn is not None:
                self._conn.close()
        return False


# --- writers ----------------------------------------------------------------------------------------

class _Bounded(io.BytesIO):
    """A buffer that refuses to grow beyond the package limit."""

    def write(self, data) -> int:
        if self.tell() + len(data) > max_bytes():
            raise _too_big()
        return super().write(data)


def _quoter(p: Plan):
    quoted = [i for i, c in enumerate(p.columns) if c.data_type in QUOTED_TYPES or c.name in p.masked]

    def quote(values: list) -> list:
        for i in quoted:
            if isinstance(values[i], str):
                values[i] = safe_cell(values[i])
        return values

    return quote


def write_csv(p: Plan, rows) -> bytes:
    out = _Bounded()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([c.name for c in p.columns])
    quote = _quoter(p)
    for values in rows:
        writer.writerow(["" if v is None else v for v in quote(values)])
    text.flush()
    data = out.getvalue()
    text.detach()
    return data


def write_xlsx(p: Plan, rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append([c.name for c in p.columns])
    quote = _quoter(p)
    for values in rows:
        sheet.append(quote(values))
    out = _Bounded()
    book.save(out)
    return out.getvalue()


def write_parquet(p: Plan, rows) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def arrow_type(column):
        if column.name in p.masked:
            return pa.string()  # a masked value is text
        return {"integer": pa.int64(), "boolean": pa.bool_()}.get(column.data_type, pa.string())

    schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in p.columns])
    text = [t == pa.string() for t in schema.types]
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        batch: list[list] = []

        def flush():
            columns = list(zip(*batch, strict=True))
            arrays = [pa.array([None if v is None else (str(v) if is_text else v) for v in values], type=t)
                      for values, t, is_text in zip(columns, schema.types, text, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            batch.clear()
            if sink.tell() > max_bytes():
                raise _too_big()

        for values in rows:
            batch.append(values)
            if len(batch) >= PAGE_ROWS:
                flush()
        if batch:
            flush()
    data = sink.getvalue().to_pybytes()
    if len(data) > max_bytes():
        raise _too_big()
    return data


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}


# --- sealing -------------------------------------------------------------------------------------

@dataclass
class Sealed:
    zip_bytes: bytes
    manifest: bytes
    signature: bytes
    key_version: int
    data_sm3: str
    ciphertext_sm3: str


def seal(*, data: bytes, fmt: str, manifest: dict, recipient_pem: str) -> Sealed:
    """Encrypt `data` for the recipient, complete and sign `manifest`, and zip the four files."""
    from dgov.fileexchange import signing

    key, iv = lib.random_bytes(16), lib.random_bytes(16)
    ciphertext = lib.sm4_cbc_encrypt(key, data, iv)[16:]  # without the IV prefix: `openssl enc` takes -iv
    key_file = lib.SM2PublicKey.from_pem(recipient_pem).encrypt((key.hex() + iv.hex()).encode("ascii"))
    data_name = f"data.{fmt}.enc"
    manifest = {
        **manifest,
        "data": {**manifest["data"], "file": data_name, "format": fmt, "media_type": MEDIA_TYPES[fmt],
                 "size": len(data), "sm3": lib.sm3(data).hex()},
        "encryption": {
            "cipher": "SM4-CBC", "padding": "PKCS#7", "iv": iv.hex(), "file": data_name,
            "size": len(ciphertext), "sm3": lib.sm3(ciphertext).hex(),
            "key_file": "key.enc", "key_file_sm3": lib.sm3(key_file).hex(),
            "key_encryption": "SM2 (GB/T 32918.4), DER ciphertext, for the recipient's public key",
            "key_file_content": "64 ASCII hex digits: the SM4 key (32), then the IV (32)",
        },
    }
    version = signing.current_version()
    manifest["signature"] = {"file": "manifest.sig", "algorithm": "SM2 with SM3 (GB/T 32918.2), DER",
                             "signer_id": signing.SIGNER_ID, "key": signing.SIGNING_KEY, "key_version": version,
                             "key_fingerprint": signing.fingerprint(signing.public_key_pem(version))}
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    signature = signing.sign(manifest_bytes, version)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", manifest_bytes, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("manifest.sig", signature, compress_type=zipfile.ZIP_STORED)
        archive.writestr("key.enc", key_file, compress_type=zipfile.ZIP_STORED)
        # Ciphertext does not compress; the data file was compressed (xlsx, parquet) or is text (csv,
        # which the zip cannot compress after encryption either).
        archive.writestr(data_name, ciphertext, compress_type=zipfile.ZIP_STORED)
    return Sealed(out.getvalue(), manifest_bytes, signature, version, manifest["data"]["sm3"],
                  manifest["encryption"]["sm3"])


# --- opening (the recipient's side; used by the tests and documented in docs/file-exchange.md) --------

class PackageError(ValueError):
    """A package that does not verify: the message says which check failed."""


def open_package(zip_bytes: bytes, private_key: lib.SM2PrivateKey, platform_public_pem: str) -> tuple[dict, bytes]:
    """(manifest, data file) of a package, after checking the signature, the digests and the recipient;
    PackageError naming the first check that failed."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = set(archive.namelist())
        manifest_bytes = archive.read("manifest.json")
        signature = archive.read("manifest.sig")
        if not lib.SM2PublicKey.from_pem(platform_public_pem).verify(manifest_bytes, signature,
                                                                     b"1234567812345678"):
            raise PackageError("the manifest's signature does not verify")
        manifest = json.loads(manifest_bytes)
        enc = manifest["encryption"]
        if enc["file"] not in names or "key.enc" not in names:
            raise PackageError("a file named by the manifest is missing")
        ciphertext, key_file = archive.read(enc["file"]), archive.read(enc["key_file"])
    if lib.sm3(ciphertext).hex() != enc["sm3"]:
        raise PackageError("the encrypted data file does not match the manifest's SM3")
    if lib.sm3(key_file).hex() != enc["key_file_sm3"]:
        raise PackageError("key.enc does not match the manifest's SM3")
    try:
        secret = private_key.decrypt(key_file).decode("ascii")
        key, iv = bytes.fromhex(secret[:32]), bytes.fromhex(secret[32:64])
        data = lib.sm4_cbc_decrypt(key, iv + ciphertext)
    except (lib.DecryptionError, ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"the package cannot be decrypted with this key: {exc}") from None
    if iv.hex() != enc["iv"]:
        raise PackageError("the IV in key.enc differs from the manifest's")
    if lib.sm3(data).hex() != manifest["data"]["sm3"]:
        raise PackageError("the decrypted data file does not match the manifest's SM3")
    return manifest, data
