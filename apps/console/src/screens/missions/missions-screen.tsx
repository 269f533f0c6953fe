import type { Route } from '../../app/route';
import { Empty } from '../../ui/common';

/** Placeholder until the missions screen lands. */
export function MissionsScreen(_props: { route: Route }) {
  return <Empty>Coming soon.</Empty>;
}
