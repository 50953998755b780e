import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { eventually } from '../helpers/relay-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linesOf = (file: string): Array<Record<string, unknown>> => {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
};

describe('audit log file', () => {
  it('writes a lone line within the flush interval, though it is less than a block', async () => {
    const file = join(dir, 'lone.jsonl');
    createAuditLog(file).info({ delivery_id: 'd1' }, 'attempt');
    const lines = await eventually(async () => (linesOf(file).length === 1 ? linesOf(file) : undefined), 3_000, 'the audit line');
    expect(lines[0]).toMatchObject({ log: 'audit', event: 'attempt', delivery_id: 'd1' });
  });

  it('writes lines beyond a block in order, the last partial block within the flush interval', async () => {
    const file = join(dir, 'many.jsonl');
    const log = createAuditLog(file);
    // About 400 KB: several whole blocks and a partial one.
    for (let i = 0; i < 4_000; i++) log.info({ attempt: i, url: `https://t.example/pb?cid=${'x'.repeat(40)}${i}` }, 'attempt');
    const lines = await eventually(
      async () => (linesOf(file).length === 4_000 ? linesOf(file) : undefined),
      3_000,
      'all 4000 lines',
    );
    expect(lines.map((line) => line.attempt)).toEqual(Array.from({ length: 4_000 }, (_, i) => i));
  });

  it('writes every buffered line when the process exits', () => {
    const file = join(dir, 'exit.jsonl');
    execFileSync(process.execPath, ['--import', 'tsx', 'test/fixtures/audit-writer.ts', file, '25']);
    expect(linesOf(file).map((line) => line.attempt)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});
