"""The cryptography service: key life cycle (create, import, rotate, configure) and the operations
(encrypt, decrypt, rewrap, data keys, sign, verify, HMAC, hash, random), each audited without the
data itself.

Shape and semantics follow Vault's Transit engine: ciphertexts, HMACs and signatures name the key
version that made them (`dgov:v3:…`); `min_decryption_version` retires old versions for decryption,
signature verification and HMAC verification; `min_encryption_version` pins the version new
ciphertexts use (0: the latest); rewrap re-encrypts under the latest version inside the service, so
the plaintext never leaves it. Batch calls are all-or-nothing: every item is checked before any
result is returned, and one bad item fails the call with the item's index in `details`.
"""

import base64
import binascii
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.accounts.models import UserKind
from dgov.core import audit
from dgov.core.cache import KEYS, ProcessCache
from dgov.core.errors import DgovError, NotFound, PermissionDenied, ValidationError
from dgov.core.permissions import require_permission, resolver
from dgov.core.services import save_object
from dgov.crypto import primitives as lib
from dgov.crypto.errors import CryptoError, DecryptionError, InvalidKeyError
from dgov.crypto.fields import FIELD_KEY, rebuild_blind_index
from dgov.crypto.keys import SYSTEM_KEYS, purpose_key, system_key_v1
from dgov.kms.models import TYPE_OPERATIONS, Key, KeyPolicy, KeyType, KeyVersion

PREFIX = "dgov"
BLIND_INDEX_PREFIX = "dgov.blind-index."
SYSTEM_KEY_DEPARTMENT = "360600036"  # 鹰潭市数据局, which runs the city's cryptography service
MAX_ITEM_BYTES = 1 << 20  # one plaintext, input or ciphertext
MAX_BATCH_ITEMS = 1000
_CIPHERTEXT = re.compile(r"^dgov:v([1-9][0-9]{0,8}):([A-Za-z0-9+/]*={0,2})$")


# --- errors ---------------------------------------------------------------------------------------
class KmsError(DgovError):
    status = 400


class WrongKeyType(KmsError):
    code = "wrong_key_type"
    default_message = gettext_lazy("This key's type does not support the operation.")


class KeyDisabled(KmsError):
    status = 409
    code = "key_disabled"
    default_message = gettext_lazy("The key is disabled.")


class UnknownKeyVersion(KmsError):
    code = "unknown_key_version"
    default_message = gettext_lazy("The key has no such version.")


class KeyVersionRetired(KmsError):
    code = "key_version_retired"
    default_message = gettext_lazy("This key version is below the key's minimum version and may no longer be used.")


class DecryptionFailed(KmsError):
    code = "decryption_failed"
    default_message = gettext_lazy("The ciphertext could not be decrypted: it was altered, or it belongs to "
                                   "another key or context.")


class InvalidCiphertext(KmsError):
    code = "invalid_ciphertext"
    default_message = gettext_lazy("The ciphertext is not in the form dgov:v<version>:<base64>.")


class ExportDisabled(KmsError):
    status = 403
    code = "export_disabled"
    default_message = gettext_lazy("The key was not created exportable.")


class PlatformKey(KmsError):
    status = 403
    code = "platform_key"
    default_message = gettext_lazy("Platform keys protect the platform's own data and are used only by the "
                                   "platform itself: they can be rotated, not used or exported through the service.")


class PayloadTooLarge(KmsError):
    status = 413
    code = "payload_too_large"
    default_message = gettext_lazy("The request carries too much data.")


# --- key material, wrapped by the master key ------------------------------------------------------
MATERIAL_BYTES = {KeyType.SM4_GCM: 16, KeyType.SM4_CBC: 16, KeyType.HMAC_SM3: 32, KeyType.SM2: 32}


def _wrapping_aad(name: str, key_type: str, version: int) -> bytes:
    return f"dgov-kms|{name}|{key_type}|{version}".encode()


def wrap(name: str, key_type: str, version: int, material: bytes) -> str:
    blob = lib.sm4_gcm_encrypt(purpose_key("kms-key-wrap"), material, _wrapping_aad(name, key_type, version))
    return base64.b64encode(blob).decode()


