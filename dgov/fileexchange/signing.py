"""The platform's signing key for file packages: `dgov.fileexchange.signing`, an SM2 platform key of
the cryptography service (type sm2, `is_system`, owned by the department that runs the service),
stored wrapped under the master key like every other key; nobody can use or export its private half
through the service. `dgov init` creates it (`FileExchangeConfig.load_reference`); it is also
created on first use. Each manifest names the key version that signed it, so a rotated key
(`dgov kms rotate dgov.fileexchange.signing`) still verifies older packages with the public key of
their version (`public_key_pem(version)`)."""


from dgov.crypto import primitives as lib

SIGNING_KEY = "dgov.fileexchange.signing"
#: SM2 signer ID (GB/T 35276's default, as `openssl pkeyutl -pkeyopt distid:1234567812345678`)
SIGNER_ID = "1234567812345678"


def ensure_signing_key() -> bool:
    """Create the key once; True when it was created now."""
    from dgov.kms.services import ensure_platform_sm2_key

    return ensure_platform_sm2_key(SIGNING_KEY, "file exchange manifest signing key")


def _state():
    from dgov.kms.services import platform_key_state

    return platform_key_state(SIGNING_KEY, "file exchange manifest signing key")


def current_version() -> int:
    state = _state()
    return state.key.min_encryption_version or state.key.latest_version


def sign(message: bytes, version: int) -> bytes:
    """The DER SM2 signature of `message` with `version` of the key (as named in the manifest)."""
    return _state().sm2(version).sign(message, SIGNER_ID.encode())


def public_key_pem(version: int | None = None) -> str:
    """The public key (PEM) of `version` (default the current one); KeyError for an unknown version."""
    state = _state()
    return state.public_pems[version or current_version()]


def verify(message: bytes, signature: bytes, version: int) -> bool:
    try:
        pem = public_key_pem(version)
    except KeyError:
        return False
    return lib.SM2PublicKey.from_pem(pem).verify(message, signature, SIGNER_ID.encode())


def fingerprint(pem: str) -> str:
    """SM3 of the public key's DER, in groups, to compare by telephone with the published key."""
    digest = lib.sm3(lib.SM2PublicKey.from_pem(pem).to_der()).hex()
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))
