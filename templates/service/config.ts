/** The __name__ service's settings, read from the environment once at start-up. */
import { envInt } from '__framework__';

export interface __Pascal__Config {
  /** The most __models_words__ one list request returns (__UPPER___MAX_PAGE_SIZE, default 100). */
  maxPageSize: number;
}

export function loadConfig(env: NodeJS.ProcessEnv): __Pascal__Config {
  return {
    maxPageSize: envInt('__UPPER___MAX_PAGE_SIZE', 100, env),
  };
}
