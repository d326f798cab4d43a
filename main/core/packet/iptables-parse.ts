// Parses the iptables rule formats a learner meets with Istio into one model:
//  - `iptables-save` output (`*nat`, `:CHAIN POLICY [p:b]`, `-A …`, `COMMIT`)
//  - istio-iptables `iptables-restore` input (`* nat`, `-N`, `-A`, `-I`; the goldens in istio/istio)
//  - `iptables -t nat -S` output (`-P`, `-N`, `-A` with no table header)
//  - the istio-init container log, which prints the restore input between log lines, and older
//    logs that print whole commands (`iptables -t nat -A …`)
// A file can hold several rule sets (the goldens hold the IPv4 and the IPv6 one); a table that
// starts again after its COMMIT opens the next rule set.

export type Family = 'ipv4' | 'ipv6';

export type Condition =
  | { kind: 'addr'; field: 'src' | 'dst'; neg: boolean; cidr: string; text: string }
  | { kind: 'proto'; neg: boolean; proto: string; text: string }
  | { kind: 'iface'; field: 'in' | 'out'; neg: boolean; name: string; text: string }
  | { kind: 'port'; field: 'dport' | 'sport' | 'any'; neg: boolean; ranges: Array<[number, number]>; text: string }
  | { kind: 'owner'; field: 'uid' | 'gid'; neg: boolean; id: string; text: string }
  | { kind: 'ctstate'; neg: boolean; states: string[]; text: string }
  | { kind: 'unsupported'; text: string };

export interface Target {
  /** `-j` jumps (and returns); `-g` goes to a chain without a way back to the caller. */
  how: 'jump' | 'goto';
  name: string;
  args: string[];
}

export interface Rule {
  table: string;
  chain: string;
  /** The rule as written, normalised to start with `-A <chain>` (what `iptables -S` prints). */
  text: string;
  conditions: Condition[];
  target?: Target;
  /** 1-based line in the input, so the view can point at the raw text. */
  line: number;
}

export interface Chain {
  name: string;
  /** Built-in chains have a policy (ACCEPT/DROP); user chains do not. */
  policy?: string;
  rules: Rule[];
}

export interface Table {
  name: string;
  chains: Record<string, Chain>;
}

export interface RuleSet {
  family: Family;
  /** True when the family was inferred from position, not from an address in the rules. */
  familyGuessed: boolean;
  tables: Record<string, Table>;
}

export type IptablesFormat = 'iptables-save' | 'iptables-restore' | 'iptables-S' | 'commands' | 'istio-init-log';

export interface ParsedIptables {
  format: IptablesFormat;
  rulesets: RuleSet[];
  /** The pod IP when the input says it (istio-init logs print it in older releases). */
  podIp?: string;
  warnings: string[];
}

export class IptablesParseError extends Error {
  override name = 'IptablesParseError';
}

const BUILTIN_CHAINS: Record<string, string[]> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Splits a rule into words, keeping quoted strings (comments) together. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

// Log prefixes of istio-init: `2024-05-01T10:00:00.000000Z\tinfo\t…`, optionally with a scope.
const LOG_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?\s+(?:info|warn|warning|error|debug)\s+(?:[\w.-]+\s+)?/i;
const POD_IP = /\b(?:POD_IP|podIP|pod IP)\s*[=:]\s*(\d{1,3}(?:\.\d{1,3}){3})\b/;

const TABLE_OPTS = new Set(['-t', '--table']);
const VALUE_OPTS_WITH_NEG = new Set(['-s', '--source', '--src', '-d', '--destination', '--dst', '-p', '--protocol', '-i', '--in-interface', '-o', '--out-interface']);

