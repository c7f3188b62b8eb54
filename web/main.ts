/**
 * The page: reads the settings, talks to the worker (worker.ts), and shows what comes back — the learning
 * curve, throughput and ETA, generated text as it streams, model files. No training or sampling happens on
 * this thread, so the page stays responsive.
 */
import mobyDick from 'virtual:moby-dick-excerpt';
import { CELL_CLASS_NAMES, text, type GateTrace, type LmCell } from '../src/index.js';
import { LearningCurve } from './chart.js';
import { drawGates } from './heatmaps.js';
import type { EngineInfo, FromWorker, ModelSummary, NamedFile, ToWorker, TrainSettings } from './protocol.js';
import { listRecent, rememberModel } from './recent.js';
import { hasWasmSimd } from './simd.js';

/** Training curve points are the mean of this many recent windows: one window's loss is noisy. */
const SMOOTHING_WINDOWS = 8;

type Phase = 'idle' | 'training' | 'paused' | 'finished' | 'stopped' | 'error';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  simdMissing: element('simd-missing'),
  engine: element('engine'),
  ownText: element<HTMLTextAreaElement>('own-text'),
  textInfo: element('text-info'),
  cell: element<HTMLSelectElement>('cell'),
  units: element<HTMLSelectElement>('units'),
  layers: element<HTMLSelectElement>('layers'),
  seqLen: element<HTMLInputElement>('seq-len'),
  batch: element<HTMLInputElement>('batch'),
  lr: element<HTMLInputElement>('lr'),
  epochs: element<HTMLInputElement>('epochs'),
  train: element<HTMLButtonElement>('train'),
  pause: element<HTMLButtonElement>('pause'),
  stop: element<HTMLButtonElement>('stop'),
  step: element('stat-step'),
  trainBpc: element('stat-train-bpc'),
  valBpc: element('stat-val-bpc'),
  speed: element('stat-speed'),
  eta: element('stat-eta'),
  progress: element<HTMLProgressElement>('progress'),
  chart: element('chart'),
  prime: element<HTMLInputElement>('prime'),
  temperature: element<HTMLInputElement>('temperature'),
  temperatureValue: element('temperature-value'),
  topK: element<HTMLInputElement>('top-k'),
  length: element<HTMLInputElement>('length'),
  generate: element<HTMLButtonElement>('generate'),
  output: element('output'),
  save: element<HTMLButtonElement>('save'),
  load: element<HTMLInputElement>('load'),
  modelInfo: element('model-info'),
  gateSample: element<HTMLInputElement>('gate-sample'),
  gateLayer: element<HTMLSelectElement>('gate-layer'),
  showGates: element<HTMLButtonElement>('show-gates'),
  gates: element('gates'),
  recent: element<HTMLUListElement>('recent'),
  status: element('status'),
};

/** What the page has seen, also read by the browser test (test/web/e2e.ts) and handy in the console. */
const history = {
  training: [] as { step: number; chars: number; bpc: number }[],
  validation: [] as { step: number; chars: number; bpc: number }[],
};
const novolstmPage = {
  history,
  runs: 0,
  gates: null as GateTrace | null,
  /** The training worker's kernels, and the workers of the current run (null before the first). */
  engine: null as EngineInfo | null,
  workers: null as number | null,
};
(window as unknown as { novolstmPage: unknown }).novolstmPage = novolstmPage;

const curve = new LearningCurve(ui.chart);
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let hasModel = false;
let generationId = 0;
let recent: number[] = [];
let lastTrace: GateTrace | null = null;

function showLayerGates(): void {
  if (!lastTrace) return;
  const layer = lastTrace.layers[Number(ui.gateLayer.value)] ?? lastTrace.layers[0];
  drawGates(ui.gates, lastTrace.chars, layer).then(
    () => (document.body.dataset.gates = 'drawn'),
    (error: Error) => showStatus(`The heatmaps failed: ${error.message}`, true),
  );
}

function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

function setPhase(phase: Phase): void {
  document.body.dataset.phase = phase;
  const running = phase === 'training' || phase === 'paused';
  ui.train.disabled = running;
  ui.pause.disabled = !running;
  ui.pause.textContent = phase === 'paused' ? 'Resume' : 'Pause';
  ui.stop.disabled = !running;
  ui.generate.disabled = !hasModel;
  ui.save.disabled = !hasModel;
  ui.showGates.disabled = !hasModel;
}

function showStatus(message: string, isError = false): void {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', isError);
}

function describe(model: ModelSummary): string {
  return `${CELL_CLASS_NAMES[model.cell]}, ${model.layers} × ${model.units} units, ${model.vocabularySize} characters, ${model.parameters.toLocaleString('en')} parameters`;
}

/** E.g. 'WebAssembly relaxed SIMD · 2 workers'; before a run, how many it may use. */
function describeEngine(engine: EngineInfo, workers: number | null): string {
  const kernels =
    engine.backend === 'relaxed'
      ? 'WebAssembly relaxed SIMD'
      : engine.backend === 'simd'
        ? 'WebAssembly SIMD'
        : engine.problem
          ? `reference kernels (the WebAssembly engine did not load: ${engine.problem})`
          : 'reference kernels (no WebAssembly SIMD)';
  const plural = (n: number) => `${n} worker${n === 1 ? '' : 's'}`;
  return workers === null
    ? `${kernels} · up to ${plural(engine.cores)} (one per core)`
    : `${kernels} · ${plural(workers)}`;
}

