import type { MigrationInterface, QueryRunner } from 'typeorm';

/** TODO(issue 13): the exports tables. */
export class Exports1764460800010 implements MigrationInterface {
  name = 'Exports1764460800010';

  async up(_q: QueryRunner): Promise<void> {
    // filled in by the exports work
  }

  async down(_q: QueryRunner): Promise<void> {
    // filled in by the exports work
  }
}
