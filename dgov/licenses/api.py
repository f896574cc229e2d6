"""`/api/v1/licenses`: electronic licences (docs/licenses.md).

For everyone, without signing in: `POST /verify` (a file or an identifier), `GET /status-list` (the
signed revocation list, cacheable), `GET /trust` (the seal maker's certificates and fingerprints).
For every signed-in user: `GET /types` (the catalogue). For holders: `GET /mine`, grants
(`GET|POST /grants`, `POST /grants/{id}/revoke`) and `GET /{identifier}/uses`. For issuing officials:
`GET ""` (their scope), `POST ""` (issue), `POST /{identifier}/revoke`, `POST /{identifier}/reissue`.
`GET /{identifier}` and `GET /{identifier}/file` answer the holder, an official in scope, and a
department the holder granted access (a pull: `?case=` names the case when the grant is for one)."""

import base64
import datetime as dt
import json

from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.throttling import SimpleRateThrottle

from dgov.core import audit
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, by_natural_key, errors, json_response
from dgov.core.errors import NotFound, PermissionDenied, ValidationError
from dgov.core.middleware import client_ip
from dgov.core.permissions import get_scoped
from dgov.core.schemas import MAX_ID
from dgov.licenses import maker, selectors, services, statuslist, verification, x509
from dgov.licenses.models import License, LicenseType, MakerCertificate, UseAction
from dgov.licenses.schemas import (
    LicenseFilter,
    LicenseGrantIn,
    LicenseGrantOut,
    LicenseIssueIn,
    LicenseListOut,
    LicenseOut,
    LicenseReasonIn,
    LicenseReissueIn,
    LicenseTrustOut,
    LicenseTypeOut,
    LicenseUseOut,
    LicenseVerifyIn,
    LicenseVerifyOut,
)
from dgov.orgs.models import Department

router = Router(tags=["licences"])
# The prefix keeps `/{identifier}` apart from the fixed routes (`/grants`, `/mine`, `/types`, …) in the
# schema too; a wrong check character still reaches the service (422 `invalid_identifier`).
IDENTIFIER = Path(..., max_length=200, pattern=r"^1\.2\.156\.3005\.2\.",
                  description="The licence identifier (1.2.156.3005.2.…).")
CASE = Query("", max_length=64, description="The case the pull is for, when the holder's grant names one.")
MAX_UPLOAD = 10 * 1024 * 1024


class VerifyThrottle(SimpleRateThrottle):
    """Verifications per client address (DGOV_LICENSE_VERIFY_RATE): each one checks signatures and is
    counted, and anyone may ask."""

    scope = "licenses-verify"

    def get_rate(self):
        from django.conf import settings

        return settings.DGOV_LICENSE_VERIFY_RATE

    def get_ident(self, request):
        return client_ip(request)

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_verification(request) -> None:
    if not VerifyThrottle().allow_request(request):
        raise HttpError(429, "throttled")


