"""novolstm's models in PyTorch: the same weights, the same equations, the same outputs (to 1e-5).

Sizes: B = batch rows, T = steps, D = input features, u = units. Layout is batch-major, [B, T, D], as in
novolstm and Keras. Weights keep novolstm's (Keras') layout: a kernel is [D, P], a recurrent kernel [u, R].

NovoLSTM (novolstm's src/kernels/reference/lstm.ts; pre-activations a = x_t·W + h_{t−1}·U + b in the gate
blocks ``i f c o i'``):
    f = σ(a_f),  g = tanh(a_c),  o = σ(a_o)
    input_gate 'readme':     i = LN_i(σ(a_i)) ⊙ softmax(a_i')      a_i' has a recurrent block (U is [u, 5u])
    input_gate 'reference':  i = LN_i(σ(a_i) ⊙ softmax(a_i'))      a_i' = x_t·W_i' + b_i' (U is [u, 4u])
    c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
    layer_norm 'all' adds LN to a_f, a_c, a_o before their activations and to c_t inside the tanh (the carried
    c_t stays unnormalised); gains/shifts ``gate_gamma``/``gate_beta`` [4, u], rows f, c, o, cell.
LN: population variance over the units, ε = 1e-3.

The LSTM and the GRU with ``reset_after`` run on ``torch.nn.LSTM`` / ``torch.nn.GRU``: Keras' gate order i f c o
is torch's i f g o; the GRU's z r h is torch's r z n (blocks swapped by the conversion functions below); torch's
GRU is the reset-after GRU. The reset-before GRU (``resetAfter: false``) is a small module of its own.

Masks (from Embedding(mask_zero) or Masking) follow novolstm: at a padded step a recurrent layer keeps its
state and outputs zeros; without return_sequences it returns the state after each row's last real step.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import files

LAYER_NORM_EPSILON = 1e-3

States = Tuple[torch.Tensor, ...]


class UnsupportedModelError(ValueError):
    """A layer or option this package does not build; names the layer, the option, expected and actual."""

    def __init__(self, layer: str, problem: str, expected: object, actual: object):
        super().__init__(f"{layer}: {problem} — expected {expected}, got {actual}")


# ---------------------------------------------------------------------------------------------------------
# Conversions between novolstm's (Keras') recurrent weights and torch.nn.LSTM / torch.nn.GRU.


def lstm_to_torch(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> Dict[str, torch.Tensor]:
    """kernel [D, 4u], recurrent_kernel [u, 4u], bias [4u] (gates i f c o) → torch.nn.LSTM's layer-0 weights.

    torch adds two biases; the recurrent one is zero here (LSTM below keeps it frozen at zero)."""
    b = torch.from_numpy(np.array(bias, dtype=np.float32))
    return {
        "weight_ih_l0": torch.from_numpy(np.array(kernel, dtype=np.float32).T.copy()),
        "weight_hh_l0": torch.from_numpy(np.array(recurrent_kernel, dtype=np.float32).T.copy()),
        "bias_ih_l0": b,
        "bias_hh_l0": torch.zeros_like(b),
    }


def lstm_from_torch(rnn: nn.LSTM) -> Dict[str, np.ndarray]:
    """torch.nn.LSTM's layer-0 weights → kernel, recurrentKernel, bias (the two torch biases summed)."""
    return {
        "kernel": rnn.weight_ih_l0.detach().numpy().T.copy(),
        "recurrentKernel": rnn.weight_hh_l0.detach().numpy().T.copy(),
        "bias": (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy().copy(),
    }


def _zrh_to_rzn(blocks: np.ndarray, u: int) -> np.ndarray:
    """Swaps the first two u-wide blocks of the last axis: Keras' z r h ↔ torch's r z n (its own inverse)."""
    return np.concatenate([blocks[..., u : 2 * u], blocks[..., :u], blocks[..., 2 * u :]], axis=-1)


def gru_to_torch(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> Dict[str, torch.Tensor]:
    """A reset-after GRU's kernel [D, 3u], recurrent_kernel [u, 3u], bias [2, 3u] (input row, recurrent row)
    → torch.nn.GRU's layer-0 weights."""
    u = recurrent_kernel.shape[0]
    if np.shape(bias) != (2, 3 * u):
        raise UnsupportedModelError("GRU", "torch.nn.GRU is the reset-after GRU: bias must be [2, 3u]", [2, 3 * u], list(np.shape(bias)))
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    return {
        "weight_ih_l0": t(_zrh_to_rzn(np.asarray(kernel), u).T),
        "weight_hh_l0": t(_zrh_to_rzn(np.asarray(recurrent_kernel), u).T),
        "bias_ih_l0": t(_zrh_to_rzn(np.asarray(bias)[0], u)),
        "bias_hh_l0": t(_zrh_to_rzn(np.asarray(bias)[1], u)),
    }


def gru_from_torch(rnn: nn.GRU) -> Dict[str, np.ndarray]:
    """torch.nn.GRU's layer-0 weights → kernel, recurrentKernel, bias [2, 3u] (reset-after, Keras' z r h)."""
    u = rnn.hidden_size
    n = lambda p: p.detach().numpy()  # noqa: E731
    return {
        "kernel": _zrh_to_rzn(n(rnn.weight_ih_l0).T, u).copy(),
        "recurrentKernel": _zrh_to_rzn(n(rnn.weight_hh_l0).T, u).copy(),
        "bias": np.stack([_zrh_to_rzn(n(rnn.bias_ih_l0), u), _zrh_to_rzn(n(rnn.bias_hh_l0), u)]),
    }


# ---------------------------------------------------------------------------------------------------------
# Recurrent layers. Each has weights by novolstm's names, an input projection and one step; the sequence
# loop (masks, go_backwards, stateful carry, input dropout) is shared.


def _layer_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = LAYER_NORM_EPSILON) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)


