/** The asciicast v2 recorder: header, output and resize events with their times, UTF-8 kept whole, the hash, the cap. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AsciicastRecorder, MAX_RECORDING_BYTES } from '../../src/gateway/recorder.ts';

describe('asciicast recorder', () => {
  it('writes the v2 header and timed output and resize events, hashing the exact stored bytes', () => {
    let now = 1_790_000_000_000;
    const recorder = new AsciicastRecorder(now, 100, 30, 'xterm-256color', () => now);
    now += 250;
    recorder.output(Buffer.from('$ ls\r\n'));
    now += 1000;
    recorder.resize(120, 40);
    const done = recorder.finish();
    const lines = done.content.split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ version: 2, width: 100, height: 30, timestamp: 1_790_000_000, env: { TERM: 'xterm-256color' } });
    expect(JSON.parse(lines[1]!)).toEqual([0.25, 'o', '$ ls\r\n']);
    expect(JSON.parse(lines[2]!)).toEqual([1.25, 'r', '120x40']);
    expect(lines[3]).toBe('');
    expect(done.bytes).toBe(Buffer.byteLength(done.content));
    expect(done.sha256).toBe(createHash('sha256').update(done.content, 'utf8').digest('hex'));
  });

  it('keeps a multi-byte character split across two chunks whole', () => {
    const recorder = new AsciicastRecorder(0, 80, 24, 'xterm', () => 0);
    const euro = Buffer.from('€');
    recorder.output(euro.subarray(0, 1));
    recorder.output(euro.subarray(1));
    const text = recorder
      .finish()
      .content.split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => JSON.parse(l)[2])
      .join('');
    expect(text).toBe('€');
  });

  it('stops growing at its size limit and says so in the recording', () => {
    const recorder = new AsciicastRecorder(0, 80, 24, 'xterm', () => 0);
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    for (let i = 0; i < MAX_RECORDING_BYTES / chunk.length + 5; i += 1) recorder.output(chunk);
    const done = recorder.finish();
    expect(done.bytes).toBeLessThan(MAX_RECORDING_BYTES + 4096);
    expect(done.content).toContain('recording stopped here: it reached its size limit');
  });
});
