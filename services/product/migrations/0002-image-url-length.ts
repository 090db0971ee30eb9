/** Image URLs up to 2048 characters: the same change in both services' databases (contracts/product.ts). */
export { imageUrlLength } from '../../contracts/product.js';