class Recurrent(nn.Module):
    """The sequence options every recurrent layer shares, and the loop over steps."""

    def __init__(self, label: str, units: int, return_sequences: bool, go_backwards: bool, stateful: bool, dropout: float):
        super().__init__()
        self.label = label
        self.units = units
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.dropout = dropout
        self._states: Optional[States] = None

    # Subclasses define:
    num_states = 1

    def step(self, x_t: torch.Tensor, states: States) -> Tuple[torch.Tensor, States]:  # pragma: no cover
        raise NotImplementedError

    def run_unmasked(self, x: torch.Tensor, states: States) -> Optional[Tuple[torch.Tensor, States]]:
        """A faster whole-sequence path for unmasked input in processing order, or None to use step()."""
        return None

    def reset_states(self) -> None:
        self._states = None

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        B, T = x.shape[0], x.shape[1]
        if self.training and self.dropout > 0:
            # Variational input dropout: one mask per sequence, the same at every step (as novolstm and Keras).
            keep = torch.bernoulli(torch.full((B, 1, x.shape[2]), 1 - self.dropout, dtype=x.dtype, device=x.device))
            x = x * keep / (1 - self.dropout)
        states = self._initial_states(B, x)
        xs = torch.flip(x, [1]) if self.go_backwards else x
        ms = None if mask is None else (torch.flip(mask, [1]) if self.go_backwards else mask)
        fast = self.run_unmasked(xs, states) if ms is None else None
        if fast is not None:
            y, states = fast
        else:
            outputs: List[torch.Tensor] = []
            for t in range(T):
                h, new_states = self.step(xs[:, t], states)
                if ms is not None:
                    m = ms[:, t].unsqueeze(1)
                    new_states = tuple(torch.where(m, n, s) for n, s in zip(new_states, states))
                    h = torch.where(m, h, torch.zeros_like(h))
                states = new_states
                outputs.append(h)
            y = torch.stack(outputs, 1)
        if self.stateful:
            self._states = tuple(s.detach() for s in states)
        if self.return_sequences:
            return y, ms  # in processing order, as novolstm and Keras; the mask flipped to match
        return states[0], None

    def _initial_states(self, B: int, like: torch.Tensor) -> States:
        if self.stateful and self._states is not None:
            if self._states[0].shape[0] != B:
                raise UnsupportedModelError(
                    self.label, "a stateful layer needs the same batch size every batch (or reset_states())", self._states[0].shape[0], B
                )
            return self._states
        return tuple(torch.zeros(B, self.units, dtype=like.dtype, device=like.device) for _ in range(self.num_states))


