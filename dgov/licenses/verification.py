"""Verifying a licence, from its file or its identifier (the QR code holds the verification page's URL
with the identifier), for anyone: every check of the file alone (`filecheck.check_file`: format,
identifier and check character, SM3 digest, SM2 signature, the seal maker's signature, the seal's validity
window, the signer certificate, the embedded metadata) against the seal maker's certificates, then what
only the platform knows: the licence's status (valid / changed / revoked / expired) and the seal's own.

Each verification is counted (`Verification`: how, the outcome, the type and issuer; not which licence,
nor anything about the holder or the verifier). It is not audited: it reads nothing that is not public
and changes nothing."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.licenses import maker
from dgov.licenses.identifier import IdentifierError, parse
from dgov.licenses.models import License, LicenseStatus, Method, Seal, SealStatus, Verification

#: the checks in the order a reader goes through them, with their names in the reader's language
CHECK_LABELS = {
    "format": gettext_lazy("A sealed PDF"),
    "identifier": gettext_lazy("Identifier and check character"),
    "digest": gettext_lazy("SM3 digest of the file"),
    "signature": gettext_lazy("SM2 signature"),
    "seal_maker": gettext_lazy("Seal made by the trusted seal maker"),
    "seal_validity": gettext_lazy("Sealed within the seal's validity"),
    "signer_certificate": gettext_lazy("Signer certificate"),
    "metadata": gettext_lazy("Embedded licence data"),
    "status": gettext_lazy("Licence status"),
    "seal_status": gettext_lazy("Seal status"),
}
UNKNOWN, INVALID = "unknown", "invalid"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    @property
    def label(self) -> str:
        return str(CHECK_LABELS.get(self.name, self.name))


@dataclass
class Result:
    valid: bool
    status: str  # a licence status, "unknown" (no such licence) or "invalid" (not a licence identifier)
    checks: list[Check] = field(default_factory=list)
    license: License | None = None
    identifier: str = ""

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]


def current_status(lic: License) -> str:
    """The status now: a valid licence past its end date counts as expired before the daily job marks it."""
    if lic.status == LicenseStatus.VALID and lic.valid_until and lic.valid_until < timezone.localdate():
        return LicenseStatus.EXPIRED
    return lic.status


def _status_check(lic: License | None) -> tuple[Check, str]:
    if lic is None:
        return Check("status", False, _("The platform has no licence with this identifier.")), UNKNOWN
    status = current_status(lic)
    if status == LicenseStatus.VALID:
        until = lic.valid_until.isoformat() if lic.valid_until else _("long-term")
        return Check("status", True, _("Valid (until %(until)s).") % {"until": until}), status
    if status == LicenseStatus.CHANGED:
        successor = License.objects.filter(previous=lic).values_list("identifier", flat=True).first() or ""
        detail = _("Changed: replaced by version %(identifier)s.") % {"identifier": successor}
    elif status == LicenseStatus.REVOKED:
        detail = _("Revoked on %(day)s.") % {"day": timezone.localtime(lic.status_changed_at).date().isoformat()
                                             if lic.status_changed_at else "—"}
    else:
        detail = _("Expired: it was valid until %(day)s.") % {"day": lic.valid_until.isoformat()}
    return Check("status", False, detail), status


def _seal_check(seal: Seal | None, es_id: str | None) -> Check:
    if seal is None:
        return Check("seal_status", False,
                     _("The seal %(es_id)s is not in the seal registry.") % {"es_id": es_id or "—"})
    if seal.status == SealStatus.REVOKED:
        day = timezone.localtime(seal.revoked_at).date().isoformat() if seal.revoked_at else "—"
        return Check("seal_status", False, _("The seal %(name)s was revoked on %(day)s.") % {"name": seal.name,
                                                                                             "day": day})
    return Check("seal_status", True, _("%(name)s (%(es_id)s) is registered and not revoked.") % {
        "name": seal.name, "es_id": seal.es_id})


def _file_checks(pdf: bytes) -> tuple[list[Check], object]:
    from dgov.licenses.filecheck import check_file

    report = check_file(pdf, maker_certs=maker.trusted_certificates())
    return [Check(c.name, bool(c.ok), _(c.template) % c.params if c.template else c.detail)
            for c in report.checks], report


def _finish(result: Result, method: str) -> Result:
    lic = result.license
    result.valid = bool(result.checks) and all(c.ok for c in result.checks)
    Verification.objects.create(method=method, valid=result.valid, status=result.status[:12], failed=result.failed,
                                license_type_id=lic.license_type_id if lic else None,
                                issuer_id=lic.issuer_id if lic else None)
    return result


def _licence(identifier: str) -> License | None:
    return (License.objects.select_related("license_type", "issuer", "seal").filter(identifier=identifier).first()
            if identifier else None)


def verify_file(pdf: bytes) -> Result:
    """Every check of an uploaded licence file."""
    checks, report = _file_checks(pdf)
    identifier = report.identifier or ""
    lic = _licence(identifier)
    status_check, status = _status_check(lic)
    seal = Seal.objects.filter(es_id=report.seal_es_id).first() if report.seal_es_id else None
    result = Result(False, status, [*checks, status_check, _seal_check(seal, report.seal_es_id)], lic, identifier)
    return _finish(result, Method.FILE)


def verify_identifier(identifier: str, *, method: str = Method.IDENTIFIER) -> Result:
    """The identifier's syntax and check character, then every check of the licence's stored file, its
    status and its seal's. A wrong check character fails the first check and stops there."""
    from dgov.licenses.services import identifier_message

    try:
        identifier = str(parse(identifier))
    except IdentifierError as exc:
        result = Result(False, INVALID, [Check("identifier", False, identifier_message(exc))], None,
                        (identifier or "")[:100])
        return _finish(result, method)
    lic = _licence(identifier)
    if lic is None:
        result = Result(False, UNKNOWN, [Check("identifier", True, _("Well formed; the check character is right.")),
                                         _status_check(None)[0]], None, identifier)
        return _finish(result, method)
    checks, _report = _file_checks(bytes(License.objects.values_list("pdf", flat=True).get(pk=lic.pk)))
    status_check, status = _status_check(lic)
    result = Result(False, status, [*checks, status_check, _seal_check(lic.seal, lic.seal.es_id)], lic, identifier)
    return _finish(result, method)