function showEngine(): void {
  if (novolstmPage.engine) ui.engine.textContent = describeEngine(novolstmPage.engine, novolstmPage.workers);
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
    : s >= 60
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${s} s`;
}

function ownTextChosen(): boolean {
  return (document.querySelector('input[name=source]:checked') as HTMLInputElement).value === 'own';
}

function chosenText(): string {
  return ownTextChosen() ? ui.ownText.value : mobyDick;
}

function showTextInfo(): void {
  const t = chosenText();
  ui.textInfo.textContent = t.length
    ? `${t.length.toLocaleString('en')} characters, ${new Set(t).size} different`
    : 'No text yet.';
}

function integer(
  input: HTMLInputElement | HTMLSelectElement,
  name: string,
  low: number,
  high: number,
): number {
  const value = Number(input.value);
  if (!Number.isInteger(value) || value < low || value > high)
    throw new RangeError(`${name} must be a whole number from ${low} to ${high}, not '${input.value}'`);
  return value;
}

function settings(): TrainSettings {
  const learningRate = Number(ui.lr.value);
  if (!(learningRate > 0 && learningRate <= 1)) throw new RangeError(`learning rate must be in (0, 1]`);
  const units = integer(ui.units, 'units', 1, 1024);
  return {
    cell: ui.cell.value as LmCell,
    units,
    layers: integer(ui.layers, 'layers', 1, 4),
    embeddingDim: Math.min(32, units),
    seqLen: integer(ui.seqLen, 'window', 2, 1024),
    batch: integer(ui.batch, 'streams', 1, 512),
    learningRate,
    clipNorm: 1,
    epochs: integer(ui.epochs, 'epochs', 1, 1000),
    seed: 1,
  };
}

function onMessage(message: FromWorker): void {
  switch (message.type) {
    case 'engine':
      novolstmPage.engine = message.engine;
      showEngine();
      return;
    case 'started':
      novolstmPage.workers = message.workers;
      showEngine();
      hasModel = true;
      novolstmPage.runs++;
      history.training.length = 0;
      history.validation.length = 0;
      recent = [];
      curve.clear();
      ui.modelInfo.textContent = `Training: ${describe(message.model)}.`;
      showStatus(
        `Training on ${message.trainChars.toLocaleString('en')} characters ` +
          `(${message.windowsPerEpoch} windows per epoch); validating on ${message.validationChars.toLocaleString('en')}.`,
      );
      return;
    case 'step': {
      history.training.push({ step: message.step, chars: message.chars, bpc: message.bpc });
      recent.push(message.bpc);
      if (recent.length > SMOOTHING_WINDOWS) recent.shift();
      const smoothed = recent.reduce((a, b) => a + b, 0) / recent.length;
      curve.add({ chars: message.chars, bpc: smoothed, series: 'training' });
      ui.step.textContent = `${message.step} / ${message.totalSteps}`;
      ui.trainBpc.textContent = smoothed.toFixed(3);
      ui.speed.textContent = Math.round(message.charsPerSecond).toLocaleString('en');
      ui.eta.textContent = duration(message.etaSeconds);
      ui.progress.value = message.step / message.totalSteps;
      return;
    }
    case 'validation':
      history.validation.push({ step: message.step, chars: message.chars, bpc: message.bpc });
      curve.add({ chars: message.chars, bpc: message.bpc, series: 'validation' });
      ui.valBpc.textContent = message.bpc.toFixed(3);
      return;
    case 'state':
      setPhase(message.state);
      if (message.state === 'finished') showStatus('Training finished.');
      if (message.state === 'stopped') showStatus('Training stopped; the model keeps what it learned.');
      return;
    case 'generated':
      if (message.id !== generationId) return;
      ui.output.append(message.text);
      if (message.done) {
        ui.generate.disabled = false;
        document.body.dataset.generating = 'done';
      }
      return;
    case 'gates': {
      lastTrace = message.trace;
      novolstmPage.gates = message.trace;
      const chosen = ui.gateLayer.value;
      ui.gateLayer.replaceChildren(
        ...message.trace.layers.map((l) =>
          Object.assign(document.createElement('option'), {
            value: String(l.layer),
            textContent: `${l.layer + 1} (${l.cell})`,
          }),
        ),
      );
      if (Number(chosen) < message.trace.layers.length) ui.gateLayer.value = chosen;
      showLayerGates();
      ui.showGates.disabled = false;
      return;
    }
    case 'saved': {
      void remember(message.name, message.bytes);
      const url = URL.createObjectURL(
        new Blob([message.bytes as Uint8Array<ArrayBuffer>], { type: 'application/x-tar' }),
      );
      const link = Object.assign(document.createElement('a'), { href: url, download: message.name });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      showStatus(`Saved ${message.name} (${message.bytes.length.toLocaleString('en')} bytes).`);
      return;
    }
    case 'loaded':
      hasModel = true;
      ui.modelInfo.textContent = `Loaded: ${describe(message.model)}.`;
      showStatus('Model loaded: generate with it, or train a new one.');
      setPhase('idle');
      return;
    case 'error':
      showStatus(`${message.name}: ${message.message}`, true);
      if (document.body.dataset.phase === 'training') setPhase('error');
      ui.generate.disabled = !hasModel;
      ui.showGates.disabled = !hasModel;
      return;
  }
}

/** The recent-models list; each entry opens with one click. */
async function showRecent(): Promise<void> {
  const entries = await listRecent();
  ui.recent.replaceChildren(
    ...entries.map((entry) => {
      const open = Object.assign(document.createElement('button'), { textContent: 'Open' });
      open.addEventListener('click', () => {
        const bytes = entry.bytes.slice();
        send({ type: 'load', files: [{ name: entry.name, bytes }] }, [bytes.buffer]);
      });
      const label = document.createElement('span');
      label.textContent = `${entry.name} — ${entry.description} — ${new Date(entry.savedAt).toLocaleString()}`;
      const item = document.createElement('li');
      item.append(open, label);
      return item;
    }),
  );
  if (entries.length === 0) ui.recent.textContent = 'None yet: saved and loaded models appear here.';
}

async function remember(name: string, bytes: Uint8Array): Promise<void> {
  try {
    const description =
      ui.modelInfo.textContent?.replace(/^(Training|Loaded): /, '').replace(/\.$/, '') ?? '';
    await rememberModel({ name, description, savedAt: new Date().toISOString(), bytes: bytes.slice() });
    await showRecent();
  } catch (error) {
    // Private windows and some embedded browsers refuse IndexedDB: the download still worked.
    showStatus(`Not kept in recent models: ${(error as Error).message}`, true);
  }
}

worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
worker.onerror = (event) => showStatus(`The worker failed: ${event.message}`, true);

ui.train.addEventListener('click', () => {
  try {
    const corpus = chosenText();
    if (corpus.length === 0) throw new RangeError('there is no text to train on: paste or drop some');
    send({ type: 'train', text: corpus, settings: settings() });
    setPhase('training');
  } catch (error) {
    showStatus((error as Error).message, true);
  }
});
ui.pause.addEventListener('click', () =>
  send({ type: document.body.dataset.phase === 'paused' ? 'resume' : 'pause' }),
);
ui.stop.addEventListener('click', () => send({ type: 'stop' }));

ui.temperature.addEventListener('input', () => (ui.temperatureValue.textContent = ui.temperature.value));
ui.generate.addEventListener('click', () => {
  try {
    const topK = integer(ui.topK, 'top-k', 0, 100_000);
    generationId++;
    ui.output.replaceChildren(
      Object.assign(document.createElement('span'), { className: 'prime', textContent: ui.prime.value }),
    );
    document.body.dataset.generating = 'running';
    ui.generate.disabled = true;
    send({
      type: 'generate',
      settings: {
        id: generationId,
        prime: ui.prime.value,
        length: integer(ui.length, 'length', 1, 100_000),
        temperature: Number(ui.temperature.value),
        topK: topK === 0 ? null : topK,
        seed: generationId,
      },
    });
  } catch (error) {
    showStatus((error as Error).message, true);
  }
});

ui.save.addEventListener('click', () => send({ type: 'save' }));
ui.showGates.addEventListener('click', () => {
  document.body.dataset.gates = 'running';
  ui.showGates.disabled = true;
  send({ type: 'gates', sample: ui.gateSample.value });
});
ui.gateLayer.addEventListener('change', showLayerGates);
ui.load.addEventListener('change', async () => {
  const picked = [...(ui.load.files ?? [])];
  ui.load.value = '';
  if (picked.length === 0) return;
  const files: NamedFile[] = await Promise.all(
    picked.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
  send(
    { type: 'load', files },
    files.map((f) => f.bytes.buffer),
  );
});

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=source]')) {
  radio.addEventListener('change', () => {
    ui.ownText.hidden = !ownTextChosen();
    showTextInfo();
  });
}
ui.ownText.addEventListener('input', showTextInfo);
ui.ownText.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.ownText.classList.add('dragging');
});
ui.ownText.addEventListener('dragleave', () => ui.ownText.classList.remove('dragging'));
ui.ownText.addEventListener('drop', async (event) => {
  event.preventDefault();
  ui.ownText.classList.remove('dragging');
  const file = event.dataTransfer?.files[0];
  if (!file) return;
  try {
    // The library's own check: UTF-8 only, no binary files, not empty.
    ui.ownText.value = text.checkText(file.name, new Uint8Array(await file.arrayBuffer()));
    showTextInfo();
  } catch (error) {
    showStatus((error as Error).message, true);
  }
});

ui.simdMissing.hidden = hasWasmSimd();
showTextInfo();
setPhase('idle');
void showRecent().catch(() => (ui.recent.textContent = 'This browser does not allow IndexedDB here.'));