class NovoLSTM(Recurrent):
    """NovoLSTM, every variant, in novolstm's weight layout (see the module docstring)."""

    num_states = 2

    def __init__(
        self,
        input_size: int,
        units: int,
        input_gate: str = "readme",
        layer_norm: str = "inputGate",
        return_sequences: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        dropout: float = 0.0,
        label: str = "NovoLSTM",
    ):
        super().__init__(label, units, return_sequences, go_backwards, stateful, dropout)
        if input_gate not in ("readme", "reference"):
            raise UnsupportedModelError(label, "unknown inputGate", "'readme' or 'reference'", input_gate)
        if layer_norm not in ("inputGate", "all"):
            raise UnsupportedModelError(label, "unknown layerNorm", "'inputGate' or 'all'", layer_norm)
        u = units
        self.input_gate = input_gate
        self.layer_norm = layer_norm
        P = 5 * u
        R = 5 * u if input_gate == "readme" else 4 * u
        self.kernel = nn.Parameter(torch.zeros(input_size, P))  # [D, 5u], blocks i f c o i'
        self.recurrent_kernel = nn.Parameter(torch.zeros(u, R))  # [u, R]
        self.bias = nn.Parameter(torch.zeros(P))  # [5u]
        self.gamma = nn.Parameter(torch.ones(u))  # LN_i gain [u]
        self.beta = nn.Parameter(torch.zeros(u))  # LN_i shift [u]
        if layer_norm == "all":
            self.gate_gamma = nn.Parameter(torch.ones(4, u))  # rows f, c, o, cell
            self.gate_beta = nn.Parameter(torch.zeros(4, u))

    WEIGHTS = {
        "kernel": "kernel",
        "recurrentKernel": "recurrent_kernel",
        "bias": "bias",
        "gamma": "gamma",
        "beta": "beta",
        "gateGamma": "gate_gamma",
        "gateBeta": "gate_beta",
    }

    def get_weights(self) -> Dict[str, np.ndarray]:
        return {ours: getattr(self, mine).detach().numpy().copy() for ours, mine in self.WEIGHTS.items() if hasattr(self, mine)}

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            for ours, mine in self.WEIGHTS.items():
                if hasattr(self, mine):
                    getattr(self, mine).copy_(torch.from_numpy(np.asarray(weights[ours], dtype=np.float32)))

    def step(self, x_t: torch.Tensor, states: States) -> Tuple[torch.Tensor, States]:
        h_prev, c_prev = states
        u = self.units
        z = x_t @ self.kernel + self.bias  # [B, 5u]
        r = h_prev @ self.recurrent_kernel  # [B, R]
        a_i = z[:, :u] + r[:, :u]
        a_f = z[:, u : 2 * u] + r[:, u : 2 * u]
        a_c = z[:, 2 * u : 3 * u] + r[:, 2 * u : 3 * u]
        a_o = z[:, 3 * u : 4 * u] + r[:, 3 * u : 4 * u]
        a_i2 = z[:, 4 * u :] + r[:, 4 * u :] if self.input_gate == "readme" else z[:, 4 * u :]
        if self.layer_norm == "all":
            a_f = _layer_norm(a_f, self.gate_gamma[0], self.gate_beta[0])
            a_c = _layer_norm(a_c, self.gate_gamma[1], self.gate_beta[1])
            a_o = _layer_norm(a_o, self.gate_gamma[2], self.gate_beta[2])
        f = torch.sigmoid(a_f)
        g = torch.tanh(a_c)
        o = torch.sigmoid(a_o)
        sig = torch.sigmoid(a_i)
        soft = torch.softmax(a_i2, dim=-1)
        if self.input_gate == "readme":
            i = _layer_norm(sig, self.gamma, self.beta) * soft
        else:
            i = _layer_norm(sig * soft, self.gamma, self.beta)
        c = f * c_prev + i * g
        cell_out = _layer_norm(c, self.gate_gamma[3], self.gate_beta[3]) if self.layer_norm == "all" else c
        h = o * torch.tanh(cell_out)
        return h, (h, c)


