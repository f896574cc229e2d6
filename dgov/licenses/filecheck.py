"""Every check of a sealed licence file that needs only the file and the trusted seal makers' certificates.

`check_file` never raises on a bad upload: it reports every check, in a fixed order, each with an English
detail (a `gettext_noop` template and its parameters, so the app can translate it). When the file is not a
sealed licence the "format" check fails and the other checks are reported as not done. The licence's status
in the register (valid, changed, revoked, expired) is the app's business, on top of this report.

    format              a PDF with exactly one GB/T 38540 signature whose byte range is the whole file but
                        the signature itself, holding a well-formed SES_Signature (version 4)
    identifier          the signature's propertyInfo is a licence identifier with the right check character
    digest              SM3 of the signed bytes equals the signature's dataHash
    signature           the SM2 signature over TBS_Sign verifies with the signer certificate's key
    seal_maker          the seal's maker certificate is a trusted one, was valid when the licence was
                        sealed, and its SM2 signature over SES_SealInfo verifies
    seal_validity       the signing time is within the seal's validStart .. validEnd
    signer_certificate  the signer certificate was issued by the seal's maker, was valid at the signing time,
                        and is listed in the seal's certList
    metadata            the embedded license.json is a JSON object whose "identifier" is the signature's
"""

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from dgov.crypto.primitives import constant_time_equal, sm3

from . import identifier as identifiers
from . import pdfseal, ses, x509
from .render import METADATA_FILE

CHECKS = ("format", "identifier", "digest", "signature", "seal_maker", "seal_validity", "signer_certificate",
          "metadata")
MAX_UPLOAD = 20 * 1024 * 1024
_EXPECTED = (ValueError, KeyError, IndexError, TypeError, AttributeError, zlib.error, RecursionError,
             UnicodeError, OverflowError)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    template: str = ""
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FileReport:
    identifier: str | None
    metadata: dict | None
    checks: list[Check]
    signed_at: datetime | None
    seal_es_id: str | None
    signer_cert_sha: str | None  # SM3 of the signer certificate's DER, hex

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


