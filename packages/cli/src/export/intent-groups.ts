/**
 * The leak-free split. Examples that share a normalised question or a normalised gold SQL are one
 * intent: the same task asked again, or asked in other words with the same answer. Intents are the
 * connected components of that "shares a key" relation, and a whole component goes to one file, so
 * no validation example has its question or its gold SQL in train.
 */
import { splitOf } from './export-rules.js';

export type Split = 'train' | 'validation';

/** What the split needs of an example (or a preference pair): its two keys. */
export interface GroupedItem {
  /** `textKey` of the normalised question. */
  readonly questionKey: string;
  /** `textKey` of the normalised gold (or chosen) SQL. */
  readonly sqlKey: string;
}

/**
 * Union-find over the items' keys, numbered as they come (a question's key and an SQL's key are
 * different nodes even when the texts are equal): one Int32Array of parents instead of a map of
 * prefixed key strings, so 200,000 examples cost a few megabytes, not a hundred.
 */
class Components {
  private parent = new Int32Array(1024);
  private size = 0;

  add(): number {
    if (this.size === this.parent.length) {
      const grown = new Int32Array(this.parent.length * 2);
      grown.set(this.parent);
      this.parent = grown;
    }
    this.parent[this.size] = this.size;
    return this.size++;
  }

  find(node: number): number {
    let root = node;
    while (this.parent[root] !== root) root = this.parent[root]!;
    // Path compression: later finds are one step.
    while (this.parent[node] !== root) {
      const next = this.parent[node]!;
      this.parent[node] = root;
      node = next;
    }
    return root;
  }

  union(a: number, b: number): void {
    const [rootA, rootB] = [this.find(a), this.find(b)];
    if (rootA !== rootB) this.parent[rootB] = rootA;
  }
}

/**
 * Each item's group (its component's smallest key, `q:` and the question's key or `s:` and the
 * SQL's) and split, in the order given. The name does not depend on the order of the items.
 */
export function assignGroups(
  items: readonly GroupedItem[],
  seed: string,
  validationRatio: number,
): { readonly group: string; readonly split: Split }[] {
  const components = new Components();
  // A node's name is its kind, a colon and its key; the names are compared without being made
  // (one string per node was most of the memory this took): `q:` sorts before `s:`, and two
  // names of one kind compare as their keys.
  const keys: string[] = [];
  const sqlNodes: boolean[] = [];
  const nodes = { q: new Map<string, number>(), s: new Map<string, number>() };
  const node = (kind: 'q' | 's', key: string) => {
    let id = nodes[kind].get(key);
    if (id === undefined) {
      id = components.add();
      nodes[kind].set(key, id);
      keys[id] = key;
      sqlNodes[id] = kind === 's';
    }
    return id;
  };
  const questionNodes = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    questionNodes[i] = node('q', item.questionKey);
    components.union(questionNodes[i]!, node('s', item.sqlKey));
  }
  const namedBefore = (a: number, b: number) =>
    sqlNodes[a] === sqlNodes[b] ? keys[a]! < keys[b]! : !sqlNodes[a];
  const smallest = new Map<number, number>();
  for (let id = 0; id < keys.length; id++) {
    const root = components.find(id);
    const known = smallest.get(root);
    if (known === undefined || namedBefore(id, known)) smallest.set(root, id);
  }
  const placements = new Map<number, { readonly group: string; readonly split: Split }>();
  for (const [root, id] of smallest) {
    const group = `${sqlNodes[id] ? 's' : 'q'}:${keys[id]!}`;
    placements.set(root, { group, split: splitOf(group, seed, validationRatio) });
  }
  return Array.from(items, (_, i) => placements.get(components.find(questionNodes[i]!))!);
}

/** What the split let through between the two files: both must be 0. */
export interface LeakageCheck {
  readonly sharedGoldSql: number;
  readonly sharedQuestions: number;
}

/** The export found a question or gold SQL in both files: its validation numbers would be inflated. */
export class LeakageError extends Error {
  override readonly name = 'LeakageError';

  constructor(readonly check: LeakageCheck) {
    super(
      `leakage between train and validation: ${check.sharedGoldSql} gold SQL and ` +
        `${check.sharedQuestions} normalised questions are in both; nothing was written`,
    );
  }
}

/**
 * Counts the gold SQL and normalised questions found in both files, independently of how the
 * split was made; throws LeakageError when it finds any.
 */
export function checkLeakage(items: Iterable<GroupedItem & { readonly split: Split }>): LeakageCheck {
  // Per key, the files it was found in: 1 train, 2 validation; 3 is a leak.
  const found = { questionKey: new Map<string, number>(), sqlKey: new Map<string, number>() };
  for (const item of items) {
    const bit = item.split === 'train' ? 1 : 2;
    for (const key of ['questionKey', 'sqlKey'] as const) {
      found[key].set(item[key], (found[key].get(item[key]) ?? 0) | bit);
    }
  }
  const shared = (key: 'questionKey' | 'sqlKey') => {
    let count = 0;
    for (const bits of found[key].values()) if (bits === 3) count += 1;
    return count;
  };
  const check = { sharedGoldSql: shared('sqlKey'), sharedQuestions: shared('questionKey') };
  if (check.sharedGoldSql > 0 || check.sharedQuestions > 0) throw new LeakageError(check);
  return check;
}
