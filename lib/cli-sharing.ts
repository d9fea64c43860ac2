// linux-clone explain and linux-clone probe: a flag set's sharing report, or
// the four presets side by side, as a table or JSON.
import { parseArgs } from 'node:util';

import { UsageError } from './cli-usage';
import { explain, NAMESPACES, RESOURCES, type SharingReport } from './explain';
import { CloneFlags, presets } from './flags';
import { probe } from './sharing-probe';

const EXPLAIN_HELP = `Usage: linux-clone explain [--json] [SPEC]

Says what a child cloned with SPEC (strace syntax, e.g. 'CLONE_VM|CLONE_FS|SIGCHLD',
or a preset: thread, vfork, process, container) shares with its parent: memory,
fs info, fd table, signal handlers, thread group, SysV semaphore undo, parent,
and each namespace, with a sentence for each and the kernel rules SPEC breaks.
Without SPEC it shows the four presets, from most shared to most isolated:
thread -> vfork -> process -> container.

Options:
  --json       print the report as JSON
  -h, --help   show this help
`;

const PROBE_HELP = `Usage: linux-clone probe [--json] [SPEC]

Measures what SPEC shares: clones a real child with it, which leaves a mark on
each resource; the parent looks at its own side, then puts everything back.
It agrees with 'linux-clone explain'. Without SPEC it measures the four presets
(thread, vfork, process, container).
CLONE_PARENT is refused; namespaces other than a user namespace need root.

Options:
  --json       print the report as JSON
  -h, --help   show this help
`;

const SCALE = ['thread', 'vfork', 'process', 'container'] as const;

/** A flag set from SPEC: strace syntax, or a preset's name. */
function specFlags(spec: string): CloneFlags {
  return Object.hasOwn(presets, spec)
    ? presets[spec as keyof typeof presets]
    : CloneFlags.parse(spec);
}

function paint(text: string, value: string, color: boolean): string {
  if (!color) return text;
  const code = value === 'shared' ? 32 : value === 'copied' ? 33 : 36; // green, yellow, cyan for 'new'
  return `\u001b[${code}m${text}\u001b[0m`;
}

function reportTable(report: SharingReport, color: boolean): string {
  const rows = [...RESOURCES, ...NAMESPACES].map((key) => {
    const value = report[key];
    return `  ${key.padEnd(15)} ${paint(value.padEnd(7), value, color)} ${report.sentences[key]}`;
  });
  const broken = report.brokenRules.map((rule) => `  breaks: ${rule}`);
  return [`${report.flags}`, ...rows, ...broken].join('\n');
}

function scaleTable(reports: SharingReport[], color: boolean): string {
  const width = 11;
  const header = `  ${''.padEnd(15)} ${SCALE.map((name) => name.padEnd(width)).join('')}`;
  const rows = [...RESOURCES, ...NAMESPACES].map(
    (key) =>
      `  ${key.padEnd(15)} ${reports.map((r) => paint(r[key].padEnd(width), r[key], color)).join('')}`,
  );
  const flags = SCALE.map((name, i) => `  ${name.padEnd(10)} ${reports[i].flags}`);
  return [header, ...rows, '', ...flags].map((line) => line.trimEnd()).join('\n');
}

export async function sharingCommand(
  command: 'explain' | 'probe',
  args: readonly string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(command === 'explain' ? EXPLAIN_HELP : PROBE_HELP);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`${command} takes one SPEC; quote it if it has spaces`);
  const measure =
    command === 'explain'
      ? (f: CloneFlags) => Promise.resolve(explain(f))
      : (f: CloneFlags) => probe(f);
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const [spec] = positionals;
  if (spec === undefined) {
    const reports: SharingReport[] = [];
    for (const name of SCALE) reports.push(await measure(presets[name]));
    process.stdout.write(`${values.json ? JSON.stringify(reports) : scaleTable(reports, color)}\n`);
    return 0;
  }
  const report = await measure(specFlags(spec));
  process.stdout.write(`${values.json ? JSON.stringify(report) : reportTable(report, color)}\n`);
  return 0;
}
