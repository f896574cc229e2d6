"""Writes for identity: login with lockout and TOTP, tokens, registration, users, roles.

Every function is keyword-only, runs in a transaction where it writes, re-checks the actor's data
scope inside it, and writes an audit entry.
"""

import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from dgov.accounts.models import (
    ApiToken,
    Application,
    Enterprise,
    EnterpriseAgent,
    NaturalPerson,
    Role,
    RoleAssignment,
    TotpDevice,
    User,
    UserKind,
    VerificationMethod,
)
from dgov.accounts.permissions import RoleScopeResolver, forget_grants
from dgov.accounts.selectors import requires_second_factor
from dgov.core import audit
from dgov.core.audit import Target
from dgov.core.cache import IDENTITY, ProcessCache
from dgov.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    OtpInvalid,
    OtpRequired,
    PermissionDenied,
    ValidationError,
)
from dgov.core.metrics import LOGINS
from dgov.core.permissions import ALL, DEPARTMENT, OWN, REGION, require_in_scope
from dgov.core.services import save_object
from dgov.core.validators import (
    normalize_phone,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)
from dgov.crypto.fields import blind_index
from dgov.crypto.keys import purpose_key
from dgov.crypto.primitives import hmac_sm3
from dgov.notifications.services import notify

TOKEN_PREFIX = "dgov_"
TOTP_STEP = 30


# --- second factor ----------------------------------------------------------------------------

def _totp_step_matching(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The time step (±1 for clock drift) whose code equals `code`, if not already used."""
    # Full-width digits (typed with a Chinese input method) count; digits of other scripts do not.
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // TOTP_STEP)
    for step in (current - 1, current, current + 1):
        if step > last_step and secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def totp_verify(*, user: User, code: str, now: float | None = None) -> bool:
    """Check a code and consume it (each code works once)."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            return False
        step = _totp_step_matching(device.secret, code, device.last_step, now)
        if step is None:
            return False
        TotpDevice.objects.filter(pk=device.pk).update(last_step=step)
        return True


def totp_begin_enrolment(*, user: User) -> TotpDevice:
    """Create (or restart) an unconfirmed authenticator and return it; its secret is shown once as
    a QR code."""
    with transaction.atomic():
        device, created = TotpDevice.objects.get_or_create(user=user, defaults={"secret": pyotp.random_base32()})
        if not created and not device.confirmed:
            device.secret = pyotp.random_base32()
            device.save(update_fields=["secret", "updated_at"])
        elif not created:
            raise Conflict(_("An authenticator is already set up for this account."))
        audit.record("accounts.totpdevice.begin", device, actor=user)
        return device


def totp_confirm_enrolment(*, user: User, code: str) -> None:
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().get(user=user)
        step = _totp_step_matching(device.secret, code, device.last_step)
        if step is None:
            raise OtpInvalid()
        device.confirmed, device.last_step = True, step
        device.save(update_fields=["confirmed", "last_step", "updated_at"])
        audit.record("accounts.totpdevice.confirm", device, actor=user)


def totp_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.username, issuer_name="dgov")


# --- login ------------------------------------------------------------------------------------

@dataclass
class LoginResult:
    user: User
    needs_enrolment: bool = False  # web only: password right, authenticator still to be set up


def _register_failure(user: User, reason: str) -> bool:
    """Count one failure; lock the account when the threshold is reached. Returns True if locked."""
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count", "locked_until"])
        locked = user.failed_login_count >= settings.DGOV_LOCKOUT_THRESHOLD
        if locked:
            user.locked_until = now + timedelta(minutes=settings.DGOV_LOCKOUT_MINUTES)
            user.failed_login_count = 0
            User.objects.filter(pk=user.pk).update(locked_until=user.locked_until, failed_login_count=0)
    audit.record("auth.login", user, outcome="failed", changes={"reason": reason}, actor=user)
    if locked:
        audit.record("auth.lock", user, changes={"until": user.locked_until.isoformat()}, actor=user)
    return locked