def unwrap(name: str, key_type: str, version: int, wrapped: str) -> bytes:
    try:
        return lib.sm4_gcm_decrypt(purpose_key("kms-key-wrap"), base64.b64decode(wrapped),
                                   _wrapping_aad(name, key_type, version))
    except (DecryptionError, binascii.Error):
        raise KmsError(_("The key material of %(key)s v%(version)s cannot be unwrapped: the master key is "
                         "not the one it was stored under.") % {"key": name, "version": version},
                       code="key_unwrap_failed") from None


def _new_material(key_type: str) -> bytes:
    if key_type == KeyType.SM2:
        return lib.SM2PrivateKey.generate().private_bytes()
    return lib.random_bytes(MATERIAL_BYTES[key_type])


def _public_pem(key_type: str, material: bytes) -> str:
    return lib.SM2PrivateKey(material).public_key().to_pem() if key_type == KeyType.SM2 else ""


def _add_version(key: Key, version: int, material: bytes) -> KeyVersion:
    return KeyVersion.objects.create(key=key, version=version, public_key_pem=_public_pem(key.type, material),
                                     wrapped_material=wrap(key.name, key.type, version, material))


# --- key life cycle -------------------------------------------------------------------------------
def key_create(*, actor, name: str, type: str, department, application=None, description: str = "",
               exportable: bool = False, private_key_pem: str | None = None, is_system: bool = False) -> Key:
    """Create a key with version 1: new random material, or an imported SM2 private key (PEM)."""
    material = None
    if private_key_pem is not None:
        if type != KeyType.SM2:
            raise ValidationError(details={"private_key_pem": [_("Only SM2 keys can be imported.")]})
        try:
            material = lib.SM2PrivateKey.from_pem(private_key_pem).private_bytes()
        except InvalidKeyError as exc:
            raise ValidationError(details={"private_key_pem": [_("Not a valid SM2 private key: %(reason)s")
                                                               % {"reason": exc}]}, code="invalid_key") from None
    key = Key(name=name, type=type, department=department, application=application, description=description,
              exportable=exportable, is_system=is_system)
    with transaction.atomic():
        if application is not None and application.department_id != department.pk:
            raise ValidationError(details={"application": [_("The application belongs to another department.")]})
        try:
            save_object(actor=actor, instance=key)
        except IntegrityError:
            raise ValidationError(details={"name": [_("A key with this name already exists.")]}) from None
        _add_version(key, 1, material if material is not None else _new_material(type))
        if private_key_pem is not None:
            audit.record("kms.key.import", key, changes={"version": 1}, actor=actor)
    return key


def key_rotate(*, actor, key: Key, system: bool = False) -> Key:
    """Add a version. `system=True` is the operator's command line (no actor, no scope check)."""
    with transaction.atomic():
        key = Key.objects.select_for_update().get(pk=key.pk)
        if not system:
            require_in_scope_or_404(actor, "change", key)
        key.latest_version += 1
        key.save(update_fields=["latest_version", "updated_at"])
        _add_version(key, key.latest_version, _new_material(key.type))
        audit.record("kms.key.rotate", key, changes={"latest_version": [key.latest_version - 1, key.latest_version]},
                     actor=actor)
        if key.name.startswith(BLIND_INDEX_PREFIX):
            # Lookups must find rows indexed before the rotation: re-index them in this transaction.
            purpose = key.name[len(BLIND_INDEX_PREFIX):]
            audit.record("kms.key.reindex", key, changes={"rows": rebuild_blind_index(purpose)}, actor=actor)
    return key


