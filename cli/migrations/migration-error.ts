/** A request `makemigrations`, `showmigrations` or `migrate --to` cannot carry out; the message says what to change (exit 2). */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}
