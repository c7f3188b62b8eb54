"""novolstm.files without torch or Keras: a written file reads back bit for bit, and what the TypeScript
reader refuses (test/interop-safetensors.test.ts) this reader refuses too."""

import json
import os
import struct
import tempfile
import unittest

import numpy as np

from novolstm import files

DESCRIPTION = {
    "format": "novolstm-model",
    "formatVersion": 1,
    "model": {"layers": [{"className": "Dense", "name": "dense", "config": {}}]},
    "weights": {"entries": [{"name": "dense/kernel", "shape": [3, 2]}, {"name": "dense/bias", "shape": [2]}]},
}


def container(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


class FilesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "m.safetensors")

    def tearDown(self):
        self.dir.cleanup()

    def read_bytes(self, payload: bytes):
        with open(self.path, "wb") as f:
            f.write(payload)
        return files.read(self.path)

    def test_round_trip_bit_for_bit_with_documented_names(self):
        rng = np.random.default_rng(1)
        weights = {"dense/kernel": rng.normal(size=(3, 2)).astype(np.float32), "dense/bias": rng.normal(size=2).astype(np.float32)}
        files.write(self.path, DESCRIPTION, weights)
        description, again = files.read(self.path)
        self.assertEqual(description, DESCRIPTION)
        for k, v in weights.items():
            self.assertEqual(again[k].tobytes(), v.tobytes())
        with open(self.path, "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual((8 + n) % 8, 0)
        header = json.loads(data[8 : 8 + n])
        self.assertEqual(sorted(k for k in header if k != "__metadata__"), ["layers.0.dense.bias", "layers.0.dense.kernel"])

    def test_bad_files_are_named_errors(self):
        meta = {"__metadata__": {files.METADATA_KEY: json.dumps(DESCRIPTION)}}
        f32 = lambda shape, b, e: {"dtype": "F32", "shape": shape, "data_offsets": [b, e]}  # noqa: E731
        good = {**meta, "layers.0.dense.kernel": f32([3, 2], 0, 24), "layers.0.dense.bias": f32([2], 24, 32)}
        self.read_bytes(container(good, bytes(32)))  # the control: this one reads
        cases = {
            "dtype": ({**good, "layers.0.dense.bias": {**f32([2], 24, 32), "dtype": "F64"}}, 32),
            "outside the data": ({**good, "layers.0.dense.bias": f32([2], 24, 40)}, 32),
            "byte count": ({**good, "layers.0.dense.bias": f32([3], 24, 32)}, 32),
            "overlaps another or leaves a gap": ({**good, "layers.0.dense.bias": f32([2], 20, 28)}, 32),
            "do not cover the data": (good, 36),
            "is missing": ({k: v for k, v in good.items() if k != "layers.0.dense.bias"}, 24),
            "wrong shape": ({**good, "layers.0.dense.kernel": f32([2, 3], 0, 24)}, 32),
            "has no 'novolstm'": ({k: v for k, v in good.items() if k != "__metadata__"}, 32),
        }
        for message, (header, size) in cases.items():
            with self.subTest(message):
                with self.assertRaisesRegex(files.NovolstmFileError, message):
                    self.read_bytes(container(header, bytes(size)))
        huge = struct.pack("<Q", 2**40) + b"{}"
        with self.assertRaisesRegex(files.NovolstmFileError, "header length"):
            self.read_bytes(huge)


if __name__ == "__main__":
    unittest.main()