def _shown(at: datetime) -> str:
    """A time as the reader reads it: in the platform's zone (Asia/Shanghai), to the second."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S %z")


def _check(name: str, ok: bool, template: str, **params) -> Check:
    return Check(name, ok, template % params, template, params)


class _Verifier:
    def __init__(self, pdf: bytes, maker_certs: list[bytes]):
        self.pdf, self.maker_certs = pdf, [bytes(c) for c in maker_certs]
        self.extracted = self.signature = self.signer = self.maker = None
        self.metadata: dict | None = None

    def format(self) -> Check:
        if len(self.pdf) > MAX_UPLOAD:
            return _check("format", False, gettext_noop("The file is larger than %(limit)d MB."),
                          limit=MAX_UPLOAD >> 20)
        try:
            self.extracted = pdfseal.extract(self.pdf)
            self.signature = ses.parse_signature(self.extracted.signature_der)
        except _EXPECTED as exc:
            return _check("format", False, gettext_noop("This is not a sealed licence file: %(reason)s."),
                          reason=str(exc))
        return _check("format", True, gettext_noop("A PDF with one GB/T 38540 electronic seal signature that covers "
                                                   "the whole file."))

    def identifier(self) -> Check:
        try:
            identifiers.parse(self.signature.property_info)
        except identifiers.IdentifierError as exc:  # its own sentence, translatable the same way
            return Check("identifier", False, exc.message, exc.template, exc.params)
        return _check("identifier", True, gettext_noop("The licence identifier %(identifier)s is well formed and its "
                                                       "check character is right."),
                      identifier=self.signature.property_info)

    def digest(self) -> Check:
        if constant_time_equal(sm3(self.extracted.signed_bytes), self.signature.data_hash):
            return _check("digest", True, gettext_noop("The SM3 digest of the file matches the sealed digest: the "
                                                       "file has not been changed since it was sealed."))
        return _check("digest", False, gettext_noop("The SM3 digest of the file differs from the sealed digest: the "
                                                    "file has been changed since it was sealed."))

    def signature_check(self) -> Check:
        try:
            self.signer = x509.certificate_info(self.signature.signer_cert)
        except x509.CertificateError as exc:
            return _check("signature", False, gettext_noop("The signer's certificate cannot be read: %(reason)s."),
                          reason=str(exc))
        if ses.verify_signature(self.signature, self.signer.public_key):
            return _check("signature", True, gettext_noop("The SM2 signature verifies with the key of the signer's "
                                                          "certificate (%(subject)s)."),
                          subject=self.signer.subject.get("CN", ""))
        return _check("signature", False, gettext_noop("The SM2 signature does not verify with the key of the signer's "
                                                       "certificate."))

    def seal_maker(self) -> Check:
        seal = self.signature.seal
        if not any(constant_time_equal(seal.maker_cert, trusted) for trusted in self.maker_certs):
            return _check("seal_maker", False, gettext_noop("The seal was made by a seal maker this platform does not "
                                                            "trust (certificate SM3 %(fingerprint)s)."),
                          fingerprint=x509.fingerprint(seal.maker_cert))
        try:
            self.maker = x509.certificate_info(seal.maker_cert)
        except x509.CertificateError as exc:
            return _check("seal_maker", False, gettext_noop("The seal maker's certificate cannot be read: "
                                                            "%(reason)s."), reason=str(exc))
        if not self.maker.valid_at(self.signature.time):
            return _check("seal_maker", False, gettext_noop("The seal maker's certificate was not valid when the "
                                                            "licence was sealed."))
        if not ses.verify_seal(seal, self.maker.public_key):
            return _check("seal_maker", False, gettext_noop("The seal maker's signature over the seal does not "
                                                            "verify: the seal was altered or forged."))
        return _check("seal_maker", True, gettext_noop("The seal was made and signed by the trusted seal maker "
                                                       "%(maker)s."), maker=self.maker.subject.get("CN", ""))

    def seal_validity(self) -> Check:
        info, at = self.signature.seal.info, self.signature.time
        params = {"signed": _shown(at), "start": _shown(info.valid_start), "end": _shown(info.valid_end)}
        if info.valid_start <= at <= info.valid_end:
            return _check("seal_validity", True, gettext_noop("Sealed at %(signed)s, within the seal's validity "
                                                              "(%(start)s to %(end)s)."), **params)
        return _check("seal_validity", False, gettext_noop("Sealed at %(signed)s, outside the seal's validity "
                                                           "(%(start)s to %(end)s)."), **params)

    def signer_certificate(self) -> Check:
        seal = self.signature.seal
        if self.signer is None:
            return _check("signer_certificate", False, gettext_noop("The signer's certificate cannot be read."))
        if not x509.issued_by(self.signature.signer_cert, seal.maker_cert):
            return _check("signer_certificate", False, gettext_noop("The signer's certificate was not issued by the "
                                                                    "seal's maker."))
        if not self.signer.valid_at(self.signature.time):
            return _check("signer_certificate", False, gettext_noop("The signer's certificate was not valid when the "
                                                                    "licence was sealed."))
        if not any(constant_time_equal(self.signature.signer_cert, c) for c in seal.info.cert_list):
            return _check("signer_certificate", False, gettext_noop("The signer's certificate is not one of the "
                                                                    "seal's certificates."))
        return _check("signer_certificate", True, gettext_noop("The signer's certificate was issued by the seal's "
                                                               "maker, was valid when the licence was sealed and "
                                                               "belongs to the seal."))

    def metadata_check(self) -> Check:
        try:
            data = pdfseal.embedded_file(self.pdf, METADATA_FILE)
            metadata = json.loads(data) if data is not None else None
        except _EXPECTED as exc:
            return _check("metadata", False, gettext_noop("The embedded metadata cannot be read: %(reason)s."),
                          reason=str(exc))
        if not isinstance(metadata, dict):
            return _check("metadata", False, gettext_noop("The file has no embedded licence metadata "
                                                          "(%(file)s)."), file=METADATA_FILE)
        self.metadata = metadata
        if metadata.get("identifier") != self.signature.property_info:
            return _check("metadata", False, gettext_noop("The embedded metadata names another licence than the "
                                                          "seal."))
        return _check("metadata", True, gettext_noop("The embedded metadata belongs to this licence."))


def check_file(pdf: bytes, *, maker_certs: list[bytes]) -> FileReport:
    """The report of every file check of `pdf` against the trusted seal makers' certificates (DER)."""
    verifier = _Verifier(bytes(pdf or b""), maker_certs)
    checks = [verifier.format()]
    if checks[0].ok:
        steps = (verifier.identifier, verifier.digest, verifier.signature_check, verifier.seal_maker,
                 verifier.seal_validity, verifier.signer_certificate, verifier.metadata_check)
        for name, step in zip(CHECKS[1:], steps, strict=True):
            try:
                checks.append(step())
            except _EXPECTED as exc:  # a well-formed signature with contents no check expected
                checks.append(_check(name, False, gettext_noop("The check could not be completed: %(reason)s."),
                                     reason=str(exc)))
    else:
        checks += [_check(name, False, gettext_noop("Not checked: the file is not a sealed licence."))
                   for name in CHECKS[1:]]
    signature = verifier.signature
    return FileReport(
        identifier=signature.property_info if signature else None, metadata=verifier.metadata, checks=checks,
        signed_at=signature.time if signature else None, seal_es_id=signature.seal.info.es_id if signature else None,
        signer_cert_sha=sm3(signature.signer_cert).hex() if signature else None)
