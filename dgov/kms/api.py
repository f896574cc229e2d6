"""`/api/v1/crypto/…`: the cryptography service, shaped like Vault's Transit engine."""

import base64

from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from dgov.accounts.models import Application
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, by_natural_key, crud_router, errors
from dgov.core.errors import ValidationError
from dgov.core.permissions import get_scoped, require_permission
from dgov.kms import selectors, services
from dgov.kms.models import Key, KeyPolicy
from dgov.kms.schemas import (
    BatchOut,
    CiphertextIn,
    DataKeyIn,
    DataKeyOut,
    EncryptIn,
    ExportOut,
    HashIn,
    HashOut,
    InputIn,
    KeyCreateIn,
    KeyOut,
    KeyPatchIn,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    RandomIn,
    RandomOut,
    VerifyIn,
)
from dgov.kms.services import Item, b64decode
from dgov.orgs.models import Department

router = Router(tags=["cryptography"])
OP_ERRORS = errors(400, 401, 403, 404, 409, 413, 422)


def _department(code: str) -> Department:
    return by_natural_key(Department, "department", _("No department has this code."), code=code)


def _application(code: str | None) -> Application | None:
    return by_natural_key(Application, "application", _("No application has this code."), code=code) if code else None


def _key_for(request, name: str, operation: str = "read") -> Key:
    return services.authorise(actor_of(request), name, operation).key


# --- keys -----------------------------------------------------------------------------------------
@router.get("/keys", response={200: list[KeyOut], **READ_ERRORS}, operation_id="list_crypto_keys")
@paginate(Pagination)
def list_keys(request):
    """Keys you may see: officials within their data scope, applications those their policies name."""
    return [selectors.key_detail(k) for k in selectors.keys_visible_to(actor_of(request))]


@router.post("/keys", response={201: KeyOut, **WRITE_ERRORS}, operation_id="create_crypto_key")
def create_key(request, payload: KeyCreateIn):
    """Create a named key (version 1), or import an SM2 private key with `private_key_pem`. The owner
    is `department` (default: the caller's own department)."""
    actor = actor_of(request)
    require_permission(actor, Key, "add")
    if payload.department:
        department = _department(payload.department)
    elif actor.department_id is not None:
        department = actor.department
    else:
        raise ValidationError(details={"department": [_("Name the owning department.")]})
    key = services.key_create(actor=actor, name=payload.name, type=payload.type, department=department,
                              application=_application(payload.application), description=payload.description,
                              exportable=payload.exportable, private_key_pem=payload.private_key_pem)
    return Status(201, selectors.key_detail(key))


@router.get("/keys/{name}", response={200: KeyOut, **READ_ERRORS}, operation_id="get_crypto_key")
def get_key(request, name: str):
    """Type, versions, minimum versions and, for SM2, the public key (PEM)."""
    return selectors.key_detail(_key_for(request, name))


def _managed_key(request, name: str) -> Key:
    return get_scoped(actor_of(request), "change", Key.objects.select_related("department", "application"),
                      name=name)


@router.patch("/keys/{name}", response={200: KeyOut, **WRITE_ERRORS}, operation_id="update_crypto_key")
def update_key(request, name: str, payload: KeyPatchIn):
    """Set `min_decryption_version`, `min_encryption_version` (0 = latest), `enabled`, `description`;
    turn `exportable` on."""
    key = _managed_key(request, name)
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return selectors.key_detail(services.key_update(actor=actor_of(request), key=key, **fields))


@router.post("/keys/{name}/rotate", response={200: KeyOut, **WRITE_ERRORS}, operation_id="rotate_crypto_key")
def rotate_key(request, name: str):
    """Add a new version; new ciphertexts and signatures use it, old ones still decrypt and verify."""
    return selectors.key_detail(services.key_rotate(actor=actor_of(request), key=_managed_key(request, name)))


@router.get("/keys/{name}/export", response={200: ExportOut, **errors(401, 403, 404, 422)},
            operation_id="export_crypto_key")
def export_key(request, name: str, version: int | None = None):
    """The key material of a key created exportable (SM2: the private key PEM). Audited."""
    if version is not None and not 1 <= version <= 10**9:
        raise ValidationError(details={"version": [_("Enter a version number.")]})
    return services.export(actor=actor_of(request), name=name, version=version)


# --- operations -----------------------------------------------------------------------------------
def _items(payload, single_required: str, convert) -> tuple[list[Item], bool]:
    if payload.batch_input is not None:
        return [convert(item, f"batch_input[{i}].") for i, item in enumerate(payload.batch_input)], True
    if getattr(payload, single_required) is None:
        raise ValidationError(details={single_required: [_("This field is required.")]})
    return [convert(payload, "")], False


def _signer(value) -> dict:
    return {"signer_id": value.encode()} if value else {}


