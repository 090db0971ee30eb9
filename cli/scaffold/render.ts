/**
 * The template renderer: files under templates/ with `__token__` placeholders, and whole
 * lines `// __BLOCK__` that become a block of lines at the marker's indentation. Rendering
 * is pure (template text in, file text out); an unknown placeholder is a template bug and
 * fails loudly rather than leaking `__x__` into a user's project.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sampleValues, type ModelSpec } from './fields.js';
import { plural, type NameForms } from './names.js';
import { withArticle } from '../../services/framework/model/casing.js';

/** The mgrpc package root (holding templates/), from source (cli/scaffold) or from dist/cli/scaffold. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'templates')) && existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the templates/ directory of the mgrpc package');
}

export function templatesDir(): string {
  return path.join(packageRoot(), 'templates');
}

export interface TemplateValues {
  tokens: Record<string, string>;
  blocks: Record<string, string[]>;
}

/** Substitutes blocks, then tokens, in one template's text. */
export function renderText(template: string, values: TemplateValues, origin: string): string {
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    const marker = /^(\s*)\/\/ __([A-Z_]+)__\s*$/.exec(line);
    if (!marker) {
      lines.push(line);
      continue;
    }
    const block = values.blocks[marker[2]!];
    if (!block) throw new Error(`${origin}: unknown block ${marker[2]}`);
    lines.push(...block.map((b) => (b === '' ? '' : marker[1] + b)));
  }
  return lines.join('\n').replace(/__([A-Za-z][A-Za-z0-9_]*?)__/g, (whole, token: string) => {
    const value = values.tokens[token];
    if (value === undefined) throw new Error(`${origin}: unknown placeholder ${whole}`);
    return value;
  });
}