def login(*, username: str, password: str, otp: str | None, channel: str) -> LoginResult:
    """Check a password (and the second factor when required). Raises AuthenticationFailed,
    AccountLocked, OtpRequired or OtpInvalid. `channel` is "web" or "api", for metrics."""
    user = User.objects.filter(username=username).first()
    # Applications have no password: guesses at theirs must neither succeed nor lock their tokens out.
    if user is None or not user.is_active or user.kind == UserKind.APPLICATION:
        make_password(password)  # same cost as a real check: no username probing by timing
        reason = "unknown_user" if user is None else ("inactive" if not user.is_active else "application")
        audit.record("auth.login", Target("accounts.user", "", username[:64]), outcome="failed",
                     changes={"reason": reason})
        LOGINS.labels(channel, "failed").inc()
        raise AuthenticationFailed()
    if user.is_locked:
        audit.record("auth.login", user, outcome="denied", changes={"reason": "locked"}, actor=user)
        LOGINS.labels(channel, "locked").inc()
        raise AccountLocked()
    if not user.check_password(password):
        LOGINS.labels(channel, "failed").inc()
        if _register_failure(user, "password"):
            raise AccountLocked()
        raise AuthenticationFailed()
    second_factor = requires_second_factor(user)
    enrolled = TotpDevice.objects.filter(user=user, confirmed=True).exists()
    if second_factor and enrolled:
        if not otp:
            LOGINS.labels(channel, "otp_required").inc()
            raise OtpRequired()
        return login_second_factor(user=user, code=otp, channel=channel)
    if second_factor and channel == "api":
        # An administrator who has not enrolled yet must do so in the web console first.
        raise OtpRequired(_("Set up an authenticator app in the web console before using the API."),
                          code="otp_enrolment_required")
    if second_factor:
        # Web: the password was right; the caller must take the user through enrolment first.
        return LoginResult(user=user, needs_enrolment=True)
    return _login_succeeded(user, channel)


def login_second_factor(*, user: User, code: str, channel: str) -> LoginResult:
    """The second step: a one-time code, counted towards the lockout like a wrong password."""
    if user.is_locked:
        audit.record("auth.login", user, outcome="denied", changes={"reason": "locked"}, actor=user)
        raise AccountLocked()
    if not totp_verify(user=user, code=code):
        LOGINS.labels(channel, "failed").inc()
        if _register_failure(user, "otp"):
            raise AccountLocked()
        raise OtpInvalid()
    return _login_succeeded(user, channel)


def _login_succeeded(user: User, channel: str) -> LoginResult:
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, last_login=now)
    user.failed_login_count, user.locked_until, user.last_login = 0, None, now
    audit.record("auth.login", user, actor=user)
    LOGINS.labels(channel, "success").inc()
    return LoginResult(user=user)


# --- API tokens -------------------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hmac_sm3(purpose_key("api-token", length=32), token.encode()).hex()


def token_create(*, user: User, name: str = "", lifetime: timedelta | None = None,
                 actor: User | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its plaintext (shown once, never stored)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=plaintext[: len(TOKEN_PREFIX) + 6],
            digest=token_digest(plaintext),
            expires_at=timezone.now() + lifetime if lifetime else None,
        )
        audit.record("accounts.apitoken.create", token, changes={"name": [None, name]}, actor=actor or user)
    return token, plaintext


@dataclass
class _TokenState:
    """What authentication needs of a token and its user, kept per process between requests."""

    token_id: int
    expires_at: object
    revoked_at: object
    last_used_at: object
    user_values: tuple


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_token_cache = ProcessCache("api-tokens", maxsize=20000, ttl=300)


def _token_state(digest: str) -> _TokenState | None:
    # `get` on the unique digest: no ORDER BY to compile.
    try:
        token = ApiToken.objects.select_related("user").get(digest=digest)
    except ApiToken.DoesNotExist:
        return None
    return _TokenState(token.pk, token.expires_at, token.revoked_at, token.last_used_at,
                       tuple(getattr(token.user, name) for name in _USER_FIELDS))