def key_update(*, actor, key: Key, **fields) -> Key:
    """Change min versions, enabled, description. Whether a key is exportable is decided when it is
    created and never changes."""
    allowed = {"min_decryption_version", "min_encryption_version", "enabled", "description"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(details={name: [_("Whether a key is exportable is decided when it is created.")
                                              if name == "exportable" else _("This field cannot be changed.")]
                                       for name in sorted(unknown)})
    with transaction.atomic():
        key = Key.objects.select_for_update().select_related("department").get(pk=key.pk)
        require_in_scope_or_404(actor, "change", key)
        errors: dict[str, list[str]] = {}
        min_dec = fields.get("min_decryption_version", key.min_decryption_version)
        min_enc = fields.get("min_encryption_version", key.min_encryption_version)
        if not 1 <= min_dec <= key.latest_version:
            errors["min_decryption_version"] = [_("Must be between 1 and the latest version (%(v)d).")
                                                % {"v": key.latest_version}]
        if not (min_enc == 0 or min_dec <= min_enc <= key.latest_version):
            errors["min_encryption_version"] = [_("Must be 0 (latest) or between the minimum decryption version "
                                                  "and the latest version.")]
        if key.is_system and fields.get("enabled") is False:
            errors["enabled"] = [_("A platform key cannot be disabled: the platform's own data depends on it.")]
        if key.is_system and (min_dec != key.min_decryption_version or min_enc != key.min_encryption_version):
            errors["min_decryption_version"] = [_(
                "The minimum versions of a platform key are managed by the platform (`dgov kms rewrap-fields` "
                "re-encrypts personal data and retires old versions of the field key).")]
        if errors:
            raise ValidationError(details=errors)
        for name, value in fields.items():
            setattr(key, name, value)
        save_object(actor=actor, instance=key)
    return key


def policy_save(*, actor, policy: KeyPolicy) -> KeyPolicy:
    if policy.key.is_system:
        raise ValidationError(details={"key": [str(PlatformKey.default_message)]})
    ops = policy.operations
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops) or not ops:
        raise ValidationError(details={"operations": [_("Give a list of operations.")]})
    invalid = sorted(set(ops) - TYPE_OPERATIONS[policy.key.type])
    if invalid:
        raise ValidationError(details={"operations": [
            _("Not possible with a %(type)s key: %(ops)s") % {"type": policy.key.type, "ops": ", ".join(invalid)}]})
    policy.operations = sorted(set(ops))
    try:
        with transaction.atomic():
            return save_object(actor=actor, instance=policy)
    except IntegrityError:
        raise ValidationError(details={"application": [_("This application already has a policy for the key.")]}) \
            from None


def require_in_scope_or_404(actor, action: str, key: Key) -> None:
    allowed = resolver().allows(actor, action, key)
    if allowed is None:
        raise PermissionDenied()
    if not allowed:
        raise NotFound()


# --- the runtime view of a key, cached per process ------------------------------------------------
@dataclass
class KeyState:
    key: Key  # with department loaded, for scope checks and audit
    versions: dict[int, bytes]  # version → unwrapped material
    public_pems: dict[int, str]
    policies: dict[int, frozenset[str]]  # application account id → operations
    _sm2: dict[int, lib.SM2PrivateKey] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.key.type

    def sm2(self, version: int) -> lib.SM2PrivateKey:
        if version not in self._sm2:
            self._sm2[version] = lib.SM2PrivateKey(self.versions[version])
        return self._sm2[version]

    def encryption_version(self, requested: int | None = None) -> int:
        latest = self.key.latest_version
        if requested is None:
            return self.key.min_encryption_version or latest
        self.check_version(requested)
        if requested < (self.key.min_encryption_version or 0):
            raise KeyVersionRetired()
        return requested

    def check_version(self, version: int) -> None:
        if version not in self.versions:
            raise UnknownKeyVersion()
        if version < self.key.min_decryption_version:
            raise KeyVersionRetired()


_states = ProcessCache("kms-keys", maxsize=2000, ttl=300)


def _load_state(name: str) -> KeyState | None:
    key = Key.objects.select_related("department__region").filter(name=name).first()
    if key is None:
        return None
    versions, pems = {}, {}
    for v in KeyVersion.objects.filter(key=key).order_by("version"):
        versions[v.version] = unwrap(key.name, key.type, v.version, v.wrapped_material)
        pems[v.version] = v.public_key_pem
    policies = {p.application.account_id: frozenset(p.operations)
                for p in KeyPolicy.objects.filter(key=key).select_related("application")}
    return KeyState(key, versions, pems, policies)


def key_state(name: str) -> KeyState | None:
    generation = KEYS.current()
    state = _states.get(name, generation)
    if state is None:
        state = _load_state(name)
        if state is None:
            return None
        _states.set(name, generation, state)
    return state


def is_application(actor) -> bool:
    return getattr(actor, "kind", None) == UserKind.APPLICATION


def authorise(actor, name: str, operation: str) -> KeyState:
    """The key `name` if `actor` may perform `operation` with it: officials by role (`use` for
    operations, `view` for reading) within their data scope, applications by key policy.
    403 without the right at all, 404 for a key that is missing or out of reach."""
    if is_application(actor):
        state = key_state(name)
        ops = state.policies.get(actor.pk) if state else None
        if ops is None:
            raise NotFound()
        if operation not in ops:
            raise PermissionDenied()
    else:
        action = "view" if operation == "read" else "use"
        require_permission(actor, Key, action)
        state = key_state(name)
        if state is None:
            raise NotFound()
        require_in_scope_or_404(actor, action, state.key)
    if state.key.is_system and operation != "read":
        raise PlatformKey()
    if operation not in TYPE_OPERATIONS[state.type]:
        raise WrongKeyType(_("A %(type)s key cannot %(op)s.") % {"type": state.type, "op": operation})
    if not state.key.enabled and operation != "read":
        raise KeyDisabled()
    return state