class LSTM(Recurrent):
    """The standard LSTM on torch.nn.LSTM; its recurrent bias is frozen at zero so that the weights stay
    exactly novolstm's (one bias)."""

    num_states = 2

    def __init__(self, input_size: int, units: int, return_sequences=False, go_backwards=False, stateful=False, dropout=0.0, label="LSTM"):
        super().__init__(label, units, return_sequences, go_backwards, stateful, dropout)
        self.rnn = nn.LSTM(input_size, units, batch_first=True)
        with torch.no_grad():
            self.rnn.bias_hh_l0.zero_()
        self.rnn.bias_hh_l0.requires_grad_(False)

    def get_weights(self) -> Dict[str, np.ndarray]:
        return lstm_from_torch(self.rnn)

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        self.rnn.load_state_dict(lstm_to_torch(weights["kernel"], weights["recurrentKernel"], weights["bias"]))

    def run_unmasked(self, x: torch.Tensor, states: States):
        y, (h, c) = self.rnn(x, (states[0].unsqueeze(0), states[1].unsqueeze(0)))
        return y, (h[0], c[0])

    def step(self, x_t: torch.Tensor, states: States):
        y, (h, c) = self.rnn(x_t.unsqueeze(1), (states[0].unsqueeze(0), states[1].unsqueeze(0)))
        return y[:, 0], (h[0], c[0])


class GRU(Recurrent):
    """The reset-after GRU (novolstm's ``resetAfter: true``, Keras' default) on torch.nn.GRU."""

    def __init__(self, input_size: int, units: int, return_sequences=False, go_backwards=False, stateful=False, dropout=0.0, label="GRU"):
        super().__init__(label, units, return_sequences, go_backwards, stateful, dropout)
        self.rnn = nn.GRU(input_size, units, batch_first=True)

    def get_weights(self) -> Dict[str, np.ndarray]:
        return gru_from_torch(self.rnn)

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        self.rnn.load_state_dict(gru_to_torch(weights["kernel"], weights["recurrentKernel"], weights["bias"]))

    def run_unmasked(self, x: torch.Tensor, states: States):
        y, h = self.rnn(x, states[0].unsqueeze(0))
        return y, (h[0],)

    def step(self, x_t: torch.Tensor, states: States):
        y, h = self.rnn(x_t.unsqueeze(1), states[0].unsqueeze(0))
        return y[:, 0], (h[0],)


class GRUResetBefore(Recurrent):
    """The original GRU (novolstm's ``resetAfter: false``, TensorFlow.js' only GRU), which torch.nn.GRU is not:
        z = σ(x·W_z + b_z + h·U_z),  r = σ(x·W_r + b_r + h·U_r),  ĥ = tanh(x·W_h + b_h + (r ⊙ h)·U_h)
        h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ
    kernel [D, 3u], recurrent_kernel [u, 3u], bias [3u], blocks z r h."""

    def __init__(self, input_size: int, units: int, return_sequences=False, go_backwards=False, stateful=False, dropout=0.0, label="GRU"):
        super().__init__(label, units, return_sequences, go_backwards, stateful, dropout)
        self.kernel = nn.Parameter(torch.zeros(input_size, 3 * units))
        self.recurrent_kernel = nn.Parameter(torch.zeros(units, 3 * units))
        self.bias = nn.Parameter(torch.zeros(3 * units))

    def get_weights(self) -> Dict[str, np.ndarray]:
        return {
            "kernel": self.kernel.detach().numpy().copy(),
            "recurrentKernel": self.recurrent_kernel.detach().numpy().copy(),
            "bias": self.bias.detach().numpy().copy(),
        }

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            self.kernel.copy_(torch.from_numpy(np.asarray(weights["kernel"], dtype=np.float32)))
            self.recurrent_kernel.copy_(torch.from_numpy(np.asarray(weights["recurrentKernel"], dtype=np.float32)))
            self.bias.copy_(torch.from_numpy(np.asarray(weights["bias"], dtype=np.float32)))

    def step(self, x_t: torch.Tensor, states: States):
        (h_prev,) = states
        u = self.units
        zx = x_t @ self.kernel + self.bias
        U = self.recurrent_kernel
        z = torch.sigmoid(zx[:, :u] + h_prev @ U[:, :u])
        r = torch.sigmoid(zx[:, u : 2 * u] + h_prev @ U[:, u : 2 * u])
        candidate = torch.tanh(zx[:, 2 * u :] + (r * h_prev) @ U[:, 2 * u :])
        h = z * h_prev + (1 - z) * candidate
        return h, (h,)