/** Every file under a template directory, as paths relative to it ('/'-separated). */
export function listTemplates(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listTemplates(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** Renders every file of one template directory into `outDir` (relative paths of the result). */
export function renderTree(templateDir: string, outDir: string, values: TemplateValues, perFile: (outPath: string) => Record<string, string> = () => ({})): Map<string, string> {
  const files = new Map<string, string>();
  for (const rel of listTemplates(templateDir)) {
    const outRel = path.posix.join(outDir, renderText(rel, values, rel));
    const fileValues = { tokens: { ...values.tokens, ...perFile(outRel) }, blocks: values.blocks };
    files.set(outRel, renderText(readFileSync(path.join(templateDir, rel), 'utf8'), fileValues, rel));
  }
  return files;
}

export interface ServiceTemplateInput {
  service: NameForms;
  spec: ModelSpec;
  ports: { rest: number; grpc: number };
  /** How generated code imports the framework: a path inside this repository, or a package ('mgrpc/framework'). */
  framework: { kind: 'path'; file: string } | { kind: 'package'; specifier: string };
}

const BASE_PORT = 10000;

function relativeImport(fromFile: string, toFile: string): string {
  const rel = path.posix.relative(path.posix.dirname(fromFile), toFile);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function literal(value: Record<string, unknown>): string {
  const entries = Object.entries(value).map(([key, v]) => `${key}: ${JSON.stringify(v)}`);
  return `{ ${entries.join(', ')} }`;
}

/** The tokens and blocks of the service and proto templates. */
export function serviceValues({ service, spec, ports }: ServiceTemplateInput): TemplateValues {
  const { model, fields } = spec;
  const Models = plural(model.Pascal);
  const words = model.snake.replace(/_/g, ' ');
  const sample = (transport: 'json' | 'message', index: 0 | 1) =>
    literal(Object.fromEntries(fields.map((f) => [transport === 'json' ? f.snake : f.camel, sampleValues(f, transport)[index]])));

  const columns = fields.flatMap((f) =>
    f.type !== 'bigint'
      ? [`${f.camel}: { type: ${f.info.column}, allowNull: ${f.nullable} },`]
      : [
          `${f.camel}: {`,
          `  type: ${f.info.column},`,
          '  allowNull: false,',
          '  // PostgreSQL returns BIGINT as a string; the API shows a number.',
          `  get(this: ${model.Pascal}) {`,
          `    return Number(this.getDataValue('${f.camel}'));`,
          '  },',
          '},',
        ],
  );
  const helpers: string[] = [];
  const textFields = fields.filter((f) => f.type === 'text');
  if (fields.some((f) => !f.nullable)) {
    helpers.push(
      '/** "is required" for a missing field, else what the value must be. */',
      "const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);",
      '',
    );
  }
  if (fields.some((f) => f.type === 'bigint')) {
    helpers.push(
      '/**',
      ' * int64: JSON sends a number, the gRPC loader hands it over as a decimal string. The model',
      " * holds a JavaScript number, exact up to 2^53 - 1: the range is checked before wholeness, so",
      ' * a larger value is told the limit rather than "must be a whole number".',
      ' */',
      'const wholeNumber = (options: { error: string | ((issue: { input?: unknown }) => string) }) =>',
      '  z',
      "    .union([z.number(), z.string().regex(/^-?\\d+$/, 'must be a whole number')], options)",
      '    .transform(Number)',
      "    .pipe(z.number().min(-9007199254740991, 'must be at least -9007199254740991').max(9007199254740991, 'must be at most 9007199254740991').int('must be a whole number'));",
      '',
    );
  }

  return {
    tokens: {
      name: service.name,
      snake: service.snake,
      Pascal: service.Pascal,
      UPPER: service.UPPER,
      Model: model.Pascal,
      model: model.camel,
      model_kebab: model.kebab,
      model_words: words,
      a_model_words: withArticle(words),
      A_model_words: capitalize(withArticle(words)),
      Models,
      models: plural(model.camel),
      models_words: plural(words),
      models_path: plural(model.kebab),
      table: plural(model.snake),
      REST_PORT: String(ports.rest),
      GRPC_PORT: String(ports.grpc),
      REST_PORT_FULL: String(BASE_PORT + ports.rest),
      GRPC_PORT_FULL: String(BASE_PORT + ports.grpc),
      CREATED_AT_TAG: String(fields.length + 2),
      UPDATED_AT_TAG: String(fields.length + 3),
      FIELD_LIST: fields.map((f) => `'${f.camel}'`).join(', '),
      FIRST_FIELD: fields[0]!.snake,
      SAMPLE_JSON: sample('json', 0),
      CHANGED_JSON: sample('json', 1),
      SAMPLE_MESSAGE: sample('message', 0),
      CHANGED_MESSAGE: sample('message', 1),
    },
    blocks: {
      PROTO_FIELDS: fields.map((f, i) => `${f.info.proto} ${f.snake} = ${i + 2};`),
      MODEL_DECLARES: fields.map((f) => `declare ${f.camel}: ${f.info.ts}${f.nullable ? ' | null' : ''};`),
      MODEL_COLUMNS: columns,
      MIGRATION_COLUMNS: fields.map((f) => `${f.snake}: { type: ${f.info.column}, allowNull: ${f.nullable} },`),
      SERIALIZER_HELPERS: helpers,
      SERIALIZER_SCHEMA: fields.map((f) => `${f.camel}: ${f.info.zod(f.nullable)},`),
      // A `text` field is long text (a textarea in the admin): line breaks are its content.
      SERIALIZER_OPTIONS: textFields.length > 0 ? [`multiline: [${textFields.map((f) => `'${f.camel}'`).join(', ')}],`] : [],
    },
  };
}

/**
 * Every file of a new service, relative to the project root: services/<name>/… and
 * protos/<snake>.proto.
 */
export function renderService(input: ServiceTemplateInput): Map<string, string> {
  const values = serviceValues(input);
  const templates = templatesDir();
  const stubs = 'services/stubs/index.js';
  const imports = (outPath: string) => ({
    framework: input.framework.kind === 'package' ? input.framework.specifier : relativeImport(outPath, input.framework.file),
    stubs: relativeImport(outPath, stubs),
  });
  return new Map([
    ...renderTree(path.join(templates, 'service'), `services/${input.service.name}`, values, imports),
    ...renderTree(path.join(templates, 'proto'), 'protos', values),
  ]);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
