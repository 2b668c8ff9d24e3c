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

/** Union-find over keys; a component is named by its smallest key, whatever the order of union. */
class Components {
  private readonly parent = new Map<string, string>();

  find(key: string): string {
    if (!this.parent.has(key)) this.parent.set(key, key);
    let root = key;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    // Path compression: later finds are one step.
    for (let node = key; node !== root;) {
      const next = this.parent.get(node)!;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const [rootA, rootB] = [this.find(a), this.find(b)];
    if (rootA === rootB) return;
    // The smaller key becomes the root, so a component's name does not depend on the order.
    if (rootA < rootB) this.parent.set(rootB, rootA);
    else this.parent.set(rootA, rootB);
  }
}

/** Each item's group (its component's smallest key) and split, in the order given. */
export function assignGroups(
  items: readonly GroupedItem[],
  seed: string,
  validationRatio: number,
): { readonly group: string; readonly split: Split }[] {
  const components = new Components();
  const node = (item: GroupedItem) => [`q:${item.questionKey}`, `s:${item.sqlKey}`] as const;
  for (const item of items) components.union(...node(item));
  return items.map((item) => {
    const group = components.find(node(item)[0]);
    return { group, split: splitOf(group, seed, validationRatio) };
  });
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
  const keys = {
    train: { questionKey: new Set<string>(), sqlKey: new Set<string>() },
    validation: { questionKey: new Set<string>(), sqlKey: new Set<string>() },
  };
  for (const item of items) {
    keys[item.split].questionKey.add(item.questionKey);
    keys[item.split].sqlKey.add(item.sqlKey);
  }
  const shared = (key: 'questionKey' | 'sqlKey') =>
    [...keys.validation[key]].filter((k) => keys.train[key].has(k)).length;
  const check = { sharedGoldSql: shared('sqlKey'), sharedQuestions: shared('questionKey') };
  if (check.sharedGoldSql > 0 || check.sharedQuestions > 0) throw new LeakageError(check);
  return check;
}