def token_authenticate(plaintext: str) -> User | None:
    """The active, unlocked user a live token belongs to, else None. The token and user rows are
    cached per process under the identity generation, which every identity write (revocation,
    password change, deactivation, lockout, role change) bumps: validity is still decided here on
    every request, against state no older than the last committed write."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    digest = token_digest(plaintext)
    generation = IDENTITY.current()
    state = _token_cache.get(digest, generation)
    if state is None:
        state = _token_state(digest)
        if state is None:
            return None  # unknown tokens are not cached: random guesses must not fill the cache
        _token_cache.set(digest, generation, state)
    now = timezone.now()
    if state.revoked_at is not None or (state.expires_at is not None and state.expires_at <= now):
        return None
    user = User.from_db("default", _USER_FIELDS, state.user_values)  # a fresh instance per request
    if not user.is_active or user.is_locked:
        return None
    # Touch at most once a minute: a write per request would serialise the API on SQLite.
    if state.last_used_at is None or now - state.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=state.token_id).update(last_used_at=now)
        state.last_used_at = now
    return user


def token_revoke(*, actor: User, token: ApiToken) -> None:
    """Revoke a token: its owner always may; anyone else needs `delete_apitoken` in scope."""
    with transaction.atomic():
        if actor.pk != token.user_id:
            require_in_scope(actor, "delete", token)
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record("accounts.apitoken.revoke", token, actor=actor)


# --- registration -----------------------------------------------------------------------------

def _field_errors(**checks) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, check in checks.items():
        try:
            check()
        except DjangoValidationError as exc:
            errors.setdefault(field, []).extend(str(m) for m in exc.messages)
    return errors


def _check_username_free(username: str) -> None:
    if User.objects.filter(username=username).exists():
        raise DjangoValidationError(_("This username is already taken."))


def new_user(username: str, password: str, **fields) -> User:
    user = User(username=username, **fields)
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    if user.phone:
        user.phone_index = blind_index(user.phone, "phone")
    user.save()
    return user


def register_citizen(*, username: str, password: str, real_name: str, id_number: str, phone: str,
                     region=None) -> User:
    cleaned = {}

    def id_check():
        cleaned["id_number"] = validate_id_number(id_number)
        if NaturalPerson.objects.filter(id_number_index=blind_index(cleaned["id_number"], "id_number")).exists():
            raise DjangoValidationError(_("This ID card number is already registered."))

    def phone_check():
        cleaned["phone"] = validate_phone(phone)

    def name_check():
        if not (real_name or "").strip():
            raise DjangoValidationError(_("Enter your name as on your ID card."))

    def password_check():
        validate_password(password, User(username=username, real_name=real_name))

    errors = _field_errors(username=lambda: _check_username_free(username), real_name=name_check,
                           id_number=id_check, phone=phone_check, password=password_check)
    if errors:
        raise ValidationError(details=errors)
    try:
        with transaction.atomic():
            user = new_user(username, password, kind=UserKind.CITIZEN, real_name=real_name.strip(),
                             phone=cleaned["phone"], region=region)
            NaturalPerson.objects.create(user=user, id_number=cleaned["id_number"],
                                         id_number_index=blind_index(cleaned["id_number"], "id_number"))
            audit.record("accounts.user.register", user, changes=audit.created(user, ["username", "kind"]),
                         actor=user)
    except DjangoValidationError as exc:
        raise ValidationError.from_django(exc) from None
    return user


def register_enterprise(*, username: str, password: str, enterprise_name: str, credit_code: str,
                        legal_representative: str, phone: str, region=None) -> User:
    cleaned = {}

    def code_check():
        cleaned["credit_code"] = validate_credit_code(credit_code)
        if Enterprise.objects.filter(credit_code=cleaned["credit_code"]).exists():
            raise DjangoValidationError(_("This unified social credit code is already registered."))

    def required(value, message):
        def check():
            if not (value or "").strip():
                raise DjangoValidationError(message)
        return check

    def phone_check():
        cleaned["phone"] = validate_phone(phone)

    errors = _field_errors(
        username=lambda: _check_username_free(username),
        enterprise_name=required(enterprise_name, _("Enter the enterprise name.")),
        credit_code=code_check,
        legal_representative=required(legal_representative, _("Enter the legal representative's name.")),
        phone=phone_check,
        password=lambda: validate_password(password, User(username=username)),
    )
    if errors:
        raise ValidationError(details=errors)
    try:
        with transaction.atomic():
            user = new_user(username, password, kind=UserKind.ENTERPRISE, real_name=enterprise_name.strip(),
                             phone=cleaned["phone"], region=region)
            enterprise = Enterprise.objects.create(
                name=enterprise_name.strip(), credit_code=cleaned["credit_code"],
                legal_representative=legal_representative.strip(), region=region, account=user)
            audit.record("accounts.user.register", user, changes=audit.created(user, ["username", "kind"]),
                         actor=user)
            audit.record("accounts.enterprise.create", enterprise, changes=audit.created(enterprise), actor=user)
    except DjangoValidationError as exc:
        raise ValidationError.from_django(exc) from None
    return user


def enterprise_agent_add(*, actor: User, enterprise: Enterprise, agent: User, valid_until=None) -> EnterpriseAgent:
    """The enterprise account (or an administrator in scope) authorises a citizen as its agent."""
    if agent.kind != UserKind.CITIZEN:
        raise ValidationError(details={"agent": [_("Only a natural person can be an agent.")]})
    with transaction.atomic():
        if actor.pk != enterprise.account_id:
            require_in_scope(actor, "change", enterprise)
        link, created = EnterpriseAgent.objects.get_or_create(
            enterprise=enterprise, agent=agent,
            defaults={"authorised_by": actor, "valid_until": valid_until})
        if not created:
            before = audit.snapshot(link, ["valid_until", "revoked_at"])
            link.valid_until, link.revoked_at, link.authorised_by = valid_until, None, actor
            link.save()
            audit.record("accounts.enterpriseagent.change", link, changes=audit.diff(before, link), actor=actor)
        else:
            audit.record("accounts.enterpriseagent.create", link, changes=audit.created(link), actor=actor)
    return link


def enterprise_agent_find(*, real_name: str, id_number: str) -> User:
    """The registered citizen with this name and ID card number, for an authorisation. The same
    error whether the number is unknown or the name differs: no oracle for either."""
    not_found = ValidationError(details={"id_number": [
        _("No registered natural person matches this name and ID card number.")]})
    try:
        number = validate_id_number(id_number)
    except DjangoValidationError as exc:
        raise ValidationError(details={"id_number": [str(m) for m in exc.messages]}) from None
    person = NaturalPerson.objects.select_related("user").filter(
        id_number_index=blind_index(number, "id_number")).first()
    if person is None or person.user.real_name.strip() != (real_name or "").strip() or not person.user.is_active:
        raise not_found
    return person.user


def enterprise_agent_revoke(*, actor: User, link: EnterpriseAgent) -> None:
    with transaction.atomic():
        if actor.pk != link.enterprise.account_id:
            require_in_scope(actor, "change", link.enterprise)
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at", "updated_at"])
            audit.record("accounts.enterpriseagent.revoke", link, actor=actor)


# --- real-name verification (实名核验) ---------------------------------------------------------------

#: the methods an identity officer may record (demo data is verified by the demo loader only)
OFFICER_METHODS = (VerificationMethod.COUNTER,)


def identity_record(user: User) -> NaturalPerson | Enterprise | None:
    """The identity a citizen or enterprise account claims (its 身份证号 or credit code), else None."""
    if user.kind == UserKind.CITIZEN:
        return NaturalPerson.objects.filter(user=user).select_related("verified_by").first()
    if user.kind == UserKind.ENTERPRISE:
        return Enterprise.objects.filter(account=user).select_related("verified_by").first()
    return None


def _identity_of(subject: User) -> NaturalPerson | Enterprise:
    record = identity_record(subject)
    if record is None:
        raise ValidationError(_("Only natural persons and enterprises have an identity to verify."),
                              code="no_identity")
    return record


def _tell(subject: User, subject_line: str, body: str) -> None:
    if subject.phone or subject.email:
        channel, recipient = ("sms", subject.phone) if subject.phone else ("email", subject.email)
        notify(user=subject, channel=channel, recipient=recipient, subject=subject_line, body=body)


def verify_identity(*, actor: User, subject: User, method: str, note: str = "") -> NaturalPerson | Enterprise:
    """An identity officer records that the documents of `subject` (a citizen's ID card, an enterprise's
    business licence) were checked: only then does the account hold what belongs to that number."""
    if method not in OFFICER_METHODS:
        raise ValidationError(details={"method": [_("Choose how the identity was verified.")]})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError(details={"note": [_("At most 200 characters.")]})
    with transaction.atomic():
        record = _identity_of(subject)
        record = type(record).objects.select_for_update().get(pk=record.pk)
        require_in_scope(actor, "verify", record)
        if record.verified:
            raise Conflict(_("This identity is already verified."), code="already_verified")
        record.verified, record.verified_at, record.verified_by = True, timezone.now(), actor
        record.verification_method = method
        record.save(update_fields=["verified", "verified_at", "verified_by", "verification_method", "updated_at"])
        audit.record(f"accounts.{record._meta.model_name}.verify", record,
                     changes={"verified": [False, True], "method": [None, method], "note": note}, actor=actor)
        _tell(subject, _("Your identity is verified"),
              _("Your real-name verification is complete: your electronic licences are now shown under "
                "My licences."))
    return record


def unverify_identity(*, actor: User, subject: User, note: str = "") -> NaturalPerson | Enterprise:
    """Withdraw a verification (a mistake was found): the account holds nothing until verified again."""
    note = (note or "").strip()
    if not note or len(note) > 200:
        raise ValidationError(details={"note": [_("Give the reason (at most 200 characters).")]})
    with transaction.atomic():
        record = _identity_of(subject)
        record = type(record).objects.select_for_update().get(pk=record.pk)
        require_in_scope(actor, "verify", record)
        if not record.verified:
            raise Conflict(_("This identity is not verified."), code="not_verified")
        method = record.verification_method
        record.clear_verification()
        record.save(update_fields=["verified", "verified_at", "verified_by", "verification_method", "updated_at"])
        audit.record(f"accounts.{record._meta.model_name}.unverify", record,
                     changes={"verified": [True, False], "method": [method, None], "note": note}, actor=actor)
        _tell(subject, _("Your identity verification was withdrawn"),
              _("Your real-name verification was withdrawn. Bring your ID card (enterprises: the business "
                "licence) to a government service hall to be verified again."))
    return record


# --- users (administration) -------------------------------------------------------------------

USER_EDITABLE = ["real_name", "email", "region", "department", "post", "is_active"]


def user_create(*, actor: User, username: str, password: str, kind: str, **fields) -> User:
    """An administrator creates an account inside their data scope."""
    phone = fields.pop("phone", "")
    with transaction.atomic():
        candidate = User(username=username, kind=kind, **fields)
        if candidate.department_id and not candidate.region_id:
            candidate.region = candidate.department.region
        require_in_scope(actor, "add", candidate)
        try:
            _check_username_free(username)
            user = new_user(username, password, kind=kind, phone=normalize_phone(phone) if phone else "",
                             region=candidate.region, **{k: v for k, v in fields.items() if k != "region"})
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        audit.record("accounts.user.create", user, changes=audit.created(user), actor=actor)
    return user


def user_update(*, actor: User, user: User, **fields) -> User:
    with transaction.atomic():
        require_in_scope(actor, "change", user)
        before = audit.snapshot(user, USER_EDITABLE)
        for name, value in fields.items():
            if name not in USER_EDITABLE:
                raise ValidationError(details={name: [_("This field cannot be changed here.")]})
            setattr(user, name, value)
        if "department" in fields and user.department_id and "region" not in fields:
            user.region = user.department.region
        require_in_scope(actor, "change", user)  # the new region/department must be in scope too
        try:
            user.full_clean(exclude=["password"])
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        user.save()
        audit.record("accounts.user.change", user, changes=audit.diff(before, user), actor=actor)
    return user


def user_unlock(*, actor: User, user: User) -> None:
    with transaction.atomic():
        require_in_scope(actor, "change", user)
        User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0)
        audit.record("accounts.user.unlock", user, actor=actor)


def password_set(*, user: User, password: str, actor: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(details={"password": [str(m) for m in exc.messages]}) from None
    with transaction.atomic():
        if actor is not None and actor.pk != user.pk:
            require_in_scope(actor, "change", user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.failed_login_count, user.locked_until = 0, None
        user.save(update_fields=["password", "password_changed_at", "failed_login_count", "locked_until"])
        # Changing the password ends every API token issued before.
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record("accounts.user.password", user, actor=actor or user)


password_reset_tokens = PasswordResetTokenGenerator()


def password_reset_request(*, username: str, reset_url_builder) -> None:
    """Send a reset link through the notification outbox. Says nothing about whether the account
    exists (the caller shows the same message either way)."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not (user.phone or user.email):
        audit.record("accounts.user.password_reset_request", Target("accounts.user", "", username[:64]),
                     outcome="failed", changes={"reason": "no_such_user_or_channel"})
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reset_url_builder(uid, password_reset_tokens.make_token(user))
    channel, recipient = ("sms", user.phone) if user.phone else ("email", user.email)
    notify(user=user, channel=channel, recipient=recipient, subject=_("Reset your password"),
           body=_("Use this link within 3 days to set a new password: %(link)s") % {"link": link})
    audit.record("accounts.user.password_reset_request", user, actor=user)


