"""This node's identity: its code, name and base URL (settings `DGOV_NODE_CODE`, `DGOV_NODE_NAME`,
`DGOV_NODE_URL`) and its SM2 key.

The node key is a platform key of the cryptography service (`dgov.federation.node`, type sm2,
`is_system`, owned by the department that runs the service), so it is stored wrapped under the
master key like every other key and nobody can use or export it through the service. `dgov init`
creates it (`FederationConfig.load_reference`); the peers keep its public key from pairing.
Rotating it (`dgov kms rotate dgov.federation.node`) means pairing again: peers verify with the
public key they were given.
"""

from django.conf import settings

from dgov.crypto import primitives as lib
from dgov.crypto.primitives import SM2PrivateKey

NODE_KEY = "dgov.federation.node"


def code() -> str:
    return settings.DGOV_NODE_CODE


def name() -> str:
    return settings.DGOV_NODE_NAME


def base_url() -> str:
    return settings.DGOV_NODE_URL.rstrip("/")


def ensure_node_key() -> bool:
    """Create the key once; True when it was created now."""
    from dgov.kms.services import ensure_platform_sm2_key

    return ensure_platform_sm2_key(NODE_KEY, "federation node key")


def _state():
    from dgov.kms.services import platform_key_state

    return platform_key_state(NODE_KEY, "federation node key")


def private_key() -> SM2PrivateKey:
    state = _state()
    return state.sm2(state.key.latest_version)


def public_key_pem() -> str:
    state = _state()
    return state.public_pems[state.key.latest_version]


def fingerprint(pem: str) -> str:
    """SM3 of the public key's DER, grouped, to compare by telephone when pairing."""
    digest = lib.sm3(lib.SM2PublicKey.from_pem(pem).to_der()).hex()
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))