# ---------------------------------------------------------------------------------------------------------
# The other layers. Each takes (x, mask) and returns (y, mask); weights by novolstm's names.


class Bidirectional(nn.Module):
    """Both directions; with return_sequences both outputs in input time order, then merged."""

    def __init__(self, forward_layer: Recurrent, backward_layer: Recurrent, merge_mode: str, label: str):
        super().__init__()
        if merge_mode not in ("concat", "sum", "mul", "ave"):
            raise UnsupportedModelError(label, "unknown mergeMode", "concat, sum, mul or ave", merge_mode)
        self.forward_layer = forward_layer
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode

    def get_weights(self) -> Dict[str, np.ndarray]:
        out = {f"forward/{k}": v for k, v in self.forward_layer.get_weights().items()}
        out.update({f"backward/{k}": v for k, v in self.backward_layer.get_weights().items()})
        return out

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        for prefix, layer in (("forward/", self.forward_layer), ("backward/", self.backward_layer)):
            layer.set_weights({k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)})

    def reset_states(self) -> None:
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]):
        f, _ = self.forward_layer(x, mask)
        b, _ = self.backward_layer(x, mask)
        sequences = self.forward_layer.return_sequences
        if sequences and self.forward_layer.go_backwards:
            f = torch.flip(f, [1])
        if sequences and self.backward_layer.go_backwards:
            b = torch.flip(b, [1])
        if self.merge_mode == "concat":
            y = torch.cat([f, b], -1)
        elif self.merge_mode == "sum":
            y = f + b
        elif self.merge_mode == "mul":
            y = f * b
        else:
            y = (f + b) / 2
        return y, (mask if sequences else None)


class Embedding(nn.Module):
    def __init__(self, input_dim: int, output_dim: int, mask_zero: bool):
        super().__init__()
        self.embeddings = nn.Parameter(torch.zeros(input_dim, output_dim))
        self.mask_zero = mask_zero

    def get_weights(self):
        return {"embeddings": self.embeddings.detach().numpy().copy()}

    def set_weights(self, weights):
        with torch.no_grad():
            self.embeddings.copy_(torch.from_numpy(np.asarray(weights["embeddings"], dtype=np.float32)))

    def forward(self, ids: torch.Tensor, mask: Optional[torch.Tensor]):
        ids = ids.long()
        return F.embedding(ids, self.embeddings), (ids != 0 if self.mask_zero else None)


_ACTIVATIONS: Dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}


class Dense(nn.Module):
    """y = activation(x·kernel + bias) on the last axis (so on every step of a sequence)."""

    def __init__(self, input_size: int, units: int, activation: str, use_bias: bool, label: str):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise UnsupportedModelError(label, "unknown activation", ", ".join(_ACTIVATIONS), activation)
        self.activation = activation
        self.kernel = nn.Parameter(torch.zeros(input_size, units))
        self.bias = nn.Parameter(torch.zeros(units)) if use_bias else None

    def get_weights(self):
        out = {"kernel": self.kernel.detach().numpy().copy()}
        if self.bias is not None:
            out["bias"] = self.bias.detach().numpy().copy()
        return out

    def set_weights(self, weights):
        with torch.no_grad():
            self.kernel.copy_(torch.from_numpy(np.asarray(weights["kernel"], dtype=np.float32)))
            if self.bias is not None:
                self.bias.copy_(torch.from_numpy(np.asarray(weights["bias"], dtype=np.float32)))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        y = x @ self.kernel
        return y + self.bias if self.bias is not None else y

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]):
        return _ACTIVATIONS[self.activation](self.logits(x)), mask


