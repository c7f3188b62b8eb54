"""novolstm.keras.NovoLSTMCell inside Keras' RNN against novolstm.torch.NovoLSTM (itself checked against
novolstm in test/interop-python.test.ts), every variant, the same weights; and its config round trip.
Needs Keras 3 and torch; skipped, saying why, where either is missing (no Keras on Debian, none on PyPI-less
CI machines)."""

import unittest

import numpy as np

try:
    import keras

    MISSING = None if int(keras.__version__.split(".")[0]) >= 3 else f"Keras {keras.__version__} is not Keras 3"
except ImportError as e:
    MISSING = f"Keras 3 is not installed ({e})"

try:
    import torch
except ImportError as e:
    MISSING = MISSING or f"torch is not installed ({e})"

TOLERANCE = 1e-5
VARIANTS = [("readme", "input_gate"), ("reference", "input_gate"), ("readme", "all"), ("reference", "all")]


@unittest.skipIf(MISSING, f"the Keras cell was not tested: {MISSING}")
class KerasCellTest(unittest.TestCase):
    def test_every_variant_predicts_what_the_torch_module_predicts(self):
        from novolstm.keras import NovoLSTMCell
        from novolstm.torch import NovoLSTM

        rng = np.random.default_rng(3)
        B, T, D, u = 3, 7, 5, 6
        x = rng.uniform(-1, 1, (B, T, D)).astype(np.float32)
        for input_gate, layer_norm in VARIANTS:
            with self.subTest(input_gate=input_gate, layer_norm=layer_norm):
                ours = "inputGate" if layer_norm == "input_gate" else "all"
                module = NovoLSTM(D, u, input_gate=input_gate, layer_norm=ours, return_sequences=True)
                weights = {k: rng.normal(0, 0.5, v.shape).astype(np.float32) for k, v in module.get_weights().items()}
                module.set_weights(weights)
                with torch.no_grad():
                    expected = module(torch.from_numpy(x), None)[0].numpy()
                layer = keras.layers.RNN(
                    NovoLSTMCell(u, input_gate=input_gate, layer_norm=layer_norm), return_sequences=True
                )
                layer.build((None, T, D))
                order = ["kernel", "recurrentKernel", "bias", "gamma", "beta", "gateGamma", "gateBeta"]
                layer.set_weights([weights[k] for k in order if k in weights])
                actual = np.asarray(layer(x))
                self.assertLess(float(np.abs(actual - expected).max()), TOLERANCE)

    def test_config_round_trips_under_the_registered_name(self):
        from novolstm.keras import NovoLSTMCell

        cell = NovoLSTMCell(4, input_gate="reference", layer_norm="all", dropout=0.25)
        self.assertEqual(keras.saving.get_registered_name(NovoLSTMCell), "novolstm>NovoLSTMCell")
        again = NovoLSTMCell.from_config(cell.get_config())
        self.assertEqual(again.get_config(), cell.get_config())
        with self.assertRaisesRegex(ValueError, "layer_norm must be"):
            NovoLSTMCell(4, layer_norm="everywhere")


if __name__ == "__main__":
    unittest.main()
