/** REST bodies use snake_case (as the tutorial's DRF API does); models and protos use camelCase. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * `words` after its indefinite article, by how it sounds: "an order", "an hour", "a user",
 * "a one-off", for generated sentences ("Delete an order").
 */
export function withArticle(words: string): string {
  const an = /^(?:hour|honest|honou?r|heir)/i.test(words) || (/^[aeiou]/i.test(words) && !/^(?:u(?:ni|s[eu]|ti|r[aeiou]|ku)|one|once|eu|ewe)/i.test(words));
  return `${an ? 'an' : 'a'} ${words}`;
}
