"""The pure-Python backend: SM3, HMAC-SM3, SM4 (ECB, CBC, GCM) and SM2, written from the standards.

- SM3: GB/T 32905-2016; HMAC-SM3: RFC 2104 with a 64-byte block.
- SM4: GB/T 32907-2016; CBC (NIST SP 800-38A) on whole blocks; GCM (NIST SP 800-38D, RFC 8998)
  with a 12-byte nonce.
- SM2: GB/T 32918.1-.4-2016 (signature, public-key encryption with the SM3 KDF) on sm2p256v1
  (GB/T 32918.5-2017). The curve is a parameter (`Curve`), so the worked examples of the standard on
  its 256-bit test curve can be reproduced with a given k (`sm2_sign_with_k`, `sm2_encrypt_with_k`).

Speed: the hot loops are generated once at import (unrolled rounds, round keys in local variables);
SM4 uses four 8-bit tables that combine the S-box with the linear transform L; GHASH uses sixteen
8-bit tables per key; SM2 uses Jacobian coordinates, a fixed-window table for the base point and
width-5 NAF for other points.

This backend is a fallback. CPython's integers and table look-ups take data-dependent time, so it
does not resist timing or cache side channels as OpenSSL does; prefer the native backend wherever
OpenSSL 3 with SM2 is available.
"""

import hmac as _hmac
import os
import platform
import struct
from dataclasses import dataclass
from functools import lru_cache

from dgov.crypto import asn1
from dgov.crypto.backends.base import Backend
from dgov.crypto.errors import DecryptionError, InvalidKeyError

__all__ = [
    "SM2P256V1", "Curve", "PythonBackend", "sm2_decrypt_raw", "sm2_encrypt_with_k", "sm2_public_point",
    "sm2_sign_with_k", "sm2_verify_rs", "sm2_z", "sm3",
]

_M32 = 0xFFFFFFFF
_pack4 = struct.Struct(">4I").pack
_unpack4 = struct.Struct(">4I").unpack
_iter4 = struct.Struct(">4I").iter_unpack


