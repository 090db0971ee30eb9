/**
 * Service and model names for the scaffolder: validation with messages that say what to
 * type instead, and the case forms the templates need.
 *
 * @example
 *   serviceNames('order-items') // { name: 'order-items', snake: 'order_items', camel: 'orderItems', Pascal: 'OrderItems', UPPER: 'ORDER_ITEMS' }
 */
import { ScaffoldError } from './scaffold-error.js';

export interface NameForms {
  /** As typed: the service name, its folder and its `--service` value (kebab-case or snake_case). */
  name: string;
  /** proto package, proto file name and table prefix: order_items. */
  snake: string;
  /** variables: orderItems. */
  camel: string;
  /** types: OrderItems. */
  Pascal: string;
  /** environment variables: ORDER_ITEMS. */
  UPPER: string;
  /** file names: order-items. */
  kebab: string;
}

/** Words a service cannot be called: they are folders of their own, or the CLI's own names. */
const RESERVED_SERVICES = new Set(['framework', 'stubs', 'registry', 'node_modules', 'dist', 'test', 'templates', 'google']);

/**
 * Identifiers the generated code uses next to the model's own (imports, proto messages), and
 * JavaScript's reserved words: a model with one of these names would not compile.
 */
const RESERVED_MODELS = new Set([
  'Model', 'DataTypes', 'Sequelize', 'Router', 'Migration', 'Empty', 'Object', 'Array', 'String', 'Number', 'Boolean', 'Date',
  'Error', 'Promise', 'Map', 'Set', 'Function', 'Symbol', 'BigInt', 'JSON', 'Math', 'Record', 'Partial',
]);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function forms(name: string): NameForms {
  const parts = words(name);
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  return {
    name,
    snake: parts.join('_'),
    camel: parts[0] + parts.slice(1).map(cap).join(''),
    Pascal: parts.map(cap).join(''),
    UPPER: parts.join('_').toUpperCase(),
    kebab: parts.join('-'),
  };
}

/** Validates a service name (lower-case words joined by - or _) and returns its case forms. */
export function serviceNames(name: string): NameForms {
  if (!/^[a-z][a-z0-9]*(?:[-_][a-z][a-z0-9]*)*$/.test(name)) {
    throw new ScaffoldError(
      `invalid service name '${name}': use lower-case letters and digits, words joined by - or _, starting with a letter (for example: orders, order-items)`,
    );
  }
  if (name.length > 40) throw new ScaffoldError(`invalid service name '${name}': at most 40 characters`);
  if (RESERVED_SERVICES.has(name)) throw new ScaffoldError(`invalid service name '${name}': '${name}' is reserved, choose another name`);
  return forms(name);
}

/** Validates a model name (PascalCase) and returns its case forms. */
export function modelNames(name: string): NameForms {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw new ScaffoldError(`invalid model name '${name}': use PascalCase letters and digits, starting with a capital (for example: Order, OrderItem)`);
  }
  if (name.length > 40) throw new ScaffoldError(`invalid model name '${name}': at most 40 characters`);
  if (RESERVED_MODELS.has(name)) throw new ScaffoldError(`invalid model name '${name}': it clashes with a name the generated code uses, choose another`);
  const result = forms(name);
  // 'HTTPThing' would come back as 'HttpThing': keep the user's spelling for types.
  return { ...result, Pascal: name };
}

/** English plural, good enough for message names (ListOrdersRequest). */
export function plural(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

/** The default model of a service: its name in PascalCase, singular where that is obvious. */
export function defaultModelName(service: NameForms): string {
  const p = service.Pascal;
  if (/ies$/.test(p)) return `${p.slice(0, -3)}y`;
  if (/[^s]s$/.test(p)) return p.slice(0, -1);
  return p;
}