def require_service_caller(actor) -> None:
    """hash and random need no key: any application, or an official allowed to use keys."""
    if not is_application(actor):
        require_permission(actor, Key, "use")


# --- input handling -------------------------------------------------------------------------------
def b64decode(value: str, field_name: str) -> bytes:
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValidationError(details={field_name: [_("Not valid base64.")]}) from None
    if len(data) > MAX_ITEM_BYTES:
        raise PayloadTooLarge(_("%(field)s is larger than %(limit)d bytes.") % {"field": field_name,
                                                                               "limit": MAX_ITEM_BYTES})
    return data


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def format_versioned(version: int, data: bytes) -> str:
    return f"{PREFIX}:v{version}:{b64(data)}"


def parse_versioned(value: str, field_name: str = "ciphertext") -> tuple[int, bytes]:
    match = _CIPHERTEXT.match(value or "")
    if not match:
        raise InvalidCiphertext(details={field_name: [str(InvalidCiphertext.default_message)]})
    return int(match.group(1)), b64decode(match.group(2), field_name)


def batch(items: list, run) -> list:
    """Run `run(item)` for every item; all-or-nothing, with the failing item's index in `details`."""
    if not items:
        raise ValidationError(details={"batch_input": [_("Give at least one item.")]})
    if len(items) > MAX_BATCH_ITEMS:
        raise PayloadTooLarge(_("At most %(n)d items per call.") % {"n": MAX_BATCH_ITEMS})
    results = []
    for index, item in enumerate(items):
        try:
            results.append(run(item))
        except DgovError as exc:
            exc.details = {"index": index, **({"fields": exc.details} if exc.details else {})}
            raise
    return results


# --- operations -----------------------------------------------------------------------------------
def _audit_use(actor, state: KeyState, operation: str, items: int, versions: set[int]) -> None:
    audit.record(f"kms.{operation}", state.key, changes={"items": items, "versions": sorted(versions)}, actor=actor)


def _encrypt_with(state: KeyState, version: int, plaintext: bytes, aad: bytes) -> bytes:
    material = state.versions[version]
    if state.type == KeyType.SM4_GCM:
        return lib.sm4_gcm_encrypt(material, plaintext, aad)
    if aad:
        raise ValidationError(details={"associated_data": [_("Only sm4-gcm keys take associated data.")]})
    if state.type == KeyType.SM4_CBC:
        return lib.sm4_cbc_encrypt(material, plaintext)
    if not plaintext:
        raise ValidationError(details={"plaintext": [_("SM2 cannot encrypt an empty plaintext.")]})
    return state.sm2(version).public_key().encrypt(plaintext)


def _decrypt_with(state: KeyState, version: int, blob: bytes, aad: bytes) -> bytes:
    material = state.versions[version]
    try:
        if state.type == KeyType.SM4_GCM:
            return lib.sm4_gcm_decrypt(material, blob, aad)
        if aad:
            raise ValidationError(details={"associated_data": [_("Only sm4-gcm keys take associated data.")]})
        if state.type == KeyType.SM4_CBC:
            return lib.sm4_cbc_decrypt(material, blob)
        return state.sm2(version).decrypt(blob)
    except CryptoError:
        raise DecryptionFailed() from None


@dataclass
class Item:
    """One element of a (batch) call; which fields apply depends on the operation."""

    plaintext: bytes = b""
    ciphertext: str = ""
    input: bytes = b""
    associated_data: bytes = b""
    signature: str = ""
    hmac: str = ""
    key_version: int | None = None
    signer_id: bytes = lib.DEFAULT_SIGNER_ID


def _run(actor, name: str, operation: str, items: list[Item], one) -> list[dict]:
    state = authorise(actor, name, operation)
    used: set[int] = set()

    def run(item):
        result, version = one(state, item)
        used.add(version)
        return result

    try:
        results = batch(items, run)
    except DecryptionFailed as exc:
        audit.record_failure(f"kms.{operation}", state.key, outcome="failed", reason=exc.code, actor=actor)
        raise
    _audit_use(actor, state, operation, len(items), used)
    return results


