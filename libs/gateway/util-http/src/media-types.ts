import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ErrorCodes } from '@meridian/contracts/core';
import { problemFromCode } from './problem';

export const JSON_TYPE = 'application/json';
export const GEOJSON_TYPE = 'application/geo+json';
export const NDJSON_TYPE = 'application/x-ndjson';

const CONSUMES = 'meridian:consumes';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The request media types an operation accepts; without it a body must be `application/json`. */
export const Consumes = (...types: string[]): MethodDecorator & ClassDecorator => SetMetadata(CONSUMES, types);

export const mediaTypeOf = (request: FastifyRequest): string =>
  (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

/** A body in a media type the operation does not take is a 415, never a confusing 400. */
@Injectable()
export class ConsumesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!BODY_METHODS.has(request.method)) return true;
    const allowed = this.reflector.getAllAndOverride<string[] | undefined>(CONSUMES, [
      context.getHandler(),
      context.getClass(),
    ]) ?? [JSON_TYPE];
    const type = mediaTypeOf(request);
    if (allowed.includes(type)) return true;
    throw problemFromCode(
      ErrorCodes.requestUnsupportedMediaType,
      `expected ${allowed.join(' or ')}, got ${type || 'none'}`,
    );
  }
}