# --- public -----------------------------------------------------------------------------------------
@router.post("/verify", auth=None, response={200: LicenseVerifyOut, **errors(400, 413, 422, 429)},
             operation_id="verify_license", openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": LicenseVerifyIn.model_json_schema()},
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary"}}}}}}})
def verify(request):
    """Verify a licence: upload its PDF (multipart, field `file`) or send `{"identifier": "…"}` (what the
    QR code carries). `valid` is true only when every check passes: the file's own checks (format,
    identifier and check character, SM3 digest, SM2 signature, seal maker, seal validity, signer
    certificate, embedded data) and the platform's (the licence's status, the seal's status). A wrong
    check character fails the `identifier` check. Needs no login; rate-limited per address."""
    throttle_verification(request)
    if request.content_type == "multipart/form-data":
        try:
            upload = request.FILES.get("file")
        except MultiPartParserError:
            raise HttpError(400, _("The multipart body cannot be read.")) from None
        if upload is None:
            raise ValidationError(details={"file": [_("Choose the licence file (PDF).")]})
        if upload.size > MAX_UPLOAD:
            raise HttpError(413, _("The file is larger than 10 MB."))
        result = verification.verify_file(upload.read())
    else:
        result = verification.verify_identifier(_identifier_in(request.body))
    return verify_answer(result)


def _identifier_in(body: bytes) -> str:
    """`{"identifier": "…"}`: 400 when the body is not JSON, 422 when the identifier is missing."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise HttpError(400, _("The request body is not valid JSON.")) from None
    identifier = data.get("identifier") if isinstance(data, dict) else None
    if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > 200:
        raise ValidationError(details={"identifier": [_("Give the licence identifier (at most 200 characters).")]})
    return identifier


def verify_answer(result) -> dict:
    return {"valid": result.valid, "status": result.status, "license": result.license,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.checks]}


@router.get("/status-list", auth=None, response={200: dict, 304: None}, operation_id="get_license_status_list")
def status_list(request):
    """The revocation list (W3C Bitstring Status List): a licence is revoked when the bit at its
    `credentialStatus.statusListIndex` is set. Cache it: the ETag changes only when a licence is revoked
    (send `If-None-Match`). The body is signed by the seal maker: `X-Dgov-Signature` (base64 DER SM2
    signature of the exact body bytes, SM3, signer ID 1234567812345678), `X-Dgov-Signer` (the
    fingerprint of the maker certificate from `GET /trust` that verifies it)."""
    built = statuslist.build()
    if request.headers.get("If-None-Match") == built.etag:
        response = HttpResponse(status=304)
    else:
        response = json_response(built.body)
        for name, value in statuslist.signature_headers(built.body).items():
            response[name] = value
    response["ETag"] = built.etag
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.get("/trust", auth=None, response={200: LicenseTrustOut}, operation_id="get_license_trust")
def trust(request):
    """The seal maker's certificates (PEM), the current one first, with their SM3 fingerprints
    (`openssl x509 -noout -fingerprint -sm3`): the trust anchors of offline verification."""
    maker.certificate()  # made on first use
    certificates = MakerCertificate.objects.order_by("-key_version")
    return {"maker": maker.MAKER_KEY, "status_list": statuslist.PATH, "certificates": [
        {"key_version": c.key_version, "fingerprint_sm3": c.fingerprint, "not_after": c.not_after,
         "pem": x509.to_pem(bytes(c.certificate)), "der_base64": base64.b64encode(bytes(c.certificate)).decode()}
        for c in certificates]}


# --- the catalogue ----------------------------------------------------------------------------------
@router.get("/types", response={200: list[LicenseTypeOut], **READ_ERRORS}, operation_id="list_license_types")
@paginate(Pagination)
def list_types(request):
    """The licence types in use (the catalogue): readable by every signed-in user."""
    return selectors.catalogue()


@router.get("/types/{code}", response={200: LicenseTypeOut, **READ_ERRORS}, operation_id="get_license_type")
def get_type(request, code: str = Path(..., max_length=21)):
    """One licence type in use."""
    found = selectors.catalogue().filter(code=code).first()
    if found is None:
        raise NotFound()
    return found


# --- holders ----------------------------------------------------------------------------------------
@router.get("/mine", response={200: list[LicenseListOut], **READ_ERRORS}, operation_id="list_my_licenses")
@paginate(Pagination)
def my_licenses(request, current: bool = Query(True, description="Leave out versions replaced by a newer one.")):
    """The licences you hold (citizen: by your 身份证号; enterprise: by its credit code). 403 for
    officials and applications, who hold none."""
    actor = actor_of(request)
    if selectors.holder_q(actor) is None:
        raise PermissionDenied()
    return selectors.wallet(actor, current_only=current)


@router.get("/grants", response={200: list[LicenseGrantOut], **READ_ERRORS}, operation_id="list_license_grants")
@paginate(Pagination)
def list_grants(request):
    """A holder: the access you gave. An official: the access given to departments in your scope."""
    actor = actor_of(request)
    if selectors.holder_q(actor) is not None:
        return selectors.holder_grants(actor)
    return selectors.department_grants(actor)


@router.post("/grants", response={201: LicenseGrantOut, **WRITE_ERRORS}, operation_id="create_license_grant")
def create_grant(request, payload: LicenseGrantIn):
    """Give a department (for one case, with `case_reference`) access to one of your licences until
    `expires_at` (or for `days`; default 30 days)."""
    actor = actor_of(request)
    lic = _holders_license(actor, payload.identifier)
    department = by_natural_key(Department, "department_code", _("No department has this code."),
                                code=payload.department_code)
    expires_at = payload.expires_at or timezone.now() + dt.timedelta(days=payload.days or 30)
    grant = services.grant_create(actor=actor, license=lic, department=department, expires_at=expires_at,
                                  case_reference=payload.case_reference, purpose=payload.purpose)
    return Status(201, grant)


def _holders_license(actor, identifier: str) -> License:
    if selectors.holder_q(actor) is None:
        raise PermissionDenied()
    identifier = selectors.normalise_identifier(identifier)
    lic = selectors.wallet(actor).filter(identifier=identifier).first()
    if lic is None:
        raise NotFound()
    return lic


@router.post("/grants/{grant_id}/revoke", response={200: LicenseGrantOut, **WRITE_ERRORS},
             operation_id="revoke_license_grant")
def revoke_grant(request, grant_id: int = Path(..., ge=1, le=MAX_ID)):
    """Withdraw access you gave; pulls through it stop at once."""
    actor = actor_of(request)
    if selectors.holder_q(actor) is None:
        raise PermissionDenied()
    grant = selectors.holder_grants(actor).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound()
    return services.grant_revoke(actor=actor, grant=grant)


# --- officials --------------------------------------------------------------------------------------
@router.get("", response={200: list[LicenseListOut], **READ_ERRORS}, operation_id="list_licenses")
@paginate(Pagination)
def list_licenses(request, filters: LicenseFilter = Query(...)):
    """Licences issued by the departments in your scope, newest first."""
    return filters.filter(selectors.visible_licenses(actor_of(request)))


@router.post("", response={201: LicenseOut, **WRITE_ERRORS}, operation_id="issue_license")
def issue(request, payload: LicenseIssueIn):
    """Issue a licence at an issuing department in your scope: checked, numbered, rendered, sealed with
    the department's e-seal. With `case_reference` it is recorded as a case's result. 422 names each
    wrong field (`fields.<key>` for the type's own fields); 403 `out_of_scope` for a department outside
    your scope."""
    actor = actor_of(request)
    license_type = by_natural_key(LicenseType, "type_code", _("No licence type has this code."),
                                  code=payload.type_code)
    issuer = by_natural_key(Department, "issuer_code", _("No department has this code."), code=payload.issuer_code)
    lic = services.issue(actor=actor, license_type=license_type, issuer=issuer, holder_kind=payload.holder_kind,
                         holder_code=payload.holder_code, holder_name=payload.holder_name, fields=payload.fields,
                         case_reference=payload.case_reference, physical_number=payload.physical_number,
                         issued_on=payload.issued_on, valid_from=payload.valid_from, valid_until=payload.valid_until)
    return Status(201, _read(actor, lic.identifier)[0])


def _read(actor, identifier: str, *, case: str = "", action: str = UseAction.VIEW, with_file: bool = False):
    """The licence for `actor`, the read recorded: a pull as a use the holder sees (and audited), any
    other read of the holder's data audited as a read of personal data."""
    lic, grant = selectors.license_for(actor, identifier, case_reference=case, with_file=with_file)
    if grant is not None:
        services.record_use(actor=actor, license=lic, grant=grant, action=action, case_reference=case)
    else:
        audit.record_read(lic, ["holder_code", "metadata"] + (["file"] if with_file else []), actor=actor)
    return lic, grant


@router.get("/{identifier}", response={200: LicenseOut, **READ_ERRORS}, operation_id="get_license")
def get_license(request, identifier: str = IDENTIFIER, case: str = CASE):
    """One licence, with the holder's code: for its holder, an official in scope, or a department the
    holder granted access (a pull the holder sees). 422 for a malformed identifier (a wrong check
    character included), 404 for one that does not exist or is out of your reach."""
    return _read(actor_of(request), identifier, case=case)[0]


@router.get("/{identifier}/file", response={**READ_ERRORS}, operation_id="get_license_file",
            openapi_extra={"responses": {200: {"description": "The sealed licence (PDF).", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}})
def get_file(request, identifier: str = IDENTIFIER, case: str = CASE):
    """The sealed PDF (its SM3 in `X-File-SM3`), for the same readers as the licence."""
    lic, _grant = _read(actor_of(request), identifier, case=case, action=UseAction.FILE, with_file=True)
    return file_response(lic)


def file_response(lic: License) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(bytes(lic.pdf), content_type="application/pdf")
    name = quote(lic.download_name)
    response["Content-Disposition"] = f"attachment; filename=\"license.pdf\"; filename*=UTF-8''{name}"
    response["X-File-SM3"] = lic.file_sm3
    response["Cache-Control"] = "no-store"
    return response


@router.get("/{identifier}/uses", response={200: list[LicenseUseOut], **READ_ERRORS}, operation_id="list_license_uses")
@paginate(Pagination)
def list_uses(request, identifier: str = IDENTIFIER):
    """Every pull of the licence through a grant: for its holder and officials in scope."""
    actor = actor_of(request)
    lic, grant = selectors.license_for(actor, identifier)
    if grant is not None:
        raise NotFound()  # a grantee pulls the licence; the uses are the holder's to see
    return lic.uses.select_related("license", "department").order_by("-at", "-pk")


def _scoped(actor, identifier: str) -> License:
    identifier = selectors.normalise_identifier(identifier)
    return get_scoped(actor, "change", License.objects.select_related("license_type", "issuer"),
                      identifier=identifier)


@router.post("/{identifier}/revoke", response={200: LicenseOut, **WRITE_ERRORS}, operation_id="revoke_license")
def revoke(request, payload: LicenseReasonIn, identifier: str = IDENTIFIER):
    """Revoke a valid licence, with the reason; it is on the status list from now on."""
    actor = actor_of(request)
    lic = services.revoke(actor=actor, license=_scoped(actor, identifier), reason=payload.reason)
    return _read(actor, lic.identifier)[0]


@router.post("/{identifier}/reissue", response={201: LicenseOut, **WRITE_ERRORS}, operation_id="reissue_license")
def reissue(request, payload: LicenseReissueIn, identifier: str = IDENTIFIER):
    """A new version (same serial, version + 1) with changed data; the old one becomes "changed"."""
    actor = actor_of(request)
    new = services.reissue(actor=actor, license=_scoped(actor, identifier), reason=payload.reason,
                           fields=payload.fields, holder_name=payload.holder_name,
                           physical_number=payload.physical_number)
    return Status(201, _read(actor, new.identifier)[0])

