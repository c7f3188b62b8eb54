/**
 * The ablation cells in the comparison (issue #18): the `ablation` preset runs them beside the LSTM and
 * NovoLSTM on its declared tasks and nowhere else; each gets the parameter budget of the others; and
 * lstm-forget5 is the LSTM trained from a forget-gate bias of 5, exactly as `--forget-bias 5` trains it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ABLATION_CELLS,
  COMPARED_CELLS,
  comparedCell,
  GRID_CELLS,
  parameterCount,
} from '../src/experiments/comparedCells.js';
import { ABLATION_TASKS, PRESETS, reportPreset } from '../src/experiments/presets.js';
import { QUICK_TASKS } from '../src/experiments/taskSuite.js';
import { runTrial, unitsFor, type TrialResult } from '../src/experiments/trial.js';

describe('the ablation preset', () => {
  it('runs the four ablation cells beside lstm and novolstm on the declared tasks; the grid presets do not', () => {
    assert.deepEqual(ABLATION_CELLS, [
      'novolstm-softmax',
      'novolstm-ln-sigmoid',
      'lstm-ln-all',
      'lstm-forget5',
    ]);
    const ablation = reportPreset('ablation');
    assert.deepEqual(ablation.cells, ['lstm', 'novolstm', ...ABLATION_CELLS]);
    assert.deepEqual(
      ablation.tasks.map((t) => t.name),
      [
        'adding-100',
        'embedded-reber',
        'adding-modern-50',
        'adding-modern-100',
        'adding-modern-200',
        'adding-modern-400',
        'temporal-order-6a',
        'temporal-order-6b',
      ],
    );
    assert.equal(ablation.seeds, 5);
    assert.equal(ablation.search, true);
    for (const name of PRESETS.filter((p) => p !== 'ablation')) {
      const cells = reportPreset(name).cells;
      assert.deepEqual(
        cells.filter((c) => ABLATION_CELLS.includes(c)),
        [],
        `${name} runs no ablation cell`,
      );
    }
    assert.deepEqual(reportPreset('full').cells, GRID_CELLS);
    // The long-lag tasks are the grid's own, so the grid's lstm and novolstm trials are the same trials.
    const full = reportPreset('full').tasks;
    for (const task of ABLATION_TASKS.filter((t) => t.name !== 'adding-modern-50'))
      assert.equal(
        full.find((t) => t.name === task.name),
        task,
        task.name,
      );
  });

  it("each ablation cell gets the most units within the LSTM's parameter count on every task", () => {
    for (const task of ABLATION_TASKS) {
      const budget = parameterCount(comparedCell('lstm'), task.lstmUnits, task.inputDim, task.outputDim);
      for (const id of ABLATION_CELLS) {
        const cell = comparedCell(id);
        const units = unitsFor(task, cell);
        assert.ok(parameterCount(cell, units, task.inputDim, task.outputDim) <= budget, `${task.name} ${id}`);
        assert.ok(
          parameterCount(cell, units + 1, task.inputDim, task.outputDim) > budget,
          `${task.name} ${id}`,
        );
      }
      // The softmax gate has no norm weights: at the LSTM's size it is the LSTM's size.
      assert.equal(unitsFor(task, comparedCell('novolstm-softmax')), task.lstmUnits, task.name);
    }
    assert.equal(new Set(COMPARED_CELLS.map((c) => c.id)).size, COMPARED_CELLS.length, 'ids are unique');
  });
});

describe('lstm-forget5', () => {
  // A few batches of the quick adding task: enough for the initial bias to change every curve point.
  const task = { ...QUICK_TASKS[0], maxSequences: 64, evalEvery: 32 };
  const outcome = (r: TrialResult) => ({ curve: r.curve, finalMetric: r.finalMetric, units: r.units });

  it('trains exactly as the LSTM with --forget-bias 5, and not as the LSTM', () => {
    const options = { seed: 3, learningRate: 0.01 };
    const forget5 = runTrial(task, comparedCell('lstm-forget5'), options);
    const flag = runTrial(task, comparedCell('lstm'), { ...options, forgetBias: 5 });
    const plain = runTrial(task, comparedCell('lstm'), options);
    assert.deepEqual(outcome(forget5), outcome(flag));
    assert.notDeepEqual(outcome(forget5), outcome(plain));
  });
});
