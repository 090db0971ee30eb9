/**
 * `mgrpc product create|list|get|like|update|delete`: the tutorial's REST calls from the
 * command line. Writes go to the dashboard (it owns products), likes to the product service.
 * A missing id or title is asked for in a terminal (ink, loaded only then) and is a usage
 * error anywhere else.
 */
import { Command, Option } from 'commander';

import { valueOrAsk } from '../client/ask.js';
import { UsageError } from '../handle-error.js';
import { isUuid, parseNonEmpty, parseUuid, serviceUrls, withClientOptions, type ClientOptions } from '../client/options.js';

const prompts = () => import('../client/prompts.js');
const write = (text: string) => void process.stdout.write(text);

const ID_HELP = 'the product id (see `mgrpc product list`); asked for when omitted in a terminal';
const uuidProblem = (value: string) => (isUuid(value) ? undefined : 'that is not a product id: ids are UUIDs, as `mgrpc product list` shows them');

/** The id argument, or asked for in a terminal, or a usage error naming it. */
function productId(id: string | undefined, usage: string): Promise<string> {
  return valueOrAsk(id, `missing product ID: ${usage} (ids are listed by \`mgrpc product list\`)`, async () =>
    (await prompts()).askText({ label: 'Product id', validate: uuidProblem }),
  );
}

function createCommand(): Command {
  return withClientOptions(new Command('create'))
    .description('create a product on the dashboard (the product service gets a copy)')
    .option('--title <title>', "the product's title; asked for when omitted in a terminal", parseNonEmpty)
    .option('--image <url>', "the product's image URL")
    .action(async (opts: ClientOptions & { title?: string; image?: string }) => {
      const { clientApi } = await import('../client/api.js');
      const { formatCreated, jsonOutput } = await import('../client/format.js');
      const title = await valueOrAsk(opts.title, 'missing --title: mgrpc product create --title <title> [--image <url>]', async () =>
        (await prompts()).askText({ label: 'Title', validate: (v) => (v.trim() === '' ? 'the title must not be empty' : undefined) }),
      );
      const { data, raw } = await clientApi(serviceUrls(opts)).dashboard.createProduct(opts.image === undefined ? { title } : { title, image: opts.image });
      write(opts.json ? jsonOutput(raw) : formatCreated(data));
    });
}

function listCommand(): Command {
  return withClientOptions(new Command('list'))
    .description('list products: the dashboard’s (with like counts) or the product service’s copies')
    .addOption(new Option('--source <service>', 'which service to ask').choices(['dashboard', 'product']).default('dashboard'))
    .option('--search <text>', 'only products whose title contains every word of it (any case)')
    .option('--ordering <fields>', "order by these fields, '-' for descending: -likes,title")
    .option('--watch', "then print each change as it is committed (the dashboard's WatchProducts stream; reconnects by itself) until Ctrl-C")
    .option('--addr <host:port>', 'with --watch: the dashboard gRPC server (default: $DASHBOARD_GRPC_SERVER, else the running `mgrpc up`)')
    .action(async (opts: ClientOptions & { source: 'dashboard' | 'product'; search?: string; ordering?: string; watch?: boolean; addr?: string }) => {
      if (opts.watch) {
        if (opts.source !== 'dashboard') throw new UsageError('--watch follows the dashboard, which owns the products: leave out --source product');
        if (opts.search || opts.ordering) throw new UsageError('--watch follows every product: leave out --search and --ordering');
        const { watchProductList } = await import('../client/watch-list.js');
        return watchProductList(opts.addr, write, (text) => void process.stderr.write(text));
      }
      const { clientApi } = await import('../client/api.js');
      const { formatProductList, jsonOutput } = await import('../client/format.js');
      const api = clientApi(serviceUrls(opts));
      const params = { search: opts.search, ordering: opts.ordering };
      const { data, raw } = opts.source === 'product' ? await api.product.listCopies(params) : await api.dashboard.listProducts(params);
      write(opts.json ? jsonOutput(raw) : formatProductList(data));
    });
}

function getCommand(): Command {
  return withClientOptions(new Command('get'))
    .description('show one product, as the dashboard has it')
    .argument('[id]', ID_HELP, parseUuid)
    .action(async (id: string | undefined, opts: ClientOptions) => {
      const { clientApi } = await import('../client/api.js');
      const { formatProduct, jsonOutput } = await import('../client/format.js');
      const { data, raw } = await clientApi(serviceUrls(opts)).dashboard.getProduct(await productId(id, 'mgrpc product get <id>'));
      write(opts.json ? jsonOutput(raw) : formatProduct(data));
    });
}