def _encrypt_item(p, prefix) -> Item:
    return Item(plaintext=b64decode(p.plaintext, prefix + "plaintext"),
                associated_data=b64decode(p.associated_data, prefix + "associated_data"), key_version=p.key_version)


def _ciphertext_item(p, prefix) -> Item:
    return Item(ciphertext=p.ciphertext, associated_data=b64decode(p.associated_data, prefix + "associated_data"),
                key_version=p.key_version)


def _input_item(p, prefix) -> Item:
    return Item(input=b64decode(p.input, prefix + "input"), key_version=p.key_version, **_signer(p.signer_id))


def _verify_item(p, prefix) -> Item:
    item = _input_item(p, prefix)
    item.signature, item.hmac = p.signature, p.hmac
    return item


def _reply(results: list[dict], batched: bool) -> dict:
    return {"batch_results": results} if batched else results[0]


def _operation(path: str, op: str, schema, single: str, convert, doc: str):
    run = getattr(services, op)

    def view(request, name: str, payload: schema):  # type: ignore[valid-type]
        items, batched = _items(payload, single, convert)
        return _reply(run(actor=actor_of(request), name=name, items=items), batched)

    view.__doc__ = doc
    view.__name__ = f"{op}_view"
    router.post(f"/keys/{{name}}/{path}", response={200: BatchOut, **OP_ERRORS}, exclude_none=True,
                operation_id=f"crypto_{op}")(view)


_operation("encrypt", "encrypt", EncryptIn, "plaintext", _encrypt_item,
           "Encrypt base64 `plaintext` → `dgov:v<version>:…`; `associated_data` binds sm4-gcm ciphertexts to a "
           "context; `batch_input` for many.")
_operation("decrypt", "decrypt", CiphertextIn, "ciphertext", _ciphertext_item,
           "Decrypt a `dgov:v<version>:…` ciphertext → base64 `plaintext`. Versions below "
           "`min_decryption_version` are refused.")
_operation("rewrap", "rewrap", CiphertextIn, "ciphertext", _ciphertext_item,
           "Re-encrypt a ciphertext under the latest version without revealing the plaintext.")
_operation("sign", "sign", InputIn, "input", _input_item,
           "SM2-sign base64 `input` (SM3 with Z, `signer_id` default 1234567812345678) → DER `signature`, base64.")
_operation("verify", "verify", VerifyIn, "input", _verify_item,
           "Verify an SM2 `signature` (base64 DER, e.g. made by OpenSSL) or an `hmac` → `valid`.")
_operation("hmac", "hmac", InputIn, "input", _input_item, "HMAC-SM3 of base64 `input` → `dgov:v<version>:…`.")


@router.post("/keys/{name}/datakey/{kind}", response={200: DataKeyOut, **OP_ERRORS}, exclude_none=True,
             operation_id="crypto_datakey")
def datakey(request, name: str, kind: str, payload: DataKeyIn):
    """A new data key for envelope encryption: `plaintext` (the key, base64, and its ciphertext) or
    `wrapped` (the ciphertext only)."""
    if kind not in ("plaintext", "wrapped"):
        raise ValidationError(details={"kind": [_("plaintext or wrapped.")]})
    return services.datakey(actor=actor_of(request), name=name, bits=payload.bits,
                            include_plaintext=kind == "plaintext")


def _encode(data: bytes, fmt: str) -> str:
    return data.hex() if fmt == "hex" else base64.b64encode(data).decode()


@router.post("/hash", response={200: HashOut, **OP_ERRORS}, operation_id="crypto_hash")
def hash_view(request, payload: HashIn):
    """The SM3 digest of base64 `input`."""
    digest = services.hash_data(actor=actor_of(request), data=b64decode(payload.input, "input"))
    return {"sum": _encode(digest, payload.format)}


@router.post("/random", response={200: RandomOut, **OP_ERRORS}, operation_id="crypto_random")
def random_view(request, payload: RandomIn):
    """`bytes` random bytes from the operating system's CSPRNG."""
    return {"random_bytes": _encode(services.random_data(actor=actor_of(request), count=payload.bytes),
                                    payload.format)}


# --- policies -------------------------------------------------------------------------------------
def _resolve_policy(data: dict) -> dict:
    values = dict(data)
    if "key" in values:
        values["key"] = by_natural_key(Key, "key", _("No key has this name."), name=values.pop("key"))
    if "application" in values:
        values["application"] = _application(values.pop("application"))
    if "operations" in values:
        values["operations"] = [str(op) for op in values["operations"]]
    return values


def _save_policy(*, actor, instance):
    return services.policy_save(actor=actor, policy=instance)


policies_router = crud_router(
    model=KeyPolicy, out_schema=PolicyOut, in_schema=PolicyIn, patch_schema=PolicyPatch,
    queryset=lambda: KeyPolicy.objects.select_related("key__department", "application"),
    resolve=_resolve_policy, save=_save_policy, tags=["cryptography"])
router.add_router("/policies", policies_router)
