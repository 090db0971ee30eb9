/**
 * The library translators hold wherever errors are mapped, with nothing imported for its
 * side effect: this file imports errors.ts alone (not the framework's index).
 */
import { UniqueConstraintError, ValidationError, ValidationErrorItem } from 'sequelize';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AppError } from './errors.js';

describe('AppError.from without the framework index', () => {
  it('names the field of a zod issue, in snake_case', () => {
    const parsed = z.object({ imageUrl: z.string() }).safeParse({ imageUrl: 5 });
    expect(AppError.from(parsed.error).toJSON()).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'image_url' });
  });

  it('maps Sequelize unique clashes and validation errors', () => {
    const clash = new UniqueConstraintError({ fields: ['title'] });
    expect(AppError.from(clash)).toMatchObject({ code: 'ALREADY_EXISTS', message: 'a record with this title already exists', cause: clash });
    const invalid = new ValidationError('bad', [new ValidationErrorItem('must be short', 'Validation error', 'createdAt')]);
    expect(AppError.from(invalid).toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'created_at: must be short', field: 'created_at' });
  });

  it('maps 405 through the one table', () => {
    const error = new AppError('METHOD_NOT_ALLOWED', 'PUT is not allowed on /api/user; use GET or POST');
    expect([error.httpStatus, error.grpcStatus]).toEqual([405, 12]);
  });
});
