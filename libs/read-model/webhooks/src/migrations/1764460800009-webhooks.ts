import type { MigrationInterface, QueryRunner } from 'typeorm';

/** TODO(issue 13): the webhooks tables. */
export class Webhooks1764460800009 implements MigrationInterface {
  name = 'Webhooks1764460800009';

  async up(_q: QueryRunner): Promise<void> {
    // filled in by the webhooks work
  }

  async down(_q: QueryRunner): Promise<void> {
    // filled in by the webhooks work
  }
}
