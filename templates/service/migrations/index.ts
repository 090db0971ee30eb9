import type { Migration } from '__framework__';
import { initial } from './0001-initial.js';

/** In order of application. Append new migrations; never edit an applied one. */
export const migrations: Migration[] = [initial];