# --- roles and assignments --------------------------------------------------------------------

_resolver = RoleScopeResolver()


def _scope_within(actor: User, perm: str, kind: str, path: str | None) -> bool:
    """Whether `actor` holds `perm` on a scope at least as wide as (kind, path)."""
    for grant in _resolver.holds(actor, perm):
        if grant.kind == ALL:
            return True
        if kind in (REGION, DEPARTMENT) and grant.kind == kind and path and grant.path and \
                path.startswith(grant.path):
            return True
        if kind == OWN and grant.kind == OWN:
            return True
    return False


def _require_grantable(actor: User, assignment: RoleAssignment) -> None:
    """The actor holds every permission of the assignment's role on a scope at least as wide as the
    assignment's: the rule for granting, and for withdrawing (a county administrator cannot strip a
    city-wide security administrator or auditor who happens to sit in its county)."""
    region, department = assignment.region, assignment.department
    path = region.path if region is not None else (department.path if department is not None else None)
    for perm in assignment.role.permissions.select_related("content_type"):
        name = f"{perm.content_type.app_label}.{perm.codename}"
        if not _scope_within(actor, name, assignment.scope_kind, path):
            raise PermissionDenied(
                _("You cannot grant a permission you do not hold on that scope: %(perm)s") % {"perm": name},
                code="escalation")


