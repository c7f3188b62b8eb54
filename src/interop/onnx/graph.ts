/**
 * A small builder for ONNX graphs on top of onnx-proto (the ONNX schema compiled by protobufjs): unique
 * value names, nodes with typed attributes, float32 / int32 / int64 initializers, and subgraphs (a Scan body).
 * It knows nothing about layers; `layers.ts` and `recurrent.ts` say what to build.
 *
 * Tensors are written as `raw_data` (little-endian bytes), so int64 values never pass through protobufjs'
 * Long handling and float32 weights go in bit for bit.
 */
import type OnnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';
import { ConfigError } from '../../errors.js';
import { importPeer } from '../../peers.js';

// onnx-proto (with protobufjs, 22 MB installed) is an optional peer; this module is imported only when an ONNX
// model is read or written, and the error names the package when it is missing.
const onnxProto = await importPeer<{ default: typeof OnnxProto }>('onnx-proto', 'ONNX import and export');
export const { onnx } = onnxProto.default;

/** The operator set the graphs are written for: 17 has LayerNormalization. */
export const OPSET = 17;
/** ONNX IR version 8 is the one that goes with opset 17 (ONNX 1.12). */
export const IR_VERSION = 8;

/** The element types the graphs use, by ONNX's TensorProto.DataType codes (Cast's `to` takes them too). */
export const DATA_TYPE = {
  float: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
} as const;
export type DataTypeName = keyof typeof DATA_TYPE;

/** An attribute value, tagged with its ONNX attribute type (a number is INT or FLOAT by its tag). */
export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly strings: readonly string[] }
  | { readonly graph: proto.IGraphProto };

/** A dimension of a graph input or output: a fixed size, or a name for a size known only at run time. */
export type Dim = number | string;

export class GraphBuilder {
  readonly nodes: proto.INodeProto[] = [];
  readonly initializers: proto.ITensorProto[] = [];
  readonly inputs: proto.IValueInfoProto[] = [];
  readonly outputs: proto.IValueInfoProto[] = [];
  private readonly taken: Set<string>;

  /** A subgraph shares its parent's set of names, so a body never shadows an outer value. */
  constructor(taken: Set<string> = new Set()) {
    this.taken = taken;
  }

  /** A fresh value name starting with `base`. */
  name(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_');
    let candidate = clean;
    for (let k = 1; this.taken.has(candidate); k++) candidate = `${clean}_${k}`;
    this.taken.add(candidate);
    return candidate;
  }

  /** A builder for a subgraph (a Scan body) whose names cannot collide with this graph's. */
  subgraph(): GraphBuilder {
    return new GraphBuilder(this.taken);
  }

  /** Adds one node and returns the names of its outputs (`outputCount` of them, named after `opType`). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    outputCount = 1,
  ): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.name(opType));
    this.nodes.push({
      opType,
      name: this.name(`${opType}_node`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /** A node with one output. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
  ): string {
    return this.node(opType, inputs, attributes, 1)[0];
  }

  /** A float32 initializer of the given shape (values copied bit for bit). */
  floats(base: string, values: Readonly<Float32Array>, shape: readonly number[]): string {
    const name = this.name(base);
    this.initializers.push(tensorProto(name, values, shape, 'float'));
    return name;
  }

  /**
   * A weight, under exactly `name` (`layer/weight`), so that decodeOnnx finds it by the same name; two
   * layers whose names would collide are refused rather than renamed.
   */
  weight(name: string, values: Readonly<Float32Array>, shape: readonly number[]): string {
    if (this.taken.has(name)) {
      throw new ConfigError(
        'encodeOnnx',
        'two weights would get the same ONNX name',
        'unique layer names',
        name,
      );
    }
    this.taken.add(name);
    this.initializers.push(tensorProto(name, values, shape, 'float'));
    return name;
  }

  /** An int64 initializer (shapes, axes, indices). */
  int64s(
    base: string,
    values: readonly (number | bigint)[],
    shape: readonly number[] = [values.length],
  ): string {
    const name = this.name(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(tensorProto(name, data, shape, 'int64'));
    return name;
  }

  /** An int32 initializer (ONNX's sequence_lens). */
  int32s(base: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = this.name(base);
    this.initializers.push(tensorProto(name, Int32Array.from(values), shape, 'int32'));
    return name;
  }

  /** A float32 scalar initializer. */
  scalar(base: string, value: number): string {
    return this.floats(base, Float32Array.of(value), []);
  }

  input(name: string, type: DataTypeName, dims?: readonly Dim[]): string {
    this.taken.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: DataTypeName, dims?: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Copies `value` to a value named exactly `name` (a graph or body output must carry its declared name). */
  rename(value: string, name: string): string {
    this.taken.add(name);
    this.nodes.push({ opType: 'Identity', name: this.name('Identity_node'), input: [value], output: [name] });
    return name;
  }

  build(name: string): proto.IGraphProto {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }
}

function tensorProto(
  name: string,
  values: Readonly<Float32Array> | Readonly<Int32Array> | Readonly<BigInt64Array>,
  shape: readonly number[],
  type: 'float' | 'int32' | 'int64',
): proto.ITensorProto {
  // A copy, so the bytes are little-endian on every platform this runs on (all of them are).
  const bytes = new Uint8Array(values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return { name, dims: [...shape], dataType: DATA_TYPE[type], rawData: bytes };
}

function valueInfo(name: string, type: DataTypeName, dims?: readonly Dim[]): proto.IValueInfoProto {
  const shape = dims && {
    dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
  };
  return { name, type: { tensorType: { elemType: DATA_TYPE[type], ...(shape ? { shape } : {}) } } };
}

function attribute(name: string, value: AttributeValue): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ('string' in value) return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
  if ('strings' in value)
    return { name, type: T.STRINGS, strings: value.strings.map((v) => new TextEncoder().encode(v)) };
  return { name, type: T.GRAPH, g: value.graph };
}
