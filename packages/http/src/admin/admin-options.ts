import { ConfigError, optionError, type Transport } from '@partita/core';

/** `serve(app, { admin })`: the admin API and the dashboard (see README, "Admin API and dashboard"). */
export interface AdminOptions {
  /**
   * The app's transport. Its admin side (`transport.admin`) serves topics,
   * lag, records, redrive and purge; without it those routes answer 501.
   */
  readonly transport: Transport;
  /**
   * The bearer token write routes require (`authorization: Bearer <token>`).
   * Without one every write answers 401 (reads still work).
   * @defaultValue process.env.PARTITA_ADMIN_TOKEN
   */
  readonly token?: string;
  /** Serve the dashboard at `/`. @defaultValue true */
  readonly dashboard?: boolean;
}

export interface ResolvedAdmin {
  readonly transport: Transport;
  readonly token: string | undefined;
  readonly dashboard: boolean;
}

/** Check `serve`'s `admin` option and read the token (option, else `PARTITA_ADMIN_TOKEN`). */
export function resolveAdmin(admin: AdminOptions, env: NodeJS.ProcessEnv = process.env): ResolvedAdmin {
  if (typeof admin !== 'object' || admin === null)
    throw optionError('serve', 'admin', 'an object like { transport, token }', admin);
  const t = admin.transport as Partial<Transport> | undefined;
  if (typeof t !== 'object' || t === null || typeof t.publish !== 'function' || typeof t.name !== 'string')
    throw optionError('serve', 'admin.transport', "the app's transport (the one given to createApp)", typeof t);
  if (admin.token !== undefined && (typeof admin.token !== 'string' || admin.token.length < 16))
    throw optionError('serve', 'admin.token', 'a string of at least 16 characters (e.g. `openssl rand -hex 32`)');
  const fromEnv = env.PARTITA_ADMIN_TOKEN;
  if (admin.token === undefined && fromEnv !== undefined && fromEnv !== '' && fromEnv.length < 16)
    throw new ConfigError('serve: PARTITA_ADMIN_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`)');
  if (admin.dashboard !== undefined && typeof admin.dashboard !== 'boolean')
    throw optionError('serve', 'admin.dashboard', 'true or false', admin.dashboard);
  return {
    transport: admin.transport,
    token: admin.token ?? (fromEnv === '' ? undefined : fromEnv),
    dashboard: admin.dashboard ?? true,
  };
}