def _xor(a: bytes, b: bytes) -> bytes:
    """a XOR b for equal lengths (one big-integer operation, fast for long inputs)."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def _generate(source: str, name: str, namespace: dict):
    """Compile generated source (built only from constants in this module) and return `name`."""
    exec(compile(source, f"<dgov.crypto.backends.python:{name}>", "exec"), namespace)
    return namespace[name]


# === SM3 (GB/T 32905-2016) =======================================================================
_SM3_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_SM3_T = (0x79CC4519, 0x7A879D8A)  # T_j for 0 <= j <= 15 and 16 <= j <= 63


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _M32


def _sm3_compress_source() -> str:
    """`compress(v, data)`: the compression function CF over every 64-byte block of `data`, starting
    from the chaining value `v` (8 words); message expansion and the 64 rounds are unrolled, and
    the eight registers are renamed each round instead of being shifted."""
    w = [f"w{j}" for j in range(68)]
    out = [
        "def compress(v, data):",
        "    a, b, c, d, e, f, g, h = v",
        f"    for {', '.join(w[:16])} in iter_unpack(data):",
    ]
    for j in range(16, 68):  # W_j = P1(W_j-16 ^ W_j-9 ^ (W_j-3 <<< 15)) ^ (W_j-13 <<< 7) ^ W_j-6
        out += [
            f"        t = {w[j - 16]} ^ {w[j - 9]} ^ ((({w[j - 3]} << 15) | ({w[j - 3]} >> 17)) & M)",
            f"        {w[j]} = ((t ^ (t << 15) ^ (t >> 17) ^ (t << 23) ^ (t >> 9)"
            f" ^ ({w[j - 13]} << 7) ^ ({w[j - 13]} >> 25)) & M) ^ {w[j - 6]}",
        ]
    regs = ["A", "B", "C", "D", "E", "F", "G", "H"]
    out.append("        A, B, C, D, E, F, G, H = a, b, c, d, e, f, g, h")
    for j in range(64):
        A, B, C, D, E, F, G, H = regs  # the standard's register names
        tj = _rotl(_SM3_T[0 if j < 16 else 1], j)
        if j < 16:
            ff, gg = f"({A} ^ {B} ^ {C})", f"({E} ^ {F} ^ {G})"
        else:
            ff, gg = f"(({A} & ({B} | {C})) | ({B} & {C}))", f"({G} ^ ({E} & ({F} ^ {G})))"
        out += [
            f"        r = (({A} << 12) | ({A} >> 20)) & M",
            f"        s = (r + {E} + {tj:#x}) & M",
            "        s = ((s << 7) | (s >> 25)) & M",  # SS1
            f"        {D} = ({ff} + {D} + (s ^ r) + ({w[j]} ^ {w[j + 4]})) & M",  # TT1 = FF + D + SS2 + W'_j
            f"        t = ({gg} + {H} + s + {w[j]}) & M",  # TT2 = GG + H + SS1 + W_j
            f"        {B} = (({B} << 9) | ({B} >> 23)) & M",
            f"        {F} = (({F} << 19) | ({F} >> 13)) & M",
            f"        {H} = (t ^ (t << 9) ^ (t >> 23) ^ (t << 17) ^ (t >> 15)) & M",  # P0(TT2)
        ]
        # new A = TT1 (in D's variable), B = old A, C = B <<< 9, D = old C; likewise for E..H
        regs = [D, A, B, C, H, E, F, G]
    out.append("        " + "; ".join(f"{x} ^= {r}" for x, r in zip("abcdefgh", regs, strict=True)))
    out.append("    return a, b, c, d, e, f, g, h")
    return "\n".join(out)


_sm3_compress = _generate(_sm3_compress_source(), "compress", {
    "M": _M32, "iter_unpack": struct.Struct(">16I").iter_unpack,
})


def _sm3_finish(v: tuple, done: int, data: bytes) -> bytes:
    """The digest of a message whose first `done` bytes (a multiple of 64) are compressed into `v`."""
    view = memoryview(data)
    whole = len(view) & ~63
    v = _sm3_compress(v, view[:whole])
    total = done + len(view)
    tail = bytes(view[whole:]) + b"\x80" + b"\x00" * ((55 - total) % 64) + (total * 8).to_bytes(8, "big")
    return struct.pack(">8I", *_sm3_compress(v, tail))


def sm3(data: bytes) -> bytes:
    return _sm3_finish(_SM3_IV, 0, data)


@lru_cache(maxsize=64)
def _hmac_sm3_states(key: bytes) -> tuple[tuple, tuple]:
    """The SM3 states after the inner and outer padded key blocks (RFC 2104), cached per key."""
    if len(key) > 64:
        key = sm3(key)
    key = key.ljust(64, b"\x00")
    inner = _sm3_compress(_SM3_IV, bytes(k ^ 0x36 for k in key))
    outer = _sm3_compress(_SM3_IV, bytes(k ^ 0x5C for k in key))
    return inner, outer


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    inner, outer = _hmac_sm3_states(bytes(key))
    return _sm3_finish(outer, 64, _sm3_finish(inner, 64, data))


# === SM4 (GB/T 32907-2016) =======================================================================
# The S-box of GB/T 32907-2016 (row-major, 16 x 16).
_SBOX = bytes.fromhex(
    "d690e9fecce13db716b614c228fb2c05" "2b679a762abe04c3aa44132649860699"
    "9c4250f491ef987a33540b43edcfac62" "e4b31ca9c908e89580df94fa758f3fa6"
    "4707a7fcf37317ba83593c19e6854fa8" "686b81b27164da8bf8eb0f4b70569d35"
    "1e240e5e6358d1a225227c3b01217887" "d40046579fd327524c3602e7a0c4c89e"
    "eabf8ad240c738b5a3f7f2cef96115a1" "e0ae5da49b341a55ad933230f58cb1e3"
    "1df6e22e8266ca60c02923ab0d534e6f" "d5db3745defd8e2f03ff6a726d6c5b51"
    "8d1baf92bbddbc7f11d95c411f105ad8" "0ac13188a5cd7bbd2d74d012b8e5b4b0"
    "8969974a0c96777e65b9f109c56ec684" "18f07dec3adc4d2079ee5f3ed7cb3948"
)
_FK = (0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC)
# CK_i = (ck_i0, ck_i1, ck_i2, ck_i3) with ck_ij = (4i + j) * 7 mod 256
_CK = tuple(int.from_bytes(bytes((4 * i + j) * 7 % 256 for j in range(4)), "big") for i in range(32))


def _tau(a: int) -> int:
    """The non-linear transform: the S-box on each byte of a word."""
    return int.from_bytes(bytes(_SBOX[b] for b in a.to_bytes(4, "big")), "big")


def _sm4_l(b: int) -> int:
    return b ^ _rotl(b, 2) ^ _rotl(b, 10) ^ _rotl(b, 18) ^ _rotl(b, 24)


# T = L o tau as four tables, one per input byte: T(x) = T0[x >> 24] ^ T1[x >> 16 & 255] ^ T2[...] ^ T3[...]
# (L is linear). Measured faster than two 16-bit tables, whose 5 MB do not stay in the CPU cache.
_SM4_T = tuple([_sm4_l(s << shift) for s in _SBOX] for shift in (24, 16, 8, 0))


@lru_cache(maxsize=128)
def _sm4_round_keys(key: bytes) -> tuple[int, ...]:
    """The 32 encryption round keys rk_0..rk_31 (the key expansion of GB/T 32907)."""
    if len(key) != 16:
        raise InvalidKeyError(f"an SM4 key is 16 bytes, not {len(key)}")
    k = [w ^ f for w, f in zip(_unpack4(key), _FK, strict=True)]
    for i in range(32):
        b = _tau(k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ _CK[i])
        k.append(k[i] ^ b ^ _rotl(b, 13) ^ _rotl(b, 23))  # T' uses L'(B) = B ^ B<<<13 ^ B<<<23
    return tuple(k[4:])


def _sm4_round_keys_decrypt(key: bytes) -> tuple[int, ...]:
    return _sm4_round_keys(key)[::-1]


def _sm4_rounds(indent: str) -> list[str]:
    """The 32 rounds on x0..x3 with round keys k0..k31: X_i+4 = X_i ^ T(X_i+1 ^ X_i+2 ^ X_i+3 ^ rk_i).
    Round i overwrites x(i mod 4); the output is (X35, X34, X33, X32) = (x3, x2, x1, x0)."""
    lines = []
    for i in range(32):
        x = [f"x{(i + j) % 4}" for j in range(4)]
        lines += [f"{indent}t = {x[1]} ^ {x[2]} ^ {x[3]} ^ k{i}",
                  f"{indent}{x[0]} ^= T0[t >> 24] ^ T1[(t >> 16) & 255] ^ T2[(t >> 8) & 255] ^ T3[t & 255]"]
    return lines


_SM4_KEY_ARGS = ", ".join(f"k{i}" for i in range(32))

# ecb(blocks, k0..k31): encrypt (or, with reversed keys, decrypt) an iterable of 4-word blocks.
_SM4_ECB_SOURCE = "\n".join([
    f"def ecb(blocks, {_SM4_KEY_ARGS}):",
    "    T0, T1, T2, T3 = tables",
    "    out = bytearray()",
    "    for x0, x1, x2, x3 in blocks:",
    *_sm4_rounds("        "),
    "        out += pack(x3, x2, x1, x0)",
    "    return bytes(out)",
])
# cbc(blocks, iv words, k0..k31): CBC encryption, C_i = E(P_i ^ C_i-1).
_SM4_CBC_SOURCE = "\n".join([
    f"def cbc(blocks, c0, c1, c2, c3, {_SM4_KEY_ARGS}):",
    "    T0, T1, T2, T3 = tables",
    "    out = bytearray()",
    "    for x0, x1, x2, x3 in blocks:",
    "        x0 ^= c0; x1 ^= c1; x2 ^= c2; x3 ^= c3",
    *_sm4_rounds("        "),
    "        c0 = x3; c1 = x2; c2 = x1; c3 = x0",
    "        out += pack(c0, c1, c2, c3)",
    "    return bytes(out)",
])
_sm4_ecb = _generate(_SM4_ECB_SOURCE, "ecb", {"tables": _SM4_T, "pack": _pack4})
_sm4_cbc = _generate(_SM4_CBC_SOURCE, "cbc", {"tables": _SM4_T, "pack": _pack4})


def _check_blocks(data: bytes) -> None:
    if len(data) % 16:
        raise ValueError("SM4 takes whole 16-byte blocks (padding is the caller's)")


def _check_iv(iv: bytes) -> None:
    if len(iv) != 16:
        raise ValueError("an SM4-CBC IV is 16 bytes")


# --- GCM (NIST SP 800-38D) ------------------------------------------------------------------------
_GCM_R = 0xE1 << 120  # x^128 = x^7 + x^2 + x + 1, in GCM's reflected bit order


def _ghash_tables(h: int) -> tuple[list[int], ...]:
    """Sixteen 256-entry tables: TABLE_i[b] = (byte b at position i) * H in GF(2^128), so that
    X * H = XOR_i TABLE_i[X_i]. GCM numbers bits from the most significant bit of the block: the
    integer bit 127 - k holds the coefficient of x^k, and multiplying by x shifts right."""
    powers = []  # H * x^k for k = 0..127
    v = h
    for _ in range(128):
        powers.append(v)
        v = (v >> 1) ^ _GCM_R if v & 1 else v >> 1
    tables = []
    for i in range(16):
        table = [0] * 256
        for k in range(7, -1, -1):  # bit 0x80 >> k of byte i is the coefficient of x^(8i + k)
            bit, value = 0x80 >> k, powers[8 * i + k]
            for m in range(bit):
                table[bit | m] = table[m] ^ value
        tables.append(table)
    return tuple(tables)


_GHASH_SOURCE = "\n".join([
    "def ghash(y, data, " + ", ".join(f"t{i}" for i in range(16)) + "):",
    "    for i in range(0, len(data), 16):",
    "        b = (y ^ from_bytes(data[i:i + 16], 'big')).to_bytes(16, 'big')",
    "        y = " + " ^ ".join(f"t{i}[b[{i}]]" for i in range(16)),
    "    return y",
])
_ghash_blocks = _generate(_GHASH_SOURCE, "ghash", {"from_bytes": int.from_bytes})


@lru_cache(maxsize=32)
def _gcm_key(key: bytes) -> tuple[tuple[int, ...], tuple[list[int], ...]]:
    """Round keys and the GHASH tables for H = E_K(0^128), cached per key."""
    rk = _sm4_round_keys(key)
    h = int.from_bytes(_sm4_ecb(((0, 0, 0, 0),), *rk), "big")
    return rk, _ghash_tables(h)


def _zero_pad(data: bytes) -> bytes:
    return bytes(data) + b"\x00" * (-len(data) % 16)


def _gcm_tag(rk, tables, n: tuple[int, int, int], aad: bytes, ciphertext: bytes) -> bytes:
    lengths = struct.pack(">QQ", len(aad) * 8, len(ciphertext) * 8)
    s = _ghash_blocks(0, memoryview(_zero_pad(aad) + _zero_pad(ciphertext) + lengths), *tables)
    e_j0 = int.from_bytes(_sm4_ecb(((*n, 1),), *rk), "big")  # J0 = nonce || 0^31 || 1
    return (s ^ e_j0).to_bytes(16, "big")


def _gcm_ctr(rk, n: tuple[int, int, int], data: bytes) -> bytes:
    """GCTR from inc32(J0): counter blocks nonce || 2, nonce || 3, ... (32-bit counter, mod 2^32)."""
    if not data:
        return b""
    n0, n1, n2 = n
    count = (len(data) + 15) // 16
    stream = _sm4_ecb(((n0, n1, n2, (2 + i) & _M32) for i in range(count)), *rk)
    return _xor(data, stream[:len(data)])


def _gcm_nonce(nonce: bytes) -> tuple[int, int, int]:
    if len(nonce) != 12:
        raise ValueError("the SM4-GCM nonce is 12 bytes")
    return struct.unpack(">3I", nonce)


# === SM2 (GB/T 32918-2016) =======================================================================
@dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve y^2 = x^3 + ax + b over F_p with a base point G of prime order n
    and cofactor 1 (both sm2p256v1 and the test curve of GB/T 32918 appendix A)."""

    name: str
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    @property
    def size(self) -> int:
        """Bytes of a field element (and of a coordinate in encodings)."""
        return (self.p.bit_length() + 7) // 8

    def contains(self, x: int, y: int) -> bool:
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x + self.a) * x - self.b) % p == 0