def role_assign(*, actor: User, user: User, role: Role, scope_kind: str, region=None,
                department=None) -> RoleAssignment:
    """Grant `role` to `user` with a data scope. No escalation: the actor must hold every
    permission of the role on a scope at least as wide as the one granted."""
    with transaction.atomic():
        assignment = RoleAssignment(user=user, role=role, scope_kind=scope_kind, region=region,
                                    department=department, granted_by=actor)
        require_in_scope(actor, "add", assignment)
        require_in_scope(actor, "change", user)
        _require_grantable(actor, assignment)
        try:
            assignment.full_clean()
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        assignment.save()
        audit.record("accounts.roleassignment.create", assignment, changes=audit.created(assignment), actor=actor)
    forget_grants(user)
    return assignment


def role_unassign(*, actor: User, assignment: RoleAssignment) -> None:
    with transaction.atomic():
        require_in_scope(actor, "delete", assignment)
        _require_grantable(actor, assignment)
        audit.record("accounts.roleassignment.delete", assignment, changes=audit.created(assignment), actor=actor)
        assignment.delete()
    forget_grants(assignment.user)


def _require_role_writer(actor: User, action: str, role: Role) -> None:
    """Roles are platform-wide: anyone may read them who may view roles at all, but defining,
    changing or deleting one needs the permission with scope "all"."""
    require_in_scope(actor, action, role)
    if not _scope_within(actor, f"accounts.{action}_role", ALL, None):
        raise PermissionDenied(code="out_of_scope")


