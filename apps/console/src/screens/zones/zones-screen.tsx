import type { Route } from '../../app/route';
import { Empty } from '../../ui/common';

/** Placeholder until the zones screen lands. */
export function ZonesScreen(_props: { route: Route }) {
  return <Empty>Coming soon.</Empty>;
}
