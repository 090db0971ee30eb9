import type { Migration } from '../../framework/index.js';
import { initial } from './0001-initial.js';
import { imageUrlLength } from './0002-image-url-length.js';

/** In order of application. Append new migrations; never edit an applied one. */
export const migrations: Migration[] = [initial, imageUrlLength];
