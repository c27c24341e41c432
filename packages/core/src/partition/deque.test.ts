import { describe, expect, it } from 'vitest';
import { Deque } from './deque.js';

describe('Deque', () => {
  it('keeps FIFO order across wrap-around and growth, with unshift at the front', () => {
    const q = new Deque<number>();
    const model: number[] = [];
    let n = 0;
    for (let round = 0; round < 200; round++) {
      const pushes = (round * 7) % 23;
      for (let i = 0; i < pushes; i++) {
        q.push(n);
        model.push(n++);
      }
      if (round % 5 === 0) {
        q.unshift(-round);
        model.unshift(-round);
      }
      const shifts = (round * 5) % 19;
      for (let i = 0; i < shifts; i++) expect(q.shift()).toBe(model.shift());
      expect(q.length).toBe(model.length);
      expect(q.peek()).toBe(model[0]);
      expect(q.at(model.length - 1)).toBe(model[model.length - 1]);
    }
    expect([...q]).toEqual(model);
    expect(q.at(-1)).toBeUndefined();
    expect(q.at(model.length)).toBeUndefined();
  });

  it('retain keeps the accepted items in order; clear empties it', () => {
    const q = new Deque<number>();
    for (let i = 0; i < 40; i++) q.push(i);
    for (let i = 0; i < 30; i++) q.shift();
    for (let i = 40; i < 60; i++) q.push(i);
    q.retain((x) => x % 3 === 0);
    expect([...q]).toEqual([30, 33, 36, 39, 42, 45, 48, 51, 54, 57]);
    q.push(99);
    expect(q.shift()).toBe(30);
    expect([...q].at(-1)).toBe(99);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
  });
});
