"""novolstm.torch's model builder refuses what it cannot compute, naming the layer and the option (the
outputs themselves are checked against novolstm in test/interop-python.test.ts). Needs torch."""

import unittest

try:
    import torch  # noqa: F401

    MISSING = None
except ImportError as e:
    MISSING = f"torch is not installed ({e})"


def description(layers, input_shape):
    return {"model": {"inputShape": input_shape, "layers": layers}}


LSTM_CONFIG = {
    "units": 3,
    "returnSequences": False,
    "goBackwards": False,
    "stateful": False,
    "returnState": False,
    "dropout": 0,
    "recurrentDropout": 0,
}


@unittest.skipIf(MISSING, f"not tested: {MISSING}")
class BuilderTest(unittest.TestCase):
    def build(self, class_name, config, input_shape=(None, 4)):
        from novolstm.torch import Sequential

        return Sequential(description([{"className": class_name, "name": "x", "config": config}], list(input_shape)))

    def test_refusals_name_the_layer_and_option(self):
        from novolstm.torch import UnsupportedModelError

        cases = [
            ("LSTM", {**LSTM_CONFIG, "recurrentActivation": "hardSigmoid"}, "LSTM 'x': recurrentActivation"),
            ("GRU", {**LSTM_CONFIG, "resetAfter": False, "recurrentActivation": "hardSigmoid"}, "GRU 'x': recurrentActivation"),
            ("LSTM", {**LSTM_CONFIG, "recurrentDropout": 0.2}, "LSTM 'x': recurrentDropout"),
            ("LSTM", {**LSTM_CONFIG, "unroll": True}, "LSTM 'x': options this package does not implement .* got unroll"),
            ("Dense", {"units": 2, "activation": "gelu", "useBias": True}, "Dense 'x': unknown activation"),
            ("Conv1D", {}, "Conv1D 'x': this layer class has no PyTorch counterpart"),
        ]
        for class_name, config, message in cases:
            with self.subTest(message):
                with self.assertRaisesRegex(UnsupportedModelError, message):
                    self.build(class_name, config)

    def test_sigmoid_recurrent_activation_is_accepted(self):
        model = self.build("LSTM", {**LSTM_CONFIG, "recurrentActivation": "sigmoid"})
        self.assertEqual(sorted(model.get_weights()), ["x/bias", "x/kernel", "x/recurrentKernel"])


if __name__ == "__main__":
    unittest.main()
