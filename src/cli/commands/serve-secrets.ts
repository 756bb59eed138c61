import { UsageError } from '../../errors.js';

export const DEFAULT_API_KEY_ENV = 'BCSS_SERVE_API_KEY';
export const DEFAULT_GDC_TOKEN_ENV = 'BCSS_SERVE_GDC_TOKEN';
export const DEFAULT_FIGSHARE_TOKEN_ENV = 'BCSS_SERVE_FIGSHARE_TOKEN';

export interface ServeSecretFlags {
  apiKeyEnv?: string;
  passwordEnv?: string;
  gdcTokenEnv?: string;
  figshareTokenEnv?: string;
}

export interface ServeSecrets {
  apiKey?: string;
  /** The variable the key came from (for the start-up line; never the value). */
  keyVar: string;
  password?: string;
  gdcToken?: string;
  figshareToken?: string;
}

/**
 * One secret from the environment: flags carry variable NAMES only, never values, because argv is
 * readable by every user of the machine. A variable named explicitly must be set.
 */
function fromEnv(env: NodeJS.ProcessEnv, flag: string, named: string | undefined, fallback: string | null): string | undefined {
  const name = named ?? fallback;
  if (name === null) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${flag} expects a variable name, not "${name}"`);
  const value = env[name] || undefined;
  if (named !== undefined && value === undefined) throw new UsageError(`${flag} ${name}: that environment variable is not set or empty`);
  return value;
}

/**
 * Private mode's secrets. The API key (Girder) switches it on; the GDC and figshare tokens default
 * to the key when their variables are unset, so one secret opens all three services, each asked
 * for in that service's own header. A Basic-login password exists only when named by a flag.
 */
export function readServeSecrets(flags: ServeSecretFlags, env: NodeJS.ProcessEnv): ServeSecrets {
  const keyVar = flags.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const apiKey = fromEnv(env, '--api-key-env', flags.apiKeyEnv, DEFAULT_API_KEY_ENV);
  const password = fromEnv(env, '--password-env', flags.passwordEnv, null);
  const gdcToken = fromEnv(env, '--gdc-token-env', flags.gdcTokenEnv, DEFAULT_GDC_TOKEN_ENV);
  const figshareToken = fromEnv(env, '--figshare-token-env', flags.figshareTokenEnv, DEFAULT_FIGSHARE_TOKEN_ENV);
  if (apiKey === undefined && (gdcToken !== undefined || figshareToken !== undefined)) {
    throw new UsageError('GDC and figshare tokens apply to private mode only', { hint: `set the API key too (${keyVar} or --api-key-env)` });
  }
  return { apiKey, keyVar, password, gdcToken, figshareToken };
}
