"""API schemas of the cryptography service. Binary values travel as base64, as in Vault."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from dgov.kms.models import KeyType, Operation

B64 = Field(..., max_length=1_400_000, description="base64")
B64_OPTIONAL = Field("", max_length=1_400_000, description="base64")
VERSION = Field(None, ge=1, le=10**9, description="a key version (default: see the operation)")
SIGNER_ID = Field(None, min_length=1, max_length=1024,
                  description="SM2 signer ID (GB/T 32918.2), default 1234567812345678")


class KeyCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    type: KeyType
    department: str | None = Field(None, min_length=1, max_length=20,
                                   description="owning department's code (default: the caller's department)")
    application: str | None = Field(None, max_length=50, description="owning application's code")
    description: str = Field("", max_length=200)
    exportable: bool = False
    private_key_pem: str | None = Field(None, max_length=10_000, description="import an existing SM2 key (PEM)")


class KeyPatchIn(Schema):
    min_decryption_version: int | None = Field(None, ge=1, le=10**9)
    min_encryption_version: int | None = Field(None, ge=0, le=10**9)
    enabled: bool | None = None
    exportable: bool | None = Field(None, description="refused: decided when the key is created")
    description: str | None = Field(None, max_length=200)


class KeyVersionOut(Schema):
    version: int
    created_at: datetime
    public_key_pem: str | None = None


class KeyOut(Schema):
    name: str
    type: str
    description: str
    department: str
    application: str | None
    enabled: bool
    exportable: bool
    is_system: bool
    latest_version: int
    min_decryption_version: int
    min_encryption_version: int
    public_key_pem: str | None = Field(None, description="SM2: the latest version's public key")
    versions: list[KeyVersionOut]
    supported_operations: list[str]


class EncryptItemIn(Schema):
    plaintext: str = B64
    associated_data: str = B64_OPTIONAL
    key_version: int | None = VERSION


class EncryptIn(Schema):
    plaintext: str | None = Field(None, max_length=1_400_000, description="base64")
    associated_data: str = B64_OPTIONAL
    key_version: int | None = VERSION
    batch_input: list[EncryptItemIn] | None = None


class CiphertextItemIn(Schema):
    ciphertext: str = Field(..., max_length=1_400_000)
    associated_data: str = B64_OPTIONAL
    key_version: int | None = VERSION


class CiphertextIn(Schema):
    ciphertext: str | None = Field(None, max_length=1_400_000, description="dgov:v<version>:<base64>")
    associated_data: str = B64_OPTIONAL
    key_version: int | None = VERSION
    batch_input: list[CiphertextItemIn] | None = None


class InputItemIn(Schema):
    input: str = B64
    key_version: int | None = VERSION
    signer_id: str | None = SIGNER_ID


class InputIn(Schema):
    input: str | None = Field(None, max_length=1_400_000, description="base64")
    key_version: int | None = VERSION
    signer_id: str | None = SIGNER_ID
    batch_input: list[InputItemIn] | None = None


class VerifyItemIn(InputItemIn):
    signature: str = Field("", max_length=10_000, description="DER, base64 (or dgov:v<n>:<base64>)")
    hmac: str = Field("", max_length=1_000, description="dgov:v<n>:<base64> or base64")


class VerifyIn(InputIn):
    signature: str = Field("", max_length=10_000, description="DER, base64 (or dgov:v<n>:<base64>)")
    hmac: str = Field("", max_length=1_000, description="dgov:v<n>:<base64> or base64")
    batch_input: list[VerifyItemIn] | None = None


class ResultOut(Schema):
    """One result; which fields are present depends on the operation."""

    ciphertext: str | None = None
    plaintext: str | None = None
    signature: str | None = None
    hmac: str | None = None
    valid: bool | None = None
    key_version: int


class BatchOut(Schema):
    """Either the fields of one result, or `batch_results` for a `batch_input` call."""

    ciphertext: str | None = None
    plaintext: str | None = None
    signature: str | None = None
    hmac: str | None = None
    valid: bool | None = None
    key_version: int | None = None
    batch_results: list[ResultOut] | None = None


class DataKeyIn(Schema):
    bits: Literal[128, 256] = 128


class DataKeyOut(Schema):
    ciphertext: str
    plaintext: str | None = None
    key_version: int


class ExportOut(Schema):
    name: str
    type: str
    keys: dict[str, str]


class HashIn(Schema):
    input: str = B64
    format: Literal["hex", "base64"] = "hex"


class HashOut(Schema):
    sum: str


class RandomIn(Schema):
    bytes: int = Field(32, ge=1, le=1024)
    format: Literal["hex", "base64"] = "base64"


class RandomOut(Schema):
    random_bytes: str


class PolicyIn(Schema):
    key: str = Field(..., min_length=2, max_length=63)
    application: str = Field(..., min_length=1, max_length=50)
    operations: list[Operation] = Field(..., min_length=1, max_length=len(Operation.values))


class PolicyPatch(Schema):
    operations: list[Operation] = Field(..., min_length=1, max_length=len(Operation.values))


class PolicyOut(Schema):
    id: int
    key: str = Field(..., alias="key.name")
    application: str = Field(..., alias="application.code")
    operations: list[str]
