/** CRC16-CCITT (XMODEM) table, as Redis Cluster hashes keys. */
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/**
 * The Redis Cluster hash slot of a key (0–16383): CRC16 of its hash tag (the
 * bytes between the first `{` and the next `}`, when not empty), else of the
 * whole key, modulo 16384. A lane's reader uses it to connect to the node
 * that serves its partition's slot.
 */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}
