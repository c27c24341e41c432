import { describe, expect, it } from 'vitest';
import { formatSeconds, ProgressBar } from './progress-bar.js';

describe('ProgressBar', () => {
  it('shows counts, percentage and an ETA from the rate so far', () => {
    let now = 1_000;
    const bar = new ProgressBar({ isTTY: true, columns: 80, write: () => true }, 'redriving', () => now);
    now += 10_000; // 250 of 1000 in 10 s: 30 s to go
    expect(bar.render(250, 1000)).toBe('redriving [████████░░░░░░░░░░░░░░░░░░░░░░] 250/1000 25% ETA 30s');
    expect(bar.render(1000, 1000)).toBe('redriving [██████████████████████████████] 1000/1000 100%');
    expect(bar.render(0, 0)).toContain('0/0 100%');
  });

  it('draws in place on a terminal and writes nothing elsewhere', () => {
    let tty = '';
    let pipe = '';
    const onTty = new ProgressBar({ isTTY: true, write: (s: string) => (tty += s) }, 'x');
    const onPipe = new ProgressBar({ isTTY: false, write: (s: string) => (pipe += s) }, 'x');
    for (const b of [onTty, onPipe]) {
      b.update(1, 2);
      b.update(2, 2);
      b.finish();
    }
    expect(tty.split('\r')).toHaveLength(3);
    expect(tty.endsWith('\n')).toBe(true);
    expect(pipe).toBe('');
  });

  it('formats durations', () => {
    expect([formatSeconds(0.2), formatSeconds(59), formatSeconds(61), formatSeconds(3_700)]).toEqual([
      '1s',
      '59s',
      '1m01s',
      '1h01m',
    ]);
  });
});
