import { describe, expect, it } from 'vitest';
import { workerExecArgv } from './worker-exec-argv.js';

describe('workerExecArgv', () => {
  it('inherits (undefined) when the parent has no source condition, so process-wide flags are not rejected', () => {
    expect(workerExecArgv([])).toBeUndefined();
    expect(workerExecArgv(['--trace-gc', '--expose-gc'])).toBeUndefined();
  });

  it('strips the @partita/source condition in each spelling and keeps the other flags', () => {
    expect(workerExecArgv(['--conditions', '@partita/source', '--enable-source-maps'])).toEqual([
      '--enable-source-maps',
    ]);
    expect(workerExecArgv(['-C', '@partita/source'])).toEqual([]);
    expect(workerExecArgv(['--conditions=@partita/source', '-C=@partita/source', '--no-warnings'])).toEqual([
      '--no-warnings',
    ]);
  });

  it('keeps other conditions', () => {
    expect(workerExecArgv(['--conditions', 'development', '-C=@partita/source'])).toEqual([
      '--conditions',
      'development',
    ]);
  });
});
