/**
 * Buffers in a WebAssembly instance's memory: a bump allocator with stack-like release.
 *
 * The kernels take raw pointers, so JavaScript decides where everything lives. Allocations are 64-byte
 * aligned (one cache line; the kernels need 16 for v128). Growing the memory detaches every typed-array
 * view of it, so views are made on demand by `f32` / `u8` and must not be kept across an `alloc`.
 */
const ALIGN = 64;
const PAGE = 65536;

export class WasmArena {
  private top: number;
  /** Where the first allocation went: the end of the module's static data and stack. */
  private readonly base: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.base = align(base);
    this.top = this.base;
  }

  /** Bytes allocated now (what the plans hold); the memory itself may be larger, it never shrinks. */
  get allocatedBytes(): number {
    return this.top - this.base;
  }

  /** Bytes of the instance's memory (static data and stack included): all it ever grew to. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** A 64-byte aligned region of `bytes` bytes (contents unspecified); returns its address. */
  allocBytes(bytes: number): number {
    const ptr = this.top;
    const end = align(ptr + bytes);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return ptr;
  }

  /** A region of `n` float32 values; returns its address. */
  allocFloats(n: number): number {
    return this.allocBytes(4 * n);
  }

  /** A region holding a copy of `values`. */
  copyIn(values: ArrayLike<number>): number {
    const ptr = this.allocFloats(values.length);
    this.f32(ptr, values.length).set(values);
    return ptr;
  }

  /** The current top, to give back everything allocated after it with `release`. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /** Gives back everything: the next allocation starts where the first one did (the memory stays). */
  reset(): void {
    this.top = this.base;
  }

  /** A float32 view of n values at ptr (valid until the next alloc). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** An int32 view of n values at ptr (valid until the next alloc). */
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  /** A byte view of n values at ptr (valid until the next alloc). */
  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
