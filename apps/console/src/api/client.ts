/**
 * Calls the API with the session's token. Every refusal becomes an `ApiError` carrying the
 * problem+json `detail` and `code`, which the screens show in words where it happened.
 */
import type { Session } from '../auth/session';
import type { Link, Problem } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }

  get code(): string | undefined {
    return this.problem.code;
  }
}

/** Words for any failure: the API's `detail` when there is one. */
export const messageOf = (err: unknown): string =>
  err instanceof ApiError
    ? `${err.message}${err.code ? ` (${err.code})` : ''}`
    : err instanceof TypeError
      ? 'Meridian cannot be reached: check the network connection and try again.'
      : err instanceof Error
        ? err.message
        : String(err);

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export class Api {
  constructor(
    readonly base: string,
    private readonly session: Session,
  ) {}

  url(path: string, query: Query = {}): string {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', this.url(path, query), signal ? { signal } : {});
  }

  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>('POST', this.url(path), { body, ...(headers ? { headers } : {}) });
  }

  put<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>('PUT', this.url(path), { body, ...(headers ? { headers } : {}) });
  }

  delete<T>(path: string, headers?: Record<string, string>): Promise<T> {
    return this.request<T>('DELETE', this.url(path), headers ? { headers } : {});
  }

  /** Every page of a paged list, following `next` links, up to `max` items. */
  async all<T, P extends { links: readonly Link[] }>(
    path: string,
    query: Query,
    items: (page: P) => readonly T[],
    options: { max?: number; onPage?: (count: number) => void; signal?: AbortSignal } = {},
  ): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = this.url(path, query);
    while (next && out.length < (options.max ?? Infinity)) {
      const page: P = await this.request<P>('GET', next, options.signal ? { signal: options.signal } : {});
      out.push(...items(page));
      options.onPage?.(out.length);
      next = page.links.find((l) => l.rel === 'next')?.href ?? null;
    }
    return out;
  }

  /** Fetch with the bearer token; one retry after a refresh when the token was refused (401). */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const send = async () => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await this.session.token()}`);
      return fetch(url, { ...init, headers });
    };
    const response = await send();
    if (response.status !== 401) return response;
    await this.session.refresh();
    return send();
  }

  private async request<T>(method: string, url: string, options: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/geo+json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    if (options.signal) init.signal = options.signal;
    const response = await this.fetch(url, init);
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
}

async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return (await response.json()) as Problem;
    } catch {
      // fall through: a body that is not JSON after all
    }
  }
  return {
    status: response.status,
    title: response.statusText,
    detail: `HTTP ${response.status} ${response.statusText}`,
  };
}
