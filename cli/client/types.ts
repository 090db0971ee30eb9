/** The JSON shapes of the two REST APIs, as the CLI reads them (snake_case, as sent). */

/** A product as the dashboard owns it. */
export interface Product {
  id: string;
  title: string;
  image: string | null;
  likes: number;
  created_at: string;
  updated_at: string;
}

/** The product service's synced copy: no like count (the dashboard keeps that). */
export type ProductCopy = Omit<Product, 'likes'>;

/** POST /api/products/:id/like on the product service. */
/** 200: counted, with the dashboard's new count; 202: recorded, `status: 'pending'`, no count yet. */
export interface LikeResult {
  message: string;
  product_id: string;
  user_id: string;
  likes?: number;
  status?: 'pending';
}

/** POST /api/user on the dashboard. */
export interface CreatedUser {
  id: string;
  created_at: string;
}

/** Every error body: `{"code":"NOT_FOUND","message":"…","field"?:"title"}`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}
