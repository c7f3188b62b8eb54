/**
 * The benchmark's configuration and its FLOP count.
 *
 * Sizes: B = batch rows, T = time steps, E = embedding width (the LSTM's input features), H = LSTM
 * units, V = vocabulary (embedding rows and softmax classes). The seed model: tokens → Embedding(V, E) →
 * LSTM(H) → Dense(V) → softmax cross-entropy on the last step's output, trained with Adam, full BPTT.
 */
export interface BenchConfig {
  readonly B: number;
  readonly T: number;
  readonly E: number;
  readonly H: number;
  readonly V: number;
}

export const SEED_CONFIG: BenchConfig = { B: 128, T: 100, E: 50, H: 128, V: 60 };

/** The formula behind lstmFlops, printed with the results. k = gate blocks: 4 LSTM, 5 NovoLSTM. */
export const LSTM_FLOP_FORMULA =
  'forward 2·T·B·(E+H)·kH (x·W and h·U); training adds backward 2 × that (dh·Uᵀ, dx; dU, dW): ' +
  '6·k·T·B·H·(E+H), k = 4 gate blocks (LSTM), 5 (NovoLSTM) or 3 (GRU)';

/**
 * Multiply-adds (×2) of the recurrent layer's matrix products; the elementwise gate math, the embedding,
 * the softmax layer and Adam are left out (they are < 1% at the seed sizes).
 */
export function lstmFlops(c: BenchConfig, training: boolean, gateBlocks = 4): number {
  const forward = 2 * c.T * c.B * (c.E + c.H) * gateBlocks * c.H;
  return training ? 3 * forward : forward;
}
