/**
 * The functions the WebAssembly module exports (src/kernels/wasm/index.ts), typed for the JavaScript side.
 * Pointers are byte addresses into the module's memory; sizes and strides are in floats.
 */
export interface WasmExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  /** C[M, N] (+)= A[M, K]·B[K, N]; A(m, k) = a[m·aRow + k·aCol], B(k, n) = b[k·bRow + n·bCol]. */
  gemm(
    c: number,
    ldc: number,
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    bRow: number,
    bCol: number,
    M: number,
    K: number,
    N: number,
    accumulate: boolean,
    scratch: number,
  ): void;
  /**
   * gemm with a row-major B (bCol = 1), and sums[N] = Σ_k B[k, :] made while B is packed: bit for bit
   * columnSums(sums, b, K, N), without a second pass over B.
   */
  gemmColumnSums(
    c: number,
    ldc: number,
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    bRow: number,
    M: number,
    K: number,
    N: number,
    accumulate: boolean,
    scratch: number,
    sums: number,
  ): void;
  /**
   * gemmColumnSums over A stacked from two operands: C's first M1 rows from a1, the M2 after them from a2,
   * B packed once for both; bit for bit the one product over the stacked A.
   */
  gemmColumnSumsStacked(
    c: number,
    ldc: number,
    a1: number,
    a1Row: number,
    a1Col: number,
    M1: number,
    a2: number,
    a2Row: number,
    a2Col: number,
    M2: number,
    b: number,
    bRow: number,
    K: number,
    N: number,
    accumulate: boolean,
    scratch: number,
    sums: number,
  ): void;
  /** Same with B packed once by packB(dst, b, bRow, bCol, 0, K, N). */
  gemmPacked(
    c: number,
    ldc: number,
    a: number,
    aRow: number,
    aCol: number,
    packedB: number,
    M: number,
    K: number,
    N: number,
    accumulate: boolean,
    scratch: number,
  ): void;
  packB(dst: number, b: number, bRow: number, bCol: number, k0: number, kc: number, N: number): void;
  /**
   * gemmPacked for one row, A(0, k) = a[k·aCol], its panels read from the last with `descending`: the same
   * C bit for bit either way.
   */
  rowTimesPacked(
    c: number,
    a: number,
    aCol: number,
    packedB: number,
    K: number,
    N: number,
    accumulate: boolean,
    descending: boolean,
    scratch: number,
  ): void;
  gemmScratchFloats(N: number): number;
  packedBFloats(K: number, N: number): number;
  /** The multiply's K block (KC): a product with K ≤ it is one sum from zero per output. */
  gemmDepthBlock(): number;
  lstmGatesForward(
    z: number,
    bias: number,
    cPrev: number,
    hPrev: number,
    cNext: number,
    hNext: number,
    tanhC: number,
    mask: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
  /** out [n] = tanh(c [n]) with forward's tanh (n a multiple of 4). */
  tanhRows(out: number, c: number, n: number): void;
  /** out [B, U] = tanh(γ_cell ⊙ ĉ + β_cell) from gateXhat [B, 4U] and the norms' gains and shifts [4U]. */
  tanhNormedCells(
    out: number,
    gateXhat: number,
    gateGamma: number,
    gateBeta: number,
    B: number,
    U: number,
  ): void;
  lstmGatesBackward(
    dz: number,
    gates: number,
    tanhC: number,
    cPrev: number,
    dhCarry: number,
    dhOut: number,
    dcCarry: number,
    mask: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
  copyRows(dst: number, dstStride: number, src: number, srcStride: number, R: number, N: number): void;
  copyRealRows(dst: number, src: number, mask: number, B: number, U: number): void;
  /** dst[j] += src[j], j < N (f32 sums). */
  addRow(dst: number, src: number, N: number): void;
  columnSums(out: number, a: number, R: number, N: number): void;
  /** dst row k·B + b ← src row b·T + t (t = k, or T−1−k with reverse): batch-major into processing order. */
  batchToSteps(
    dst: number,
    dstStride: number,
    src: number,
    srcStride: number,
    T: number,
    B: number,
    N: number,
    reverse: boolean,
  ): void;
  /** dst row b·T + t ← src row k·B + b, zero where the mask (processing order; 0 = none) marks padding. */
  stepsToBatch(
    dst: number,
    dstStride: number,
    src: number,
    srcStride: number,
    mask: number,
    T: number,
    B: number,
    N: number,
    reverse: boolean,
  ): void;
  /** y[n, :] = table[ids[n], :]; ids i32 [N], table [V, E], y [N, E]. */
  embeddingGather(y: number, ids: number, table: number, N: number, E: number): void;
  /** dTable[ids[n], :] += dy[n, :] for n = 0 … N−1. */
  embeddingScatter(dTable: number, dy: number, ids: number, N: number, E: number): void;
  /** Index of the first NaN or ±∞ among n floats at p, or −1. */
  firstNonFinite(p: number, n: number): number;
  /** Sets the subnormal floats among n (a multiple of 4) at p to zero of the same sign. */
  flushSubnormals(p: number, n: number): void;
  /**
   * Every NovoLSTM variant and the LSTM with layerNorm 'all': gate = the input gate's code (GATE_CODES in
   * lstm.ts), normAll = layerNorm 'all'.
   */
  novoGatesForward(
    gate: number,
    normAll: boolean,
    z: number,
    bias: number,
    gamma: number,
    beta: number,
    gateGamma: number,
    gateBeta: number,
    cPrev: number,
    hPrev: number,
    cNext: number,
    hNext: number,
    tanhC: number,
    mean: number,
    xhat: number,
    rstd: number,
    gateXhat: number,
    gateRstd: number,
    mask: number,
    B: number,
    U: number,
    u: number,
  ): void;
  novoGatesBackward(
    gate: number,
    normAll: boolean,
    dz: number,
    gates: number,
    tanhC: number,
    cPrev: number,
    mean: number,
    xhat: number,
    rstd: number,
    gamma: number,
    beta: number,
    dgamma: number,
    dbeta: number,
    gateXhat: number,
    gateRstd: number,
    gateGamma: number,
    gateBeta: number,
    dGateGamma: number,
    dGateBeta: number,
    work: number,
    dhCarry: number,
    dhOut: number,
    dcCarry: number,
    mask: number,
    B: number,
    U: number,
    u: number,
  ): void;
  gruGatesForward(
    zx: number,
    zh: number,
    biasX: number,
    biasH: number,
    hPrev: number,
    hNext: number,
    recurrentH: number,
    mask: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
  gruGatesBackward(
    dzx: number,
    dzh: number,
    dhDirect: number,
    gates: number,
    recurrentH: number,
    hPrev: number,
    dhCarry: number,
    dhOut: number,
    mask: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
  gruResetBeforeGatesForward(
    zx: number,
    zh: number,
    bias: number,
    hPrev: number,
    resetH: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
  gruResetBeforeCandidateForward(
    zx: number,
    zh: number,
    bias: number,
    hPrev: number,
    hNext: number,
    mask: number,
    B: number,
    U: number,
  ): void;
  gruResetBeforeBackward1(
    dz: number,
    dhDirect: number,
    gates: number,
    hPrev: number,
    dhCarry: number,
    dhOut: number,
    mask: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
  gruResetBeforeBackward2(
    dz: number,
    dhDirect: number,
    dResetH: number,
    gates: number,
    hPrev: number,
    B: number,
    U: number,
    /** The recurrent activation is the hard sigmoid (else σ). */
    hard: boolean,
  ): void;
}