def role_save(*, actor: User, role: Role | None, code: str, name: str, description: str = "",
              permissions=(), requires_2fa: bool = False) -> Role:
    """Create or change a role. Its permissions must all be held by the actor with scope "all"."""
    with transaction.atomic():
        is_new = role is None
        role = role or Role()
        _require_role_writer(actor, "add" if is_new else "change", role)
        if role.is_builtin:
            # Built-in roles are the platform's own (the MLPS administrative duties among them): a
            # security administrator must not be able to empty the auditor role. Define a new role.
            raise Conflict(_("Built-in roles cannot be changed; create a new role instead."))
        perms = list(permissions)
        for perm in perms:
            pname = f"{perm.content_type.app_label}.{perm.codename}"
            if not _scope_within(actor, pname, ALL, None):
                raise PermissionDenied(
                    _("You cannot grant a permission you do not hold on that scope: %(perm)s") % {"perm": pname},
                    code="escalation")
        before = audit.snapshot(role, ["code", "name", "description", "requires_2fa"]) if not is_new else None
        before_perms = set() if is_new else set(role.permissions.values_list("pk", flat=True))
        role.code, role.name, role.description, role.requires_2fa = code, name, description, requires_2fa
        try:
            role.full_clean()
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        role.save()
        role.permissions.set(perms)
        changes = audit.created(role) if is_new else audit.diff(before, role)
        after_perms = {p.pk for p in perms}
        if after_perms != before_perms:
            changes["permissions"] = [sorted(before_perms), sorted(after_perms)]
        audit.record(f"accounts.role.{'create' if is_new else 'change'}", role, changes=changes, actor=actor)
    return role


