// The code a raw child runs (LC_CHILD_CODE, in the lc_child section) calls
// nothing outside it: no PLT entry into glibc (a memset the compiler made
// from a loop, an errno-setting wrapper), no sanitizer runtime, no function
// that is not child code itself. Read from the built addon's disassembly.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { hasCommand, itIf, ROOT } from './helpers';

const SECTION = 'lc_child';
const ADDON = join(ROOT, 'build', 'Release', 'linux_clone.node');

// objdump without a preloaded sanitizer runtime (npm run test:asan sets one).
function objdump(args: string[]): string {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  return execFileSync('objdump', args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
}

interface ChildCode {
  functions: string[];
  /** "function: instruction" for every call or jump that leaves the section. */
  escapes: string[];
}

/** The functions in `file`'s child-code section, and every way out of it. */
function childCode(file: string): ChildCode {
  const header = /^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s/m;
  const sections = objdump(['-h', file])
    .split('\n')
    .map((line) => header.exec(line))
    .filter((m) => m !== null);
  const found = sections.find((m) => m[1] === SECTION);
  if (found === undefined) return { functions: [], escapes: [] };
  const start = BigInt(`0x${found[3]}`);
  const end = start + BigInt(`0x${found[2]}`);
  const functions: string[] = [];
  const escapes: string[] = [];
  let current = '';
  for (const line of objdump(['-d', '-C', '--no-show-raw-insn', '-j', SECTION, file]).split('\n')) {
    const fn = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (fn !== null) {
      current = fn[1];
      functions.push(current);
      continue;
    }
    const insn = /^\s+[0-9a-f]+:\s+(.*)$/.exec(line);
    if (insn === null) continue;
    const text = insn[1].replace(/\s+/g, ' ').trim();
    const branch = /^(?:notrack |bnd )?(call|j[a-z]+) (.*)$/.exec(text);
    const leaves =
      /@plt|__(?:asan|ubsan|sanitizer|tsan|msan)_/.test(text) ||
      (branch !== null &&
        (branch[2].startsWith('*')
          ? branch[1] === 'call' // a jump table's indirect jmp stays in the function
          : ((target) => target < start || target >= end)(
              BigInt(`0x${/^([0-9a-f]+)/.exec(branch[2])?.[1] ?? '0'}`),
            )));
    if (leaves) escapes.push(`${current}: ${text}`);
  }
  return { functions, escapes };
}

describe('child code', () => {
  itIf(hasCommand('objdump'), 'objdump (binutils)')(
    'in the built addon calls nothing outside its own section',
    () => {
      expect(existsSync(ADDON)).toBe(true);
      const code = childCode(ADDON);
      // The section holds the child programs and what they call, so the
      // check below is not run on an empty list.
      for (const name of [
        'lc::ExecChildMain(void*)',
        'lc::TaskChildMain(void*)',
        'lc::FailChild(',
        'lc::ResetSignalDispositions()',
        'Overflow(',
        'lc::SetUpNamespaces(',
        'ProbeSharing(',
      ]) {
        expect(code.functions.filter((f) => f.includes(name))).not.toEqual([]);
      }
      expect(code.escapes).toEqual([]);
    },
  );

  itIf(hasCommand('objdump') && hasCommand('cc'), 'objdump and a C compiler')(
    'the check finds a loop turned into memset, a libc call and a call out of the section',
    () => {
      // The mistakes the mark guards against, made on purpose in a library
      // of our own: the same check must report each one.
      const dir = mkdtempSync(join(tmpdir(), 'child-code-'));
      try {
        const source = join(dir, 'bad.c');
        const library = join(dir, 'bad.so');
        writeFileSync(
          source,
          `#include <unistd.h>
          #define CHILD __attribute__((section("${SECTION}"), noinline))
          __attribute__((noinline)) int outside(int x) { return x * 3; }
          CHILD void zero(char *p, unsigned long n) { for (unsigned long i = 0; i < n; i++) p[i] = 0; }
          CHILD int calls_libc(void) { return (int)getpid(); }
          CHILD int calls_outside(int x) { return outside(x) + 1; }`,
        );
        const cc = spawnSync('cc', ['-O2', '-shared', '-fPIC', '-o', library, source], {
          encoding: 'utf8',
        });
        expect(cc.stderr).toBe('');
        const code = childCode(library);
        expect(code.functions.sort()).toEqual(['calls_libc', 'calls_outside', 'zero']);
        expect(code.escapes.map((e) => e.split(':')[0]).sort()).toEqual([
          'calls_libc',
          'calls_outside',
          'zero',
        ]);
        expect(code.escapes.join('\n')).toMatch(/memset@plt/);
        expect(code.escapes.join('\n')).toMatch(/getpid@plt/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
