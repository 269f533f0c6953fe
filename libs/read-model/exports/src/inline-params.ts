import { escapeLiteral } from 'pg';

/**
 * A parameter as the literal PostgreSQL would read it: quoted text of unknown type, exactly as the
 * extended protocol sends `pg`'s parameters (text, type left to the server), so the query means
 * what it means with `$n`. Arrays of strings become array literals; null and undefined NULL.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return escapeLiteral(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return escapeLiteral(String(value));
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  if (Array.isArray(value)) {
    const items = value.map((v) => {
      if (typeof v !== 'string') throw new TypeError('only arrays of strings are inlined');
      return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    });
    return escapeLiteral(`{${items.join(',')}}`);
  }
  return escapeLiteral(JSON.stringify(value));
}

/**
 * `sql` with each `$n` replaced by the literal of `params[n - 1]`: for `COPY (SELECT …) TO STDOUT`,
 * which takes no parameters. `sql` is trusted code (its `$n` are placeholders, none inside a string
 * literal); the values are escaped, never spliced as they are. Every placeholder must have a value.
 */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n);
    if (i < 1 || i > params.length) throw new RangeError(`no value for $${n} (${params.length} given)`);
    return sqlLiteral(params[i - 1]);
  });
}