function parseRange(s: string): Array<[number, number]> | null {
  const ranges: Array<[number, number]> = [];
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:[:-](\d+))?$/.exec(part.trim());
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535 || hi < lo) return null;
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** Turns the words after `-A CHAIN` into conditions and a target. Unknown matches are kept as `unsupported`. */
export function parseRuleSpec(words: string[]): { conditions: Condition[]; target?: Target } {
  const conditions: Condition[] = [];
  let target: Target | undefined;
  let neg = false;
  let module = '';
  let i = 0;
  const next = () => words[++i];
  while (i < words.length) {
    const w = words[i];
    if (w === '!') {
      neg = true;
      i++;
      continue;
    }
    const bang = neg ? '! ' : '';
    // Old syntax put `!` after the option: `--dport ! 15008`.
    const takeValue = (): string | undefined => {
      let v = next();
      if (v === '!') {
        neg = true;
        v = next();
      }
      return v;
    };
    if (w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      const name = next();
      if (!name) throw new IptablesParseError(`"${w}" without a target`);
      const args: string[] = [];
      while (i + 1 < words.length && !(words[i + 1] === '-j' || words[i + 1] === '-g')) args.push(words[++i]);
      target = { how: w === '-g' || w === '--goto' ? 'goto' : 'jump', name, args };
      i++;
      neg = false;
      continue;
    }
    if (w === '-m' || w === '--match') {
      module = next() ?? '';
      i++;
      continue;
    }
    if (VALUE_OPTS_WITH_NEG.has(w)) {
      const v = takeValue();
      if (v === undefined) throw new IptablesParseError(`"${w}" without a value`);
      const text = `${neg ? '! ' : ''}${w} ${v}`;
      if (w === '-s' || w === '--source' || w === '--src' || w === '-d' || w === '--destination' || w === '--dst') {
        conditions.push({ kind: 'addr', field: w.startsWith('-s') || w.includes('src') || w === '--source' ? 'src' : 'dst', neg, cidr: v, text });
      } else if (w === '-p' || w === '--protocol') {
        conditions.push({ kind: 'proto', neg, proto: v.toLowerCase(), text });
      } else {
        conditions.push({ kind: 'iface', field: w === '-i' || w === '--in-interface' ? 'in' : 'out', neg, name: v, text });
      }
      neg = false;
      i++;
      continue;
    }
    if (w === '--dport' || w === '--destination-port' || w === '--sport' || w === '--source-port' || w === '--dports' || w === '--sports' || w === '--ports' || w === '--destination-ports' || w === '--source-ports') {
      const v = takeValue();
      const ranges = v === undefined ? null : parseRange(v);
      const text = `${neg ? '! ' : ''}${w} ${v ?? ''}`.trim();
      if (!ranges) conditions.push({ kind: 'unsupported', text });
      else {
        const field = w === '--ports' ? 'any' : w.includes('dport') || w.includes('destination') ? 'dport' : 'sport';
        conditions.push({ kind: 'port', field, neg, ranges, text: module === 'multiport' ? `-m multiport ${text}` : text });
      }
      neg = false;
      i++;
      continue;
    }
    if (w === '--uid-owner' || w === '--gid-owner') {
      const v = takeValue();
      if (v === undefined) throw new IptablesParseError(`"${w}" without a value`);
      conditions.push({ kind: 'owner', field: w === '--uid-owner' ? 'uid' : 'gid', neg, id: v, text: `-m owner ${neg ? '! ' : ''}${w} ${v}` });
      neg = false;
      i++;
      continue;
    }
    if (w === '--ctstate' || w === '--state') {
      const v = takeValue() ?? '';
      conditions.push({ kind: 'ctstate', neg, states: v.split(',').map((s) => s.toUpperCase()), text: `-m ${module || 'conntrack'} ${neg ? '! ' : ''}${w} ${v}` });
      neg = false;
      i++;
      continue;
    }
    if (w === '--comment') {
      next();
      i++;
      neg = false;
      continue;
    }
    // Anything else is a match we do not evaluate: keep its words so the walk can say which.
    const parts = [`${bang}${module && w.startsWith('--') ? `-m ${module} ` : ''}${w}`];
    while (i + 1 < words.length && !words[i + 1].startsWith('-') && words[i + 1] !== '!') parts.push(words[++i]);
    conditions.push({ kind: 'unsupported', text: parts.join(' ') });
    neg = false;
    i++;
  }
  return { conditions, target };
}

interface Builder {
  rulesets: Array<RuleSet & { committed: Set<string>; addrFamily?: Family; explicitFamily?: Family }>;
}

function newRuleSet(): Builder['rulesets'][number] {
  return { family: 'ipv4', familyGuessed: true, tables: {}, committed: new Set() };
}

