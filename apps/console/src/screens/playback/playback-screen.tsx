import type { Route } from '../../app/route';
import { Empty } from '../../ui/common';

/** Placeholder until the playback screen lands. */
export function PlaybackScreen(_props: { route: Route }) {
  return <Empty>Coming soon.</Empty>;
}
