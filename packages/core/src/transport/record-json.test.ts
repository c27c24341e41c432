import { describe, expect, it } from 'vitest';
import { recordFromJson, recordJson, valueText, type RecordJson } from './record-json.js';
import type { BrowsedRecord } from './transport-admin.js';

const base = { topic: 'orders', partition: 2, position: '17', headers: { a: 'b' }, timestamp: 1_700_000_000_000 };

describe('recordJson', () => {
  it('carries the id, the bytes in base64 and the text of a UTF-8 value, and reads back to the same record', () => {
    const r: BrowsedRecord = { ...base, key: 'k', value: new TextEncoder().encode('héllo') };
    const j = recordJson(r);
    expect(j).toMatchObject({ id: '2:17', key: 'k', text: 'héllo', value: Buffer.from('héllo').toString('base64') });
    expect(recordFromJson(JSON.parse(JSON.stringify(j)) as RecordJson)).toEqual(r);
  });

  it('leaves out the text of binary values, keeps a tombstone null and a missing key null', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xc3]);
    const sliced = new Uint8Array([9, ...bytes]).subarray(1);
    const j = recordJson({ ...base, key: undefined, value: sliced });
    expect(j.text).toBeUndefined();
    expect(j.key).toBeNull();
    expect(recordFromJson(j).value).toEqual(bytes);
    const tomb = recordJson({ ...base, key: 'k', value: null });
    expect(tomb.value).toBeNull();
    expect(recordFromJson(tomb).value).toBeNull();
    expect(valueText(null)).toBeUndefined();
  });
});