# GB/T 32918.5-2017 (the same values as dgov.crypto.primitives.SM2_*)
SM2P256V1 = Curve(
    name="sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

# --- point arithmetic in Jacobian coordinates: (X, Y, Z) is (X/Z^2, Y/Z^3); Z = 0 is infinity ----
_INFINITY = (0, 1, 0)


def _double(pt: tuple[int, int, int], p: int, a: int) -> tuple[int, int, int]:
    x, y, z = pt
    if not z or not y:
        return _INFINITY
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    if a == p - 3:
        m = 3 * (x - zz) * (x + zz) % p
    else:
        m = (3 * x * x + a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    return x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p


def _add_affine(pt: tuple[int, int, int], x2: int, y2: int, p: int, a: int) -> tuple[int, int, int]:
    """pt + (x2, y2), the second point affine and not infinity ("mixed" addition)."""
    x1, y1, z1 = pt
    if not z1:
        return x2, y2, 1
    zz = z1 * z1 % p
    h = (x2 * zz - x1) % p
    r = (y2 * zz * z1 - y1) % p
    if not h:
        return _double(pt, p, a) if not r else _INFINITY
    hh = h * h % p
    hhh = h * hh % p
    v = x1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - y1 * hhh) % p, z1 * h % p


def _add(pt1: tuple[int, int, int], pt2: tuple[int, int, int], p: int, a: int) -> tuple[int, int, int]:
    x1, y1, z1 = pt1
    x2, y2, z2 = pt2
    if not z1:
        return pt2
    if not z2:
        return pt1
    z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
    s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
    h, r = (u2 - u1) % p, (s2 - s1) % p
    if not h:
        return _double(pt1, p, a) if not r else _INFINITY
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - s1 * hhh) % p, z1 * z2 * h % p


