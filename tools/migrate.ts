/**
 * `npm run migrate`: applies the read-model migrations (TypeORM) to DATABASE_URL. `npm start` and the
 * e2e harness run it before the services start, so readers never meet a missing table; the
 * projection service runs it again at its own start (idempotent, under an advisory lock).
 */
import { createReadModelDataSource, migrateReadModel } from '@meridian/read-model/data-source';
import { devDatabaseUrl } from './env';

export async function migrateReadModels(url: string): Promise<string[]> {
  const dataSource = await createReadModelDataSource({
    url,
    poolSize: 2,
    applicationName: 'meridian-migrate',
  }).initialize();
  try {
    return await migrateReadModel(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  const url = devDatabaseUrl();
  migrateReadModels(url)
    .then((applied) =>
      process.stdout.write(`[migrate] ${applied.length ? applied.join(', ') : 'read models up to date'}\n`),
    )
    .catch((err: unknown) => {
      process.stderr.write(`[migrate] failed: ${String(err)}\n`);
      process.exit(1);
    });
}
