/**
 * A small checker for the Prometheus text exposition format and the naming
 * rules `promtool check metrics` lints for (client_golang's promlint), so
 * the scrape is checked even where promtool is not installed.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// promlint's unit checks: base units only, and no abbreviations.
const NON_BASE_UNITS = [
  'milliseconds',
  'microseconds',
  'nanoseconds',
  'minutes',
  'hours',
  'days',
  'kilobytes',
  'megabytes',
  'gigabytes',
  'percent',
];
const ABBREVIATIONS = ['ms', 'us', 'ns', 'sec', 'secs', 'min', 'mins', 'kb', 'mb', 'gb', 'pct'];
const TYPE_IN_NAME = ['counter', 'gauge', 'histogram', 'summary'];

interface Family {
  type?: string;
  help?: string;
  samples: number;
}

/** Parses `{a="x",b="y"}` strictly; returns the label names, or a problem. */
function parseLabels(text: string): { names: string[] } | { problem: string } {
  const names: string[] = [];
  let i = 0;
  while (i < text.length) {
    const name = /^[^=]*/.exec(text.slice(i))![0];
    if (!LABEL_NAME.test(name)) return { problem: `bad label name "${name}"` };
    if (name.startsWith('__')) return { problem: `label name "${name}" is reserved` };
    names.push(name);
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') return { problem: `label ${name}: expected ="` };
    i += 2;
    for (;;) {
      if (i >= text.length) return { problem: `label ${name}: unterminated value` };
      const c = text[i]!;
      if (c === '\\') {
        if (!['\\', '"', 'n'].includes(text[i + 1] ?? '')) return { problem: `label ${name}: bad escape` };
        i += 2;
      } else if (c === '\n') {
        return { problem: `label ${name}: raw newline in value` };
      } else if (c === '"') {
        i += 1;
        break;
      } else i += 1;
    }
    if (i < text.length) {
      if (text[i] !== ',') return { problem: `label ${name}: expected , after value` };
      i += 1;
    }
  }
  if (new Set(names).size !== names.length) return { problem: 'repeated label name' };
  return { names };
}

function familyOf(sample: string, families: Map<string, Family>): string | undefined {
  if (families.has(sample)) return sample;
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (sample.endsWith(suffix) && families.has(sample.slice(0, -suffix.length))) return sample.slice(0, -suffix.length);
  }
  return undefined;
}

/** Problems found in a scrape, one line each; empty when it passes. */
export function lintPrometheusText(text: string): string[] {
  const problems: string[] = [];
  const families = new Map<string, Family>();
  const series = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) problems.push('exposition must end with a newline');
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const at = `line ${index + 1}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ''] = meta as unknown as [string, string, string, string?];
      if (!METRIC_NAME.test(name)) problems.push(`${at}: bad metric name "${name}"`);
      const family = families.get(name) ?? { samples: 0 };
      families.set(name, family);
      if (kind === 'TYPE') {
        if (family.type !== undefined) problems.push(`${at}: second TYPE for ${name}`);
        if (family.samples > 0) problems.push(`${at}: TYPE for ${name} after its samples`);
        if (!TYPES.has(rest)) problems.push(`${at}: unknown type "${rest}"`);
        family.type = rest;
      } else {
        if (family.help !== undefined) problems.push(`${at}: second HELP for ${name}`);
        family.help = rest;
      }
      return;
    }
    if (line.startsWith('#')) return;
    const sample = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!sample) {
      problems.push(`${at}: not a sample line: ${line}`);
      return;
    }
    const [, name, labels = '', value] = sample as unknown as [string, string, string | undefined, string];
    if (!METRIC_NAME.test(name)) problems.push(`${at}: bad metric name "${name}"`);
    const parsed = parseLabels(labels);
    if ('problem' in parsed) problems.push(`${at}: ${parsed.problem}`);
    if (!/^[+-]?(?:Inf|NaN|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/.test(value)) {
      problems.push(`${at}: bad value "${value}"`);
    }
    const key = `${name}{${labels}}`;
    if (series.has(key)) problems.push(`${at}: duplicate series ${key}`);
    series.add(key);
    const familyName = familyOf(name, families);
    if (!familyName) {
      problems.push(`${at}: sample ${name} has no TYPE/HELP`);
      return;
    }
    const family = families.get(familyName)!;
    family.samples += 1;
    const labelNames = 'names' in parsed ? parsed.names : [];
    if (family.type === 'histogram' && name.endsWith('_bucket') && !labelNames.includes('le'))
      problems.push(`${at}: bucket without le`);
    if (family.type !== 'histogram' && labelNames.includes('le')) problems.push(`${at}: "le" label on a ${family.type}`);
    if (family.type !== 'summary' && labelNames.includes('quantile'))
      problems.push(`${at}: "quantile" label on a ${family.type}`);
    for (const label of labelNames) if (/[A-Z]/.test(label)) problems.push(`${at}: label "${label}" is not snake_case`);
  });

  for (const [name, family] of families) {
    if (!family.help) problems.push(`${name}: no help text`);
    if (!family.type) problems.push(`${name}: no TYPE`);
    if (family.type === 'counter' && !name.endsWith('_total'))
      problems.push(`${name}: counter metrics should have "_total" suffix`);
    if (family.type !== 'counter' && name.endsWith('_total'))
      problems.push(`${name}: non-counter metrics should not have "_total" suffix`);
    if (/[A-Z]/.test(name)) problems.push(`${name}: metric names should be snake_case`);
    if (name.includes(':')) problems.push(`${name}: ":" is reserved for recording rules`);
    const words = name.split('_');
    for (const unit of NON_BASE_UNITS) if (words.includes(unit)) problems.push(`${name}: use base units, not "${unit}"`);
    for (const abbreviation of ABBREVIATIONS)
      if (words.includes(abbreviation)) problems.push(`${name}: unit abbreviation "${abbreviation}"`);
    for (const type of TYPE_IN_NAME)
      if (words.includes(type)) problems.push(`${name}: metric name should not include the type "${type}"`);
  }
  return problems;
}
