"""novolstm's NovoLSTM as a Keras 3 cell, for the ``.keras`` files novolstm exports.

``novolstm export --format keras`` writes every NovoLSTM variant other than the seed author's cell as
``RNN(NovoLSTMCell)`` with ``{"module": "novolstm.keras", "registered_name": "novolstm>NovoLSTMCell"}``.
Importing this module registers the class, so ``keras.saving.load_model("model.keras")`` finds it.

Config: ``units``, ``input_gate`` ('readme' | 'reference'), ``layer_norm`` ('input_gate' | 'all'),
``input_gate_gain`` ('units' | 'ones': the initial LN_i gain), ``dropout``, ``recurrent_dropout``.

Variables, in creation order (= the ``.keras`` file's ``cell/vars/0…``), novolstm's own layout:
    0 kernel            (D, 5u)   blocks i f c o i'
    1 recurrent_kernel  (u, 5u) with input_gate 'readme', (u, 4u) with 'reference' (no i' block)
    2 bias              (5u,)
    3 gamma, 4 beta     (u,)      LN_i's gain and shift
    5 gate_gamma, 6 gate_beta  (4, u), layer_norm 'all' only: rows f, c, o, cell
The equations are those of novolstm.torch.NovoLSTM (see its module docstring); LN uses the population
variance and ε = 1e-3.

Dropout: the rates are kept in the config, and inference ignores them as Keras does; training with a
non-zero rate is refused (this cell does not draw Keras' per-sequence dropout masks).
"""

from __future__ import annotations

import keras
from keras import ops

LAYER_NORM_EPSILON = 1e-3


def _layer_norm(x, gamma, beta):
    mean = ops.mean(x, axis=-1, keepdims=True)
    variance = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) * ops.rsqrt(variance + LAYER_NORM_EPSILON) * gamma + beta


@keras.saving.register_keras_serializable(package="novolstm", name="NovoLSTMCell")
class NovoLSTMCell(keras.layers.Layer):
    def __init__(
        self,
        units,
        input_gate="readme",
        layer_norm="input_gate",
        input_gate_gain=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"NovoLSTMCell: units must be a positive integer, got {units!r}")
        if input_gate not in ("readme", "reference"):
            raise ValueError(f"NovoLSTMCell: input_gate must be 'readme' or 'reference', got {input_gate!r}")
        if layer_norm not in ("input_gate", "all"):
            raise ValueError(f"NovoLSTMCell: layer_norm must be 'input_gate' or 'all', got {layer_norm!r}")
        if input_gate_gain is None:
            input_gate_gain = "units" if input_gate == "readme" else "ones"
        if input_gate_gain not in ("units", "ones"):
            raise ValueError(f"NovoLSTMCell: input_gate_gain must be 'units' or 'ones', got {input_gate_gain!r}")
        self.units = units
        self.input_gate = input_gate
        self.layer_norm = layer_norm
        self.input_gate_gain = input_gate_gain
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        D, u = input_shape[-1], self.units
        R = 5 * u if self.input_gate == "readme" else 4 * u

        def bias_initializer(shape, dtype=None):
            # Keras' unit forget bias: the f block (the second) starts at 1.
            return ops.concatenate([ops.zeros((u,)), ops.ones((u,)), ops.zeros((3 * u,))])

        self.kernel = self.add_weight(shape=(D, 5 * u), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(u, R), initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight(shape=(5 * u,), initializer=bias_initializer, name="bias")
        gain = float(u) if self.input_gate_gain == "units" else 1.0
        self.gamma = self.add_weight(shape=(u,), initializer=keras.initializers.Constant(gain), name="gamma")
        self.beta = self.add_weight(shape=(u,), initializer="zeros", name="beta")
        if self.layer_norm == "all":
            self.gate_gamma = self.add_weight(shape=(4, u), initializer="ones", name="gate_gamma")
            self.gate_beta = self.add_weight(shape=(4, u), initializer="zeros", name="gate_beta")
        self.built = True

    def call(self, inputs, states, training=False):
        if training and (self.dropout > 0 or self.recurrent_dropout > 0):
            raise ValueError(
                f"NovoLSTMCell '{self.name}': training with dropout {self.dropout} / recurrent_dropout "
                f"{self.recurrent_dropout} is not implemented in this cell — expected 0, or train in novolstm"
            )
        h_prev, c_prev = states
        u = self.units
        z = ops.matmul(inputs, self.kernel) + self.bias  # [B, 5u]
        r = ops.matmul(h_prev, self.recurrent_kernel)  # [B, R]
        a_i = z[:, :u] + r[:, :u]
        a_f = z[:, u : 2 * u] + r[:, u : 2 * u]
        a_c = z[:, 2 * u : 3 * u] + r[:, 2 * u : 3 * u]
        a_o = z[:, 3 * u : 4 * u] + r[:, 3 * u : 4 * u]
        a_i2 = z[:, 4 * u :] + r[:, 4 * u :] if self.input_gate == "readme" else z[:, 4 * u :]
        if self.layer_norm == "all":
            a_f = _layer_norm(a_f, self.gate_gamma[0], self.gate_beta[0])
            a_c = _layer_norm(a_c, self.gate_gamma[1], self.gate_beta[1])
            a_o = _layer_norm(a_o, self.gate_gamma[2], self.gate_beta[2])
        f = ops.sigmoid(a_f)
        g = ops.tanh(a_c)
        o = ops.sigmoid(a_o)
        sig = ops.sigmoid(a_i)
        soft = ops.softmax(a_i2, axis=-1)
        if self.input_gate == "readme":
            i = _layer_norm(sig, self.gamma, self.beta) * soft
        else:
            i = _layer_norm(sig * soft, self.gamma, self.beta)
        c = f * c_prev + i * g
        cell_out = _layer_norm(c, self.gate_gamma[3], self.gate_beta[3]) if self.layer_norm == "all" else c
        h = o * ops.tanh(cell_out)
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "input_gate": self.input_gate,
            "layer_norm": self.layer_norm,
            "input_gate_gain": self.input_gate_gain,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


__all__ = ["NovoLSTMCell"]
