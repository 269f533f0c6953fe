import { assertIdentifier, type Queryable } from '@meridian/shared/event-store';

const SHADOW = '__rebuild';
const OLD = '__old';
const MAX_IDENTIFIER = 63;

/** An index of the live table; `constraint` when it backs a primary key, unique or exclusion constraint. */
interface LiveIndex {
  readonly name: string;
  readonly def: string;
  readonly constraintDef: string | null;
}

/**
 * The shadow of a live read-model table (`read.zones` → `read.zones__rebuild`): created like it —
 * columns, defaults, NOT NULL and CHECK constraints, storage (LIKE … INCLUDING ALL), every index
 * and index-backed constraint under the live name plus `__rebuild`, owner and privileges — then
 * swapped in, in the caller's transaction that holds the live table's ACCESS EXCLUSIVE lock: live
 * indexes and table get `__old`, the shadow's take the live names, the old table is dropped. The
 * next rebuild and the migrations (`IF NOT EXISTS` by name) find the names they expect.
 *
 * Tables something else hangs on (views, foreign keys, triggers, row policies, partitions) are
 * refused: a swap would leave those behind on the old table.
 */
export class ShadowTable {
  readonly live: string;
  readonly shadow: string;
  private readonly schema: string;
  private readonly name: string;
  private indexes: LiveIndex[] = [];

  constructor(table: string) {
    const [schema, name, ...rest] = table.split('.');
    if (!name || rest.length) throw new Error(`expected schema.table, got ${table}`);
    this.schema = assertIdentifier(schema);
    this.name = assertIdentifier(name);
    this.live = `${schema}.${name}`;
    this.shadow = `${schema}.${fits(name, SHADOW)}`;
  }

  /** Drops a shadow an interrupted rebuild left behind and creates a fresh, empty one. */
  async create(via: Queryable): Promise<void> {
    await this.refuseDependents(via);
    this.indexes = await this.indexesOf(via);
    await via.query(`DROP TABLE IF EXISTS ${this.shadow}`);
    await via.query(`CREATE TABLE ${this.shadow} (LIKE ${this.live} INCLUDING ALL EXCLUDING INDEXES)`);
    for (const index of this.indexes) {
      const shadowName = fits(index.name, SHADOW);
      if (index.constraintDef) {
        await via.query(`ALTER TABLE ${this.shadow} ADD CONSTRAINT ${shadowName} ${index.constraintDef}`);
        continue;
      }
      const head = new RegExp(`^(CREATE (?:UNIQUE )?INDEX) ${index.name} ON ${this.live.replace('.', '\\.')} `);
      if (!head.test(index.def)) throw new Error(`unexpected index definition: ${index.def}`);
      await via.query(index.def.replace(head, `$1 ${shadowName} ON ${this.shadow} `));
    }
    await this.copyOwnerAndPrivileges(via);
  }

  async analyze(via: Queryable): Promise<void> {
    await via.query(`ANALYZE ${this.shadow}`);
  }

  /**
   * Puts the shadow in the live table's place. The caller's transaction holds the live table's
   * ACCESS EXCLUSIVE lock; the live indexes must be the ones the shadow was made with (a migration
   * in between would be lost, so the swap refuses).
   */
  async swap(via: Queryable): Promise<void> {
    const now = await this.indexesOf(via);
    const shape = (xs: readonly LiveIndex[]) => JSON.stringify(xs.map((x) => [x.name, x.def]));
    if (shape(now) !== shape(this.indexes)) {
      throw new Error(`the indexes of ${this.live} changed during the rebuild (a migration?): run it again`);
    }
    const sequences = await via.query<{ seq: string; column: string }>(
      `SELECT s.oid::regclass::text AS seq, quote_ident(a.attname) AS column
       FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
       WHERE d.classid = 'pg_class'::regclass AND d.refobjid = $1::regclass AND d.deptype = 'a'`,
      [this.live],
    );
    const old = fits(this.name, OLD);
    for (const index of this.indexes) {
      await via.query(`ALTER INDEX ${this.schema}.${index.name} RENAME TO ${fits(index.name, OLD)}`);
    }
    await via.query(`ALTER TABLE ${this.live} RENAME TO ${old}`);
    for (const index of this.indexes) {
      await via.query(`ALTER INDEX ${this.schema}.${fits(index.name, SHADOW)} RENAME TO ${index.name}`);
    }
    await via.query(`ALTER TABLE ${this.shadow} RENAME TO ${this.name}`);
    // A sequence owned by a live column (serial) would go with the old table: it follows the column.
    for (const { seq, column } of sequences.rows) {
      await via.query(`ALTER SEQUENCE ${seq} OWNED BY ${this.live}.${column}`);
    }
    await via.query(`DROP TABLE ${this.schema}.${old}`);
  }

