import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../scripts/lib/validation.js';

/** Every Markdown page a reader follows links through: the README and everything under docs/. */
function pages(): string[] {
  const found = [join(REPO_ROOT, 'README.md')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.md')) found.push(path);
    }
  };
  walk(join(REPO_ROOT, 'docs'));
  return found;
}

/** Text outside code blocks and code spans, where a `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutBlocks = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutBlocks.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (match[1] ?? '')
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

interface BrokenLink {
  page: string;
  target: string;
  why: string;
}

function brokenLinks(): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const page of pages()) {
    const text = readFileSync(page, 'utf8');
    for (const match of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? page : join(dirname(page), decodeURIComponent(path));
      const where = { page: relative(REPO_ROOT, page), target };
      if (!existsSync(file)) {
        broken.push({ ...where, why: 'no such file' });
        continue;
      }
      if (anchor !== undefined && anchor !== '' && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
        broken.push({ ...where, why: 'no such heading' });
      }
    }
  }
  return broken;
}

describe('links between the docs', () => {
  it('lead to a file of the repository, and to a heading of it where they name one', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it.each([
    { reason: 'punctuation and code marks are dropped, spaces become hyphens', heading: '## Why a resource waits: `status.pendingReasons`', anchor: 'why-a-resource-waits-statuspendingreasons' },
    { reason: 'a repeated heading is numbered', heading: '## Checks\n## Checks', anchor: 'checks-1' },
    { reason: 'an explicit anchor counts', heading: '<a id="step-3"></a>', anchor: 'step-3' },
  ])('compute anchors as GitHub does: $reason', ({ heading, anchor }) => {
    expect(anchorsOf(heading).has(anchor)).toBe(true);
  });
});
