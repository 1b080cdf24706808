"""Framed messages on stdin/stdout (see docs/worker-protocol.md).

Frame: u32 big-endian length of the rest, u32 big-endian length of the JSON header, the UTF-8 JSON
header, then an optional binary payload (float32 little-endian PCM at 16 kHz).
"""
from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO, Optional, Tuple

_U32 = struct.Struct(">I")


def read_exact(stream: BinaryIO, n: int) -> Optional[bytes]:
    chunks = []
    remaining = n
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> Optional[Tuple[dict, bytes]]:
    """Returns (header, payload), or None at end of input."""
    head = read_exact(stream, 4)
    if head is None:
        return None
    (length,) = _U32.unpack(head)
    body = read_exact(stream, length)
    if body is None or length < 4:
        return None
    (header_length,) = _U32.unpack(body[:4])
    header = json.loads(body[4 : 4 + header_length].decode("utf-8"))
    return header, body[4 + header_length :]


def write_frame(stream: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    stream.write(_U32.pack(4 + len(encoded) + len(payload)))
    stream.write(_U32.pack(len(encoded)))
    stream.write(encoded)
    if payload:
        stream.write(payload)
    stream.flush()
