import type { Pool } from 'pg';

/** One node of an `EXPLAIN (FORMAT JSON)` plan: the fields plan assertions read. */
export interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly Plans?: readonly PlanNode[];
}

/** The SQL text and parameters a query sent. */
export interface SentQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** A recorded `query(text, values)` call (a Jest spy's `mock.calls[i]`) as the SQL it sent. */
export function sentQuery(call: readonly unknown[]): SentQuery {
  const [text, values] = call;
  if (typeof text !== 'string' || !Array.isArray(values)) throw new Error('expected a call query(text, values)');
  return { text, values };
}

/** A plan tree's nodes, depth first. */
export const flattenPlan = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flattenPlan)];

/** A node as one readable line: `Index Scan using asset_latest_pkey on asset_latest`. */
export const describePlanNode = (n: PlanNode): string =>
  `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}` +
  `${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`;

/**
 * The plan of exactly the text and parameters a query sent (DESIGN §5: every query's plan uses an
 * index), its nodes depth first.
 */
export async function explainPlan(pool: Pool, sql: SentQuery): Promise<PlanNode[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql.text}`, [
    ...sql.values,
  ]);
  return flattenPlan(rows[0]['QUERY PLAN'][0].Plan);
}