function ensureChain(table: Table, name: string): Chain {
  let c = table.chains[name];
  if (!c) {
    const builtin = BUILTIN_CHAINS[table.name]?.includes(name);
    c = { name, rules: [], ...(builtin ? { policy: 'ACCEPT' } : {}) };
    table.chains[name] = c;
  }
  return c;
}

function sameRule(a: Rule, b: Rule): boolean {
  return a.text.replace(/^-\w+\s+\S+\s*/, '') === b.text.replace(/^-\w+\s+\S+\s*/, '');
}

/**
 * Parse any of the supported formats. `origin` names the input in error messages.
 * Throws IptablesParseError when no rule or chain is found at all, or a line is malformed.
 */
export function parseIptables(text: string, origin = 'input'): ParsedIptables {
  const b: Builder = { rulesets: [newRuleSet()] };
  const warnings: string[] = [];
  let podIp: string | undefined;
  let tableName: string | null = null;
  let sawTableHeader = false;
  let sawRestoreHeader = false;
  let sawCommands = false;
  let sawLogPrefix = false;
  let sawSaveDecl = false;
  let statements = 0;

  const cur = () => b.rulesets[b.rulesets.length - 1];
  const tableOf = (name: string): Table => {
    const rs = cur();
    return (rs.tables[name] ??= { name, chains: {} });
  };

  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n].trim();
    const lineNo = n + 1;
    if (LOG_PREFIX.test(line)) {
      sawLogPrefix = true;
      line = line.replace(LOG_PREFIX, '').trim();
    }
    const ipm = POD_IP.exec(line);
    if (ipm && !podIp) podIp = ipm[1];
    if (!line || line.startsWith('#')) continue;

    // `* nat` (restore input) or `*nat` (save output)
    const th = /^\*\s*(\w+)$/.exec(line);
    if (th) {
      const name = th[1];
      if (line.includes(' ')) sawRestoreHeader = true;
      sawTableHeader = true;
      if (cur().committed.has(name)) b.rulesets.push(newRuleSet());
      tableName = name;
      const t = tableOf(name);
      for (const c of BUILTIN_CHAINS[name] ?? []) ensureChain(t, c);
      continue;
    }
    if (line === 'COMMIT') {
      if (tableName) cur().committed.add(tableName);
      tableName = null;
      continue;
    }
    const decl = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/.exec(line);
    if (decl && tableName) {
      sawSaveDecl = true;
      const c = ensureChain(tableOf(tableName), decl[1]);
      if (decl[2] !== '-') c.policy = decl[2];
      statements++;
      continue;
    }

    let words = tokenize(line);
    let family: Family | undefined;
    let table = tableName;
    // Command form: `iptables -t nat -A …`, `+ iptables …` (shell trace), `ip6tables …`, `iptables-legacy …`
    if (words[0] === '+') words = words.slice(1);
    if (/^ip6?tables(?:-legacy|-nft)?$/.test(words[0] ?? '') && words.length > 1 && words[1].startsWith('-')) {
      sawCommands = true;
      family = words[0].startsWith('ip6') ? 'ipv6' : 'ipv4';
      words = words.slice(1);
      table = 'filter';
      const ti = words.findIndex((w) => TABLE_OPTS.has(w));
      if (ti >= 0) {
        table = words[ti + 1];
        words.splice(ti, 2);
      }
      // Explicit command family: start a new rule set when it changes.
      const rs = cur();
      if (rs.explicitFamily && rs.explicitFamily !== family) b.rulesets.push(newRuleSet());
      cur().explicitFamily = family;
    }
    const op = words[0];
    if (!op || !/^-[ANIPDFX]$|^--(append|new-chain|insert|policy|delete|flush|delete-chain)$/.test(op)) continue;
    // A bare rule line outside any table block: `iptables -t nat -S` output. The input is a pod's
    // nat table by contract, so that is the default.
    if (!table) {
      table = 'nat';
      // `-S` output prints `-P PREROUTING ACCEPT` first; seeing it again means a second listing.
      if ((op === '-P' || op === '--policy') && cur().tables.nat?.chains[words[1]]?.policy !== undefined && cur().tables.nat.chains[words[1]].rules.length) {
        b.rulesets.push(newRuleSet());
      }
    }
    const t = tableOf(table);
    for (const c of BUILTIN_CHAINS[table] ?? []) ensureChain(t, c);
    const chainName = words[1];
    statements++;
    switch (op) {
      case '-N':
      case '--new-chain':
        if (!chainName) throw new IptablesParseError(`${origin}:${lineNo}: "-N" without a chain name`);
        ensureChain(t, chainName);
        break;
      case '-P':
      case '--policy':
        if (!chainName || !words[2]) throw new IptablesParseError(`${origin}:${lineNo}: "-P" needs a chain and a policy`);
        ensureChain(t, chainName).policy = words[2];
        break;
      case '-F':
      case '--flush':
        if (chainName) ensureChain(t, chainName).rules = [];
        else for (const c of Object.values(t.chains)) c.rules = [];
        break;
      case '-X':
      case '--delete-chain':
        if (chainName) delete t.chains[chainName];
        break;
      default: {
        if (!chainName) throw new IptablesParseError(`${origin}:${lineNo}: "${op}" without a chain name`);
        let specStart = 2;
        let position: number | undefined;
        if ((op === '-I' || op === '--insert') && /^\d+$/.test(words[2] ?? '')) {
          position = Number(words[2]);
          specStart = 3;
        }
        const spec = words.slice(specStart);
        let parsed;
        try {
          parsed = parseRuleSpec(spec);
        } catch (err) {
          throw new IptablesParseError(`${origin}:${lineNo}: ${(err as Error).message}: ${line}`);
        }
        const ruleText = `-A ${chainName} ${spec.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ')}`.trim();
        const rule: Rule = { table, chain: chainName, text: ruleText, ...parsed, line: lineNo };
        const chain = ensureChain(t, chainName);
        if (op === '-D' || op === '--delete') {
          const idx = chain.rules.findIndex((r) => sameRule(r, rule));
          if (idx >= 0) chain.rules.splice(idx, 1);
          break;
        }
        if (op === '-I' || op === '--insert') chain.rules.splice(Math.max(0, (position ?? 1) - 1), 0, rule);
        else chain.rules.push(rule);
        for (const c of parsed.conditions) {
          if (c.kind === 'addr') cur().addrFamily ??= c.cidr.includes(':') ? 'ipv6' : 'ipv4';
        }
      }
    }
  }

  const rulesets = b.rulesets.filter((rs) => Object.values(rs.tables).some((t) => Object.values(t.chains).some((c) => c.rules.length || !BUILTIN_CHAINS[t.name]?.includes(c.name))));
  if (statements === 0 || rulesets.length === 0) {
    throw new IptablesParseError(`${origin}: no iptables rules found (expected iptables-save output, iptables-restore input, "iptables -t nat -S" output or an istio-init log)`);
  }
  // Family: explicit (ip6tables command) > an address in the rules > position (first v4, then v6).
  let seenV4 = false;
  const out: RuleSet[] = rulesets.map((rs) => {
    const known = rs.explicitFamily ?? rs.addrFamily;
    const family: Family = known ?? (seenV4 ? 'ipv6' : 'ipv4');
    if (family === 'ipv4') seenV4 = true;
    return { family, familyGuessed: !known, tables: rs.tables };
  });
  const format: IptablesFormat = sawLogPrefix
    ? 'istio-init-log'
    : sawCommands
      ? 'commands'
      : sawRestoreHeader || (sawTableHeader && !sawSaveDecl)
        ? 'iptables-restore'
        : sawTableHeader
          ? 'iptables-save'
          : 'iptables-S';
  if (out.filter((r) => r.family === 'ipv4').length > 1) {
    warnings.push(`${origin}: ${out.filter((r) => r.family === 'ipv4').length} IPv4 rule sets found (an istio-init log that prints both the restore input and the result?); the last one is used`);
  }
  return { format, rulesets: out, ...(podIp ? { podIp } : {}), warnings };
}

/** The rule set to evaluate for an address family: the last one of that family (the final state). */
export function ruleSetFor(parsed: ParsedIptables, family: Family): RuleSet | undefined {
  const of = parsed.rulesets.filter((r) => r.family === family);
  return of[of.length - 1];
}