class LayerNormalization(nn.Module):
    def __init__(self, features: int, epsilon: float):
        super().__init__()
        self.epsilon = epsilon
        self.gamma = nn.Parameter(torch.ones(features))
        self.beta = nn.Parameter(torch.zeros(features))

    def get_weights(self):
        return {"gamma": self.gamma.detach().numpy().copy(), "beta": self.beta.detach().numpy().copy()}

    def set_weights(self, weights):
        with torch.no_grad():
            self.gamma.copy_(torch.from_numpy(np.asarray(weights["gamma"], dtype=np.float32)))
            self.beta.copy_(torch.from_numpy(np.asarray(weights["beta"], dtype=np.float32)))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]):
        return _layer_norm(x, self.gamma, self.beta, self.epsilon), mask


class Dropout(nn.Module):
    def __init__(self, rate: float):
        super().__init__()
        self.dropout = nn.Dropout(rate)

    def get_weights(self):
        return {}

    def set_weights(self, weights):
        pass

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]):
        return self.dropout(x), mask


class Masking(nn.Module):
    """A step whose features all equal mask_value is padding; padding steps are zeroed (Keras' Masking)."""

    def __init__(self, mask_value: float):
        super().__init__()
        self.mask_value = mask_value

    def get_weights(self):
        return {}

    def set_weights(self, weights):
        pass

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]):
        keep = (x != self.mask_value).any(-1)
        return x * keep.unsqueeze(-1).to(x.dtype), keep


# ---------------------------------------------------------------------------------------------------------
# The model.


class Sequential(nn.Module):
    """A novolstm Sequential model rebuilt from its description; ``forward(x)`` returns what novolstm's
    ``predict`` returns, ``forward(x, logits=True)`` the last Dense layer's pre-activation (for a loss)."""

    def __init__(self, description: dict):
        super().__init__()
        self.description = description
        model = description["model"]
        shape = list(model["inputShape"])
        self.names: List[str] = []
        layers: List[nn.Module] = []
        for saved in model["layers"]:
            layer, shape = _build_layer(saved["className"], saved["name"], saved["config"], shape)
            layers.append(layer)
            self.names.append(saved["name"])
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        mask = None
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            if k == last and logits:
                if not isinstance(layer, Dense):
                    raise UnsupportedModelError(self.names[k], "logits need a final Dense layer", "Dense", type(layer).__name__)
                return layer.logits(x)
            x, mask = layer(x, mask)
        return x

    def reset_states(self) -> None:
        for layer in self.layers:
            if hasattr(layer, "reset_states"):
                layer.reset_states()

    def get_weights(self) -> Dict[str, np.ndarray]:
        """Every weight by novolstm's name (``<layer>/<weight>``), in novolstm's layout."""
        out: Dict[str, np.ndarray] = {}
        for name, layer in zip(self.names, self.layers):
            out.update({f"{name}/{k}": v for k, v in layer.get_weights().items()})
        return out

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        for name, layer in zip(self.names, self.layers):
            prefix = f"{name}/"
            layer.set_weights({k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)})


def _build_layer(class_name: str, name: str, config: dict, shape: List[Optional[int]]) -> Tuple[nn.Module, List[Optional[int]]]:
    """One layer for input shape ``shape`` (per sample: [T] of ids, or [T, D]); returns it and its output shape."""
    label = f"{class_name} '{name}'"
    if class_name == "Embedding":
        return Embedding(config["inputDim"], config["outputDim"], bool(config["maskZero"])), shape + [config["outputDim"]]
    if class_name in ("LSTM", "NovoLSTM", "GRU"):
        layer = _recurrent(class_name, config, shape[-1], label, go_backwards=bool(config["goBackwards"]))
        u = config["units"]
        return layer, (shape[:-1] + [u] if config["returnSequences"] else [u])
    if class_name == "Bidirectional":
        inner = config["layer"]
        c = inner["config"]
        forward = _recurrent(inner["className"], c, shape[-1], f"{label} forward", go_backwards=bool(c["goBackwards"]))
        backward = _recurrent(inner["className"], c, shape[-1], f"{label} backward", go_backwards=not c["goBackwards"])
        u = c["units"]
        width = 2 * u if config["mergeMode"] == "concat" else u
        return Bidirectional(forward, backward, config["mergeMode"], label), (shape[:-1] + [width] if c["returnSequences"] else [width])
    if class_name == "Dense":
        return Dense(shape[-1], config["units"], config["activation"], bool(config["useBias"]), label), shape[:-1] + [config["units"]]
    if class_name == "LayerNormalization":
        return LayerNormalization(shape[-1], float(config["epsilon"])), shape
    if class_name == "Dropout":
        return Dropout(float(config["rate"])), shape
    if class_name == "Masking":
        return Masking(float(config["maskValue"])), shape
    raise UnsupportedModelError(label, "this layer class has no PyTorch counterpart here", "Embedding, LSTM, NovoLSTM, GRU, Bidirectional, Dense, LayerNormalization, Dropout, Masking", class_name)


