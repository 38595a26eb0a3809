"""SEG-Y header values: byte order, the rev 2 fields segyio does not name, and scalars.

SEG-Y stores positions as 32-bit integers with a scalar per trace (negative: divide, positive:
multiply; 0 counts as 1) and the sample interval as 16-bit whole microseconds, which rev 2.0
overrides with an IEEE double, the *extended sample interval* (binary header bytes
3273-3280). Rev 2.0 files say their byte order with the marker 0x01020304 (bytes 3297-3300);
older files are recognised by their data sample format code (bytes 3225-3226, 1 to 16).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import segyio

#: Coordinate and elevation scalars, in the order the writer tries them (SEG-Y: negative
#: divides, positive multiplies): whole metres, then down to 0.1 mm, then multiples of 10 m.
SCALARS = (1, -10, -100, -1000, -10000, 10, 100, 1000, 10000)
INT32_MAX = 2**31 - 1
#: Largest whole-microsecond interval in SEG-Y's 16-bit sample interval fields.
INTERVAL_MAX = 32767
#: Metres per foot (measurement system 2).
FEET = 0.3048
#: Binary header offsets (from byte 3201) of rev 2 fields that segyio does not name.
EXTENDED_INTERVAL = 72
BYTE_ORDER_MARKER = 96
REVISION = 300


def open_segy(path: Path, ignore_geometry: bool = False):
    """Open a SEG-Y file for reading with segyio, in the byte order of :func:`byte_order`."""
    endian = byte_order(path, binary_header(path))
    try:
        return segyio.open(str(path), "r", ignore_geometry=ignore_geometry, endian=endian)
    except (RuntimeError, OSError) as exc:
        raise ValueError(f"{path} is not a readable SEG-Y file ({exc})") from None


def binary_header(path: Path) -> bytes:
    """The 400 bytes of the binary file header (bytes 3201-3600), as stored."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, "rb") as f:
        f.seek(3200)
        binary = f.read(400)
    if len(binary) < 400:
        raise ValueError(
            f"{path} is not a readable SEG-Y file (shorter than the 3600 bytes of its headers)"
        )
    return binary


def byte_order(path: Path, binary: bytes) -> str:
    """``"big"`` or ``"little"``: from the rev 2 byte-order marker, else the format code."""
    marker = binary[BYTE_ORDER_MARKER : BYTE_ORDER_MARKER + 4]
    if marker in (b"\x01\x02\x03\x04", b"\x04\x03\x02\x01"):
        return "big" if marker[0] == 1 else "little"
    code = binary[24:26]
    for endian in ("big", "little"):
        if 1 <= int.from_bytes(code, endian) <= 16:
            return endian
    raise ValueError(
        f"{path} is not a readable SEG-Y file: its data sample format code (binary header "
        f"bytes 3225-3226, {code.hex()}) is not a SEG-Y format in either byte order"
    )


def textual_header(f) -> str:
    """The textual file header of an open segyio file, as text."""
    raw = f.text[0]
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)


def read_extended_interval(path: Path, binary: bytes) -> float:
    """The rev 2 extended sample interval (µs) of a binary header; 0 if unset or before rev 2."""
    if binary[REVISION] < 2:
        return 0.0
    order = ">" if byte_order(path, binary) == "big" else "<"
    interval = struct.unpack(order + "d", binary[EXTENDED_INTERVAL : EXTENDED_INTERVAL + 8])[0]
    if not np.isfinite(interval) or interval < 0:
        raise ValueError(
            f"{path}: the extended sample interval (binary header bytes 3273-3280) is "
            f"{interval!r} µs; it must be a positive number"
        )
    return interval


def extended_interval(dt: float) -> float:
    """``dt`` (s) in µs for the extended sample interval: the double ``e`` nearest to
    ``dt * 1e6`` for which ``e / 1e6 == dt``, where a neighbour of ``dt * 1e6`` is one."""
    us = dt * 1e6
    for e in (us, np.nextafter(us, np.inf), np.nextafter(us, 0.0)):
        if e / 1e6 == dt:
            return float(e)
    return us


def exact_scalar(fields: dict, what: str) -> tuple[int, dict]:
    """The first of :data:`SCALARS` that stores every value exactly in 32 bits.

    Parameters
    ----------
    fields : dict
        Values (m) by header field.
    what : str
        What the values are, for the error message.

    Returns
    -------
    scalar : int
    integers : dict
        The header integers by field.
    """
    values = np.concatenate(list(fields.values()))
    for scalar in SCALARS:
        n = np.round(values * -scalar if scalar < 0 else values / scalar)
        if np.all(np.abs(n) <= INT32_MAX) and np.array_equal(decode(n, scalar), values):
            return scalar, {
                field: np.round(v * -scalar if scalar < 0 else v / scalar).astype(np.int64)
                for field, v in fields.items()
            }
    n = np.round(values * 10000)
    bad = values[(n / 10000 != values) | (np.abs(n) > INT32_MAX)]
    raise ValueError(
        f"SEG-Y cannot store the {what} exactly: {float(bad[0])!r} m is not a whole number "
        f"of 0.1 mm that fits its 32-bit fields (scalars {', '.join(str(s) for s in SCALARS)}); "
        "round the positions to 0.1 mm first"
    )


def decode(values: np.ndarray, scalar) -> np.ndarray:
    """Header integers to values: SEG-Y scalars divide when negative, multiply when positive.

    A scalar of 0 counts as 1 (SEG-Y rev 2). Division (not multiplication by ``1/|s|``) keeps
    ``n / 10**k`` the double nearest to the decimal number it stands for.
    """
    values = np.asarray(values, np.float64)
    s = np.asarray(scalar, np.float64)
    s = np.where(s == 0, 1.0, s)
    return np.where(s < 0, values / np.abs(s), values * s)