def _to_affine(pt: tuple[int, int, int], p: int) -> tuple[int, int] | None:
    x, y, z = pt
    if not z:
        return None
    zi = pow(z, -1, p)
    zi2 = zi * zi % p
    return x * zi2 % p, y * zi2 * zi % p


def _batch_to_affine(points: list[tuple[int, int, int]], p: int) -> list[tuple[int, int]]:
    """Affine coordinates of finite points with one inversion (Montgomery's trick)."""
    prefix, acc = [], 1
    for _, _, z in points:
        prefix.append(acc)
        acc = acc * z % p
    inv = pow(acc, -1, p)
    out = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        x, y, z = points[i]
        zi = inv * prefix[i] % p
        inv = inv * z % p
        zi2 = zi * zi % p
        out[i] = (x * zi2 % p, y * zi2 * zi % p)
    return out


_BASE_WINDOW = 6  # fixed-base window: 43 windows x 63 affine points for a 256-bit order
_base_tables: dict[Curve, list[list[tuple[int, int]]]] = {}


def _base_table(curve: Curve) -> list[list[tuple[int, int]]]:
    """TABLE[i][j - 1] = j * 2^(w*i) * G for 1 <= j < 2^w, built once per curve (about 20 ms)."""
    table = _base_tables.get(curve)
    if table is None:
        p, a, w = curve.p, curve.a, _BASE_WINDOW
        table, base = [], (curve.gx, curve.gy)
        for _ in range((curve.n.bit_length() + w - 1) // w):
            multiples, acc = [], (base[0], base[1], 1)
            for _ in range((1 << w) - 1):
                multiples.append(acc)
                acc = _add_affine(acc, base[0], base[1], p, a)
            row = _batch_to_affine(multiples + [acc], p)  # acc = 2^w * base: the next row's base
            table.append(row[:-1])
            base = row[-1]
        _base_tables[curve] = table
    return table


def _mul_base(curve: Curve, k: int) -> tuple[int, int, int]:
    """k * G (Jacobian), with 0 <= k < n: one mixed addition per non-zero window, no doubling."""
    table, p, a, w = _base_table(curve), curve.p, curve.a, _BASE_WINDOW
    mask, pt, i = (1 << w) - 1, _INFINITY, 0
    while k:
        j = k & mask
        if j:
            x, y = table[i][j - 1]
            pt = _add_affine(pt, x, y, p, a)
        k >>= w
        i += 1
    return pt


_NAF_WIDTH = 5


def _wnaf(k: int, w: int = _NAF_WIDTH) -> list[int]:
    """Width-w NAF digits of k, least significant first: each non-zero digit is odd, |d| < 2^(w-1)."""
    digits, full, half = [], 1 << w, 1 << (w - 1)
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


def _mul_point(curve: Curve, x: int, y: int, k: int) -> tuple[int, int, int]:
    """k * (x, y) (Jacobian) for a point of order n: odd multiples P, 3P, ..., 15P made affine once,
    then one doubling per bit and one mixed addition per non-zero NAF digit."""
    p, a = curve.p, curve.a
    k %= curve.n
    if not k:
        return _INFINITY
    twice = _double((x, y, 1), p, a)
    odd = [(x, y, 1)]
    for _ in range((1 << (_NAF_WIDTH - 2)) - 1):
        odd.append(_add(odd[-1], twice, p, a))
    odd_affine = _batch_to_affine(odd, p)
    pt = _INFINITY
    for d in reversed(_wnaf(k)):
        pt = _double(pt, p, a)
        if d > 0:
            qx, qy = odd_affine[d >> 1]
            pt = _add_affine(pt, qx, qy, p, a)
        elif d < 0:
            qx, qy = odd_affine[(-d) >> 1]
            pt = _add_affine(pt, qx, p - qy, p, a)
    return pt


# --- SM2 with the curve as a parameter -----------------------------------------------------------
def sm2_public_point(curve: Curve, d: int) -> tuple[int, int]:
    """P = dG for a private scalar d in [1, n-2] (key pair generation, GB/T 32918.1)."""
    if not 1 <= d <= curve.n - 2:
        raise InvalidKeyError("the SM2 private key is out of range [1, n-2]")
    return _to_affine(_mul_base(curve, d), curve.p)


def sm2_z(curve: Curve, point: tuple[int, int], signer_id: bytes) -> bytes:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2)."""
    size = curve.size
    fields = (curve.a, curve.b, curve.gx, curve.gy, point[0], point[1])
    return sm3((len(signer_id) * 8).to_bytes(2, "big") + signer_id + b"".join(v.to_bytes(size, "big") for v in fields))


def _sign(curve: Curve, d: int, e: int, k: int) -> tuple[int, int] | None:
    """Steps A4-A6 of signature generation (GB/T 32918.2) with a given k; None when this k must be
    replaced."""
    n = curve.n
    x1 = _to_affine(_mul_base(curve, k), curve.p)[0]
    r = (e + x1) % n
    if r == 0 or r + k == n:
        return None
    s = pow(1 + d, -1, n) * (k - r * d) % n
    return (r, s) if s else None


def sm2_sign_with_k(curve: Curve, d: int, e: int, k: int) -> tuple[int, int]:
    """(r, s) for the digest e = SM3(Z || M) as an integer with the given k (standard examples).
    Raises ValueError if the standard would have drawn another k."""
    if not 1 <= d <= curve.n - 2:
        raise InvalidKeyError("the SM2 private key is out of range [1, n-2]")
    if not 1 <= k < curve.n:
        raise ValueError("k must be in [1, n-1]")
    result = _sign(curve, d, e, k)
    if result is None:
        raise ValueError("this k gives r = 0, r + k = n or s = 0; the signer draws another k")
    return result


def sm2_verify_rs(curve: Curve, point: tuple[int, int], e: int, r: int, s: int) -> bool:
    """Steps B1, B2 and B5-B7 of verification (GB/T 32918.2) for the digest e as an integer."""
    n, p = curve.n, curve.p
    if not (0 < r < n and 0 < s < n):
        return False
    t = (r + s) % n
    if not t:
        return False
    xy = _to_affine(_add(_mul_base(curve, s), _mul_point(curve, point[0], point[1], t), p, curve.a), p)
    return xy is not None and (e + xy[0]) % n == r


def _kdf(z: bytes, klen: int) -> bytes:
    """The key derivation function of GB/T 32918.4 with SM3 and a 32-bit big-endian counter from 1."""
    done, state = 0, _SM3_IV
    if len(z) >= 64:  # compress the whole blocks of Z once, then only the counter block per output
        done = len(z) & ~63
        state = _sm3_compress(_SM3_IV, z[:done])
        z = z[done:]
    blocks = (klen + 31) // 32
    out = b"".join(_sm3_finish(state, done, z + ct.to_bytes(4, "big")) for ct in range(1, blocks + 1))
    return out[:klen]


def _encrypt(curve: Curve, point: tuple[int, int], message: bytes, k: int) -> tuple[int, int, bytes, bytes] | None:
    """Steps A2-A8 of encryption (GB/T 32918.4) with a given k: (x1, y1, C3, C2), or None when the KDF
    output t is all zero and the standard draws another k."""
    if not message:
        # Step A5: t = KDF(x2 || y2, 0) is empty, hence all zero, for every k (OpenSSL refuses too).
        raise ValueError("SM2 cannot encrypt an empty message")
    p, size = curve.p, curve.size
    x1, y1 = _to_affine(_mul_base(curve, k), p)
    shared = _to_affine(_mul_point(curve, point[0], point[1], k), p)  # h = 1: [h]P = P is not infinity
    if shared is None:
        raise InvalidKeyError("the public key is the point at infinity")
    x2, y2 = (v.to_bytes(size, "big") for v in shared)
    t = _kdf(x2 + y2, len(message))
    if not any(t):
        return None
    return x1, y1, sm3(x2 + message + y2), _xor(message, t)


def _decrypt(curve: Curve, d: int, x1: int, y1: int, c3: bytes, c2: bytes) -> bytes:
    """Steps B1-B7 of decryption (GB/T 32918.4)."""
    if not curve.contains(x1, y1):
        raise DecryptionError("the SM2 ciphertext's C1 is not a point on the curve")
    if len(c3) != 32:
        raise DecryptionError("the SM2 ciphertext's hash C3 is not 32 bytes")
    if not c2:
        raise DecryptionError("the SM2 ciphertext's C2 is empty (no message is encrypted to an empty C2)")
    shared = _to_affine(_mul_point(curve, x1, y1, d), curve.p)
    if shared is None:  # impossible for a point of prime order n and 0 < d < n
        raise DecryptionError("the SM2 ciphertext's C1 has a small order")
    x2, y2 = (v.to_bytes(curve.size, "big") for v in shared)
    t = _kdf(x2 + y2, len(c2))
    if not any(t):
        raise DecryptionError("the SM2 key stream is all zero: the ciphertext is invalid")
    message = _xor(c2, t)
    if not _hmac.compare_digest(sm3(x2 + message + y2), c3):
        raise DecryptionError("the SM2 ciphertext does not authenticate (C3): wrong key or altered ciphertext")
    return message


def sm2_encrypt_with_k(curve: Curve, point: tuple[int, int], plaintext: bytes, k: int) -> bytes:
    """The raw ciphertext C1 || C3 || C2 (C1 = 04 || x1 || y1) with the given k (standard examples).
    Raises ValueError for an empty message, or if the standard would have drawn another k."""
    if not curve.contains(*point):
        raise InvalidKeyError(f"the public key is not a point on {curve.name}")
    if not 1 <= k < curve.n:
        raise ValueError("k must be in [1, n-1]")
    result = _encrypt(curve, point, bytes(plaintext), k)
    if result is None:
        raise ValueError("this k gives an all-zero key stream; the encryptor draws another k")
    x1, y1, c3, c2 = result
    return b"\x04" + x1.to_bytes(curve.size, "big") + y1.to_bytes(curve.size, "big") + c3 + c2


def sm2_decrypt_raw(curve: Curve, d: int, ciphertext: bytes) -> bytes:
    """Decrypt a raw C1 || C3 || C2 ciphertext (C1 uncompressed)."""
    if not 1 <= d <= curve.n - 2:
        raise InvalidKeyError("the SM2 private key is out of range [1, n-2]")
    size = curve.size
    if len(ciphertext) < 1 + 2 * size + 32 or ciphertext[0] != 4:
        raise DecryptionError("a raw SM2 ciphertext is 04 || x1 || y1 || C3 || C2")
    x1 = int.from_bytes(ciphertext[1:1 + size], "big")
    y1 = int.from_bytes(ciphertext[1 + size:1 + 2 * size], "big")
    c3 = ciphertext[1 + 2 * size:1 + 2 * size + 32]
    return _decrypt(curve, d, x1, y1, c3, ciphertext[1 + 2 * size + 32:])


def _random_scalar(n: int) -> int:
    """Uniform in [1, n-1] by rejection sampling from the operating system's CSPRNG."""
    size = (n.bit_length() + 7) // 8
    while True:
        k = int.from_bytes(os.urandom(size), "big")
        if 0 < k < n:
            return k


