/** Lives in shared/util so that libs the testing lib depends on (messaging) can use it in their specs. */
export { eventually, type EventuallyOptions } from '@meridian/shared/util';