def encrypt(*, actor, name: str, items: list[Item]) -> list[dict]:
    def one(state, item):
        version = state.encryption_version(item.key_version)
        blob = _encrypt_with(state, version, item.plaintext, item.associated_data)
        return {"ciphertext": format_versioned(version, blob), "key_version": version}, version

    return _run(actor, name, "encrypt", items, one)


def _open(state: KeyState, item: Item) -> tuple[int, bytes]:
    version, blob = parse_versioned(item.ciphertext)
    state.check_version(version)
    return version, _decrypt_with(state, version, blob, item.associated_data)


def decrypt(*, actor, name: str, items: list[Item]) -> list[dict]:
    def one(state, item):
        version, plaintext = _open(state, item)
        return {"plaintext": b64(plaintext), "key_version": version}, version

    return _run(actor, name, "decrypt", items, one)


def rewrap(*, actor, name: str, items: list[Item]) -> list[dict]:
    """Decrypt and re-encrypt under the latest (or minimum encryption) version inside the service."""

    def one(state, item):
        _, plaintext = _open(state, item)
        version = state.encryption_version(item.key_version)
        blob = _encrypt_with(state, version, plaintext, item.associated_data)
        return {"ciphertext": format_versioned(version, blob), "key_version": version}, version

    return _run(actor, name, "rewrap", items, one)


