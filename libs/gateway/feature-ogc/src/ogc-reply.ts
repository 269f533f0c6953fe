import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderHtml } from './html';
import { negotiate } from './negotiation';
import { HTML_TYPE, type OgcLink } from './ogc-links';
import { type Format, parseFormat, type Query, refuseUnknown, single } from './ogc-params';

/** The format a request asked for: `f`, else its Accept header; and the query's other parameters checked. */
export function formatOf(request: FastifyRequest, query: Query, allowed: readonly string[] = []): Format {
  refuseUnknown(query, ['f', ...allowed]);
  const accept = request.headers.accept;
  return negotiate(parseFormat(single(query, 'f')), Array.isArray(accept) ? accept.join(',') : accept);
}

/** Sends a resource as JSON (in its JSON media type) or as an HTML page of the same content. */
export function send<T extends { readonly links?: readonly OgcLink[] }>(
  reply: FastifyReply,
  format: Format,
  jsonType: string,
  heading: string,
  body: T,
): T | string {
  void reply.header('vary', 'Accept');
  if (format === 'html') {
    void reply.header('content-type', `${HTML_TYPE}; charset=utf-8`);
    return renderHtml(heading, body);
  }
  void reply.header('content-type', jsonType);
  return body;
}
