"""The revocation status list, in the shape of a W3C Bitstring Status List credential (Bitstring Status
List v1.0): one bit per licence, at the licence's `status_index`, set when it is revoked. The bitstring
is at least 131,072 bits (16 KB: a relying party that fetches it learns nothing about which licence it is
checking), gzip-compressed and base64url-encoded without padding, with the multibase prefix "u".

The body is the same bytes until a licence is revoked (`validFrom` is the last revocation), so its
ETag (the SM3 of the body) lets relying systems cache it. The seal maker signs the exact body: SM2 with
SM3, signer ID 1234567812345678, the DER signature in base64 in the `X-Dgov-Signature` header, the
maker certificate's fingerprint in `X-Dgov-Signer` (see docs/licenses.md for verifying it with OpenSSL)."""

import base64
import gzip
import json
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from dgov.crypto.primitives import sm3
from dgov.licenses import maker
from dgov.licenses.models import License, LicenseStatus

MIN_BITS = 131_072
PATH = "/api/v1/licenses/status-list"


@dataclass(frozen=True)
class StatusList:
    body: bytes
    etag: str


def encode(indexes: list[int]) -> str:
    """The multibase base64url of the gzip of a bitstring with `indexes` set (index 0 the first byte's
    most significant bit)."""
    size = MIN_BITS
    while indexes and max(indexes) >= size:
        size += MIN_BITS
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an encoded list (for relying parties and tests)."""
    data = encoded[1:] if encoded.startswith("u") else encoded
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def is_set(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def build() -> StatusList:
    revoked = License.objects.filter(status=LicenseStatus.REVOKED, status_index__isnull=False)
    indexes = list(revoked.values_list("status_index", flat=True))
    since = revoked.aggregate(last=Max("status_changed_at"))["last"] or maker.certificate().created_at
    url = settings.DGOV_PUBLIC_URL + PATH
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": settings.DGOV_PUBLIC_URL, "name": settings.DGOV_SITE_NAME},
        "validFrom": timezone.localtime(since).isoformat(timespec="seconds"),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode(indexes)},
    }
    body = json.dumps(credential, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return StatusList(body, f'"{sm3(body).hex()}"')


def signature_headers(body: bytes) -> dict[str, str]:
    """The maker's signature of the body, and which certificate verifies it."""
    certificate = maker.certificate()
    signature = maker.sign(body, certificate.key_version)
    return {"X-Dgov-Signature": base64.b64encode(signature).decode(), "X-Dgov-Signer": certificate.fingerprint,
            "X-Dgov-Signature-Algorithm": "SM2-with-SM3; signer-id=1234567812345678"}


def entry(lic: License) -> dict | None:
    """A licence's `credentialStatus` entry (BitstringStatusListEntry)."""
    if lic.status_index is None:
        return None
    url = settings.DGOV_PUBLIC_URL + PATH
    return {"id": f"{url}#{lic.status_index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(lic.status_index), "statusListCredential": url}