_RECURRENT_KEYS = {"units", "returnSequences", "goBackwards", "stateful", "returnState", "dropout", "recurrentDropout"}
# recurrentActivation: saved by novolstm versions that offer TensorFlow.js' hard sigmoid on LSTM and GRU.
_CELL_KEYS = {
    "LSTM": {"recurrentActivation"},
    "NovoLSTM": {"inputGate", "layerNorm", "inputGateGain", "recurrentActivation"},
    "GRU": {"resetAfter", "recurrentActivation"},
}


def _recurrent(class_name: str, config: dict, input_size: Optional[int], label: str, go_backwards: bool) -> Recurrent:
    if class_name not in _CELL_KEYS:
        raise UnsupportedModelError(label, "unknown recurrent layer", "LSTM, NovoLSTM or GRU", class_name)
    unknown = set(config) - _RECURRENT_KEYS - _CELL_KEYS[class_name]
    if unknown:
        # A newer novolstm may add options (e.g. recurrentActivation); refuse rather than compute something else.
        raise UnsupportedModelError(label, "options this package does not implement", "none", ", ".join(sorted(unknown)))
    if config.get("recurrentActivation", "sigmoid") != "sigmoid":
        # torch.nn.LSTM / GRU have the sigmoid only; a model must not load and then predict differently.
        raise UnsupportedModelError(label, "recurrentActivation is not supported in PyTorch here", "'sigmoid'", config["recurrentActivation"])
    if config.get("returnState"):
        raise UnsupportedModelError(label, "returnState is not supported in a Sequential", False, True)
    if config.get("recurrentDropout", 0) != 0:
        raise UnsupportedModelError(label, "recurrentDropout is not implemented in PyTorch here", 0, config["recurrentDropout"])
    if input_size is None:
        raise UnsupportedModelError(label, "the input's feature count must be known", "a number", None)
    common = dict(
        return_sequences=bool(config["returnSequences"]),
        go_backwards=go_backwards,
        stateful=bool(config["stateful"]),
        dropout=float(config.get("dropout", 0)),
        label=label,
    )
    u = config["units"]
    if class_name == "NovoLSTM":
        return NovoLSTM(input_size, u, input_gate=config["inputGate"], layer_norm=config["layerNorm"], **common)
    if class_name == "LSTM":
        return LSTM(input_size, u, **common)
    if config.get("resetAfter", True):
        return GRU(input_size, u, **common)
    return GRUResetBefore(input_size, u, **common)


def load_model(path: str) -> Sequential:
    """The model of a novolstm safetensors file, its weights set, in eval mode."""
    description, weights = files.read(path)
    model = Sequential(description)
    model.set_weights(weights)
    return model.eval()


def save_model(model: Sequential, path: str, description: Optional[dict] = None) -> None:
    """Writes the model's weights under its description (novolstm's names and layout), atomically."""
    files.write(path, description or model.description, model.get_weights())


__all__: Sequence[str] = [
    "NovoLSTM",
    "LSTM",
    "GRU",
    "GRUResetBefore",
    "Bidirectional",
    "Dense",
    "Embedding",
    "LayerNormalization",
    "Dropout",
    "Masking",
    "Sequential",
    "load_model",
    "save_model",
    "lstm_to_torch",
    "lstm_from_torch",
    "gru_to_torch",
    "gru_from_torch",
    "UnsupportedModelError",
]