def role_delete(*, actor: User, role: Role) -> None:
    if role.is_builtin:
        raise Conflict(_("Built-in roles cannot be deleted."))
    with transaction.atomic():
        _require_role_writer(actor, "delete", role)
        audit.record("accounts.role.delete", role, actor=actor)
        role.delete()


# --- applications -----------------------------------------------------------------------------

def application_create(*, actor, code: str, name: str, department, description: str = "") -> Application:
    """An application with its service account (no password: tokens only)."""
    with transaction.atomic():
        app = Application(code=code, name=name, department=department, description=description)
        username = f"app.{code}"
        if User.objects.filter(username=username).exists() or Application.objects.filter(code=code).exists():
            raise ValidationError(details={"code": [_("An application with this code already exists.")]})
        account = User(username=username, kind=UserKind.APPLICATION, real_name=name[:100], department=department,
                       region=department.region)
        account.set_unusable_password()
        app.account = account
        try:
            app.full_clean(exclude=["account"])
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        account.save()
        save_object(actor=actor, instance=app)
    return app


def application_update(*, actor, application: Application) -> Application:
    """Save a changed name or description; the service account's display name follows the name."""
    with transaction.atomic():
        save_object(actor=actor, instance=application)
        User.objects.filter(pk=application.account_id).update(real_name=application.name[:100])
    return application


def application_deactivate(*, actor, application: Application) -> None:
    """Applications are not deleted (the audit log names them): their account is deactivated and
    every token of it revoked."""
    with transaction.atomic():
        require_in_scope(actor, "delete", application)
        User.objects.filter(pk=application.account_id).update(is_active=False)
        ApiToken.objects.filter(user_id=application.account_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        audit.record("accounts.application.deactivate", application, actor=actor)
