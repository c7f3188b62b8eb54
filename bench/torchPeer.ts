/**
 * PyTorch as a peer in `npm run bench`: bench/torch_peer.py (the seed model in PyTorch, LSTM and GRU) run
 * by the first Python that imports torch — `python3` on the PATH, then Debian's `/usr/bin/python3` (the
 * python3-torch package) — kept running for the whole bench, so that its rows take turns with ours round
 * by round. The script times each step itself; this side only sends requests and reads replies.
 *
 * The tests never need it: without a Python that imports torch, `startTorchPeer` says why and the bench
 * prints that instead of the rows.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './config.js';

/** Pythons tried in order. */
const PYTHONS = ['python3', '/usr/bin/python3'];
const SCRIPT = fileURLToPath(new URL('./torch_peer.py', import.meta.url));

export interface TorchFound {
  readonly python: string;
  readonly pythonVersion: string;
  readonly torchVersion: string;
  /** The BLAS library torch loaded (its speed depends on it), as the script reports it. */
  readonly blas?: string;
  /** Whether the script sets OpenBLAS's own thread count to the row's threads (an OpenBLAS was loaded). */
  readonly blasThreadsSet?: boolean;
}

export interface TorchRound {
  readonly forwardMs: number[];
  readonly trainMs: number[];
  /** CPU ms of the Python process (all its threads), per run. */
  readonly forwardCpuMs: number[];
  readonly trainCpuMs: number[];
  readonly firstLoss: number;
  readonly lastLoss: number;
}

export interface TorchPeer {
  readonly found: TorchFound;
  /** One round of `runs` forward passes then `runs` training steps, after `warmup` of each. */
  measure(
    kind: 'lstm' | 'gru',
    config: BenchConfig,
    threads: number,
    warmup: number,
    runs: number,
  ): Promise<TorchRound>;
  close(): void;
}

/** What each Python tried said (for the reason printed when none imports torch). */
function probe(python: string): TorchFound | string {
  const r = spawnSync(python, ['-c', 'import sys, torch; print(torch.__version__, sys.version.split()[0])'], {
    encoding: 'utf8',
  });
  if (r.error) return `${python}: ${r.error.message}`;
  if (r.status !== 0) return `${python}: ${r.stderr.trim().split('\n').pop()}`;
  const [torchVersion, pythonVersion] = r.stdout.trim().split(' ');
  return { python, pythonVersion, torchVersion };
}

/** The peer, or the reason there is none (each Python tried and what it said). */
export async function startTorchPeer(): Promise<TorchPeer | { skipped: string }> {
  const tried: string[] = [];
  let found: TorchFound | null = null;
  for (const python of PYTHONS) {
    const r = probe(python);
    if (typeof r === 'string') tried.push(r);
    else {
      found = r;
      break;
    }
  }
  if (!found) return { skipped: `no Python here imports torch (${tried.join('; ')})` };
  const child: ChildProcessWithoutNullStreams = spawn(found.python, [SCRIPT], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Interface = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`bench: the PyTorch peer exited: ${stderr.trim() || 'no message'}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const greeting = await next(); // torch is imported and it is ready
  const peer: TorchPeer = {
    found: { ...found, blas: String(greeting.blas), blasThreadsSet: greeting.blasThreadsSet === true },
    async measure(kind, config, threads, warmup, runs) {
      child.stdin.write(`${JSON.stringify({ kind, ...config, threads, warmup, runs })}\n`);
      const reply = await next();
      if (typeof reply.error === 'string') throw new Error(`bench: PyTorch peer: ${reply.error}`);
      return reply as unknown as TorchRound;
    },
    close() {
      lines.close();
      child.stdin.end();
      child.kill();
    },
  };
  return peer;
}
