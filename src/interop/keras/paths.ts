/**
 * Where Keras 3 puts a layer's variables in `model.weights.h5`: the path follows the object graph, not the
 * layer names. A model's layers are `layers/<snake_case class name>` with a counter for repeats (`lstm`,
 * `lstm_1`, …, Keras' saving_lib `_save_container_state`); an RNN's variables are on its `cell`, a
 * Bidirectional's under `forward_layer` / `backward_layer`; every saveable object has a `vars` group whose
 * datasets are `0`, `1`, … in variable-creation order.
 */

/** Keras' `naming.to_snake_case`: `LayerNormalization` → `layer_normalization`, `NovoLSTMCell` → `novo_lstm_cell`. */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The container names of a model's layers, in order: `layers/lstm`, `layers/lstm_1`, `layers/dense`. */
export function layerPaths(classNames: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((className) => {
    const base = snakeCase(className);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    return `layers/${count === undefined ? base : `${base}_${count + 1}`}`;
  });
}