  async drop(via: Queryable): Promise<void> {
    await via.query(`DROP TABLE IF EXISTS ${this.shadow}`);
  }

  /** The live table's indexes by name, with the constraint each backs (its index has the constraint's name). */
  private async indexesOf(via: Queryable): Promise<LiveIndex[]> {
    const { rows } = await via.query<{ name: string; def: string; constraint_def: string | null; conname: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def,
              CASE WHEN c.contype IN ('p', 'u', 'x') THEN pg_get_constraintdef(c.oid) END AS constraint_def,
              c.conname
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
       WHERE x.indrelid = $1::regclass
       ORDER BY i.relname`,
      [this.live],
    );
    return rows.map((r) => {
      assertIdentifier(r.name);
      fits(r.name, SHADOW);
      if (r.constraint_def && r.conname !== r.name) throw new Error(`index ${r.name} backs constraint ${r.conname}`);
      return { name: r.name, def: r.def, constraintDef: r.constraint_def };
    });
  }

  private async refuseDependents(via: Queryable): Promise<void> {
    const { rows } = await via.query<{ what: string }>(
      `SELECT 'view ' || r.ev_class::regclass::text AS what
       FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
       WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = $1::regclass AND r.ev_class <> $1::regclass
       UNION SELECT 'foreign key ' || conname FROM pg_constraint
       WHERE contype = 'f' AND (confrelid = $1::regclass OR conrelid = $1::regclass)
       UNION SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal
       UNION SELECT 'row security policy ' || polname FROM pg_policy WHERE polrelid = $1::regclass
       UNION SELECT 'not a plain table (' || relkind::text || ')' FROM pg_class
       WHERE oid = $1::regclass AND relkind <> 'r'`,
      [this.live],
    );
    if (rows.length) {
      throw new Error(`${this.live} cannot be swapped: ${rows.map((r) => r.what).join(', ')} would be left behind`);
    }
  }

  private async copyOwnerAndPrivileges(via: Queryable): Promise<void> {
    const { rows } = await via.query<{ owner: string; me: string; grants: string[] }>(
      `SELECT quote_ident(pg_get_userbyid(c.relowner)) AS owner, quote_ident(current_user) AS me,
              coalesce((SELECT array_agg(format('GRANT %s ON %s TO %s%s', a.privilege_type, $2::text,
                          CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                          CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END))
                        FROM aclexplode(c.relacl) a), '{}') AS grants
       FROM pg_class c WHERE c.oid = $1::regclass`,
      [this.live, this.shadow],
    );
    const [{ owner, me, grants }] = rows;
    if (owner !== me) await via.query(`ALTER TABLE ${this.shadow} OWNER TO ${owner}`);
    for (const grant of grants) await via.query(grant);
  }
}

/** `name` + `suffix`, refused when PostgreSQL would truncate it (two names could then collide). */
function fits(name: string, suffix: string): string {
  const full = `${name}${suffix}`;
  if (Buffer.byteLength(full) > MAX_IDENTIFIER) throw new Error(`${full} is longer than ${MAX_IDENTIFIER} bytes`);
  return full;
}