def datakey(*, actor, name: str, bits: int, include_plaintext: bool) -> dict:
    """A fresh random key for envelope encryption, returned encrypted under `name` (and in plain
    when asked: the caller encrypts locally with it, then keeps only the ciphertext)."""
    if bits not in (128, 256):
        raise ValidationError(details={"bits": [_("128 or 256.")]})
    state = authorise(actor, name, "datakey")
    version = state.encryption_version()
    data_key = lib.random_bytes(bits // 8)
    result = {"ciphertext": format_versioned(version, _encrypt_with(state, version, data_key, b"")),
              "key_version": version}
    if include_plaintext:
        result["plaintext"] = b64(data_key)
    _audit_use(actor, state, "datakey", 1, {version})
    return result


def _signature_version(state: KeyState, item: Item, value: str, field_name: str) -> tuple[int, bytes]:
    """Signatures and HMACs may come as `dgov:vN:<base64>` or bare base64 (e.g. made by OpenSSL) with
    `key_version` (default: the latest version)."""
    if value.startswith(PREFIX + ":"):
        version, data = parse_versioned(value, field_name)
    else:
        version, data = item.key_version or state.key.latest_version, b64decode(value, field_name)
    state.check_version(version)
    return version, data


def sign(*, actor, name: str, items: list[Item]) -> list[dict]:
    def one(state, item):
        version = item.key_version or state.key.latest_version
        state.check_version(version)
        signature = state.sm2(version).sign(item.input, item.signer_id)
        return {"signature": b64(signature), "key_version": version}, version

    return _run(actor, name, "sign", items, one)


def verify(*, actor, name: str, items: list[Item]) -> list[dict]:
    def one(state, item):
        if state.type == KeyType.HMAC_SM3:
            if not item.hmac:
                raise ValidationError(details={"hmac": [_("Give the HMAC to verify.")]})
            version, mac = _signature_version(state, item, item.hmac, "hmac")
            valid = lib.constant_time_equal(lib.hmac_sm3(state.versions[version], item.input), mac)
        else:
            if not item.signature:
                raise ValidationError(details={"signature": [_("Give the signature to verify.")]})
            version, signature = _signature_version(state, item, item.signature, "signature")
            valid = state.sm2(version).public_key().verify(item.input, signature, item.signer_id)
        return {"valid": valid, "key_version": version}, version

    return _run(actor, name, "verify", items, one)


def hmac(*, actor, name: str, items: list[Item]) -> list[dict]:
    def one(state, item):
        version = item.key_version or state.key.latest_version
        state.check_version(version)
        return {"hmac": format_versioned(version, lib.hmac_sm3(state.versions[version], item.input)),
                "key_version": version}, version

    return _run(actor, name, "hmac", items, one)


def export(*, actor, name: str, version: int | None = None) -> dict:
    """The key material of an exportable key (SM2: the private key PEM), one or every version."""
    if is_application(actor):
        raise PermissionDenied()
    require_permission(actor, Key, "export")
    state = key_state(name)
    if state is None:
        raise NotFound()
    require_in_scope_or_404(actor, "export", state.key)
    if state.key.is_system:
        raise PlatformKey()
    if not state.key.exportable:
        raise ExportDisabled()
    if not state.key.enabled:
        raise KeyDisabled()
    versions = [version] if version is not None else sorted(state.versions)
    for v in versions:
        state.check_version(v)
    keys = {str(v): (state.sm2(v).to_pem() if state.type == KeyType.SM2 else b64(state.versions[v]))
            for v in versions}
    audit.record("kms.export", state.key, changes={"versions": versions}, actor=actor)
    return {"name": name, "type": state.type, "keys": keys}


def hash_data(*, actor, data: bytes) -> bytes:
    require_service_caller(actor)
    digest = lib.sm3(data)
    audit.record("kms.hash", changes={"bytes": len(data)}, actor=actor)
    return digest


def random_data(*, actor, count: int) -> bytes:
    require_service_caller(actor)
    if not 1 <= count <= 1024:
        raise ValidationError(details={"bytes": [_("Between 1 and 1024.")]})
    audit.record("kms.random", changes={"bytes": count}, actor=actor)
    return lib.random_bytes(count)


# --- the platform's own keys ----------------------------------------------------------------------
def _platform_department():
    from dgov.orgs.models import Department

    department = Department.objects.filter(code=SYSTEM_KEY_DEPARTMENT).first() or \
        Department.objects.filter(parent__isnull=True).order_by("code").first()
    if department is None:
        raise RuntimeError("the department list is not loaded yet")
    return department


def ensure_platform_sm2_key(name: str, description: str, *, department=None) -> bool:
    """Create an app's own SM2 platform key (random, version 1) once, as the system keys are made:
    owned by the big-data bureau (or by `department`, e.g. an e-seal's owner), `is_system`, so it
    cannot be used or exported through the key service's API. True when it was created now."""
    with transaction.atomic():
        if Key.objects.filter(name=name).exists():
            return False
        key = Key.objects.create(name=name, type=KeyType.SM2, department=department or _platform_department(),
                                 is_system=True, description=description)
        _add_version(key, 1, _new_material(KeyType.SM2))
        audit.record("kms.key.create", key, changes={"type": [None, key.type], "system": [None, True]})
    return True


def platform_key_state(name: str, description: str) -> KeyState:
    """The state of an app's SM2 platform key, created on first use."""
    state = key_state(name)
    if state is None:
        ensure_platform_sm2_key(name, description)
        state = key_state(name)
    return state


def ensure_system_keys() -> int:
    """Store the platform's system keys (dgov.crypto.keys.SYSTEM_KEYS) with version 1 derived from
    the master key, as the platform has used it until now. Idempotent; returns how many were created.
    Written directly, then audited once they all exist (the audit chain itself uses one of them)."""
    created = []
    with transaction.atomic():
        department = _platform_department()
        for name, (key_type, _purpose, _length) in SYSTEM_KEYS.items():
            if Key.objects.filter(name=name).exists():
                continue
            key = Key.objects.create(name=name, type=key_type, department=department, is_system=True,
                                     description="platform key")
            _add_version(key, 1, system_key_v1(name))
            created.append(key)
        for key in created:
            audit.record("kms.key.create", key, changes={"type": [None, key.type], "system": [None, True]})
    return len(created)


def rewrap_fields(*, actor=None) -> dict:
    """Re-encrypt every encrypted column under the field key's current version, then retire the older
    versions (min_decryption_version = current). Returns rows rewritten per model."""
    from django.apps import apps

    from dgov.crypto.fields import EncryptedTextField

    counts = {}
    with transaction.atomic():
        key = Key.objects.select_for_update().get(name=FIELD_KEY)
        for model in apps.get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            rows = list(model._base_manager.only("pk", *names).iterator(chunk_size=2000))
            model._base_manager.bulk_update(rows, names, batch_size=500)  # reading decrypts, saving encrypts
            counts[model._meta.label] = len(rows)
        version = key.min_encryption_version or key.latest_version
        key.min_decryption_version = version
        key.save(update_fields=["min_decryption_version", "updated_at"])
        audit.record("kms.key.rewrap_fields", key, changes={"rows": counts, "min_decryption_version": version},
                     actor=actor)
    return counts
