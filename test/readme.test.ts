// The README is run, not trusted. Every fenced example runs against the
// built package, imported by its name from a project of its own:
//   ```ts / ```js   type-checked (strict, nodenext) and run as ES modules; a
//                   line `EXPR; // => VALUE` asserts EXPR deep-equals VALUE,
//                   `EXPR; // throws CODE` that it throws an error with CODE
//   ```sh           run with bash -e, `linux-clone` on PATH
//   ```console      `$ COMMAND` lines run, their output compared exactly
//   ```ts options   an option or member list: its names must be exactly the
//                   exported type's, so none is missing or stale
//   ```sh setup     the two commands of a checkout and `npm install`: CI and
//                   test/pack.test.ts run those, not this file
// The errors table must name every code the library throws.
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ts from 'typescript';

import { CLI, isRoot, itIf, ROOT } from './helpers';

interface Block {
  lang: string;
  tag: string;
  body: string;
  line: number;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\S*)(?: (\S+))?\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) {
    const line = markdown.slice(0, m.index).split('\n').length;
    blocks.push({ lang: m[1], tag: m[2] ?? '', body: m[3], line });
  }
  return blocks;
}

const blocks = fencedBlocks(README);
const examples = blocks.filter((b) => (b.lang === 'ts' || b.lang === 'js') && b.tag === '');
const shells = blocks.filter((b) => b.lang === 'sh' && b.tag === '');
const consoles = blocks.filter((b) => b.lang === 'console');
const optionLists = blocks.filter((b) => b.lang === 'ts' && b.tag === 'options');

/** Turns the README's `// =>` and `// throws` comments into assertions. */
function withAssertions(body: string): string {
  const lines = body.split('\n').map((line) => {
    const equal = /^(\s*)(.+?);\s*\/\/ => (.+)$/.exec(line);
    if (equal) return `${equal[1]}assert.deepStrictEqual(${equal[2]}, ${equal[3]});`;
    const throws = /^(\s*)(.+?);\s*\/\/ throws (\w+)$/.exec(line);
    if (throws) return `${throws[1]}assert.throws(() => ${throws[2]}, { code: '${throws[3]}' });`;
    return line;
  });
  return `import assert from 'node:assert/strict';\n${lines.join('\n')}\n`;
}

// A consumer project: the package under its own name, as an installed copy is.
const project = mkdtempSync(join(tmpdir(), 'linux-clone-readme-'));
mkdirSync(join(project, 'node_modules'));
symlinkSync(ROOT, join(project, 'node_modules', 'linux-clone'));
writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
const pathBin = join(project, 'bin');
mkdirSync(pathBin);
symlinkSync(CLI, join(pathBin, 'linux-clone'));

const exampleFiles = examples.map((block, i) => {
  const file = join(project, `example-${i}-line-${block.line}.mts`);
  writeFileSync(file, withAssertions(block.body));
  return file;
});
// The option lists' names are looked up through this module's import.
const apiFile = join(project, 'api.mts');
writeFileSync(apiFile, "import * as api from 'linux-clone';\nexport default api;\n");

