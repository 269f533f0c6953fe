import { z } from 'zod';
import { API_AUDIENCE, TenantId } from '@meridian/contracts/identity';
import type { GatewaySettings } from '@meridian/gateway/data-access';
import { exportsEnv, refineExportStorageEnv } from '@meridian/gateway/feature-exports';
import { streamEnv } from '@meridian/gateway/feature-stream';
import { baseConfigSchema, secretsKeyOf } from '@meridian/shared/service-kit';

const DAY_MS = 86_400_000;

const MIB = 1024 * 1024;

const RateLimit = z.strictObject({
  ratePerSecond: z.number().positive().max(1_000_000),
  burst: z.number().int().min(1).max(10_000_000),
});

/** Clock skew tolerated on a token's `exp` and `nbf`. */
const TOKEN_CLOCK_TOLERANCE_S = 5;

/** An environment variable holding JSON, parsed and then checked by `schema`. */
const jsonEnv = <T extends z.ZodType>(fallback: string, schema: T) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const HttpUrl = z.url({ protocol: /^https?$/ });

/** The platform's own tenant: its principals are service accounts, never federated users. */
const PLATFORM_TENANT = 'platform';

/** An identity provider whose own access tokens are accepted for the federated users of `tenant`. */
const ExternalIssuerEnv = z.strictObject({
  issuer: HttpUrl,
  jwksUri: HttpUrl.optional(),
  audience: z.string().min(1),
  tenant: TenantId.refine((t) => t !== PLATFORM_TENANT, 'the platform tenant has no federated users'),
});

const ExternalIssuersEnv = z
  .array(ExternalIssuerEnv)
  .refine((list) => new Set(list.map((e) => e.issuer)).size === list.length, 'an issuer is listed twice');

const gatewayEnvSchema = baseConfigSchema.extend({
  GATEWAY_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  GATEWAY_PUBLIC_URL: z.url().optional(),
  // The built web console (`npm run console:build`), served at /console/; relative to the working directory.
  GATEWAY_CONSOLE_DIR: z.string().min(1).default('dist/console'),
  // The issuer of access tokens (identity's OpenID Connect provider): `iss`, and whose keys verify them.
  OIDC_ISSUER: z.url().default('http://127.0.0.1:8090'),
  // Requests per principal (a token bucket in Redis, keyed principal:<tenant>/<subject>); over: 429.
  GATEWAY_RATE_REQUESTS_PER_S: z.coerce.number().positive().max(1_000_000).default(5000),
  GATEWAY_RATE_BURST: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  // Per-tenant overrides of the two above, JSON: {"<tenant>": {"ratePerSecond": n, "burst": n}}.
  GATEWAY_RATE_TENANT_OVERRIDES: jsonEnv('{}', z.record(TenantId, RateLimit)),
  // Identity providers whose own access tokens are accepted (docs/identity.md, "Tokens of an external
  // issuer"), JSON: [{"issuer": url, "jwksUri"?: url, "audience": string, "tenant": tenant id}].
  GATEWAY_EXTERNAL_ISSUERS: jsonEnv('[]', ExternalIssuersEnv),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  GATEWAY_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(120_000).default(5000),
  GATEWAY_QUERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(120_000).default(5000),
  GATEWAY_MAX_FIXES_PER_REQUEST: z.coerce.number().int().min(1).max(100_000).default(10_000),
  GATEWAY_MAX_FIX_AGE_DAYS: z.coerce.number().min(0).max(3650).default(30),
  GATEWAY_MAX_FIX_FUTURE_SKEW_S: z.coerce.number().min(0).max(86_400).default(300),
  // A compressed body is decompressed as a stream and refused (413) past this many bytes: a zip bomb.
  GATEWAY_DECOMPRESSED_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * MIB)
    .default(64 * MIB),
  // Telemetry ingest per tenant, counted in fixes: a token bucket in Redis (docs/decisions/0016).
  GATEWAY_INGEST_RATE_FIXES_PER_S: z.coerce.number().int().min(1).max(100_000_000).default(100_000),
  GATEWAY_INGEST_BURST_FIXES: z.coerce.number().int().min(1).max(100_000_000).default(200_000),
  // The live stream (GET /v1/stream): libs/gateway/feature-stream/src/stream.config.ts, docs/stream.md.
  ...streamEnv,
  // Export downloads: libs/gateway/feature-exports/src/exports.config.ts, docs/exports.md.
  ...exportsEnv,
});

export const gatewayConfigSchema = gatewayEnvSchema
  .refine((c) => c.GATEWAY_INGEST_BURST_FIXES >= c.GATEWAY_MAX_FIXES_PER_REQUEST, {
    path: ['GATEWAY_INGEST_BURST_FIXES'],
    message: 'must be at least GATEWAY_MAX_FIXES_PER_REQUEST, or a full request could never be admitted',
  })
  .refine((c) => c.GATEWAY_EXTERNAL_ISSUERS.every((e) => e.issuer !== c.OIDC_ISSUER), {
    path: ['GATEWAY_EXTERNAL_ISSUERS'],
    message: "OIDC_ISSUER is Meridian's own issuer, not an external one",
  })
  .superRefine(refineExportStorageEnv);
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export const publicUrlOf = (c: GatewayConfig): string => c.GATEWAY_PUBLIC_URL ?? `http://${c.HOST}:${c.GATEWAY_PORT}`;

export const settingsOf = (c: GatewayConfig): GatewaySettings => ({
  commandTimeoutMs: c.GATEWAY_COMMAND_TIMEOUT_MS,
  queryTimeoutMs: c.GATEWAY_QUERY_TIMEOUT_MS,
  maxFixesPerRequest: c.GATEWAY_MAX_FIXES_PER_REQUEST,
  maxFixAgeMs: c.GATEWAY_MAX_FIX_AGE_DAYS * DAY_MS,
  maxFixFutureSkewMs: c.GATEWAY_MAX_FIX_FUTURE_SKEW_S * 1000,
  ingestRateFixesPerSecond: c.GATEWAY_INGEST_RATE_FIXES_PER_S,
  ingestBurstFixes: c.GATEWAY_INGEST_BURST_FIXES,
  instanceId: c.INSTANCE_ID,
  publicUrl: publicUrlOf(c),
  auth: {
    issuer: c.OIDC_ISSUER,
    audience: API_AUDIENCE,
    clockToleranceSeconds: TOKEN_CLOCK_TOLERANCE_S,
    externalIssuers: c.GATEWAY_EXTERNAL_ISSUERS.map(({ tenant, ...issuer }) => ({ ...issuer, tenantId: tenant })),
  },
  requestRate: { ratePerSecond: c.GATEWAY_RATE_REQUESTS_PER_S, burst: c.GATEWAY_RATE_BURST },
  requestRateOverrides: c.GATEWAY_RATE_TENANT_OVERRIDES,
  secretsKey: secretsKeyOf(c),
});
