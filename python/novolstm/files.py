"""safetensors files as novolstm writes them (src/interop/safetensors in the TypeScript library).

A file holds float32 tensors named ``layers.<i>.<layer name>.<weight name>`` ('/' in novolstm's weight
names written as '.') and, in ``__metadata__["novolstm"]``, the model description of novolstm's own save
format: layer classes and configs, weight names and shapes, the model's metadata.

The ``safetensors`` package reads and writes the container when it is installed; otherwise the few lines
below do (Debian ships PyTorch but not safetensors). Both paths check the same things the TypeScript reader
checks: float32 only, offsets in range, tensors tiling the data, sizes matching shapes.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from typing import Dict, Iterable, List, Mapping, Tuple

import numpy as np

METADATA_KEY = "novolstm"
FORMAT_NAME = "novolstm-model"
MAX_HEADER_BYTES = 16 * 1024 * 1024
_ALIGNMENT = 8


class NovolstmFileError(ValueError):
    """A file novolstm cannot read: names the file's problem, the expected and the actual value."""

    def __init__(self, problem: str, expected: object, actual: object):
        super().__init__(f"{problem} — expected {expected}, got {actual}")


def tensor_name(layer_index: int, weight_name: str) -> str:
    """The safetensors name of novolstm's weight ``<layer>/<weight>`` of the layer at ``layer_index``."""
    return f"layers.{layer_index}.{weight_name.replace('/', '.')}"


def read(path: str) -> Tuple[dict, Dict[str, np.ndarray]]:
    """The model description and the weights by novolstm name (``lstm/kernel``), as float32 arrays."""
    with open(path, "rb") as f:
        data = f.read()
    metadata, tensors = _read_container(data)
    if METADATA_KEY not in metadata:
        raise NovolstmFileError(
            f"{path} is not a novolstm model: __metadata__ has no '{METADATA_KEY}'",
            METADATA_KEY,
            ", ".join(metadata) or "no metadata",
        )
    description = json.loads(metadata[METADATA_KEY])
    if description.get("format") != FORMAT_NAME:
        raise NovolstmFileError(f"{path}: not a novolstm model description", FORMAT_NAME, description.get("format"))
    layer_index = _layer_index(description)
    weights: Dict[str, np.ndarray] = {}
    for entry in description["weights"]["entries"]:
        name = tensor_name(layer_index(entry["name"]), entry["name"])
        if name not in tensors:
            raise NovolstmFileError(f"{path}: tensor '{name}' is missing", name, "nothing")
        if list(tensors[name].shape) != list(entry["shape"]):
            raise NovolstmFileError(f"{path}: tensor '{name}' has the wrong shape", entry["shape"], list(tensors[name].shape))
        weights[entry["name"]] = tensors.pop(name)
    if tensors:
        raise NovolstmFileError(f"{path} holds tensors the model does not have", "none", ", ".join(tensors))
    return description, weights


def write(path: str, description: dict, weights: Mapping[str, np.ndarray]) -> None:
    """Writes the weights (by novolstm name) under the description, atomically (temporary file, rename)."""
    layer_index = _layer_index(description)
    tensors: List[Tuple[str, np.ndarray]] = []
    for entry in description["weights"]["entries"]:
        value = np.ascontiguousarray(weights[entry["name"]], dtype="<f4")
        if list(value.shape) != list(entry["shape"]):
            raise NovolstmFileError(f"weight '{entry['name']}' has the wrong shape", entry["shape"], list(value.shape))
        if not np.isfinite(value).all():
            raise NovolstmFileError(f"weight '{entry['name']}' is not finite", "finite values", "NaN or ±inf")
        tensors.append((tensor_name(layer_index(entry["name"]), entry["name"]), value))
    payload = _write_container({METADATA_KEY: json.dumps(description)}, tensors)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".novolstm-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _layer_index(description: dict):
    index = {layer["name"]: i for i, layer in enumerate(description["model"]["layers"])}

    def of(weight_name: str) -> int:
        layer = weight_name.split("/")[0]
        if layer not in index:
            raise NovolstmFileError(f"weight '{weight_name}' names no layer of the model", ", ".join(index), layer)
        return index[layer]

    return of


def _read_container(data: bytes) -> Tuple[Dict[str, str], Dict[str, np.ndarray]]:
    try:
        from safetensors.numpy import load  # type: ignore

        tensors = load(data)
        header_length = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8 : 8 + header_length])
        for name, t in header.items():
            if name != "__metadata__" and t.get("dtype") != "F32":
                raise NovolstmFileError(f"tensor '{name}' has a dtype novolstm does not read", "F32", t.get("dtype"))
        return dict(header.get("__metadata__", {})), {k: v.astype(np.float32) for k, v in tensors.items()}
    except ImportError:
        pass
    if len(data) < 8:
        raise NovolstmFileError("not a safetensors file: shorter than its header length", "≥ 8 bytes", len(data))
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > min(MAX_HEADER_BYTES, len(data) - 8):
        raise NovolstmFileError("the header length is larger than the file or the limit", f"≤ {min(MAX_HEADER_BYTES, len(data) - 8)}", header_length)
    header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    if not isinstance(header, dict):
        raise NovolstmFileError("the header must be a JSON object", "an object", type(header).__name__)
    body = memoryview(data)[8 + header_length :]
    metadata: Dict[str, str] = {}
    spans = []
    tensors: Dict[str, np.ndarray] = {}
    for name, t in header.items():
        if name == "__metadata__":
            if not isinstance(t, dict) or not all(isinstance(v, str) for v in t.values()):
                raise NovolstmFileError("__metadata__ must map strings to strings", "strings", t)
            metadata = dict(t)
            continue
        if not isinstance(t, dict) or t.get("dtype") != "F32":
            raise NovolstmFileError(f"tensor '{name}' has a dtype novolstm does not read", "F32", t.get("dtype") if isinstance(t, dict) else t)
        shape, offsets = t.get("shape"), t.get("data_offsets")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise NovolstmFileError(f"tensor '{name}' has a malformed shape", "non-negative integers", shape)
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= len(body)
        ):
            raise NovolstmFileError(f"tensor '{name}' has data_offsets outside the data", f"0 ≤ begin ≤ end ≤ {len(body)}", offsets)
        count = int(np.prod(shape)) if shape else 1
        if offsets[1] - offsets[0] != 4 * count:
            raise NovolstmFileError(f"tensor '{name}' holds a different byte count than its shape", 4 * count, offsets[1] - offsets[0])
        spans.append((offsets[0], offsets[1], name))
        tensors[name] = np.frombuffer(body[offsets[0] : offsets[1]], dtype="<f4").reshape(shape).astype(np.float32)
    expected = 0
    for begin, end, name in sorted(spans):
        if begin != expected:
            raise NovolstmFileError(f"tensor '{name}' overlaps another or leaves a gap", f"begin = {expected}", begin)
        expected = end
    if expected != len(body):
        raise NovolstmFileError("the tensors do not cover the data", f"{expected} bytes", f"{len(body)} bytes")
    return metadata, tensors


def _write_container(metadata: Mapping[str, str], tensors: Iterable[Tuple[str, np.ndarray]]) -> bytes:
    tensors = list(tensors)
    header: Dict[str, object] = {"__metadata__": dict(metadata)}
    offset = 0
    for name, value in tensors:
        header[name] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + value.nbytes]}
        offset += value.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((_ALIGNMENT - len(text) % _ALIGNMENT) % _ALIGNMENT)
    return struct.pack("<Q", len(text)) + text + b"".join(value.tobytes() for _, value in tensors)
