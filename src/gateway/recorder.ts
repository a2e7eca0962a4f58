/**
 * An asciicast v2 recording of what the user saw (https://docs.asciinema.org/manual/asciicast/v2/): a header line
 * `{version, width, height, timestamp, env}`, then one `[seconds, "o", text]` line per output chunk and
 * `[seconds, "r", "COLSxROWS"]` per resize. Input is not recorded (it holds passwords typed at prompts). The hash is
 * over the exact UTF-8 bytes stored, so the audit event can vouch for the stored text.
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

/** Past this many bytes of events the recording notes the cut and stops growing (the session goes on). */
export const MAX_RECORDING_BYTES = 64 * 1024 * 1024;

export interface FinishedRecording {
  content: string;
  bytes: number;
  sha256: string;
}

export class AsciicastRecorder {
  private readonly lines: string[];
  private readonly decoder = new StringDecoder('utf8');
  private size = 0;
  private cut = false;

  constructor(
    private readonly startedAtMs: number,
    readonly width: number,
    readonly height: number,
    term: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.lines = [JSON.stringify({ version: 2, width, height, timestamp: Math.floor(startedAtMs / 1000), env: { TERM: term } })];
  }

  output(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    if (text) this.event('o', text);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  finish(): FinishedRecording {
    const rest = this.decoder.end();
    if (rest) this.event('o', rest);
    const content = `${this.lines.join('\n')}\n`;
    const bytes = Buffer.from(content, 'utf8');
    return { content, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  private event(kind: 'o' | 'r', data: string): void {
    if (this.cut) return;
    const line = JSON.stringify([this.elapsed(), kind, data]);
    if (this.size + line.length > MAX_RECORDING_BYTES) {
      this.cut = true;
      this.lines.push(JSON.stringify([this.elapsed(), 'o', '\r\n[stint: recording stopped here: it reached its size limit]\r\n']));
      return;
    }
    this.size += line.length;
    this.lines.push(line);
  }

  private elapsed(): number {
    return Math.max(0, Math.round((this.now() - this.startedAtMs) * 1000) / 1_000_000);
  }
}