const program = ts.createProgram([...exampleFiles, apiFile], {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules', '@types')],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();

afterAll(() => rmSync(project, { recursive: true, force: true }));

function diagnosticsOf(file: string): string[] {
  const source = program.getSourceFile(file);
  return [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('README examples', () => {
  it('has examples of every kind', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(shells.length).toBeGreaterThanOrEqual(2);
    expect(consoles.length).toBeGreaterThanOrEqual(1);
    expect(optionLists.length).toBeGreaterThanOrEqual(8);
  });

  it.each(examples.map((block, i) => [block.line, exampleFiles[i]] as const))(
    'the example at line %i type-checks and runs',
    (_line, file) => {
      expect(diagnosticsOf(file)).toEqual([]);
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      const runnable = file.replace(/\.mts$/, '.mjs');
      writeFileSync(runnable, outputText);
      const result = spawnSync(process.execPath, [runnable], {
        cwd: project,
        encoding: 'utf8',
        timeout: 60000,
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it.each(shells.map((block) => [block.line, block.body] as const))(
    'the shell example at line %i runs',
    (_line, body) => {
      const result = spawnSync('bash', ['-e', '-c', body], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${pathBin}:${process.env.PATH}` },
        timeout: 60000,
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  // The shown output is the scale measured as root (a rootless probe of
  // the container preset needs unprivileged user namespaces too).
  itIf(isRoot, 'root')('each console transcript prints what the README shows', () => {
    for (const block of consoles) {
      const [command, ...expected] = block.body.trimEnd().split('\n');
      expect(command.startsWith('$ ')).toBe(true);
      const result = spawnSync('bash', ['-c', command.slice(2)], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${pathBin}:${process.env.PATH}`, NO_COLOR: '1' },
        timeout: 60000,
      });
      expect(result.status).toBe(0);
      expect(result.stdout.trimEnd()).toBe(expected.join('\n'));
    }
  });
});

/** The names an option list declares: `name?:`, `name(`, `a, b, c:`, `[Symbol.x]`. */
function listedNames(body: string): { header: string; names: string[] } {
  const [header, ...lines] = body.trimEnd().split('\n');
  const names: string[] = [];
  for (const line of lines) {
    const member = /^ {2}(?:static )?((?:\[Symbol\.\w+\]|\w+)(?:, \w+)*)\??[:(]/.exec(line);
    if (member) names.push(...member[1].split(', '));
  }
  return { header, names };
}

function exported(name: string): ts.Symbol {
  const source = program.getSourceFile(apiFile)!;
  const specifier = (source.statements[0] as ts.ImportDeclaration).moduleSpecifier;
  const module = checker.getSymbolAtLocation(specifier)!;
  const symbol = checker.getExportsOfModule(module).find((s) => s.name === name);
  if (symbol === undefined) throw new Error(`linux-clone exports no ${name}`);
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** What the README's names mean for a symbol: `[Symbol.asyncDispose]` for TS's `__@asyncDispose@12`. */
function memberNames(type: ts.Type): string[] {
  return checker
    .getPropertiesOfType(type)
    .map((p) => p.name)
    .filter((name) => !name.startsWith('__#') && name !== '#private' && name !== 'prototype')
    .map((name) => name.replace(/^__@(\w+)@\d+$/, '[Symbol.$1]'));
}

/** The names the README should list for the header's type: its own, not an extended base's. */
function realNames(header: string): string[] {
  const declared = /^(interface|class|type|const) (\w+)(?:: \{| extends \w+)?/.exec(header);
  if (!declared) throw new Error(`not an option list header: ${header}`);
  const [, kind, name] = declared;
  const symbol = exported(name);
  if (kind === 'const') return memberNames(checker.getTypeOfSymbol(symbol));
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  let names = memberNames(type);
  if (kind === 'class') {
    // Statics the class itself declares, not Error.captureStackTrace.
    const own = (p: ts.Symbol) =>
      p.declarations?.some((d) => symbol.declarations?.includes(d.parent as ts.Declaration));
    const statics = checker.getPropertiesOfType(checker.getTypeOfSymbol(symbol)).filter(own);
    names.push(...statics.map((p) => p.name).filter((n) => n !== 'prototype'));
  }
  if (type.isClassOrInterface()) {
    const inherited = new Set(checker.getBaseTypes(type).flatMap(memberNames));
    names = names.filter((n) => !inherited.has(n));
  }
  return names;
}

describe('README API lists', () => {
  it.each(optionLists.map((block) => [listedNames(block.body).header, block.body] as const))(
    '%s lists every member of the exported type, and only those',
    (header, body) => {
      const { names } = listedNames(body);
      expect([...new Set(names)].sort()).toEqual([...new Set(realNames(header))].sort());
      // Every option carries a comment; in a result or class, a bare
      // `coreDumped: boolean` may speak for itself.
      const uncommented = body
        .split('\n')
        .filter((line) => /^ {2}[\w[]/.test(line) && !line.includes('//'));
      if (/\w+Options\b/.test(header.split(' ')[1])) expect(uncommented).toEqual([]);
      else expect(uncommented.length).toBeLessThan(names.length / 2);
    },
  );
});

describe('README errors table', () => {
  it('names every code the library throws', () => {
    const table = README.slice(README.indexOf('## Errors'), README.indexOf('## Privileges'));
    const documented = new Set(
      [...table.matchAll(/`((?:ERR|ABORT)_\w+|E[A-Z0-9]+)`/g)].map((m) => m[1]),
    );
    const thrown = new Set<string>();
    for (const dir of ['lib', 'native']) {
      for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
        for (const m of text.matchAll(/['"]((?:ERR|ABORT)_[A-Z0-9_]+)['"]/g)) thrown.add(m[1]);
      }
    }
    // Node's own parseArgs codes (the CLI turns them into exit 2), the code
    // by which environment.ts knows Node's env object (never thrown), and the
    // native fallback for a loader that never installed CloneError.
    thrown.delete('ERR_PARSE_ARGS');
    thrown.delete('ERR_INVALID_OBJECT_DEFINE_PROPERTY');
    thrown.delete('ERR_LINUX_CLONE_NATIVE');
    expect([...thrown].filter((code) => !documented.has(code))).toEqual([]);
    expect([...documented].filter((c) => c.startsWith('ERR_') && !thrown.has(c))).toEqual([]);
  });
});
