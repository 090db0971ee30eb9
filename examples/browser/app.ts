/**
 * The browser example: one page that likes a product over Connect and over gRPC-Web with
 * connect-web's two transports, and lists products as WatchProducts reports them.
 *
 * Where it calls: `?api=http://127.0.0.1:10008` (the dashboard's REST port; default: the
 * page's own origin). With MGRPC_SERVICE_TOKEN set on the servers, `?token=…` is sent as
 * `Authorization: Bearer …` (see docs/browser.md for who should hold it).
 *
 * The service's descriptor is embedded at bundle time (build.ts), from the same generated
 * stubs the servers load: no second code generator.
 */
import { createFileRegistry, fromBinary, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';

declare const __DESCRIPTORS__: string;

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Uint8Array.from(atob(__DESCRIPTORS__), (c) => c.charCodeAt(0))));
const ProductService = registry.getService('product.ProductService') as DescService;

const params = new URLSearchParams(location.search);
const baseUrl = params.get('api') ?? location.origin;
const token = params.get('token');
const withToken: Interceptor = (next) => (req) => {
  if (token) req.header.set('authorization', `Bearer ${token}`);
  return next(req);
};

/** The client's methods as this page uses them: the descriptor is loaded at run time, so its types are not known here. */
interface ProductClient {
  likeProduct(request: { id: string }, options?: { timeoutMs?: number }): Promise<{ product?: { title: string; likes: bigint } }>;
  watchProducts(request: { afterSeq: bigint }): AsyncIterable<unknown>;
}

const clients: Record<string, ProductClient> = {
  connect: createClient(ProductService, createConnectTransport({ baseUrl, interceptors: [withToken] })) as unknown as ProductClient,
  'grpc-web': createClient(ProductService, createGrpcWebTransport({ baseUrl, interceptors: [withToken] })) as unknown as ProductClient,
};

const $ = (id: string) => document.getElementById(id)!;

function show(list: HTMLElement, protocol: string, text: string, error = false): void {
  const item = document.createElement('li');
  item.dataset.protocol = protocol;
  item.className = error ? 'error' : '';
  item.textContent = `${protocol}: ${text}`;
  list.append(item);
}

$('like').addEventListener('submit', async (event) => {
  event.preventDefault();
  const protocol = ((event as SubmitEvent).submitter as HTMLButtonElement).value;
  const id = ($('product') as HTMLInputElement).value.trim();
  try {
    const { product } = await clients[protocol]!.likeProduct({ id }, { timeoutMs: 5000 });
    show($('answers'), protocol, `${product?.title} has ${product?.likes} likes`);
  } catch (err) {
    const error = ConnectError.from(err);
    show($('answers'), protocol, `${error.code}: ${error.rawMessage}`, true);
  }
});

type Product = { id: string; title: string; likes: bigint };
/** One WatchProducts message: a oneof `event` (snapshot, ready, created, updated, deleted). */
type ProductChange = { seq: bigint; event: { case: string | undefined; value?: any } };

/**
 * Keeps the products list current from the server stream: the snapshot, then live changes.
 * A dropped stream is opened again after the last change seen (`afterSeq`), so nothing is missed.
 */
async function watch(): Promise<void> {
  const rows = new Map<string, HTMLLIElement>();
  const show = (product: Product, deleted = false) => {
    let row = rows.get(product.id);
    if (!row) {
      row = document.createElement('li');
      row.dataset.id = product.id;
      rows.set(product.id, row);
      $('products').append(row);
    }
    row.textContent = deleted ? `${product.title}: deleted` : `${product.title}: ${product.likes} likes`;
  };
  let afterSeq = 0n;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      for await (const change of clients.connect!.watchProducts({ afterSeq }) as AsyncIterable<ProductChange>) {
        const { case: kind, value } = change.event;
        if (kind === 'ready') $('watch-status').textContent = 'live';
        else if (kind === 'snapshot' || kind === 'created' || kind === 'updated') show(value as Product);
        else if (kind === 'deleted') show(value as Product, true);
        if (change.seq > 0n) afterSeq = change.seq;
      }
    } catch (err) {
      $('watch-status').textContent = `stream ended: ${ConnectError.from(err).message}; reconnecting`;
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
    }
  }
  $('watch-status').textContent = 'stream ended';
}

void watch();
