import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(
      match[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return anchors;
}

describe('links in the README and docs/', () => {
  for (const document of documents) {
    it(`${document}: every relative link stays in the repository and resolves, anchors included`, () => {
      const text = readFileSync(join(root, document), 'utf8').replace(/```[\s\S]*?```/g, '');
      const problems: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const file = path === '' ? join(root, document) : resolve(root, dirname(document), path);
        if (relative(root, file).startsWith('..')) problems.push(`${target}: outside the repository`);
        else if (!existsSync(file)) problems.push(`${target}: no such file`);
        else if (anchor && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor))
          problems.push(`${target}: no such heading`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('finds the links it checks (the README links into docs/)', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('](docs/operations.md)');
  });
});
