/**
 * Addresses of the development stack for the tools: the explicit variables when set, else the
 * MERIDIAN_* variables the infrastructure scripts read (kafka.sh, postgis.sh), so another port
 * needs no edit.
 */
const env = (name: string): string | undefined => process.env[name] || undefined;

export const devBrokers = (): string[] =>
  (env('KAFKA_BROKERS') ?? `127.0.0.1:${env('MERIDIAN_KAFKA_PORT') ?? '19092'}`).split(',').map((b) => b.trim());

export const pgServer = (): string =>
  `postgres://${env('MERIDIAN_PG_USER') ?? 'postgres'}@${env('MERIDIAN_PG_HOST') ?? '127.0.0.1'}` +
  `:${env('MERIDIAN_PG_PORT') ?? '5432'}`;

export const devDatabaseUrl = (): string => env('DATABASE_URL') ?? `${pgServer()}/meridian`;
