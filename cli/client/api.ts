/**
 * The calls the CLI makes, typed, one per endpoint of the two REST APIs.
 *
 * @example
 *   const api = clientApi({ dashboard: 'http://127.0.0.1:10008', product: 'http://127.0.0.1:10007' });
 *   const { data: product } = await api.dashboard.createProduct({ title: 'Pen' });
 */
import { ServiceClient, type ApiResponse } from './http.js';
import type { CreatedUser, LikeResult, Product, ProductCopy } from './types.js';

export interface ServiceUrls {
  dashboard: string;
  product: string;
}

/** A base URL, with where it came from when known (named by "cannot reach" messages). */
export type Where = string | { value: string; from?: string };

/** Fields of PATCH /api/products/:id; `image: null` clears it. */
export interface ProductChanges {
  title?: string;
  image?: string | null;
}

const item = (id: string) => `/api/products/${encodeURIComponent(id)}`;

/** What `GET /api/products` is narrowed and ordered by (docs/api.md#lists); empty values are left out. */
export interface ListParams {
  search?: string;
  ordering?: string;
}

const listPath = (params: ListParams = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')).toString();
  return query ? `/api/products?${query}` : '/api/products';
};

export function dashboardApi(client: ServiceClient) {
  return {
    client,
    listProducts: (params?: ListParams): Promise<ApiResponse<Product[]>> => client.request('GET', listPath(params)),
    getProduct: (id: string): Promise<ApiResponse<Product>> => client.request('GET', item(id)),
    createProduct: (fields: { title: string; image?: string }): Promise<ApiResponse<Product>> =>
      client.request('POST', '/api/products', fields),
    updateProduct: (id: string, changes: ProductChanges): Promise<ApiResponse<Product>> => client.request('PATCH', item(id), changes),
    deleteProduct: (id: string): Promise<ApiResponse<undefined>> => client.request('DELETE', item(id)),
    createUser: (): Promise<ApiResponse<CreatedUser>> => client.request('POST', '/api/user'),
  };
}

export function productApi(client: ServiceClient) {
  return {
    client,
    listCopies: (params?: ListParams): Promise<ApiResponse<ProductCopy[]>> => client.request('GET', listPath(params)),
    getCopy: (id: string): Promise<ApiResponse<ProductCopy>> => client.request('GET', item(id)),
    /** Without `userId` the product service likes on behalf of a random user. */
    like: (id: string, userId?: string): Promise<ApiResponse<LikeResult>> =>
      client.request('POST', `${item(id)}/like`, userId === undefined ? {} : { user_id: userId }),
  };
}

export type DashboardApi = ReturnType<typeof dashboardApi>;
export type ProductApi = ReturnType<typeof productApi>;

const client = (service: 'dashboard' | 'product', url: Where, timeoutMs?: number) =>
  typeof url === 'string' ? new ServiceClient(service, url, timeoutMs) : new ServiceClient(service, url.value, timeoutMs, undefined, url.from);

export function clientApi(urls: Record<keyof ServiceUrls, Where>, timeoutMs?: number): { dashboard: DashboardApi; product: ProductApi } {
  return {
    dashboard: dashboardApi(client('dashboard', urls.dashboard, timeoutMs)),
    product: productApi(client('product', urls.product, timeoutMs)),
  };
}