function likeCommand(): Command {
  return withClientOptions(new Command('like'))
    .description('like a product through the product service (which tells the dashboard)')
    .argument('[id]', 'the product id; in a terminal you can pick the product from a list instead', parseUuid)
    .option('--user <uuid>', 'who likes it (`mgrpc user create` makes one); default: a random user', parseUuid)
    .action(async (id: string | undefined, opts: ClientOptions & { user?: string }) => {
      const { clientApi } = await import('../client/api.js');
      const { formatLiked, jsonOutput } = await import('../client/format.js');
      const api = clientApi(serviceUrls(opts));
      let title: string | undefined;
      const productIdToLike = await valueOrAsk(id, 'missing product ID: mgrpc product like <id> [--user <uuid>] (ids are listed by `mgrpc product list`)', async () => {
        const { data: products } = await api.dashboard.listProducts();
        const picked = await (await prompts()).pickProduct('Which product to like?', products, uuidProblem);
        title = products.find((p) => p.id === picked)?.title;
        return picked;
      });
      const { data, raw } = await api.product.like(productIdToLike, opts.user).catch(async (err: unknown) => {
        // The tutorial's like without a user: the product service picks one at random, and once
        // several exist it can pick one who liked the product already. Say so, and how to choose.
        const { ApiError } = await import('../client/http.js');
        if (opts.user !== undefined || !(err instanceof ApiError) || err.status !== 409) throw err;
        throw new ApiError(err.status, err.code, `${err.message} (the product service picked that user at random; choose one with --user <uuid>)`, err.field);
      });
      if (opts.json) return write(jsonOutput(raw));
      // The like answer has only the id; the title is a nicety, so a failed lookup is ignored.
      title ??= await api.product.getCopy(productIdToLike).then(
        (r) => r.data.title,
        () => undefined,
      );
      write(formatLiked(data, title));
    });
}

function updateCommand(): Command {
  return withClientOptions(new Command('update'))
    .description('change a product’s title and/or image on the dashboard (the copy follows)')
    .argument('[id]', ID_HELP, parseUuid)
    .option('--title <title>', 'the new title', parseNonEmpty)
    .option('--image <url>', 'the new image URL')
    .option('--no-image', 'remove the image')
    .action(async (id: string | undefined, opts: ClientOptions & { title?: string; image?: string | false }) => {
      const { clientApi } = await import('../client/api.js');
      const { formatUpdated, jsonOutput } = await import('../client/format.js');
      const target = await productId(id, 'mgrpc product update <id> [--title <title>] [--image <url> | --no-image]');
      const changes: { title?: string; image?: string | null } = {};
      if (opts.title !== undefined) changes.title = opts.title;
      if (opts.image !== undefined) changes.image = opts.image === false ? null : opts.image;
      if (Object.keys(changes).length === 0) {
        changes.title = await valueOrAsk(undefined, 'nothing to update: pass --title <title>, --image <url> or --no-image', async () =>
          (await prompts()).askText({ label: 'New title', validate: (v) => (v.trim() === '' ? 'the title must not be empty' : undefined) }),
        );
      }
      const { data, raw } = await clientApi(serviceUrls(opts)).dashboard.updateProduct(target, changes);
      write(opts.json ? jsonOutput(raw) : formatUpdated(data));
    });
}

function deleteCommand(): Command {
  return withClientOptions(new Command('delete'))
    .description('delete a product on the dashboard (the copy goes too)')
    .argument('[id]', ID_HELP, parseUuid)
    .action(async (id: string | undefined, opts: ClientOptions) => {
      const { clientApi } = await import('../client/api.js');
      const { formatDeleted } = await import('../client/format.js');
      const target = await productId(id, 'mgrpc product delete <id>');
      await clientApi(serviceUrls(opts)).dashboard.deleteProduct(target);
      // 204 has no body; --json still prints one document, so scripts can always parse stdout.
      write(opts.json ? `${JSON.stringify({ id: target, deleted: true })}\n` : formatDeleted(target));
    });
}

export function productCommand(): Command {
  const product = new Command('product').description('create, list, like, update and delete products through the two REST APIs');
  for (const command of [createCommand(), listCommand(), getCommand(), likeCommand(), updateCommand(), deleteCommand()]) {
    product.addCommand(command);
  }
  return product;
}
