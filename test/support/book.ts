/**
 * The framework's own model, for its tests: a library's books. Small, but it has what the
 * framework must handle: a UUID key, a required bounded string, a nullable UNIQUE string
 * (isbn: '' on the gRPC wire), an int64 counter (a decimal string on the gRPC wire), and
 * read-only timestamps.
 *
 * @example
 *   const Book = defineBook(sequelize);
 *   const books = bookResource(Book);
 */
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { z } from 'zod';

import { ModelResource, ModelSerializer, type Migration } from '../../services/framework/index.js';

export class Book extends Model<InferAttributes<Book>, InferCreationAttributes<Book>> {
  declare id: CreationOptional<string>;
  declare title: string;
  declare isbn: string | null;
  declare pages: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type BookModel = typeof Book;

export function defineBook(sequelize: Sequelize): BookModel {
  // A subclass per connection, so several databases can be open in one process.
  class BoundBook extends Book {}
  BoundBook.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      // Model validation repeats the serializer's rules, so writes that bypass it are checked too.
      title: { type: DataTypes.STRING(200), allowNull: false, validate: { len: { args: [1, 200], msg: 'must be 1 to 200 characters' } } },
      isbn: { type: DataTypes.STRING(13), allowNull: true, unique: true },
      pages: {
        type: DataTypes.BIGINT,
        allowNull: false,
        defaultValue: 0,
        validate: { min: { args: [0], msg: 'must be at least 0' } },
        get(this: Book) {
          return Number(this.getDataValue('pages'));
        },
      },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: 'Book', tableName: 'books', underscored: true },
  );
  return BoundBook;
}

export const bookMigrations: Migration[] = [
  {
    name: '0001-books',
    async up({ queryInterface, DataTypes: T }) {
      await queryInterface.createTable('books', {
        id: { type: T.UUID, primaryKey: true, allowNull: false },
        title: { type: T.STRING(200), allowNull: false },
        isbn: { type: T.STRING(13), allowNull: true, unique: true },
        pages: { type: T.BIGINT, allowNull: false, defaultValue: 0 },
        created_at: { type: T.DATE, allowNull: false },
        updated_at: { type: T.DATE, allowNull: false },
      });
    },
    async down({ queryInterface }) {
      await queryInterface.dropTable('books');
    },
  },
];

// JSON sends a number; the gRPC loader hands int64 over as a decimal string (LOADER_OPTIONS).
const pageCount = z
  .union([z.number(), z.string().regex(/^-?\d+$/, 'must be a whole number')], { error: 'must be a whole number' })
  .transform(Number)
  .pipe(z.int('must be a whole number').min(0, 'must be at least 0'));

export const bookSerializer = new ModelSerializer<Book>({
  fields: ['id', 'title', 'isbn', 'pages', 'createdAt'],
  readOnly: ['id', 'createdAt'],
  schema: z.object({
    title: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters'),
    isbn: z
      .string({ error: 'must be a string or null' })
      .regex(/^(\d{10}|\d{13})$/, 'must be 10 or 13 digits')
      .nullable()
      .optional(),
    pages: pageCount.optional(),
  }),
});

export function bookResource(model: BookModel): ModelResource<Book> {
  // Ordered by title so list pages are predictable within one millisecond.
  return new ModelResource<Book>({
    name: 'book',
    model,
    serializer: bookSerializer,
    lookupSchema: z.uuid(),
    ordering: [
      ['title', 'ASC'],
      ['id', 'ASC'],
    ],
    maxPageSize: 100,
  });
}
