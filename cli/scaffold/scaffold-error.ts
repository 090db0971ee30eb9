/** A scaffolding request that cannot be carried out as asked; the message says what to change. */
export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}
