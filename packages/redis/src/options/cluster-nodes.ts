import { optionError } from '@partita/core';

/** One seed node of a Redis Cluster. */
export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

/** The `cluster` option after validation. */
export interface ResolvedCluster {
  readonly nodes: readonly ClusterNode[];
  /** `rediss://` seeds: TLS to every node. */
  readonly tls: boolean;
  /** Credentials from the seeds' user info (the first seed that has any). */
  readonly username: string | undefined;
  readonly password: string | undefined;
}

const OWNER = 'redisTransport';
const EXPECTED =
  '{ nodes: [...] } with one or more seed node URLs like redis://10.0.0.1:7000 (all redis:// or all rediss://, no database path)';

/**
 * Validate the `cluster` option: seed node URLs (`redis://[user:password@]host:port`,
 * or `rediss://` for TLS). Any reachable seed will do: the client learns the
 * other nodes and the slot map from it. A bad value is a `ConfigError`
 * naming the option (a URL with a password is never shown).
 */
export function resolveCluster(value: unknown): ResolvedCluster {
  const nodes = (value as { nodes?: unknown } | null)?.nodes;
  if (value === null || typeof value !== 'object' || !Array.isArray(nodes) || nodes.length === 0)
    throw optionError(OWNER, 'cluster', EXPECTED);
  const known = Object.keys(value).filter((k) => k !== 'nodes');
  if (known.length > 0) throw optionError(OWNER, `cluster.${known[0]}`, 'absent (the only field is "nodes")');
  const out: ClusterNode[] = [];
  let protocol: string | undefined;
  let username: string | undefined;
  let password: string | undefined;
  nodes.forEach((node, i) => {
    const bad = (): Error =>
      optionError(OWNER, `cluster.nodes[${i}]`, 'a URL like redis://10.0.0.1:7000 or rediss://host:7000');
    if (typeof node !== 'string' || !/^rediss?:\/\/\S+$/.test(node)) throw bad();
    let url: URL;
    try {
      url = new URL(node);
    } catch {
      throw bad();
    }
    if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0')
      throw optionError(OWNER, `cluster.nodes[${i}]`, 'a URL without a database path (a cluster has database 0 only)');
    if (protocol !== undefined && url.protocol !== protocol)
      throw optionError(OWNER, 'cluster.nodes', 'all redis:// or all rediss:// (TLS to every node or none)');
    protocol = url.protocol;
    if (password === undefined && url.password !== '') {
      password = decodeURIComponent(url.password);
      if (url.username !== '') username = decodeURIComponent(url.username);
    }
    out.push({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379) });
  });
  return { nodes: out, tls: protocol === 'rediss:', username, password };
}
