"""Framed messages on stdin/stdout (see docs/worker-protocol.md).

Frame: u32 big-endian length of the rest, u32 big-endian length of the JSON header, the UTF-8 JSON
header, then an optional binary payload (float32 little-endian PCM at 16 kHz).
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, fields
from typing import Any, BinaryIO, ClassVar, Dict, List, Optional, Tuple

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


# One dataclass per message of protocol.json (its `requests` and `replies`, by name), fields in its
# order; tests/test_protocol.py fails when the two drift. The worker writes its replies from these;
# requests it reads leniently from the header (older senders leave fields out), so those two say
# what a sender puts in, and the tests build requests from them.


@dataclass
class Transcribe:
    TYPE: ClassVar[str] = "transcribe"
    id: int
    wordTimestamps: bool
    items: List[Dict[str, Any]]  # {"samples": int, "language": str, "prompt": str, "temperature": float}


@dataclass
class Diarize:
    TYPE: ClassVar[str] = "diarize"
    id: int
    regions: List[Tuple[float, float]]
    minSpeakers: int
    maxSpeakers: int


@dataclass
class Ready:
    TYPE: ClassVar[str] = "ready"
    engine: Dict[str, Any]  # backends.EngineInfo as a dict


@dataclass
class Fatal:
    TYPE: ClassVar[str] = "fatal"
    message: str


@dataclass
class TranscribeResult:
    TYPE: ClassVar[str] = "result"
    id: int
    elapsedMs: float
    items: List[Dict[str, Any]]  # items.transcribe_items: a result or an error per request item


@dataclass
class DiarizeResult:
    TYPE: ClassVar[str] = "result"
    id: int
    elapsedMs: float
    turns: List[Dict[str, Any]]  # diarizers.Turn as dicts
    speakerCount: Optional[Dict[str, Any]]  # diarizers.SpeakerCount as a dict; None when the backend gives none


@dataclass
class Error:
    TYPE: ClassVar[str] = "error"
    id: Optional[int]  # None only when the request had no id
    message: str


REQUESTS = {"transcribe": Transcribe, "diarize": Diarize}
REPLIES = {"ready": Ready, "fatal": Fatal, "transcribeResult": TranscribeResult, "diarizeResult": DiarizeResult, "error": Error}


def header(message: Any) -> Dict[str, Any]:
    """The frame header of a message: its type, then its fields (shallow: nested values are sent as they are)."""
    return {"type": message.TYPE, **{f.name: getattr(message, f.name) for f in fields(message)}}


def write_message(stream: BinaryIO, message: Any, payload: bytes = b"") -> None:
    write_frame(stream, header(message), payload)
