/**
 * Every relative link and #anchor in README.md and docs/*.md resolves, so a renamed file or
 * heading cannot leave a dead link behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { anchorsOf, brokenLinks, githubSlug } from './support/markdown-links.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function docsPages(): string[] {
  const docs = path.join(ROOT, 'docs');
  return [path.join(ROOT, 'README.md'), ...readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => path.join(docs, name))];
}

describe('links in README.md and docs/', () => {
  it('all resolve: files exist and anchors name a heading', () => {
    const broken = brokenLinks(docsPages()).map(({ file, line, target, reason }) => `${path.relative(ROOT, file)}:${line}: (${target}) ${reason}`);
    expect(broken, `broken links:\n${broken.join('\n')}`).toEqual([]);
  });

  it('every repository path they name in code spans exists (a moved file cannot leave a stale path)', () => {
    const stale: string[] = [];
    for (const file of docsPages()) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          for (const [, span] of text.matchAll(/`([^`\s]+)`/g)) {
            const candidate = span.replace(/[:#].*$/, '').replace(/\/$/, '');
            if (!/^(services|cli|bench|test|templates|protos|docs|bin|deploy)\/[\w./-]*$/.test(candidate) || /[*<>]/.test(candidate)) continue;
            // Generated, or what the getting-started tour scaffolds (an `orders` service).
            if (candidate.startsWith('services/stubs') || /\borders\b/.test(candidate)) continue;
            if (!existsSync(path.join(ROOT, candidate))) stale.push(`${path.relative(ROOT, file)}:${i + 1}: ${span}`);
          }
        });
    }
    expect(stale, `paths that do not exist:\n${stale.join('\n')}`).toEqual([]);
  });

  it('every docs page is linked from the README', () => {
    const [readme, ...pages] = docsPages();
    const text = readFileSync(readme, 'utf8');
    for (const page of pages) expect(text, `README.md should link docs/${path.basename(page)}`).toContain(`(docs/${path.basename(page)}`);
  });
});

describe('the link checker', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mgrpc-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes GitHub anchors', () => {
    expect(githubSlug('Guarantees: what is exactly once, what is eventually consistent')).toBe('guarantees-what-is-exactly-once-what-is-eventually-consistent');
    expect(githubSlug('`mgrpc up` and `--replicas`')).toBe('mgrpc-up-and---replicas');
    expect(githubSlug('Security: service token, TLS, API key')).toBe('security-service-token-tls-api-key');
    expect([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });

  it('reports a missing file and a missing anchor, and ignores code and absolute URLs', () => {
    writeFileSync(path.join(dir, 'other.md'), '# Other page\n\n## Known heading\n');
    const page = path.join(dir, 'page.md');
    writeFileSync(
      page,
      [
        '# Page',
        '[ok](other.md#known-heading) [ok too](#page) [web](https://example.com/x.md#nope)',
        '[gone](missing.md) [bad anchor](other.md#unknown-heading)',
        '`[in code](missing.md)`',
        '```',
        '[in a block](missing.md)',
        '```',
        '[ref]: ./also-missing.md',
      ].join('\n'),
    );
    expect(brokenLinks([page]).map(({ line, target }) => `${line} ${target}`)).toEqual(['3 missing.md', '3 other.md#unknown-heading', '8 ./also-missing.md']);
  });
});
