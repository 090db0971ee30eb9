/**
 * What the dashboard and the product service agree a product is, beyond what the proto
 * says: the longest title and image URL, how they are validated, and the migration that
 * widened the image column in both databases. Each service has its own model and database;
 * this is the one place both take these from, so the owner and its copies cannot disagree
 * on what a valid product is. (Services never import each other: both import this.)
 */
import { z } from 'zod';

import type { Migration } from '../framework/index.js';

/**
 * Longest title and image URL, in characters: the columns and the serializers (REST and
 * gRPC input) take them from here. 2048 is the URL length every browser and CDN handles;
 * 200 is the tutorial's title column.
 */
export const PRODUCT_LIMITS = { title: 200, image: 2048 } as const;

/** The writable text fields of a product, validated alike by both services' serializers. */
export const productFields = {
  title: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(PRODUCT_LIMITS.title, `must be at most ${PRODUCT_LIMITS.title} characters`),
  image: z
    .string({ error: 'must be a string or null' })
    .max(PRODUCT_LIMITS.image, `must be at most ${PRODUCT_LIMITS.image} characters`)
    .nullable()
    .optional(),
};

/**
 * Migration 0002 of both services: image URLs up to 2048 characters (was 200: too short for
 * signed CDN URLs). Written out, not from PRODUCT_LIMITS: an applied migration never changes.
 */
export const imageUrlLength: Migration = {
  name: '0002-image-url-length',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.changeColumn('products', 'image', { type: DataTypes.STRING(2048), allowNull: true });
  },
  async down({ queryInterface, DataTypes }) {
    await queryInterface.changeColumn('products', 'image', { type: DataTypes.STRING(200), allowNull: true });
  },
};
