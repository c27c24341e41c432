import { describe, expect, it } from 'vitest';
import { formatTable } from './format-table.js';
import { createStyle } from './style.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart, numbers to the right, newlines shown as ⏎', () => {
    const text = formatTable(
      [{ header: 'TOPIC' }, { header: 'DEPTH', right: true }],
      [
        ['orders', '7'],
        ['orders.dlq', '1234'],
        ['multi\nline', '0'],
      ],
      createStyle(false),
    );
    expect(text).toBe('TOPIC       DEPTH\norders          7\norders.dlq   1234\nmulti⏎line      0\n');
  });

  it('aligns by visible width when cells are coloured', () => {
    const s = createStyle(true);
    const text = formatTable([{ header: 'A' }, { header: 'B' }], [[s.red('xy'), 'z']], s);
    expect(text.split('\n')[1]).toBe(`${s.red('xy')}  z`);
  });
});