# === the backend ==================================================================================
def _private_scalar(private: bytes) -> int:
    if len(private) != asn1.SM2_SCALAR_BYTES:
        raise InvalidKeyError("an SM2 private key is a 32-byte scalar")
    d = int.from_bytes(private, "big")
    if not 1 <= d <= SM2P256V1.n - 2:
        raise InvalidKeyError("the SM2 private key is out of range [1, n-2]")
    return d


def _public_point(public: bytes) -> tuple[int, int]:
    if len(public) != asn1.SM2_POINT_BYTES or public[0] != 4:
        raise InvalidKeyError("an SM2 public key is the 65-byte uncompressed point 04 || x || y")
    x, y = int.from_bytes(public[1:33], "big"), int.from_bytes(public[33:], "big")
    if not SM2P256V1.contains(x, y):  # cofactor 1: every affine point on the curve has order n
        raise InvalidKeyError("the public key is not a point on sm2p256v1")
    return x, y


def _digest_int(digest: bytes) -> int:
    if len(digest) != 32:
        raise ValueError("an SM2 signature signs a 32-byte SM3 digest")
    return int.from_bytes(digest, "big")


class PythonBackend(Backend):
    name = "python"

    def description(self) -> str:
        return f"python (pure-Python SM2/SM3/SM4, {platform.python_implementation()} {platform.python_version()})"

    # --- SM3 -------------------------------------------------------------------------------------
    def sm3(self, data: bytes) -> bytes:
        return sm3(data)

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        return hmac_sm3(key, data)

    # --- SM4 -------------------------------------------------------------------------------------
    def sm4_ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        rk = _sm4_round_keys(bytes(key))
        _check_blocks(data)
        return _sm4_ecb(_iter4(data), *rk)

    def sm4_ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        rk = _sm4_round_keys_decrypt(bytes(key))
        _check_blocks(data)
        return _sm4_ecb(_iter4(data), *rk)

    def sm4_cbc_encrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        rk = _sm4_round_keys(bytes(key))
        _check_iv(iv)
        _check_blocks(data)
        return _sm4_cbc(_iter4(data), *_unpack4(iv), *rk)

    def sm4_cbc_decrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        rk = _sm4_round_keys_decrypt(bytes(key))
        _check_iv(iv)
        _check_blocks(data)
        if not data:
            return b""
        # P_i = D(C_i) ^ C_i-1: decrypt every block, then one XOR with IV || C_0 .. C_n-2
        return _xor(_sm4_ecb(_iter4(data), *rk), bytes(iv) + bytes(data[:-16]))

    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        rk, tables = _gcm_key(bytes(key))
        n = _gcm_nonce(nonce)
        ciphertext = _gcm_ctr(rk, n, bytes(plaintext))
        return ciphertext + _gcm_tag(rk, tables, n, bytes(aad), ciphertext)

    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
        rk, tables = _gcm_key(bytes(key))
        n = _gcm_nonce(nonce)
        if len(ciphertext_and_tag) < 16:
            raise DecryptionError("the SM4-GCM ciphertext is shorter than its 16-byte tag")
        ciphertext, tag = bytes(ciphertext_and_tag[:-16]), bytes(ciphertext_and_tag[-16:])
        if not _hmac.compare_digest(_gcm_tag(rk, tables, n, bytes(aad), ciphertext), tag):
            raise DecryptionError("the SM4-GCM tag does not authenticate: wrong key or associated data, "
                                  "or altered ciphertext")
        return _gcm_ctr(rk, n, ciphertext)

    # --- SM2 -------------------------------------------------------------------------------------
    def sm2_public_key(self, private: bytes) -> bytes:
        x, y = sm2_public_point(SM2P256V1, _private_scalar(private))
        return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")

    def sm2_sign_digest(self, private: bytes, digest: bytes) -> bytes:
        d, e = _private_scalar(private), _digest_int(digest)
        while True:
            result = _sign(SM2P256V1, d, e, _random_scalar(SM2P256V1.n))
            if result is not None:
                return asn1.encode_signature(*result)

    def sm2_verify_digest(self, public: bytes, digest: bytes, signature: bytes) -> bool:
        e = _digest_int(digest)
        try:
            point = _public_point(public)
            r, s = asn1.decode_signature(bytes(signature))
        except ValueError:  # InvalidKeyError is a ValueError too: no key, no valid signature
            return False
        return sm2_verify_rs(SM2P256V1, point, e, r, s)

    def sm2_encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        point, plaintext = _public_point(public), bytes(plaintext)
        while True:
            result = _encrypt(SM2P256V1, point, plaintext, _random_scalar(SM2P256V1.n))
            if result is not None:
                return asn1.encode_ciphertext(*result)

    def sm2_decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        d = _private_scalar(private)
        try:
            x1, y1, c3, c2 = asn1.decode_ciphertext(bytes(ciphertext))
        except ValueError as exc:
            raise DecryptionError(f"malformed SM2 ciphertext: {exc}") from None
        return _decrypt(SM2P256V1, d, x1, y1, c3, c2)
