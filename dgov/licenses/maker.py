"""The platform's seal maker (制章者, GB/T 38540): the SM2 platform key `dgov.licenses.seal-maker` of the
key service (is_system, owned by the big-data bureau: nobody can use or export it through the service)
and, for each version of that key, a self-signed CA certificate kept in `MakerCertificate`. The maker
signs every e-seal's SES_Seal and issues each seal's signer certificate; it also signs the status list.

`dgov init` creates the key and the certificate (`LicensesConfig.load_reference`); both are also made on
first use. Verifiers trust the certificates by their SM3 fingerprint, published at
`GET /api/v1/licenses/trust` and on the verification page. A rotated key (`dgov kms rotate
dgov.licenses.seal-maker`) gets a new certificate on its first use; the older ones stay trusted, so
seals made before still verify."""

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dgov.crypto.primitives import DEFAULT_SIGNER_ID, SM2PublicKey
from dgov.licenses import x509
from dgov.licenses.models import MakerCertificate

MAKER_KEY = "dgov.licenses.seal-maker"
DESCRIPTION = "electronic seal maker (licences)"
VALIDITY_YEARS = 20


def subject() -> dict:
    site = settings.DGOV_SITE_NAME
    return {"C": "CN", "O": site, "OU": "电子印章制章系统", "CN": f"{site}电子印章制章者"}


def _state():
    from dgov.kms.services import platform_key_state

    return platform_key_state(MAKER_KEY, DESCRIPTION)


def current_version() -> int:
    state = _state()
    return state.key.min_encryption_version or state.key.latest_version


def sign(message: bytes, version: int | None = None) -> bytes:
    """The maker's DER SM2 signature of `message` (signer ID 1234567812345678)."""
    return _state().sm2(version or current_version()).sign(message, DEFAULT_SIGNER_ID)


def public_key(version: int | None = None) -> SM2PublicKey:
    return SM2PublicKey.from_pem(_state().public_pems[version or current_version()])


def certificate(version: int | None = None) -> MakerCertificate:
    """The maker's certificate for `version` of its key (default the current one), made on first use."""
    version = version or current_version()
    found = MakerCertificate.objects.filter(key_version=version).first()
    if found is not None:
        return found
    now = timezone.now().replace(microsecond=0)
    der = x509.make_certificate(
        subject=subject(), public_key=public_key(version), issuer=subject(),
        sign=lambda tbs: sign(tbs, version), serial=secrets.randbits(63) + 1, not_before=now - dt.timedelta(hours=1),
        not_after=now.replace(year=now.year + VALIDITY_YEARS), ca=True)
    try:
        with transaction.atomic():
            return MakerCertificate.objects.create(key_version=version, certificate=der,
                                                   fingerprint=x509.fingerprint(der),
                                                   not_after=now.replace(year=now.year + VALIDITY_YEARS))
    except IntegrityError:  # another process made it just now
        return MakerCertificate.objects.get(key_version=version)


def ensure() -> bool:
    """The key and its current certificate exist; True when either was created now."""
    from dgov.kms.services import ensure_platform_sm2_key

    created = ensure_platform_sm2_key(MAKER_KEY, DESCRIPTION)
    before = MakerCertificate.objects.count()
    certificate()
    return created or MakerCertificate.objects.count() > before


def trusted_certificates() -> list[bytes]:
    """Every maker certificate (DER), the current one first: the trust anchors of `check_file`."""
    certificate()
    return [bytes(c.certificate) for c in MakerCertificate.objects.order_by("-key_version")]
